"""Train a model, then test it on the held-out test split: `make train`.

All settings come from configs/train.yaml and can be overridden on the command line:
    make train ARGS="model.lr=0.01 trainer=gpu"
    python -m {{ cookiecutter.package_name }}.train model.lr=0.01 trainer=gpu   (the same)
Each run gets its own folder, outputs/train/<run_name>/, with the exact config (.hydra/), the
log, and checkpoints/{best,last}.ckpt. Starting a run again with the same run_name resumes it from
last.ckpt, so a crashed or requeued job carries on where it stopped.
"""

import logging
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


def checkpoint_to_resume(cfg: DictConfig) -> str | None:
    """The checkpoint to continue from: the one asked for, else this run's own last.ckpt."""
    if cfg.ckpt_path:
        return cfg.ckpt_path
    last = Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt"
    return str(last) if last.exists() else None


def train(cfg: DictConfig) -> dict[str, float]:
    """Fit the model, test the best checkpoint on the test split, and return the test metrics.

    The test also draws figures and adds a row to results/results.csv (see report.py). With
    `test=false` (the DVC pipeline, whose evaluate stage tests) it stops after training.
    """
    # Heavy libraries are imported here, not at the top: `--help` and config errors answer at once.
    import lightning as L

    # Lightning adds its own console handler; Hydra's already prints and saves these messages.
    logging.getLogger("lightning").handlers.clear()
{%- if cookiecutter.example_task == "tabular" %}

    from {{ cookiecutter.package_name }}.data.datamodule import ArrayDataModule, check_prepared_for
{%- else %}

    from {{ cookiecutter.package_name }}.data.datamodule import ArrayDataModule
{%- endif %}
    from {{ cookiecutter.package_name }}.instantiate import (
        finish_loggers,
        instantiate_all,
        instantiate_loggers,
    )
{%- if cookiecutter.example_task == "tabular" %}
    from {{ cookiecutter.package_name }}.models.task import build_model
{%- else %}
    from {{ cookiecutter.package_name }}.models.classifier import Classifier
{%- endif %}
    from {{ cookiecutter.package_name }}.plots import EpochHistory
    from {{ cookiecutter.package_name }}.report import provenance, record_fit, record_test

    L.seed_everything(cfg.seed, workers=True)
    datamodule = ArrayDataModule(cfg.data.processed_dir, cfg.data.batch_size, cfg.data.num_workers)
{%- if cookiecutter.example_task == "tabular" %}
    check_prepared_for(datamodule.metadata, cfg.data.target, cfg.data.task)
    model = build_model(cfg, datamodule.metadata)  # a Classifier or a Regressor
{%- else %}
    model = Classifier(
        network=OmegaConf.to_container(cfg.model.network, resolve=True),
        input_shape=datamodule.input_shape,
        class_names=datamodule.class_names,
        lr=cfg.model.lr,
        weight_decay=cfg.model.weight_decay,
    )
{%- endif %}
    history = EpochHistory()  # the per-epoch metrics, for the learning-curve figure
    trainer = hydra.utils.instantiate(
        cfg.trainer,
        callbacks=[*instantiate_all(cfg.callbacks), history],
        logger=instantiate_loggers(cfg.logger) or False,
    )
    run = provenance(cfg)  # which code, data and command line: logged with the settings
    for logger in trainer.loggers:  # loggers write on rank zero only
        logger.log_hyperparams({**OmegaConf.to_container(cfg, resolve=True), "run": run})

    resume_from = checkpoint_to_resume(cfg)
    if resume_from:
        log.info("Resuming from %s", resume_from)
    trainer.fit(model, datamodule=datamodule, ckpt_path=resume_from)
    record_fit(cfg, trainer, history)
    if not cfg.test:
        finish_loggers(trainer.loggers)
        return {}

    # Test the best checkpoint, not the last epoch's weights (which may be over-fitted).
    best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
    test_metrics = trainer.test(model, datamodule=datamodule, ckpt_path=best or None)[0]
    log.info("Best checkpoint: %s", best or "(checkpointing off)")
    for name, value in test_metrics.items():
        log.info("%-16s %.4f", name, value)
    record_test(cfg, trainer, model, datamodule, test_metrics, best, run)
    finish_loggers(trainer.loggers)
    return test_metrics


@hydra.main(version_base="1.3", config_path="../../configs", config_name="train")
def main(cfg: DictConfig) -> None:
    from {{ cookiecutter.package_name }}.data.datamodule import MissingDataError

    try:
        train(cfg)
    except MissingDataError as error:
        sys.exit(f"ERROR: {error}")


if __name__ == "__main__":
    main()
