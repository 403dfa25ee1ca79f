"""Fit the length of training to the size of the data: a few hundred examples train as well as a
few thousand.

Epochs are a poor unit for small data: 30 epochs of 1,257 digits are 600 optimizer steps, but 30
epochs of 126 images in batches of 64 are only 60, too few to learn anything reliably. What
decides whether a network has learnt is how many steps it took. So, for each setting left null:

- `data.batch_size`: 64, halved (down to 8) until an epoch has `schedule.min_batches` batches;
- `trainer.max_epochs`: enough epochs for `schedule.min_steps` optimizer steps, and at least
  `schedule.min_epochs`.

Early stopping counts its patience in steps as well (callbacks.EarlyStoppingInSteps), so it too
waits as long on a small dataset as on a large one. A setting given a value, in a config or on the
command line, is used as it is (but for `trainer.log_every_n_steps`, lowered to one epoch's steps
when an epoch is shorter, so that training metrics are logged at all). Training logs one line
saying what was chosen.
"""

import logging
import math

from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.data.datamodule import DEFAULT_BATCH_SIZE, PreparedData

log = logging.getLogger(__name__)

SMALLEST_BATCH = 8  # below this, batch normalisation statistics become too noisy


def fitted_batch_size(train_size: int, min_batches: int) -> int:
    """64, halved until an epoch of `train_size` examples has `min_batches` batches (at least 8)."""
    batch_size = DEFAULT_BATCH_SIZE
    while batch_size > SMALLEST_BATCH and math.ceil(train_size / batch_size) < min_batches:
        batch_size //= 2
    return batch_size


def fit_to_data(cfg: DictConfig, datamodule: PreparedData) -> str:
    """Fill in the null batch size and epoch count of `cfg` for this data; return what was chosen.

    Call it before the trainer is built from `cfg.trainer`; the datamodule gets the batch size.
    """
    schedule = cfg.schedule
    train_size = datamodule.metadata["split_sizes"]["train"]
    if cfg.data.batch_size is None:
        cfg.data.batch_size = fitted_batch_size(train_size, schedule.min_batches)
    datamodule.batch_size = cfg.data.batch_size
    steps_per_epoch = math.ceil(train_size / cfg.data.batch_size)
    if cfg.trainer.max_epochs is None:
        enough = math.ceil(schedule.min_steps / steps_per_epoch)
        cfg.trainer.max_epochs = max(schedule.min_epochs, enough)
    # An epoch shorter than the logging interval would log no step at all (and Lightning warns).
    if cfg.trainer.get("log_every_n_steps", 0) > steps_per_epoch:
        cfg.trainer.log_every_n_steps = steps_per_epoch

    early_stopping = (cfg.get("callbacks") or {}).get("early_stopping")
    stopping = "no early stopping"
    if early_stopping and "patience_steps" in early_stopping:
        stopping = f"early stopping after {early_stopping.patience_steps} steps without a better "
        stopping += f"{early_stopping.monitor}"
    chosen = (
        f"Fitted to {train_size} training examples: batch size {cfg.data.batch_size} "
        f"({steps_per_epoch} steps per epoch), at most {cfg.trainer.max_epochs} epochs "
        f"({cfg.trainer.max_epochs * steps_per_epoch} steps), {stopping}. Set data.batch_size, "
        "trainer.max_epochs or schedule.min_steps to change it."
    )
    log.info(chosen)
    return chosen
