"""Record what a run did, so that its numbers can be traced months later.

Training and evaluation call these functions: `record_fit` after training (learning curves), and
`record_test` after a test (figures, and one row in results/results.csv). Figures go to
reports/figures/<run>/ and to W&B. The model draws the figures of what it predicts (a confusion
matrix for classes), the data those of what it holds (test images).
Under DDP only the first process (rank zero) writes, so each run is recorded once.
"""

import hashlib
import json
import logging
from datetime import datetime
from pathlib import Path

import lightning as L
import torch
from omegaconf import DictConfig

from {{ cookiecutter.package_name }} import plots
from {{ cookiecutter.package_name }}.callbacks import EpochHistory
from {{ cookiecutter.package_name }}.data.datamodule import PreparedData
from {{ cookiecutter.package_name }}.models.supervised import SupervisedModule
from {{ cookiecutter.package_name }}.results import RESULTS_FILE, ResultsTableError, append_row

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


def record_test(
    cfg: DictConfig,
    trainer: L.Trainer,
    model: SupervisedModule,
    datamodule: PreparedData,
    metrics: dict[str, float],
    checkpoint: str,
    run: dict[str, object],
) -> None:
    """Draw the test figures and add the test's row to the results table (rank zero only)."""
    if not trainer.is_global_zero:
        return
    targets, predictions = predict_test_split(model, datamodule)
    figures = {
        **model.test_figures(targets, predictions),
        **datamodule.test_figures(targets, predictions),
    }
    folder = figures_dir(cfg)
    paths = {name: plots.save(figure, folder / f"{name}.png") for name, figure in figures.items()}
    log_figures(trainer, paths)

    row = {
        "timestamp": datetime.now().isoformat(sep=" ", timespec="seconds"),
        "model": model.hparams.network["_target_"].rsplit(".", 1)[-1],
        "description": cfg.get("description") or "",
        **metrics,
        "test_set": f"{datamodule.info.name}/test ({len(targets)} examples)",
        "test_set_md5": file_md5(datamodule.processed_dir / "test.npz"),
        **run,
        "wandb_run": wandb_run(trainer),
        "checkpoint": checkpoint,
    }
    # The row is kept in the run's folder first: if the table cannot take it (a merge conflict,
    # a broken hand edit), the run's results are not lost, and can be added later.
    row_file = Path(cfg.paths.output_dir) / ROW_FILE
    row_file.parent.mkdir(parents=True, exist_ok=True)
    row_file.write_text(json.dumps(row, indent=2, default=str) + "\n")
    results_file = Path(cfg.paths.root_dir) / RESULTS_FILE
    try:
        append_row(row, results_file)
    except ResultsTableError as error:
        raise ResultsTableError(
            f"{error} This run's row is kept in {row_file}: once the table is fixed, add it with "
            f"`python -m {__package__}.results --add {row_file}`."
        ) from error
    log.info("Added a row to %s; figures in %s", results_file, folder)


def file_md5(path: Path) -> str:
    """The MD5 of a file, as DVC computes it: the same test split always has the same value."""
    return hashlib.md5(path.read_bytes()).hexdigest()


def wandb_run(trainer: L.Trainer) -> str:
    """Where the run is in W&B: entity/project/id, or offline, the folder `wandb sync` uploads."""
    for logger in trainer.loggers:
        if type(logger).__name__ == "WandbLogger":
            run = logger.experiment
            return f"offline {Path(run.dir).parent}" if run.offline else run.path
    return ""
