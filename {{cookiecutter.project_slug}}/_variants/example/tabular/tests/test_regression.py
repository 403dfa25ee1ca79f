"""Predicting a number (experiment=body_mass): preparation, Regressor, training, evaluation, and
the results table's order for errors."""

from pathlib import Path

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.datamodule import MissingDataError, RawDataError
from {{ cookiecutter.package_name }}.data.example import write_example
from {{ cookiecutter.package_name }}.data.prepare import prepare
from {{ cookiecutter.package_name }}.data.splits import open_split
from {{ cookiecutter.package_name }}.data.table import REGRESSION_BINS
from {{ cookiecutter.package_name }}.errors import exit_on_user_error
from {{ cookiecutter.package_name }}.evaluate import evaluate
from {{ cookiecutter.package_name }}.results import append_row, read_results, summary
from {{ cookiecutter.package_name }}.train import train

METRICS = {"test/loss", "test/mae", "test/rmse", "test/r2"}


@pytest.fixture(scope="module")
def regression_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example table prepared for the body_mass experiment: a number to predict."""
    data_dir = tmp_path_factory.mktemp("regression-data")
    write_example(data_dir / "raw")
    prepare(compose_config("prepare", [f"paths.data_dir={data_dir}", "experiment=body_mass"]))
    return data_dir


def load_targets(data_dir: Path, split: str) -> np.ndarray:
    return np.asarray(open_split(data_dir / "processed", split)[1])


def regressor(input_features: int, **optimizer: object):
    """A new Regressor of configs/model/regressor.yaml for a made-up target in grams."""
    model_cfg = compose_config("train", ["paths.output_dir=unused", "model=regressor"]).model
    data = {"name": "made-up", "input_shape": [input_features], "task": "regression",
            "target": "mass", "target_mean": 4000.0, "target_std": 800.0}  # fmt: skip
    model_cfg.optimizer.update(optimizer)
    return instantiate(model_cfg, data=data, _recursive_=False, _convert_="all")


def test_prepared_target_is_a_float_with_statistics_from_training_rows(
    regression_data_dir, data_source
) -> None:
    data = data_source("experiment=body_mass", data_dir=regression_data_dir)
    info = data.info
    assert (info.task, info.target, info.target_unit) == ("regression", "body_mass_g", "g")
    # 344 penguins, 2 without a body mass: dropped.
    assert data.metadata["split_sizes"] == {"train": 238, "val": 52, "test": 52}
    splits = {split: load_targets(regression_data_dir, split) for split in ("train", "val", "test")}
    assert all(targets.dtype == np.float32 for targets in splits.values())
    train_targets, every_row = splits["train"], np.concatenate(list(splits.values()))
    assert info.target_mean == pytest.approx(train_targets.mean(dtype=np.float64))
    assert info.target_std == pytest.approx(train_targets.std(dtype=np.float64))
    assert info.target_mean != pytest.approx(every_row.mean(dtype=np.float64), abs=1e-3)


def test_test_split_spans_the_range_of_the_target(regression_data_dir) -> None:
    """Stratified on quantile bins: the test set holds light, average and heavy penguins alike."""
    every_row = np.concatenate([load_targets(regression_data_dir, s) for s in ("train", "val")])
    test = load_targets(regression_data_dir, "test")
    edges = np.quantile(np.concatenate([every_row, test]), np.linspace(0, 1, REGRESSION_BINS + 1))
    test_bins = np.digitize(test, edges[1:-1])
    assert set(test_bins) == set(range(REGRESSION_BINS))


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["data.preparation.target=species", "data.preparation.task=regression"], "not numeric"),
        (["data.preparation.target=body_mass_g"], "data.preparation.task=regression"),
        (["data.preparation.task=ranking"], "classification"),
    ],
    ids=["text-as-number", "grams-as-classes", "unknown-task"],
)
def test_target_that_does_not_fit_the_task_is_named(
    regression_data_dir, tmp_path, overrides: list[str], message: str
) -> None:
    cfg = compose_config("prepare", [f"paths.data_dir={tmp_path}", *overrides])
    cfg.data.raw_file = str(regression_data_dir / "raw" / "penguins.csv")
    with pytest.raises(RawDataError, match=message):
        prepare(cfg)
    assert not (tmp_path / "processed").exists()


def test_regressor_predicts_one_number_per_row_in_the_target_units() -> None:
    predictions = regressor(10)(torch.randn(7, 10))
    assert predictions.shape == (7,)
    # An untrained network outputs values near 0: the mean, in grams, once unstandardised.
    assert predictions.mean().item() == pytest.approx(4000, abs=800)


def test_regressor_learns_a_batch() -> None:
    model = regressor(10, lr=0.01)
    inputs = torch.randn(12, 10)
    targets = 4000 + 800 * inputs[:, 0]  # a number the inputs determine
    optimizer = model.configure_optimizers()["optimizer"]
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = model.loss(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


def test_smoke_training_draws_predicted_vs_true_and_evaluate_reproduces_it(
    train_config, regression_data_dir, data_dir, tmp_path
) -> None:
    # One whole epoch: a debug run (debug=smoke) would not be a row of the results table.
    cfg = train_config(
        "experiment=body_mass", "trainer=cpu", "logger=csv", "trainer.max_epochs=1",
        data_dir=regression_data_dir,
    )  # fmt: skip
    metrics = train(cfg)
    assert set(metrics) == METRICS | {"val/loss_best"} and metrics["test/mae"] > 0
    figures = sorted(p.name for p in (tmp_path / "reports" / "figures" / cfg.run_name).iterdir())
    assert figures == ["learning_curves.png", "predicted_vs_true.png"]
    (row,) = read_results(tmp_path / "results" / "results.csv").to_dict("records")
    assert float(row["test/mae"]) == pytest.approx(metrics["test/mae"], rel=1e-5)
    assert float(row["test/r2"]) == pytest.approx(metrics["test/r2"], rel=1e-5, abs=1e-6)
    assert "test/acc" not in row and row["description"] == "Body mass (g) by regression"

    best = tmp_path / "checkpoints" / "best.ckpt"
    overrides = [
        f"ckpt_path={best}", "trainer=cpu", "logger=csv",
        f"paths.root_dir={tmp_path}", f"paths.output_dir={tmp_path / 'evaluate'}",
    ]  # fmt: skip
    on_its_data = compose_config("evaluate", [*overrides, f"paths.data_dir={regression_data_dir}"])
    assert evaluate(on_its_data)["test/mae"] == pytest.approx(metrics["test/mae"], rel=1e-5)
    # The same checkpoint on the species data: stopped, with the command that prepares its data.
    on_other_data = compose_config("evaluate", [*overrides, f"paths.data_dir={data_dir}"])
    with pytest.raises(MissingDataError, match="data.preparation.target=body_mass_g"):
        evaluate(on_other_data)
    assert len(read_results(tmp_path / "results" / "results.csv")) == 2  # no row for the refusal


@pytest.mark.parametrize("experiment", [[], ["experiment=body_mass"]], ids=["species", "body_mass"])
def test_training_on_data_prepared_for_another_target_says_what_to_run(
    train_config, data_dir, regression_data_dir, experiment: list[str]
) -> None:
    """Species data for a body-mass run, or body-mass data for a species run: stopped at once."""
    other = data_dir if experiment else regression_data_dir
    cfg = train_config(*experiment, "debug=smoke", data_dir=other)
    with pytest.raises(MissingDataError, match='make data ARGS="data.preparation.target='):
        train(cfg)


def test_classifier_on_a_number_says_which_model_to_use(data_source, regression_data_dir) -> None:
    model_cfg = compose_config("train", ["paths.output_dir=unused"]).model  # the classifier
    data = data_source("experiment=body_mass", data_dir=regression_data_dir).info.as_dict()
    with (
        pytest.raises(SystemExit, match="ERROR: A Classifier predicts a class"),
        exit_on_user_error(),  # as the entry points report it: one sentence
    ):
        instantiate(model_cfg, data=data, _recursive_=False, _convert_="all")


def regression_row(r2: float) -> dict[str, object]:
    return {"timestamp": "2026-01-01 10:00:00", "model": "MLP", "description": f"r2-{r2}",
            "test/r2": r2, "test/mae": 1000 * (1 - r2), "test/loss": 1 - r2}  # fmt: skip


def classifier_row(acc: float) -> dict[str, object]:
    return {"timestamp": "2026-01-01 10:00:00", "model": "MLP", "description": f"acc-{acc}",
            "test/acc": acc, "test/loss": 1 - acc}  # fmt: skip


def descriptions_in_summary_order(table_file, sort_by: str | None = None) -> list[str]:
    lines = summary(read_results(table_file), sort_by).splitlines()
    return [line.split()[4] for line in lines[1:]]  # after the date, time, row and model


def test_summary_of_regressions_puts_the_highest_r2_first(tmp_path) -> None:
    table_file = tmp_path / "results.csv"
    for r2 in (0.5, 0.9, 0.7):
        append_row(regression_row(r2), table_file)
    assert descriptions_in_summary_order(table_file) == ["r2-0.9", "r2-0.7", "r2-0.5"]
    # Errors: the lowest first.
    assert descriptions_in_summary_order(table_file, "test/mae") == ["r2-0.9", "r2-0.7", "r2-0.5"]


def test_summary_of_classifiers_and_regressions_sorts_each_by_its_own_metric(tmp_path) -> None:
    table_file = tmp_path / "results.csv"
    for row in (regression_row(0.5), classifier_row(0.8), regression_row(0.9), classifier_row(0.9)):
        append_row(row, table_file)
    assert descriptions_in_summary_order(table_file) == ["acc-0.9", "acc-0.8", "r2-0.9", "r2-0.5"]
    # Sorted by an error that only regressions have: the classifiers come last.
    by_mae = descriptions_in_summary_order(table_file, "test/mae")
    assert by_mae[:2] == ["r2-0.9", "r2-0.5"] and sorted(by_mae[2:]) == ["acc-0.8", "acc-0.9"]
