"""Record what a run did, so that its numbers can be traced months later.

Training and evaluation call these functions: `record_fit` after training (learning curves), and
`record_test` after a test (figures, and one row in results/results.csv). Figures go to
reports/figures/<run>/ and to W&B. The model draws the figures of what it predicts (a confusion
matrix for classes), the data those of what it holds (test images).
Under DDP only the first process (rank zero) writes, so each run is recorded once.

Only real evaluations become rows: a run that skipped batches (`debug=smoke`, `limit_*_batches`,
`fast_dev_run`), overfitted on purpose (`overfit_batches`) or trained less than an epoch is
reported on the console, not in the table. Each row names its full settings, saved in
results/configs/ beside the table, so that `make reproduce ROW=<n>` can run them again.
"""

import hashlib
import json
import logging
from datetime import datetime
from pathlib import Path

import lightning as L
import torch
from omegaconf import DictConfig, OmegaConf

from {{ cookiecutter.package_name }} import plots
from {{ cookiecutter.package_name }}.callbacks import EpochHistory
from {{ cookiecutter.package_name }}.data.datamodule import PreparedData
from {{ cookiecutter.package_name }}.data.splits import split_md5
from {{ cookiecutter.package_name }}.models.supervised import SupervisedModule
from {{ cookiecutter.package_name }}.results import (
    CONFIGS_DIR,
    RESULTS_FILE,
    ResultsTableError,
    append_row,
)

log = logging.getLogger(__name__)

ROW_FILE = "results_row.json"  # each tested run's row of the results table, in its run folder


def figures_dir(cfg: DictConfig) -> Path:
    return Path(cfg.paths.root_dir) / "reports" / "figures" / cfg.run_name


def log_figures(trainer: L.Trainer, paths: dict[str, Path]) -> None:
    """Show the figures in W&B too (other loggers have no place for images)."""
    for logger in trainer.loggers:
        if hasattr(logger, "log_image"):
            for name, path in paths.items():
                logger.log_image(key=f"figures/{name}", images=[str(path)])


def record_fit(
    cfg: DictConfig, trainer: L.Trainer, model: SupervisedModule, history: EpochHistory
) -> None:
    """Draw the learning curves of a training (rank zero only)."""
    if trainer.is_global_zero and history.epochs:
        figure = plots.learning_curves(history.epochs, model.curve_metric)
        path = plots.save(figure, figures_dir(cfg) / "learning_curves.png")
        log_figures(trainer, {"learning_curves": path})


@torch.no_grad()
def predict_test_split(model: SupervisedModule, datamodule: PreparedData) -> tuple:
    """True and predicted targets of every test example, in order, on this process alone."""
    model.eval()
    all_targets, predictions = [], []
    for batch in datamodule.test_dataloader():
        inputs, targets = datamodule.on_after_batch_transfer([t.to(model.device) for t in batch], 0)
        predictions.append(model.predict(inputs).cpu())
        all_targets.append(targets.cpu())
    return torch.cat(all_targets).numpy(), torch.cat(predictions).numpy()


def not_a_result(trainer: L.Trainer, trained: bool) -> str | None:
    """Why this test is not a result to compare with others, or None when it is one."""
    limits = {
        "fast_dev_run": trainer.fast_dev_run,
        "overfit_batches": trainer.overfit_batches,
        # 1.0 (a float) means all batches; an int is a number of batches.
        **{
            f"limit_{stage}_batches": getattr(trainer, f"limit_{stage}_batches")
            for stage in (("train", "val", "test") if trained else ("test",))
        },
    }
    changed = {
        name: value
        for name, value in limits.items()
        if value and not (name.startswith("limit_") and value == 1.0 and isinstance(value, float))
    }
    if changed:
        settings = ", ".join(f"{name}={value}" for name, value in changed.items())
        return f"a debug run ({settings}): it did not train or test on every batch"
    whole_epoch = trainer.num_training_batches / trainer.accumulate_grad_batches  # in steps
    if trained and (trainer.global_step == 0 or trainer.global_step < whole_epoch):
        return "it trained less than one whole epoch (max_epochs=0, or a small max_steps)"
    return None


def record_test(
    cfg: DictConfig,
    trainer: L.Trainer,
    model: SupervisedModule,
    datamodule: PreparedData,
    metrics: dict[str, float],
    checkpoint: str,
    run: dict[str, object],
    trained: bool = True,
    add_row: bool = True,
) -> int | None:
    """Draw the test figures and add the test's row to the results table (rank zero only).

    Returns the row's number in the table (1 for the first row), or None when none was added.
    """
    if not trainer.is_global_zero:
        return None
    targets, predictions = predict_test_split(model, datamodule)
    figures = {
        **model.test_figures(targets, predictions),
        **datamodule.test_figures(targets, predictions),
    }
    folder = figures_dir(cfg)
    paths = {name: plots.save(figure, folder / f"{name}.png") for name, figure in figures.items()}
    log_figures(trainer, paths)

    results_file = Path(cfg.paths.root_dir) / RESULTS_FILE
    reason = not_a_result(trainer, trained)
    if reason or not add_row:
        reason = reason or "this reruns a row of it"
        log.info("Not added to %s: %s. Figures in %s", results_file, reason, folder)
        return None
    config_file, config_id = save_settings(cfg, datamodule, run)
    row = {
        "timestamp": datetime.now().isoformat(sep=" ", timespec="seconds"),
        "model": model.network_name,
        "description": cfg.get("description") or "",
        **metrics,
        "test_set": f"{datamodule.info.name}/test ({len(targets)} examples)",
        "test_set_md5": split_md5(datamodule.processed_dir, "test"),
        "seed": cfg.get("seed", ""),
        "run_name": cfg.run_name,
        "config_id": config_id,
        "config": config_file.relative_to(cfg.paths.root_dir).as_posix(),
        **run,
        "wandb_run": wandb_run(trainer),
        "checkpoint": checkpoint,
    }
    # The row is kept in the run's folder first: if the table cannot take it (a merge conflict,
    # a broken hand edit), the run's results are not lost, and can be added later.
    row_file = Path(cfg.paths.output_dir) / ROW_FILE
    row_file.parent.mkdir(parents=True, exist_ok=True)
    row_file.write_text(json.dumps(row, indent=2, default=str) + "\n")
    try:
        number = append_row(row, results_file)
    except ResultsTableError as error:
        raise ResultsTableError(
            f"{error} This run's row is kept in {row_file}: once the table is fixed, add it with "
            f"`python -m {__package__}.results --add {row_file}`."
        ) from error
    log.info("Added row %d to %s; figures in %s", number, results_file, folder)
    return number


# Settings that name or place a run, or only log it: rows that differ in these (and in the seed)
# ran the same experiment.
NOT_THE_EXPERIMENT = ("seed", "run_name", "paths", "logger", "description", "ckpt_path", "test")


def save_settings(
    cfg: DictConfig, datamodule: PreparedData, run: dict[str, object]
) -> tuple[Path, str]:
    """Write the run's full settings to results/configs/<hash>.json, kept in git with the table.

    `data.preparation` is the prepared data's own (all of it, as `make data` was run), and the
    code and data versions are there too: what `make reproduce` needs to run it again. Returns
    the file and the id of the experiment: the same for settings that differ only in the seed.
    """
    config = OmegaConf.to_container(cfg, resolve=True)
    config["data"]["preparation"] = datamodule.info.preparation
    # The id compares the settings as written, where the run's folder is still `${paths...}`.
    as_written = OmegaConf.to_container(cfg, resolve=False)
    experiment = {k: v for k, v in as_written.items() if k not in NOT_THE_EXPERIMENT}
    code_and_data = {key: run[key] for key in ("git_commit", "git_dirty", "data_hash")}
    config_id = text_hash({**experiment, **code_and_data, "data": config["data"]})[:8]
    record = {"job": cfg.job_name, "config": config, "run": run}
    path = Path(cfg.paths.root_dir) / CONFIGS_DIR / f"{text_hash(record)[:12]}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    # In the config's own order: the order of the callbacks is the order Lightning calls them.
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return path, config_id


def text_hash(value: object) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def wandb_run(trainer: L.Trainer) -> str:
    """Where the run is in W&B: entity/project/id, or offline, the folder `wandb sync` uploads."""
    for logger in trainer.loggers:
        if type(logger).__name__ == "WandbLogger":
            run = logger.experiment
            return f"offline {Path(run.dir).parent}" if run.offline else run.path
    return ""
