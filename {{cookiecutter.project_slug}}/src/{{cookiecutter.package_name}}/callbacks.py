"""Lightning callbacks: those named in configs/callbacks/, and the project's own, which every
training uses: the learning-curve history, the random state of exact resumes, the divergence check,
the command that resumes a run stopped with Ctrl-C.
"""

import logging
import math
import random
import sys
import time
from pathlib import Path

import hydra
import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import EarlyStopping, ProgressBar, TQDMProgressBar
from lightning.pytorch.callbacks.early_stopping import EarlyStoppingReason
from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.data.info import make_args_of
from {{ cookiecutter.package_name }}.errors import TrainingDivergedError

log = logging.getLogger(__name__)


def instantiate_callbacks(group: DictConfig | None) -> list[L.Callback]:
    """Build every callback of configs/callbacks/; an entry set to null is switched off."""
    return [hydra.utils.instantiate(entry) for entry in (group or {}).values() if entry]


class EpochHistory(L.Callback):
    """Collects the epoch-level train and validation metrics, for the learning-curve figure.

    Kept in every checkpoint, so that the curves of a resumed run show all of its epochs.
    """

    def __init__(self) -> None:
        self.epochs: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Validation has already run for this epoch, so both train/* and val/* values are here.
        metrics = {name: float(value) for name, value in trainer.callback_metrics.items()}
        self.epochs = [row for row in self.epochs if row["epoch"] != trainer.current_epoch]
        self.epochs.append({"epoch": trainer.current_epoch, **metrics})

    def state_dict(self) -> dict:
        return {"epochs": self.epochs}

    def load_state_dict(self, state: dict) -> None:
        self.epochs = list(state["epochs"])


class RandomState(L.Callback):
    """Saves the random state (dropout, anything random in your code) in every checkpoint, and
    gives it back when training resumes: a resumed run draws what the uninterrupted run drew.

    Lightning restores the weights, optimizer and counters, but not this state.
    """

    def __init__(self) -> None:
        self._to_restore: dict | None = None

    def state_dict(self) -> dict:
        kind, keys, position, has_gauss, gauss = np.random.get_state()
        state = {
            "torch": torch.get_rng_state(),
            "numpy": [kind, keys.tolist(), position, has_gauss, gauss],
            "python": random.getstate(),
        }
        if torch.cuda.is_initialized():  # a GPU was used (and asking is free, unlike is_available)
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state: dict) -> None:
        self._to_restore = state  # applied when training starts, after Lightning's own set-up

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._to_restore is None:
            return
        state, self._to_restore = self._to_restore, None
        torch.set_rng_state(state["torch"])
        kind, keys, position, has_gauss, gauss = state["numpy"]
        np.random.set_state((kind, np.array(keys, dtype=np.uint32), position, has_gauss, gauss))
        random.setstate(state["python"])
        if "cuda" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])


class PlateauStepsOnResume(L.Callback):
    """Takes the learning-rate steps that Lightning skips in a resumed run, so that it lowers its
    learning rate when the run left alone would have.

    ReduceLROnPlateau lowers the rate when the validation loss stalls; Lightning steps it after
    each epoch's end, where it also saves the checkpoint, but skips the step at the end of the
    epoch a run resumes in (its metrics were not saved, it reasons), and a run resumed from a
    checkpoint saved at an epoch's end never takes that epoch's step. So this keeps the epoch's
    metrics in every checkpoint, and takes a skipped step as the next epoch starts: after the
    end-of-epoch checkpoint, which then holds the scheduler as Lightning would have saved it.
    """

    def __init__(self) -> None:
        self.metrics: dict[str, float] = {}  # of the last epoch's end, validation's included
        self.step_skipped = False

    def state_dict(self) -> dict:
        return {"metrics": self.metrics}

    def load_state_dict(self, state: dict) -> None:
        self.metrics = dict(state["metrics"])

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # The metrics of the epoch before the checkpoint, as if it had just been validated.
        trainer.callback_metrics.update({k: torch.tensor(v) for k, v in self.metrics.items()})
        self.step_skipped = trainer.fit_loop.resumed_on_epoch_end

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Runs before the checkpoint callbacks, which Lightning calls last.
        self.metrics = {name: float(value) for name, value in trainer.callback_metrics.items()}
        self.step_skipped = trainer.fit_loop.restarting  # Lightning steps only if it is not

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not self.step_skipped:
            return
        self.step_skipped = False
        for config in trainer.lr_scheduler_configs:
            value = trainer.callback_metrics.get(config.monitor or "")
            on_plateau = config.reduce_on_plateau and config.interval == "epoch"
            if on_plateau and value is not None and trainer.current_epoch % config.frequency == 0:
                pl_module.lr_scheduler_step(config.scheduler, value)


class StopWhenDiverged(L.Callback):
    """Stops training once the loss is not a finite number, before a checkpoint of the broken
    weights is saved.

    Reading a number off a GPU makes the CPU wait until the GPU has caught up; a wait at every
    step would leave the GPU idle while the next step is prepared. So each step only notes, on
    the device, whether its loss was finite, and the note is read where Lightning waits anyway:
    on the steps the loggers write (trainer.log_every_n_steps), after validation, and before
    any checkpoint is saved.
    """

    def __init__(self) -> None:
        self.losses_finite: torch.Tensor | None = None  # every training loss so far was finite

    def on_train_batch_end(self, trainer: L.Trainer, pl_module, outputs, batch, batch_idx) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is None:
            return
        finite = torch.isfinite(loss.detach())
        self.losses_finite = finite if self.losses_finite is None else self.losses_finite & finite
        if trainer.global_step % trainer.log_every_n_steps == 0:
            self.check_training_loss(trainer)

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module, checkpoint: dict) -> None:
        self.check_training_loss(trainer)  # raising here: the checkpoint is not written

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.check_training_loss(trainer)
        loss = trainer.callback_metrics.get("val/loss")
        if trainer.sanity_checking or loss is None or math.isfinite(float(loss)):
            return
        step = trainer.global_step
        raise self.diverged(trainer, f"the validation loss became {float(loss)} at step {step}")

    def check_training_loss(self, trainer: L.Trainer) -> None:
        if self.losses_finite is not None and not bool(self.losses_finite):
            step = trainer.global_step
            raise self.diverged(trainer, f"the training loss became NaN or infinite by step {step}")

    @staticmethod
    def diverged(trainer: L.Trainer, what_happened: str) -> TrainingDivergedError:
        lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else float("nan")
        return TrainingDivergedError(
            f"Training diverged: {what_happened} (epoch {trainer.current_epoch}, learning rate "
            f"{lr:g}); try a lower learning rate "
            f"(model.optimizer.lr={lr / 10:g}) or clip the gradients "
            "(+trainer.gradient_clip_val=1.0). No row was added to the results."
        )


class SayHowToResume(L.Callback):
    """After Ctrl-C, says the command that carries the run on from its last checkpoint: Lightning
    says only that it stopped."""

    def on_exception(self, trainer: L.Trainer, pl_module, exception: BaseException) -> None:
        if not (isinstance(exception, KeyboardInterrupt) and trainer.is_global_zero):
            return
        from hydra.core.hydra_config import HydraConfig

        given = HydraConfig.get().overrides.task if HydraConfig.initialized() else []
        run_name = Path(trainer.default_root_dir).name  # the run's folder bears its name
        again = [*(o for o in given if not o.startswith("run_name=")), f"run_name={run_name}"]
        log.warning("Stopped. To carry on from the last checkpoint: make train %s",
                    make_args_of(again))  # fmt: skip


def progress_bar(refresh_rate: int) -> ProgressBar:
    """A progress bar in a terminal; one plain line per epoch where output goes to a file (SLURM
    jobs, CI, `| tee`), which a redrawn bar would fill with hundreds of fragments."""
    if sys.stderr.isatty():
        return TQDMProgressBar(refresh_rate=refresh_rate)
    return EpochLines()


class EpochLines(ProgressBar):
    """Logs one line per epoch: its number, duration, and the epoch's losses and metrics."""

    def __init__(self) -> None:
        super().__init__()
        self.enabled = True
        self.epoch_started = 0.0

    def disable(self) -> None:
        self.enabled = False

    def enable(self) -> None:
        self.enabled = True

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # A run resumed in the middle of an epoch gets no epoch start: time it from here.
        self.epoch_started = time.monotonic()

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.epoch_started = time.monotonic()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not (self.enabled and trainer.is_global_zero):
            return
        metrics = {
            name.removesuffix("_epoch"): float(value)
            for name, value in trainer.callback_metrics.items()
            if name == "train/loss_epoch" or name.startswith("val/")
        }
        shown = "  ".join(f"{name} {value:.4g}" for name, value in sorted(metrics.items()))
        seconds = time.monotonic() - self.epoch_started
        log.info("epoch %d/%d (%.1f s)  %s", trainer.current_epoch + 1, trainer.max_epochs,
                 seconds, shown)  # fmt: skip


class EarlyStoppingInSteps(EarlyStopping):
    """Early stopping whose patience is counted in optimizer steps, not in epochs.

    `patience_steps=300` stops training once the monitored value has not improved for 300 steps,
    whether an epoch is 2 batches or 2,000. Validation runs once per epoch, so the patience becomes
    ceil(300 / batches per epoch) epochs, and at least `min_patience`: a small validation set is
    noisy, and one unlucky epoch must not end a run.
    """

    def __init__(self, patience_steps: int, min_patience: int = 3, **settings: object) -> None:
        super().__init__(patience=min_patience, **settings)
        self.patience_steps = patience_steps
        self.min_patience = min_patience

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        batches = trainer.num_training_batches  # known once the training data is loaded
        batches = int(batches) if math.isfinite(batches) and batches > 0 else 1
        self.patience = max(self.min_patience, math.ceil(self.patience_steps / batches))

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Say that the run stopped early, and why: else its log just ends before max_epochs."""
        if not (self.stopping_reason_message and trainer.is_global_zero):
            return
        why = self.stopping_reason_message  # Lightning's words: a metric that was not a number
        if self.stopping_reason == EarlyStoppingReason.PATIENCE_EXHAUSTED:
            why = (
                f"{self.monitor} has not improved for {self.wait_count} epoch"
                f"{'s' if self.wait_count != 1 else ''} (patience_steps "
                f"{self.patience_steps}); its best was {float(self.best_score):.4g}"
            )
        log.info("Stopped early, at epoch %d of %d: %s.", self.stopped_epoch + 1,
                 trainer.max_epochs, why)  # fmt: skip
