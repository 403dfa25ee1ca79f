"""A user's own table: separators and decimal commas, Parquet, chosen and dropped columns, row
IDs, free text and dates found and named, the data's own name in the results, `make predict`."""

import json
import logging
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.datamodule import RawDataError
from {{ cookiecutter.package_name }}.data.prepare import prepare
from {{ cookiecutter.package_name }}.predict import predict
from {{ cookiecutter.package_name }}.results import read_results
from {{ cookiecutter.package_name }}.train import train


def lab_export(rows: int = 240, seed: int = 0) -> pd.DataFrame:
    """A table as labs export them: sorted by class, with a row ID, notes and a visit date."""
    rng = np.random.default_rng(seed)
    diagnosis = np.sort(rng.choice(["healthy", "mild", "severe"], rows))
    severity = pd.Series(diagnosis).map({"healthy": 0.0, "mild": 1.0, "severe": 2.0}).to_numpy()
    return pd.DataFrame(
        {
            "patient_id": np.arange(1000, 1000 + rows),  # sorted by class: it "predicts" it
            "marker": severity + rng.normal(0, 0.3, rows),  # what really tells the classes apart
            "age": rng.integers(20, 90, rows),
            "site": rng.choice(["north", "south"], rows),
            "notes": [f"seen by dr {rng.integers(0, 10**6)}" for _ in range(rows)],
            "visit": pd.date_range("2024-01-01", periods=rows, freq="D").strftime("%Y-%m-%d"),
            "diagnosis": diagnosis,
        }
    )


def feature_names(data_dir: Path) -> list[str]:
    return json.loads((data_dir / "processed" / "metadata.json").read_text())["feature_names"]


def prepare_table(data_dir: Path, file_name: str, *overrides: str):
    cfg = compose_config(
        "prepare",
        [
            f"paths.data_dir={data_dir}",
            "data.preparation.target=diagnosis",
            f"data.raw_file={data_dir / 'raw' / file_name}",
            *overrides,
        ],
    )
    return prepare(cfg)


@pytest.fixture
def table_dir(tmp_path: Path) -> Path:
    (tmp_path / "raw").mkdir()
    lab_export().to_csv(tmp_path / "raw" / "clinic.csv", index=False)
    return tmp_path


def test_ids_and_free_text_are_left_out_and_dates_become_numbers(table_dir, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        info = prepare_table(table_dir, "clinic.csv")
    names = feature_names(table_dir)
    assert not any("patient_id" in name or "notes" in name for name in names)
    assert "date__visit" in names and "numeric__marker" in names
    (warning,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Columns")]
    assert "left out 'patient_id' (a distinct value in every row" in warning
    assert "left out 'notes' (free text" in warning and "'visit' into days" in warning
    assert "data.preparation.features" in warning
    assert info.name == "clinic"  # the file's name, not "penguins"


def test_listed_features_are_used_exactly_even_an_id(table_dir) -> None:
    prepare_table(table_dir, "clinic.csv", "data.preparation.features=[patient_id,marker]")
    assert feature_names(table_dir) == ["numeric__patient_id", "numeric__marker"]


def test_the_target_listed_as_a_feature_is_refused_and_drop_applies_to_features(
    table_dir,
) -> None:
    with pytest.raises(RawDataError, match="features lists the target 'diagnosis'"):
        prepare_table(table_dir, "clinic.csv", "data.preparation.features=[marker,diagnosis]")
    prepare_table(
        table_dir, "clinic.csv", "data.preparation.features=[marker,age]",
        "data.preparation.drop_columns=[age]",
    )  # fmt: skip
    assert feature_names(table_dir) == ["numeric__marker"]


def test_new_rows_of_a_table_without_numbers_are_read(table_dir) -> None:
    """A table of categories only: no column is read as a number, and every new row is usable."""
    cfg = compose_config(
        "prepare",
        [
            f"paths.data_dir={table_dir}",
            "data.preparation.target=diagnosis",
            f"data.raw_file={table_dir / 'raw' / 'clinic.csv'}",
            "data.preparation.features=[site]",
        ],
    )
    prepare(cfg)
    lab_export(rows=4, seed=1).to_csv(table_dir / "new.csv", index=False)
    new = hydra.utils.instantiate(cfg.data).predict_on(table_dir / "new.csv")
    assert len(new.names) == 4 and new.problems == {}


def test_dropped_columns_are_left_out(table_dir) -> None:
    prepare_table(table_dir, "clinic.csv", "data.preparation.drop_columns=[age,site]")
    names = feature_names(table_dir)
    assert "numeric__marker" in names and not any("age" in n or "site" in n for n in names)


def test_semicolons_and_decimal_commas_are_read_when_set(table_dir) -> None:
    lab_export().to_csv(table_dir / "raw" / "europe.csv", sep=";", decimal=",", index=False)
    with pytest.raises(RawDataError, match=r"data.preparation.sep=';'"):
        prepare_table(table_dir, "europe.csv")
    prepare_table(
        table_dir, "europe.csv", "data.preparation.sep=';'", "data.preparation.decimal=','"
    )
    assert "numeric__marker" in feature_names(table_dir)  # 0,42 read as the number 0.42


def test_parquet_is_read(table_dir) -> None:
    table = lab_export()
    table["visit"] = pd.to_datetime(table["visit"])  # Parquet keeps real dates
    table.to_parquet(table_dir / "raw" / "clinic.parquet")
    info = prepare_table(table_dir, "clinic.parquet")
    assert info.name == "clinic" and "date__visit" in feature_names(table_dir)


def test_unknown_column_in_the_settings_is_named(table_dir) -> None:
    with pytest.raises(RawDataError, match="'weight'"):
        prepare_table(table_dir, "clinic.csv", "data.preparation.drop_columns=[weight]")


def test_results_name_the_data_and_predict_lists_unusable_rows(table_dir, tmp_path) -> None:
    """Train on the lab export, then predict new rows, one with text where a number belongs."""
    prepare_table(table_dir, "clinic.csv")
    cfg = compose_config(
        "train",
        [
            f"paths.root_dir={tmp_path}",
            f"paths.data_dir={table_dir}",
            f"paths.output_dir={tmp_path}",
            "trainer=cpu",  # one whole epoch: a debug run (debug=smoke) adds no row
            "trainer.max_epochs=1",
            "logger=csv",
            "data.preparation.target=diagnosis",
            f"data.raw_file={table_dir / 'raw' / 'clinic.csv'}",
        ],
    )
    train(cfg)
    (row,) = read_results(tmp_path / "results" / "results.csv").to_dict("records")
    assert row["test_set"].startswith("clinic/test")

    new = lab_export(rows=5, seed=1).drop(columns="diagnosis").astype({"marker": object})
    new.loc[2, "marker"] = "n/a (sample lost)"
    new.loc[3, "age"] = np.nan  # missing: filled as in training, still usable
    new.to_csv(tmp_path / "new.csv", index=False)
    predict_cfg = compose_config(
        "predict",
        [
            f"paths.data_dir={table_dir}",
            f"paths.output_dir={tmp_path / 'predict'}",
            "data.preparation.target=diagnosis",
            f"data.raw_file={table_dir / 'raw' / 'clinic.csv'}",
            f"ckpt_path={tmp_path / 'checkpoints' / 'last.ckpt'}",
            f"input={tmp_path / 'new.csv'}",
            "trainer=cpu",
        ],
    )
    table = pd.read_csv(predict(predict_cfg), keep_default_na=False)
    assert len(table) == 5 and set(table["prediction"]) - {""} <= {"healthy", "mild", "severe"}
    assert (
        table.loc[2, "prediction"] == "" and "'marker' is not a number" in table.loc[2, "problem"]
    )
    assert (table.drop(index=2)["problem"] == "").all()
    probabilities = table.drop(index=2).filter(like="probability_").astype(float)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
