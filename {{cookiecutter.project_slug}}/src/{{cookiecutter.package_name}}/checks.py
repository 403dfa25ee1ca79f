"""Settings checked before a run starts, so that a mistake costs a second, not a traceback.

Lightning and PyTorch would stop on these too, but later and in their own words: a batch size
of 0 deep inside a DataLoader, a missing GPU as a MisconfigurationException. Nothing here
imports them (torch only for the GPU check), so the commands run these checks first.
"""

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from {{ cookiecutter.package_name }}.errors import UserError

GPU_ACCELERATORS = ("gpu", "cuda")
# Settings that must be whole numbers (null allowed where the config says what null means), with
# an example of each; a typo such as trainer.max_epochs=two would otherwise fail deep in Lightning.
WHOLE_NUMBERS = {
    "seed": "seed=1",
    "trainer.max_epochs": "trainer.max_epochs=10, or null to fit it to the data",
    "trainer.max_steps": "trainer.max_steps=1000, or -1 for no limit",
    "trainer.log_every_n_steps": "trainer.log_every_n_steps=10",
}


class SettingError(UserError):
    """A setting that cannot work; the message names it and says what to use instead."""


class CheckpointError(UserError):
    """The checkpoint is missing, unreadable or not one of this project's."""


def check_run_settings(cfg: DictConfig) -> None:
    """Stop on settings that cannot work, before any data, model or logger is built."""
    for name, example in WHOLE_NUMBERS.items():
        value = OmegaConf.select(cfg, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise SettingError(f"{name} is {value!r}: set it to a whole number, e.g. {example}.")
    learning_rate = OmegaConf.select(cfg, "model.optimizer.lr")
    if learning_rate is not None and not (is_number(learning_rate) and learning_rate > 0):
        raise SettingError(
            f"model.optimizer.lr is {learning_rate!r}: set it to a number above 0, e.g. "
            "model.optimizer.lr=0.001."
        )
    batch_size = cfg.data.get("batch_size")  # null: fitted to the data's size (schedule.py)
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise SettingError(
            f"data.batch_size is {batch_size!r}: set it to a whole number of examples, 1 or more, "
            "e.g. data.batch_size=64, or null to fit it to the data."
        )
    accelerator = str(cfg.trainer.get("accelerator", "auto"))
    if accelerator in GPU_ACCELERATORS and not gpu_available():
        raise SettingError(
            f"trainer.accelerator is {accelerator!r} (trainer=gpu or trainer=ddp), but PyTorch "
            "finds no GPU on this machine: use trainer=cpu, or the default trainer, which takes "
            "a GPU when there is one."
        )


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def gpu_available() -> bool:
    import torch  # here: the other checks answer in a second, before torch is imported

    return torch.cuda.is_available()


def check_checkpoint_file(path: str | Path | None, command: str) -> None:
    """Stop `make evaluate` or `make predict` (`command`) when its CKPT names no checkpoint file:
    none given (no training run yet), a mistyped path, or a run's folder."""
    if not path:
        raise CheckpointError(
            "No checkpoint given, and no training run to take one from: train one first "
            f"(`make train`), or name one, e.g. `make {command} "
            "CKPT=outputs/train/<run>/checkpoints/best.ckpt`."
        )
    check_is_a_file(Path(path))


def check_is_a_file(path: Path) -> None:
    """Stop when there is no checkpoint file at `path`; a run's folder gets its best.ckpt named."""
    if path.is_file():
        return
    best = path / "checkpoints" / "best.ckpt"
    if path.is_dir():
        example = best if best.is_file() else path / "<file>.ckpt"
        raise CheckpointError(f"{path} is a folder: give a checkpoint file in it, e.g. {example}.")
    raise CheckpointError(
        f"No checkpoint at {str(path)!r}: give an existing one, e.g. "
        "outputs/train/<run>/checkpoints/best.ckpt (`make train` writes them)."
    )
