"""Train a model, then test it on the held-out test split: `make train`.

All settings come from configs/train.yaml and can be overridden on the command line:
    make train ARGS="model.optimizer.lr=0.01 trainer=gpu"
    python -m {{ cookiecutter.package_name }}.train model.optimizer.lr=0.01 trainer=gpu   (the same)
The data, the model, the trainer, its callbacks and loggers are each built from their config
group (`_target_` names the class), so another data source or network is a new config, not an
edit here. Each run gets its own folder, outputs/train/<run_name>/, with the exact config of each
start (.hydra/<time>/), the log, and checkpoints/{best,last}.ckpt. Starting a run again with the
same run_name resumes it from last.ckpt, so a crashed or requeued job carries on where it stopped,
and ends exactly as if it had never stopped (runs.py, callbacks.py, data/sampling.py say how).
"""

import contextlib
import gc
import logging
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from {{ cookiecutter.package_name }} import config  # also registers the configs' resolvers
from {{ cookiecutter.package_name }}.console import quiet_third_party_notices
from {{ cookiecutter.package_name }}.errors import (
    SweepJobFailed,
    TrainingDivergedError,
    exit_on_user_error,
)
from {{ cookiecutter.package_name }}.runs import (
    RunFolder,
    ddp_processes_join_this_job,
    distributed_job,
    drop_segment_config,
    in_a_sweep,
    settings_changed_since_last_start,
)

log = logging.getLogger(__name__)


def train(cfg: DictConfig, add_row: bool = True) -> dict[str, float]:
    """Train in this run's folder, resuming it if it crashed, and return the test metrics.

    A run that already finished is not trained again: its metrics are returned as they were.
    Only one process may hold a run folder: another one started with its run_name is refused.
    """
    from lightning.pytorch.utilities import rank_zero_only

    folder = RunFolder(cfg.paths.output_dir)
    # Under DDP the other processes work in the folder that the first one (rank zero) holds.
    with folder if rank_zero_only.rank == 0 else contextlib.nullcontext(), distributed_job():
        finished = folder.finished()
        if finished is None or cfg.ckpt_path:
            resume_from = cfg.ckpt_path or folder.last_checkpoint
            if resume_from:
                warn_of_changed_settings(cfg)
            return fit_and_test(cfg, resume_from, add_row)
        log.info(
            "The run %s finished on %s; nothing to do, no row added. Leave run_name unset to "
            "start a new run.", cfg.run_name, finished["finished"],
        )  # fmt: skip
        drop_segment_config()  # this start did nothing: keep only the configs that trained
        return finished["metrics"]


def warn_of_changed_settings(cfg: DictConfig) -> None:
    """A resumed run carries on with this start's settings: say which differ from the last
    start's, as a run meant to go on as it was rarely wants them to (a command typed anew)."""
    changed = settings_changed_since_last_start(cfg)
    if changed:
        said = "; ".join(f"{name}: {was!r} -> {now!r}" for name, (was, now) in changed.items())
        log.warning(
            "Resuming with settings that differ from the run's last start: %s. To try new "
            "settings, start a new run instead (leave run_name unset).", said
        )  # fmt: skip


def best_checkpointing(trainer):  # noqa: ANN001, ANN201 (a Trainer, its ModelCheckpoint or None)
    """The checkpoint callback that keeps the best checkpoint: the one that watches a metric.
    Not `trainer.checkpoint_callback`, the first of them in the config's order, which is the one
    of last.ckpt when a config lists last_checkpoint first."""
    return next((callback for callback in trainer.checkpoint_callbacks if callback.monitor), None)


def best_validation(trainer) -> dict[str, float]:  # noqa: ANN001 (a Lightning Trainer)
    """The best validation score of the run, by the checkpoint's metric: what a hyper-parameter
    search compares (never a test metric: the test set must not choose the settings)."""
    callback = best_checkpointing(trainer)
    if callback is None or callback.best_model_score is None:
        return {}
    return {f"{callback.monitor}_best": float(callback.best_model_score)}


def check_resumes_on(checkpoint: str | Path, datamodule) -> None:  # noqa: ANN001 (PreparedData)
    """Stop when a checkpoint to resume from was trained on data other than this run's."""
    from {{ cookiecutter.package_name }}.evaluate import check_model_fits_data
    from {{ cookiecutter.package_name }}.models.checkpoint import data_info

    trained_on = data_info(checkpoint)
    if trained_on is not None:
        where = f"this run's data ({datamodule.processed_dir})"
        otherwise = "start a new run (leave ckpt_path and run_name unset)"
        check_model_fits_data(trained_on, datamodule.info, where, otherwise)


def fit_and_test(cfg: DictConfig, resume_from: str | Path | None, add_row: bool) -> dict:
    """Fit the model, test the best checkpoint on the test split, and return the test metrics.

    The test also draws figures and adds a row to results/results.csv (see report.py). With
    `test=false` (the DVC pipeline, whose evaluate stage tests) it stops after training.
    """
    # Heavy libraries are imported here, not at the top: `--help` and config errors answer at once.
    import lightning as L
    import torch

    from {{ cookiecutter.package_name }} import provenance
    from {{ cookiecutter.package_name }}.callbacks import (
        EpochHistory,
        PlateauStepsOnResume,
        RandomState,
        SayHowToResume,
        StopWhenDiverged,
        instantiate_callbacks,
    )
    from {{ cookiecutter.package_name }}.checks import check_run_settings
    from {{ cookiecutter.package_name }}.loggers import finish_loggers, instantiate_loggers
    from {{ cookiecutter.package_name }}.models.checkpoint import check_readable
    from {{ cookiecutter.package_name }}.report import record_fit, record_test
    from {{ cookiecutter.package_name }}.schedule import fit_to_data

    # Lightning adds its own console handler; Hydra's already prints and saves these messages.
    logging.getLogger("lightning").handlers.clear()
    quiet_third_party_notices()
    check_run_settings(cfg)
    L.seed_everything(cfg.seed, workers=True)
    # float32 matrix products in TF32 on NVIDIA GPUs that have it (A100 and newer): several times
    # faster, at the precision training needs. No effect on CPUs.
    torch.set_float32_matmul_precision("high")
    if resume_from:
        check_readable(resume_from, resuming=True)

    # The seed also decides the order of the training examples, epoch by epoch.
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.shuffle_seed = cfg.seed  # set here: a data source needs no setting of its own
    datamodule.check_raw_unchanged()  # before anything is written: the results row names data/raw
    if resume_from:  # another dataset's checkpoint would fail deep in Lightning, loading weights
        check_resumes_on(resume_from, datamodule)
    fit_to_data(cfg, datamodule)  # batch size and epochs left null: fitted to the data's size
    # The model gets its settings as plain values (saved in its checkpoints) and builds its
    # network, optimizer and scheduler itself; the data tells it the input shape and classes.
    model = hydra.utils.instantiate(
        cfg.model, data=datamodule.info.as_dict(), _recursive_=False, _convert_="all"
    )
    if cfg.compile:  # in place: the checkpoints keep the network's own parameter names
        # dynamic=False: the last, smaller batch of an epoch gets a compiled copy of its own;
        # compiling once for any batch size took 151 s on an H200, and ran no faster.
        model.network.compile(dynamic=False)
    else:  # the model summary shows each layer's output size and FLOPs (compiled: once more)
        model.example_input_array = datamodule.example_input()
    history = EpochHistory()  # the per-epoch metrics, for the learning-curve figure
    # With RandomState and PlateauStepsOnResume, a run resumed from a checkpoint ends exactly as
    # if never stopped.
    callbacks = [
        *instantiate_callbacks(cfg.callbacks), history, RandomState(), PlateauStepsOnResume(),
        StopWhenDiverged(), SayHowToResume(),
    ]  # fmt: skip
    trainer = hydra.utils.instantiate(
        cfg.trainer, callbacks=callbacks, logger=instantiate_loggers(cfg.logger) or False
    )
    try:
        # Which code, data and command line: logged with the settings.
        run = provenance.collect(cfg, datamodule.raw)
        for logger in trainer.loggers:  # loggers write on rank zero only
            logger.log_hyperparams({**OmegaConf.to_container(cfg, resolve=True), "run": run})

        if resume_from:
            log.info("Resuming from %s", resume_from)
        ddp_processes_join_this_job()  # in a sweep (-m), no folder of their own under DDP
        trainer.fit(model, datamodule=datamodule, ckpt_path=resume_from)
        record_fit(cfg, trainer, model, history)
        if not cfg.test:
            return best_validation(trainer)

        # Test the best checkpoint, not the last epoch's weights (which may be over-fitted).
        checkpointing = best_checkpointing(trainer)
        best = checkpointing.best_model_path if checkpointing else ""
        # verbose=False: the metrics are logged below, once, in the run's log too.
        test_metrics = trainer.test(
            model, datamodule=datamodule, ckpt_path=best or None, verbose=False
        )[0]
        log.info("Best checkpoint: %s", best or "(checkpointing off)")
        for name, value in test_metrics.items():
            log.info("%-16s %.4f", name, value)
        row = record_test(cfg, trainer, model, datamodule, test_metrics, best, run, add_row=add_row)
        metrics = {**test_metrics, **best_validation(trainer)}
        if trainer.is_global_zero:
            RunFolder(cfg.paths.output_dir).mark_finished(metrics, row)
        return metrics
    finally:
        finish_loggers(trainer.loggers)  # whatever happened: the W&B run is closed and written


@hydra.main(version_base="1.3", config_path="../../configs", config_name="train")
def main(cfg: DictConfig) -> float | None:
    with exit_on_user_error(run_dir=cfg.paths.output_dir):
        try:
            metrics = train(cfg)
        except TrainingDivergedError as diverged:
            if not in_a_sweep():
                raise
            # Settings that make one job diverge (a learning rate too high) say nothing of the
            # others. Not a mistake in the command, which stops it all: a failed job, which
            # Hydra reports after running the others (a search counts it as a failed trial).
            log.error("%s", diverged)
            raise SweepJobFailed(f"{diverged} The sweep's other jobs go on.") from None
    # A hyper-parameter search (hparams_search=...) compares its trials on this value.
    return metrics.get(cfg.optimized_metric) if cfg.optimized_metric else None


if __name__ == "__main__":
    sys.argv[1:] = config.multirun_flag_first(sys.argv[1:])
    config.exit_on_misspelt_setting("train")
    main()
    # The process ends here. Python's last garbage collection would walk every object that torch
    # and Lightning made (1.5 s of each run here, `make bench`), to free memory that the exit
    # frees anyway: freezing them skips that walk.
    gc.freeze()
