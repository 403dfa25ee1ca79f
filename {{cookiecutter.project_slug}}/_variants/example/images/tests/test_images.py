"""The images example: pixels decoded once and standardised with the training split's statistics,
any image size through the network, unreadable files named, test images drawn."""

import shutil

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.datamodule import RawDataError
from {{ cookiecutter.package_name }}.data.prepare import prepare
from {{ cookiecutter.package_name }}.data.splits import SplitError
from {{ cookiecutter.package_name }}.image_plots import image_grid
from {{ cookiecutter.package_name }}.train import train


def load_pixels(data_dir, split: str) -> np.ndarray:
    with np.load(data_dir / "processed" / f"{split}.npz") as arrays:
        return arrays["x"]


def test_pixel_statistics_come_from_training_images_only(data_dir, data_source) -> None:
    metadata = data_source().metadata
    train_pixels = load_pixels(data_dir, "train") / 255
    all_pixels = np.concatenate([load_pixels(data_dir, s) for s in ("train", "val", "test")]) / 255
    assert metadata["pixel_mean"] == pytest.approx(train_pixels.mean(axis=(0, 2, 3)).tolist())
    assert metadata["pixel_mean"] != pytest.approx(all_pixels.mean(axis=(0, 2, 3)).tolist())
    assert load_pixels(data_dir, "train").dtype == np.uint8  # decoded once, stored compactly


def test_batches_are_standardised(data_source) -> None:
    data = data_source("data.batch_size=2000")
    data.setup()
    pixels, _ = data.on_after_batch_transfer(next(iter(data.train_dataloader())), 0)
    assert pixels.dtype.is_floating_point
    assert pixels.mean().item() == pytest.approx(0.0, abs=1e-4)
    assert pixels.std().item() == pytest.approx(1.0, abs=1e-2)


def copy_classes(data_dir, tmp_path, classes: list[str], keep: int | None = None):
    """A raw folder of its own with some of the example's class folders (their first images)."""
    for name in classes:
        (tmp_path / "raw" / name).mkdir(parents=True)
        for image in sorted((data_dir / "raw" / name).iterdir())[:keep]:
            shutil.copy(image, tmp_path / "raw" / name)
    return compose_config("prepare", [f"paths.data_dir={tmp_path}"])


def test_one_class_folder_is_refused_by_name(data_dir, tmp_path) -> None:
    cfg = copy_classes(data_dir, tmp_path, ["3"])
    with pytest.raises(SplitError, match=r"raw \(one folder per class\) holds one class only"):
        prepare(cfg)


def test_class_with_one_image_is_named(data_dir, tmp_path) -> None:
    cfg = copy_classes(data_dir, tmp_path, ["0", "1"])
    (tmp_path / "raw" / "7").mkdir()
    shutil.copy(next((data_dir / "raw" / "7").iterdir()), tmp_path / "raw" / "7")
    with pytest.raises(SplitError, match="class '7' has 1"):
        prepare(cfg)


def test_empty_class_folder_is_named(data_dir, tmp_path) -> None:
    cfg = copy_classes(data_dir, tmp_path, ["0", "1"])
    (tmp_path / "raw" / "notes").mkdir()
    with pytest.raises(RawDataError, match="raw/notes holds no images"):
        prepare(cfg)


def test_unreadable_image_is_named(tmp_path) -> None:
    raw = tmp_path / "raw" / "cats"
    raw.mkdir(parents=True)
    (raw / "broken.png").write_bytes(b"not a png")
    with pytest.raises(RawDataError, match="broken.png"):
        prepare(compose_config("prepare", [f"paths.data_dir={tmp_path}"]))


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
