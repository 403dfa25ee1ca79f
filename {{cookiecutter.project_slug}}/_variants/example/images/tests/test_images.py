"""The images example: pixels decoded once and standardised with the training split's statistics,
any image size through the network, unreadable files named, test images drawn."""

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.datamodule import MissingDataError
from {{ cookiecutter.package_name }}.data.splits import open_split
from {{ cookiecutter.package_name }}.image_plots import image_grid
from {{ cookiecutter.package_name }}.models.cnn import channels_for
from {{ cookiecutter.package_name }}.train import train


def load_pixels(data_dir, split: str) -> np.ndarray:
    return np.asarray(open_split(data_dir / "processed", split)[0])


def test_pixel_statistics_come_from_training_images_only(data_dir, data_source) -> None:
    metadata = data_source().metadata
    train_pixels = load_pixels(data_dir, "train") / 255
    all_pixels = np.concatenate([load_pixels(data_dir, s) for s in ("train", "val", "test")]) / 255
    assert metadata["pixel_mean"] == pytest.approx(train_pixels.mean(axis=(0, 2, 3)).tolist())
    assert metadata["pixel_std"] == pytest.approx(train_pixels.std(axis=(0, 2, 3)).tolist())
    assert metadata["pixel_mean"] != pytest.approx(all_pixels.mean(axis=(0, 2, 3)).tolist())
    assert load_pixels(data_dir, "train").dtype == np.uint8  # decoded once, stored compactly


def test_training_reads_the_prepared_arrays_memory_mapped(data_source) -> None:
    data = data_source()
    data.setup()
    inputs, targets = data.datasets["train"].arrays
    assert isinstance(inputs, np.memmap) and isinstance(targets, np.memmap)  # read on demand


def test_batches_are_standardised(data_source) -> None:
    data = data_source("data.batch_size=2000")
    data.setup()
    pixels, _ = data.on_after_batch_transfer(next(iter(data.train_dataloader())), 0)
    assert pixels.dtype.is_floating_point
    assert pixels.mean().item() == pytest.approx(0.0, abs=1e-4)
    assert pixels.std().item() == pytest.approx(1.0, abs=1e-2)


def test_digits_are_prepared_at_their_own_size_in_grey(data_source) -> None:
    assert data_source().info.input_shape == [1, 8, 8]  # chosen from the images: nothing set


def test_data_prepared_at_another_size_is_refused_with_the_command(data_source) -> None:
    with pytest.raises(MissingDataError, match=r'make data ARGS="data.preparation.image_size=16"'):
        data_source("data.preparation.image_size=16").info  # noqa: B018


@pytest.mark.parametrize("size, blocks", [(8, 2), (40, 4), (224, 7)])
def test_network_depth_follows_the_image_size(size: int, blocks: int) -> None:
    assert len(channels_for(size, width=16, max_width=128)) == blocks


@pytest.mark.parametrize("input_shape", [[1, 8, 8], [3, 64, 48]])
def test_network_takes_any_image_size(input_shape: list[int]) -> None:
    network_cfg = compose_config("train", ["paths.output_dir=unused"]).model.network
    network = instantiate(network_cfg, input_shape=input_shape, num_outputs=5)
    assert network(torch.randn(7, *input_shape)).shape == (7, 5)


def test_image_grid_titles_each_image_with_predicted_and_true_class() -> None:
    images = np.zeros((6, 1, 8, 8), dtype=np.uint8)
    labels, predictions = np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 1, 1, 2, 0])
    figure = image_grid(images, labels, predictions, ["cloud", "clear", "fog"])
    titles = [axis.get_title() for axis in figure.axes if axis.get_title()]
    assert titles[1] == "pred clear\ntrue cloud"  # the second image is a cloud taken for clear
    assert len(titles) == 6


def test_training_draws_the_test_images(train_config, tmp_path) -> None:
    cfg = train_config("debug=smoke", "logger=csv")
    train(cfg)
    assert (tmp_path / "reports" / "figures" / cfg.run_name / "test_images.png").is_file()
