"""Settings checked before a run starts, so that a mistake costs a second, not a traceback.

Lightning and PyTorch would stop on these too, but later and in their own words: a batch size
of 0 deep inside a DataLoader, a missing GPU as a MisconfigurationException.
"""

import torch
from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.errors import UserError

GPU_ACCELERATORS = ("gpu", "cuda")


class SettingError(UserError):
    """A setting that cannot work; the message names it and says what to use instead."""


def check_run_settings(cfg: DictConfig) -> None:
    """Stop on settings that cannot work, before any data, model or logger is built."""
    batch_size = cfg.data.get("batch_size")  # null: fitted to the data's size (schedule.py)
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise SettingError(
            f"data.batch_size is {batch_size!r}: set it to a whole number of examples, 1 or more, "
            "e.g. data.batch_size=64, or null to fit it to the data."
        )
    accelerator = str(cfg.trainer.get("accelerator", "auto"))
    if accelerator in GPU_ACCELERATORS and not torch.cuda.is_available():
        raise SettingError(
            f"trainer.accelerator is {accelerator!r} (trainer=gpu or trainer=ddp), but PyTorch "
            "finds no GPU on this machine: use trainer=cpu, or the default trainer, which takes "
            "a GPU when there is one."
        )
