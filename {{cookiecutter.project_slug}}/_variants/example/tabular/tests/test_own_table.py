"""A user's own table: separators and decimal commas, Parquet, chosen and dropped columns, row
IDs, free text and dates found and named, the data's own name in the results, `make predict`."""

import json
import logging
import re
import shlex
import warnings
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.columns import date_order, parse_dates
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


def suggested_settings(message: str) -> list[list[str]]:
    """The settings of each `make data ARGS="..."` line in a message, as a shell hands them to
    the command that the Makefile runs with $(ARGS): the line must work when copied."""
    lines = re.findall(r'make data ARGS="(?:[^"\\]|\\.)*"', message)
    return [shlex.split(shlex.split(line)[2].removeprefix("ARGS=")) for line in lines]


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


def test_an_empty_column_is_named_once_and_left_out(table_dir, caplog) -> None:
    """Not kept for scikit-learn to drop, with a warning of its own at every fit and transform."""
    lab_export().assign(spare=np.nan).to_csv(table_dir / "raw" / "clinic.csv", index=False)
    with caplog.at_level(logging.WARNING), warnings.catch_warnings():
        warnings.filterwarnings("error", message="Skipping features without any observed values")
        prepare_table(table_dir, "clinic.csv")
    (warning,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Columns")]
    assert "left out 'spare' (empty in every row)" in warning
    assert not any("spare" in name for name in feature_names(table_dir))


def test_a_table_saved_by_excel_on_windows_is_read_with_a_warning(table_dir, caplog) -> None:
    cities = {"north": "Zürich", "south": "Genève"}
    table = lab_export().assign(site=lambda rows: rows["site"].map(cities))
    table.to_csv(table_dir / "raw" / "clinic.csv", index=False, encoding="cp1252")
    with caplog.at_level(logging.WARNING):
        prepare_table(table_dir, "clinic.csv")
    assert "categorical__site_Zürich" in feature_names(table_dir)
    assert any("is not UTF-8: read as Windows-1252" in r.getMessage() for r in caplog.records)


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
    with pytest.raises(RawDataError, match=r"data.preparation.sep=';'") as refused:
        prepare_table(table_dir, "europe.csv")
    separated, with_commas = suggested_settings(str(refused.value))
    assert separated == ["data.preparation.sep=';'"]
    prepare_table(table_dir, "europe.csv", *with_commas)
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
    # Rows named by the column training left out as a row ID; by number where it repeats a value.
    assert table["input"].tolist() == [f"patient_id {number}" for number in new["patient_id"]]
    new.loc[1, "patient_id"] = new.loc[0, "patient_id"]
    new.to_csv(tmp_path / "repeated.csv", index=False)
    predict_cfg.input = str(tmp_path / "repeated.csv")
    table = pd.read_csv(predict(predict_cfg), keep_default_na=False)
    assert table["input"].tolist() == [f"row {index}" for index in range(5)]
    assert (
        table.loc[2, "prediction"] == "" and "'marker' is not a number" in table.loc[2, "problem"]
    )
    assert (table.drop(index=2)["problem"] == "").all()
    probabilities = table.drop(index=2).filter(like="probability_").astype(float)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)

    predict_cfg.input = str(tmp_path)  # a folder, as for images: said, not `IsADirectoryError`
    with pytest.raises(RawDataError, match="No table at .*: give INPUT=<a CSV or Parquet file"):
        predict(predict_cfg)


def prepare_frame(table_dir: Path, frame: pd.DataFrame, *overrides: str, **to_csv):
    """Write `frame` as raw/own.csv (to_csv's options), prepare it, and return the data source."""
    frame.to_csv(table_dir / "raw" / "own.csv", index=False, **to_csv)
    prepare_table(table_dir, "own.csv", *overrides)
    cfg = compose_config(
        "prepare",
        [
            f"paths.data_dir={table_dir}",
            "data.preparation.target=diagnosis",
            f"data.raw_file={table_dir / 'raw' / 'own.csv'}",
            *overrides,
        ],
    )
    return hydra.utils.instantiate(cfg.data)


def test_new_rows_are_read_with_the_training_column_kinds_and_unknowns_noted(
    table_dir, caplog
) -> None:
    """Ward "3" in training is ward 3 in a new table that pandas reads as numbers; a ward or a
    date the model cannot read is predicted all the same, and said so."""
    table = lab_export()
    table["ward"] = np.resize(["3", "4", "ICU"], len(table))
    source = prepare_frame(table_dir, table, "data.preparation.features=[ward,visit,marker]")
    new = pd.DataFrame(  # ward 3, not 3.0, though the gap makes pandas read floats
        {
            "ward": ["3", "4", "5", None],  # in the file: 3, 4, 5 and a gap
            "visit": ["2024-02-01", "01.02.2024", "soon", None],
            "marker": 1.0,
        }
    )
    new.to_csv(table_dir / "new.csv", index=False)
    with caplog.at_level(logging.WARNING):
        read = source.predict_on(table_dir / "new.csv")
    names = source.metadata["feature_names"]
    inputs, usable = read.dataset.tensors
    wards = inputs[:, [names.index(f"categorical__ward_{ward}") for ward in ("3", "4", "ICU")]]
    assert wards[:3].tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 0]]  # the missing one: filled
    visit = inputs[:, names.index("date__visit")]
    assert visit[0] == visit[1]  # ISO and dd.mm.yyyy: the same day
    assert usable.all() and set(read.problems) == {"row 2"}
    assert "'ward': '5' was in no training row" in read.problems["row 2"]
    assert "'visit': 'soon' is not a date" in read.problems["row 2"]
    assert any("1 rows hold values the model cannot read" in r.getMessage() for r in caplog.records)


def test_one_text_value_in_a_decimal_comma_table_spoils_only_its_row(table_dir) -> None:
    europe = ["data.preparation.sep=';'", "data.preparation.decimal=','"]
    source = prepare_frame(table_dir, lab_export(), *europe, sep=";", decimal=",")
    new = lab_export(rows=3, seed=1)
    new.to_csv(table_dir / "clean.csv", index=False, sep=";", decimal=",")
    new["marker"] = [f"{value}".replace(".", ",") for value in new["marker"]]  # 0,42: text now
    new.loc[1, "marker"] = "n.b."
    new.to_csv(table_dir / "new.csv", index=False, sep=";")
    read = source.predict_on(table_dir / "new.csv")
    assert read.dataset.tensors[1].tolist() == [True, False, True]
    assert read.problems == {"patient_id 1001": "'marker' is not a number: 'n.b.'"}
    clean = source.predict_on(table_dir / "clean.csv").dataset.tensors[0]
    assert read.dataset.tensors[0][[0, 2]].equal(clean[[0, 2]])  # 0,42 read as 0.42


def test_dates_are_only_whole_dates_read_day_first_unless_the_values_say_otherwise() -> None:
    mixed = pd.Series(["2016-02-01", "01.02.2016", "13.02.2016", None])
    assert date_order(mixed) == "day first"
    assert parse_dates(mixed).dt.strftime("%d %b").tolist()[:3] == ["01 Feb", "01 Feb", "13 Feb"]
    assert date_order(pd.Series(["T1", "T2", "T3", "T4"] * 5)) is None  # codes, not dates
    assert date_order(pd.Series(["2-3", "0-1", "4"] * 5)) is None
    us = pd.Series(["02/13/2016", "02/01/2016"])
    assert date_order(us) == "month first"
    assert parse_dates(us, slashes_day_first=False).dt.month.tolist() == [2, 2]
    assert date_order(pd.Series(["03/04/2016", "05/06/2016"])) == "either"


def test_ambiguous_dates_and_spoilt_numbers_are_left_out_with_what_to_do(table_dir, caplog):
    table = lab_export(rows=300)
    rng = np.random.default_rng(0)
    table["visit"] = (
        pd.to_datetime(table["visit"])
        .dt.strftime("%m/%d/%Y")
        .str.replace(r"/(1[3-9]|2\d|3\d)/", "/12/", regex=True)
    )  # every day 12 or less: 03/04/2024 is day or month first
    crp = rng.lognormal(1, 1, len(table)).round(2).astype(object)
    crp[::50] = "<0.5"
    table["crp"] = crp
    table["ldh"] = [f"{value:,.1f}" for value in rng.uniform(100, 9000, len(table))]  # 8,003.7
    table["ph"] = [f"{value:.2f}".replace(".", ",") for value in rng.normal(7.4, 0.1, len(table))]
    with caplog.at_level(logging.WARNING):
        prepare_frame(table_dir, table)
    (warning,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Columns")]
    assert "left out 'visit' (dates like" in warning and "read day first or month first" in warning
    assert "left out 'crp' (mostly numbers, but 6 values are not, e.g. '<0.5'" in warning
    assert "left out 'ph' (numbers with decimal commas, e.g." in warning
    thousands, decimal = suggested_settings(warning)
    assert decimal == ["data.preparation.decimal=','"]
    prepare_frame(table_dir, table, *thousands)  # as copied from the warning
    assert "numeric__ldh" in feature_names(table_dir)


def test_a_total_row_without_a_target_leaves_its_columns_numbers(table_dir) -> None:
    table = lab_export()
    content = table.to_csv(index=False) + ",Total,,,,,\n"  # pandas reads 'marker' as text
    (table_dir / "raw" / "own.csv").write_text(content)
    prepare_table(table_dir, "own.csv")
    assert {"numeric__marker", "numeric__age"} <= set(feature_names(table_dir))


@pytest.mark.parametrize(
    "columns, sentence",
    [
        ({"pid": [f"P{i}" for i in range(40)]}, "No column of"),
        ({"marker": np.nan}, "No column of"),
        ({"marker": 1.0, "diagnosis": np.nan}, "'diagnosis' of .* is empty in every row"),
    ],
    ids=["only-an-id", "only-empty", "empty-target"],
)
def test_a_table_without_features_or_targets_is_refused(table_dir, columns, sentence) -> None:
    table = pd.DataFrame({"diagnosis": ["healthy", "severe"] * 20}).assign(**columns)
    with pytest.raises(RawDataError, match=sentence):
        prepare_frame(table_dir, table)


def test_parquet_of_nullable_types_is_prepared_and_predicted(table_dir) -> None:
    table = lab_export().drop(columns="notes").convert_dtypes()
    table["smoker"] = pd.array([True, False, None] * 80, dtype="boolean")
    table.loc[::7, "site"] = pd.NA
    table.loc[::9, "age"] = pd.NA
    table.to_parquet(table_dir / "raw" / "typed.parquet")
    prepare_table(table_dir, "typed.parquet")
    assert "categorical__smoker_True" in feature_names(table_dir)
    table.head(5).drop(columns="diagnosis").to_parquet(table_dir / "new.parquet")
    cfg = compose_config(
        "prepare",
        [f"paths.data_dir={table_dir}", "data.preparation.target=diagnosis",
         f"data.raw_file={table_dir / 'raw' / 'typed.parquet'}"],
    )  # fmt: skip
    read = hydra.utils.instantiate(cfg.data).predict_on(table_dir / "new.parquet")
    assert read.dataset.tensors[1].all() and not read.dataset.tensors[0].isnan().any()


def test_a_class_missing_from_validation_or_test_is_named(table_dir, caplog) -> None:
    table = lab_export(rows=300)
    table.loc[[100, 200], "diagnosis"] = "rare"  # both drawn for training by the split's seed
    with caplog.at_level(logging.WARNING):
        prepare_frame(table_dir, table)
    (warning,) = [r.getMessage() for r in caplog.records if "'rare'" in r.getMessage()]
    assert "'rare' has 2 rows: 2 for training, 0 for validation and 0 for testing" in warning


def test_target_errors_quote_the_bad_value_plainly(table_dir) -> None:
    table = lab_export().assign(diagnosis=np.random.default_rng(0).normal(size=240).round(3))
    with pytest.raises(RawDataError, match=r"e\.g\. '-?\d\.\d+': too few"):  # not np.float64(...)
        prepare_frame(table_dir, table)
    table = table.astype({"diagnosis": object})
    table.loc[3, "diagnosis"] = "unknown"
    with pytest.raises(RawDataError, match=r"not numeric \(e\.g\. 'unknown'\)"):
        prepare_frame(table_dir, table, "data.preparation.task=regression")


def test_a_tab_separated_file_is_recognised_and_read_without_a_warning(table_dir) -> None:
    lab_export().to_csv(table_dir / "raw" / "tabs.tsv", sep="\t", index=False)
    with pytest.raises(RawDataError, match="separated by '\\\\t'") as refused:
        prepare_table(table_dir, "tabs.tsv")
    (settings,) = suggested_settings(str(refused.value))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas' ParserWarning: "Falling back to the python engine"
        prepare_table(table_dir, "tabs.tsv", *settings)
