"""Test a saved checkpoint on the test split: `make evaluate CKPT=path/to/best.ckpt`.

The checkpoint carries its model's settings and what its data told it (input shape, classes or
target), so nothing else is needed to load it; loading builds only the project's own classes.
It is tested on the same prepared test split as every other run, and the test is recorded like
a training's: a row in results/results.csv, figures in reports/figures/<run>/ and in W&B.
"""

import logging
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

# For the resolvers they register, which configs use: ${mixed_precision:}, ${unique_run_name:}.
from {{ cookiecutter.package_name }} import config, runs  # noqa: F401
from {{ cookiecutter.package_name }}.console import quiet_third_party_notices
from {{ cookiecutter.package_name }}.data.info import DataInfo
from {{ cookiecutter.package_name }}.errors import UserError, exit_on_user_error

log = logging.getLogger(__name__)


class EvaluationError(UserError):
    """The checkpoint does not fit the prepared data; the message says what to do."""


def check_model_fits_data(
    trained_on: DataInfo,
    prepared: DataInfo,
    where: str = "the prepared data",
    otherwise: str = "evaluate another checkpoint",
) -> None:
    """Stop when the checkpoint predicts something else than the prepared data holds, or takes
    other inputs (a table prepared from other columns, images of another size). `otherwise`:
    the other way out, for the command at hand."""
    if trained_on.describe() != prepared.describe():
        if trained_on.preparation == prepared.preparation:  # the same settings: other raw data
            remedy = (
                "the raw data changed since its training. Bring that data back (`git checkout` "
                "the commit its results row names, then `make data-pull` and `make data`)"
            )
        else:
            args = trained_on.preparation_args()
            remedy = f"prepare the data it was trained for (`make data {args}`)"
        raise EvaluationError(
            f"The checkpoint predicts {trained_on.describe()}, but {where} holds "
            f"{prepared.describe()}: {remedy}, or {otherwise}."
        )
    if trained_on.input_names and trained_on.input_names != prepared.input_names:
        missing = [name for name in trained_on.input_names if name not in prepared.input_names]
        new = [name for name in prepared.input_names if name not in trained_on.input_names]
        raise EvaluationError(
            f"The checkpoint was trained on other input columns than {where} holds (missing "
            f"there: {missing or 'none'}; new there: {new or 'none'}): prepare the raw data it "
            f"was trained on with `make data`, or {otherwise}."
        )
    if trained_on.input_shape != prepared.input_shape:
        raise EvaluationError(
            f"The checkpoint takes inputs of shape {trained_on.input_shape}, but {where} has "
            f"{prepared.input_shape}: prepare the data as for its training (`make data "
            f"{trained_on.preparation_args()}`), or {otherwise}."
        )


def evaluate(cfg: DictConfig, add_row: bool = True) -> dict[str, float]:
    """Load the checkpoint, test it, and return the test metrics."""
    from {{ cookiecutter.package_name }}.checks import check_checkpoint_file, check_run_settings

    # Before Lightning is imported: a mistyped CKPT is told in a second, not in eight.
    check_checkpoint_file(cfg.ckpt_path, "evaluate")
    check_run_settings(cfg)

    import lightning as L

    from {{ cookiecutter.package_name }} import provenance
    from {{ cookiecutter.package_name }}.loggers import finish_loggers, instantiate_loggers
    from {{ cookiecutter.package_name }}.models.checkpoint import load_model
    from {{ cookiecutter.package_name }}.report import record_test

    # Lightning adds its own console handler; Hydra's already prints and saves these messages.
    logging.getLogger("lightning").handlers.clear()
    quiet_third_party_notices()
    L.seed_everything(0, workers=True)

    model = load_model(cfg.ckpt_path)
    # The test data must be prepared as the model's training data was: the checkpoint says how.
    datamodule = hydra.utils.instantiate(cfg.data, preparation=model.info.preparation)
    check_model_fits_data(model.info, datamodule.info, where=str(datamodule.processed_dir))
    datamodule.check_raw_unchanged()
    if cfg.description is None:
        cfg.description = training_description(Path(cfg.ckpt_path))
    # A progress bar in a terminal only: in a file (SLURM, `| tee`) a redrawn bar is fragments.
    trainer = hydra.utils.instantiate(
        cfg.trainer,
        logger=instantiate_loggers(cfg.logger) or False,
        enable_progress_bar=sys.stderr.isatty(),
    )
    try:
        run = provenance.collect(cfg, datamodule.raw)
        for logger in trainer.loggers:  # loggers write on rank zero only
            logger.log_hyperparams({**OmegaConf.to_container(cfg, resolve=True), "run": run})
        test_metrics = trainer.test(model, datamodule=datamodule, verbose=False)[0]
        for name, value in test_metrics.items():
            log.info("%-16s %.4f", name, value)
        checkpoint = str(cfg.ckpt_path)
        record_test(cfg, trainer, model, datamodule, test_metrics, checkpoint, run, False, add_row)
        return test_metrics
    finally:
        finish_loggers(trainer.loggers)


def training_description(checkpoint: Path) -> str:
    """The description of the run that trained this checkpoint, from its saved config, if any."""
    # outputs/train/<run>/checkpoints/best.ckpt -> outputs/train/<run>/.hydra/<start>/config.yaml
    saved_configs = sorted((checkpoint.parent.parent / ".hydra").glob("*/config.yaml"))
    return OmegaConf.load(saved_configs[-1]).get("description", "") if saved_configs else ""


@hydra.main(version_base="1.3", config_path="../../configs", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    with exit_on_user_error(run_dir=cfg.paths.output_dir):
        evaluate(cfg)


if __name__ == "__main__":
    config.exit_on_misspelt_setting("evaluate")
    main()
