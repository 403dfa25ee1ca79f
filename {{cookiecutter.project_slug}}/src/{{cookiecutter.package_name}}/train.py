"""Train a model, then test it on the held-out test split: `make train`.

All settings come from configs/train.yaml and can be overridden on the command line:
    make train ARGS="model.optimizer.lr=0.01 trainer=gpu"
    python -m {{ cookiecutter.package_name }}.train model.optimizer.lr=0.01 trainer=gpu   (the same)
The data, the model, the trainer, its callbacks and loggers are each built from their config
group (`_target_` names the class), so another data source or network is a new config, not an
edit here. Each run gets its own folder, outputs/train/<run_name>/, with the exact config
(.hydra/), the log, and checkpoints/{best,last}.ckpt. Starting a run again with the same
run_name resumes it from last.ckpt, so a crashed or requeued job carries on where it stopped.
"""

import logging
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from {{ cookiecutter.package_name }} import config  # noqa: F401 (its resolvers, for the configs)
from {{ cookiecutter.package_name }}.console import quiet_third_party_notices
from {{ cookiecutter.package_name }}.errors import exit_on_user_error

log = logging.getLogger(__name__)


def checkpoint_to_resume(cfg: DictConfig) -> str | None:
    """The checkpoint to continue from: the one asked for, else this run's newest: last.ckpt, or
    the one Lightning saved when SLURM warned of the time limit (hpc_ckpt_<n>.ckpt)."""
    if cfg.ckpt_path:
        return cfg.ckpt_path
    run_dir = Path(cfg.paths.output_dir)
    saved = [*run_dir.glob("checkpoints/last.ckpt"), *run_dir.glob("hpc_ckpt_*.ckpt")]
    return str(max(saved, key=lambda path: path.stat().st_mtime)) if saved else None


def best_validation(trainer) -> dict[str, float]:  # noqa: ANN001 (a Lightning Trainer)
    """The best validation score of the run, by the checkpoint's metric: what a hyper-parameter
    search compares (never a test metric: the test set must not choose the settings)."""
    callback = trainer.checkpoint_callback
    if callback is None or callback.best_model_score is None:
        return {}
    return {f"{callback.monitor}_best": float(callback.best_model_score)}


def train(cfg: DictConfig) -> dict[str, float]:
    """Fit the model, test the best checkpoint on the test split, and return the test metrics.

    The test also draws figures and adds a row to results/results.csv (see report.py). With
    `test=false` (the DVC pipeline, whose evaluate stage tests) it stops after training.
    """
    # Heavy libraries are imported here, not at the top: `--help` and config errors answer at once.
    import lightning as L

    from {{ cookiecutter.package_name }} import provenance
    from {{ cookiecutter.package_name }}.callbacks import EpochHistory, instantiate_callbacks
    from {{ cookiecutter.package_name }}.checks import check_run_settings
    from {{ cookiecutter.package_name }}.loggers import finish_loggers, instantiate_loggers
    from {{ cookiecutter.package_name }}.models.checkpoint import check_readable
    from {{ cookiecutter.package_name }}.report import record_fit, record_test

    # Lightning adds its own console handler; Hydra's already prints and saves these messages.
    logging.getLogger("lightning").handlers.clear()
    quiet_third_party_notices()
    L.seed_everything(cfg.seed, workers=True)
    check_run_settings(cfg)
    resume_from = checkpoint_to_resume(cfg)
    if resume_from:
        check_readable(resume_from, resuming=True)

    datamodule = hydra.utils.instantiate(cfg.data)
    # The model gets its settings as plain values (saved in its checkpoints) and builds its
    # network, optimizer and scheduler itself; the data tells it the input shape and classes.
    model = hydra.utils.instantiate(
        cfg.model, data=datamodule.info.as_dict(), _recursive_=False, _convert_="all"
    )
    if cfg.compile:  # in place: the checkpoints keep the network's own parameter names
        model.network.compile()
    history = EpochHistory()  # the per-epoch metrics, for the learning-curve figure
    trainer = hydra.utils.instantiate(
        cfg.trainer,
        callbacks=[*instantiate_callbacks(cfg.callbacks), history],
        logger=instantiate_loggers(cfg.logger) or False,
    )
    try:
        run = provenance.collect(cfg)  # which code, data and command line: logged with the settings
        for logger in trainer.loggers:  # loggers write on rank zero only
            logger.log_hyperparams({**OmegaConf.to_container(cfg, resolve=True), "run": run})

        if resume_from:
            log.info("Resuming from %s", resume_from)
        trainer.fit(model, datamodule=datamodule, ckpt_path=resume_from)
        record_fit(cfg, trainer, model, history)
        if not cfg.test:
            return best_validation(trainer)

        # Test the best checkpoint, not the last epoch's weights (which may be over-fitted).
        best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
        # verbose=False: the metrics are logged below, once, in the run's log too.
        test_metrics = trainer.test(
            model, datamodule=datamodule, ckpt_path=best or None, verbose=False
        )[0]
        log.info("Best checkpoint: %s", best or "(checkpointing off)")
        for name, value in test_metrics.items():
            log.info("%-16s %.4f", name, value)
        record_test(cfg, trainer, model, datamodule, test_metrics, best, run)
        return {**test_metrics, **best_validation(trainer)}
    finally:
        finish_loggers(trainer.loggers)  # whatever happened: the W&B run is closed and written


@hydra.main(version_base="1.3", config_path="../../configs", config_name="train")
def main(cfg: DictConfig) -> float | None:
    with exit_on_user_error(run_dir=cfg.paths.output_dir):
        metrics = train(cfg)
    # A hyper-parameter search (hparams_search=...) compares its trials on this value.
    return metrics.get(cfg.optimized_metric) if cfg.optimized_metric else None


if __name__ == "__main__":
    main()
