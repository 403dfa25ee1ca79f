"""The tabular example: statistics from the training rows only, gaps filled, text encoded, any
number of features through the network, an unknown target column named."""

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.datamodule import RawDataError
from {{ cookiecutter.package_name }}.data.prepare import prepare


def load_inputs(data_dir, split: str) -> np.ndarray:
    with np.load(data_dir / "processed" / f"{split}.npz") as arrays:
        return arrays["x"]


def test_scaling_statistics_come_from_training_rows_only(data_dir, data_source) -> None:
    names = data_source().metadata["feature_names"]
    numeric = [i for i, name in enumerate(names) if name.startswith("numeric")]
    train = load_inputs(data_dir, "train")[:, numeric]
    test = load_inputs(data_dir, "test")[:, numeric]
    # Scaled with training statistics, the training rows have mean 0 and std 1 exactly;
    # had the test rows been part of the statistics, they would not.
    np.testing.assert_allclose(train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1, atol=1e-4)
    assert not np.allclose(test.mean(axis=0), 0, atol=1e-3)


def test_missing_values_are_filled_and_text_encoded(data_dir, data_source) -> None:
    names = data_source().metadata["feature_names"]
    inputs = np.concatenate([load_inputs(data_dir, s) for s in ("train", "val", "test")])
    assert not np.isnan(inputs).any()  # the penguins table has 19 missing values
    assert any(name.startswith("categorical__island_") for name in names)


def test_unknown_target_column_is_named(tmp_path, data_dir) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "penguins.csv").write_text((data_dir / "raw" / "penguins.csv").read_text())
    overrides = [f"paths.data_dir={tmp_path}", "data.preparation.target=wingspan"]
    with pytest.raises(RawDataError, match="wingspan"):
        prepare(compose_config("prepare", overrides))


@pytest.mark.parametrize("input_shape", [[12], [100]])
def test_network_takes_any_number_of_features(input_shape: list[int]) -> None:
    network_cfg = compose_config("train", ["paths.output_dir=unused"]).model.network
    network = instantiate(network_cfg, input_shape=input_shape, num_outputs=5)
    assert network(torch.randn(7, *input_shape)).shape == (7, 5)
