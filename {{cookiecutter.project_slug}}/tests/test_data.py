"""Data preparation: the split is stratified and repeatable, and no test row informs training."""

import json

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.datamodule import (
    ArrayDataModule,
    MissingDataError,
    read_metadata,
)
from {{ cookiecutter.package_name }}.data.prepare import RawDataError, prepare
from {{ cookiecutter.package_name }}.data.splits import stratified_split


def load_split(data_dir, split: str) -> tuple[np.ndarray, np.ndarray]:
    with np.load(data_dir / "processed" / f"{split}.npz") as arrays:
        return arrays["x"], arrays["y"]


def test_split_sizes_and_disjointness() -> None:
    labels = np.repeat(np.arange(4), 50)  # 200 examples, 4 balanced classes
    rows = stratified_split(labels, val_fraction=0.2, test_fraction=0.2, seed=0)
    assert [len(rows[s]) for s in ("train", "val", "test")] == [120, 40, 40]
    assert len(np.unique(np.concatenate(list(rows.values())))) == 200
    for index in rows.values():  # stratified: every class keeps its 25% share
        assert np.all(np.bincount(labels[index]) == len(index) // 4)


def test_split_is_repeatable_and_seeded() -> None:
    labels = np.repeat(np.arange(3), 40)
    first, again = (stratified_split(labels, 0.2, 0.2, seed=1) for _ in range(2))
    assert all(np.array_equal(first[split], again[split]) for split in first)
    assert not np.array_equal(first["test"], stratified_split(labels, 0.2, 0.2, seed=2)["test"])


def test_prepared_arrays_match_metadata(data_dir) -> None:
    metadata = read_metadata(data_dir / "processed")
    for split, size in metadata["split_sizes"].items():
        inputs, labels = load_split(data_dir, split)
        assert len(inputs) == len(labels) == size
        assert list(inputs.shape[1:]) == metadata["input_shape"]
        assert set(np.unique(labels)) == set(range(len(metadata["class_names"])))
{%- if cookiecutter.example_task == "images" %}


def test_pixel_statistics_come_from_training_images_only(data_dir) -> None:
    metadata = read_metadata(data_dir / "processed")
    train_pixels = load_split(data_dir, "train")[0] / 255
    all_pixels = np.concatenate([load_split(data_dir, s)[0] for s in ("train", "val", "test")])
    all_pixels = all_pixels / 255
    assert metadata["pixel_mean"] == pytest.approx(train_pixels.mean(axis=(0, 2, 3)).tolist())
    assert metadata["pixel_mean"] != pytest.approx(all_pixels.mean(axis=(0, 2, 3)).tolist())
    assert load_split(data_dir, "train")[0].dtype == np.uint8  # decoded once, stored compactly


def test_batches_are_standardised(data_dir) -> None:
    datamodule = ArrayDataModule(str(data_dir / "processed"), batch_size=2000)
    datamodule.setup()
    pixels, _ = datamodule.on_after_batch_transfer(next(iter(datamodule.train_dataloader())), 0)
    assert pixels.dtype.is_floating_point
    assert pixels.mean().item() == pytest.approx(0.0, abs=1e-4)
    assert pixels.std().item() == pytest.approx(1.0, abs=1e-2)


def test_unreadable_image_is_named(data_dir, tmp_path) -> None:
    raw = tmp_path / "raw" / "cats"
    raw.mkdir(parents=True)
    (raw / "broken.png").write_bytes(b"not a png")
    cfg = compose_config("prepare", [f"paths.data_dir={tmp_path}"]).data
    with pytest.raises(RawDataError, match="broken.png"):
        prepare(cfg)
{%- else %}


def test_scaling_statistics_come_from_training_rows_only(data_dir) -> None:
    metadata = read_metadata(data_dir / "processed")
    numeric = [i for i, name in enumerate(metadata["feature_names"]) if name.startswith("numeric")]
    train = load_split(data_dir, "train")[0][:, numeric]
    test = load_split(data_dir, "test")[0][:, numeric]
    # Scaled with training statistics, the training rows have mean 0 and std 1 exactly;
    # had the test rows been part of the statistics, they would not.
    np.testing.assert_allclose(train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1, atol=1e-4)
    assert not np.allclose(test.mean(axis=0), 0, atol=1e-3)


def test_missing_values_are_filled_and_text_encoded(data_dir) -> None:
    metadata = read_metadata(data_dir / "processed")
    inputs = np.concatenate([load_split(data_dir, s)[0] for s in ("train", "val", "test")])
    assert not np.isnan(inputs).any()  # the penguins table has 19 missing values
    assert any(name.startswith("categorical__island_") for name in metadata["feature_names"])


def test_unknown_target_column_is_named(tmp_path, data_dir) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "penguins.csv").write_text((data_dir / "raw" / "penguins.csv").read_text())
    overrides = [f"paths.data_dir={tmp_path}", "data.target=wingspan"]
    cfg = compose_config("prepare", overrides).data
    with pytest.raises(RawDataError, match="wingspan"):
        prepare(cfg)
{%- endif %}


def test_missing_raw_data_says_what_to_run(tmp_path) -> None:
    cfg = compose_config("prepare", [f"paths.data_dir={tmp_path}"]).data
    with pytest.raises(RawDataError, match="make example-data"):
        prepare(cfg)
    assert not (tmp_path / "processed").exists()


def test_missing_prepared_data_says_what_to_run(tmp_path) -> None:
    with pytest.raises(MissingDataError, match="make data"):
        ArrayDataModule(str(tmp_path / "processed"))


def test_metadata_is_json(data_dir) -> None:
    metadata = json.loads((data_dir / "processed" / "metadata.json").read_text())
    assert metadata["class_names"] == sorted(metadata["class_names"])
