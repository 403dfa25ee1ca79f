"""The tabular example: statistics from the training rows only, gaps filled, text encoded, any
number of features through the network, an unknown target column named."""

import re

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.datamodule import RawDataError
from {{ cookiecutter.package_name }}.data.prepare import prepare
from {{ cookiecutter.package_name }}.data.splits import open_split
from {{ cookiecutter.package_name }}.errors import UserError
from {{ cookiecutter.package_name }}.evaluate import EvaluationError, evaluate


def load_inputs(data_dir, split: str) -> np.ndarray:
    return np.asarray(open_split(data_dir / "processed", split)[0])


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


def prepare_table(tmp_path, content: str, *overrides: str):
    """Prepare a table of its own, written as `content`, in a data folder of its own."""
    (tmp_path / "raw").mkdir(parents=True, exist_ok=True)
    (tmp_path / "raw" / "penguins.csv").write_text(content)
    return prepare(compose_config("prepare", [f"paths.data_dir={tmp_path}", *overrides]))


@pytest.mark.parametrize(
    "content, sentence",
    [
        ("", "penguins.csv is empty: put your table there"),
        ("species,island,bill_length_mm\n", "penguins.csv has column names but no rows"),
        ("species,bill_length_mm\n" + "Adelie,40\n" * 30, "one class only ('Adelie')"),
    ],
    ids=["empty", "header-only", "one-class"],
)
def test_table_that_cannot_be_learnt_from_is_named(tmp_path, content: str, sentence: str) -> None:
    with pytest.raises(UserError, match=re.escape(sentence)):
        prepare_table(tmp_path, content)


def test_checkpoint_on_a_table_with_other_columns_is_refused(data_dir, data_source, tmp_path):
    """Same settings, same number of inputs, but a column renamed since the model was trained."""
    data = data_source().info.as_dict()
    model_cfg = compose_config("train", ["paths.output_dir=unused"]).model
    model = instantiate(model_cfg, data=data, _recursive_=False, _convert_="all")
    checkpoint = {"state_dict": model.state_dict(), "hyper_parameters": dict(model.hparams)}
    model.on_save_checkpoint(checkpoint)
    torch.save(checkpoint, tmp_path / "model.ckpt")
    renamed = (data_dir / "raw" / "penguins.csv").read_text().replace("island", "isle", 1)
    prepare_table(tmp_path / "renamed", renamed)
    cfg = compose_config(
        "evaluate",
        [f"paths.data_dir={tmp_path / 'renamed'}", f"ckpt_path={tmp_path / 'model.ckpt'}",
         "paths.output_dir=unused", "logger=csv"],
    )  # fmt: skip
    with pytest.raises(EvaluationError, match=r"other input columns .* new there: \['categ"):
        evaluate(cfg)


@pytest.mark.parametrize("input_shape", [[12], [100]])
def test_network_takes_any_number_of_features(input_shape: list[int]) -> None:
    network_cfg = compose_config("train", ["paths.output_dir=unused"]).model.network
    network = instantiate(network_cfg, input_shape=input_shape, num_outputs=5)
    assert network(torch.randn(7, *input_shape)).shape == (7, 5)
