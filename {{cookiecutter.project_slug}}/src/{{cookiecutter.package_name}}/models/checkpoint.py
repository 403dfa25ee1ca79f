"""Load a model from a checkpoint, whichever LightningModule of the project wrote it."""

import zipfile
from pathlib import Path

import torch

from {{ cookiecutter.package_name }}.checks import CheckpointError, check_is_a_file
from {{ cookiecutter.package_name }}.data.info import DataInfo
from {{ cookiecutter.package_name }}.models.supervised import MODULE_KEY, SupervisedModule
from {{ cookiecutter.package_name }}.models.trusted import UnknownTargetError, instantiate_trusted


def load_model(checkpoint: str | Path) -> SupervisedModule:
    """The model saved in a checkpoint, on the CPU, ready to test or predict.

    torch reads the file as plain data only (`weights_only`), and the module, network, optimizer
    and scheduler it names are built only if they are the project's own (see trusted.py).
    """
    path = Path(checkpoint)
    check_is_a_file(path)
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a truncated or foreign file
        raise CheckpointError(
            f"Cannot read the checkpoint {path} ({type(error).__name__}): it is damaged or not a "
            "checkpoint; use another one, e.g. checkpoints/best.ckpt of the same run."
        ) from error
    if MODULE_KEY not in saved or "hyper_parameters" not in saved:
        raise CheckpointError(f"{path} was not written by this project's training: use another.")
    settings = {"_target_": saved[MODULE_KEY], **saved["hyper_parameters"]}
    try:
        model = instantiate_trusted(settings, _recursive_=False, _convert_="all")
    except UnknownTargetError as error:  # e.g. the tabular example's MLP, in an images project
        raise CheckpointError(
            f"{path} needs {error.target!r}, which this project does not have: it was trained in "
            "another project (or with code since removed); evaluate it there, or use a "
            "checkpoint of this project."
        ) from error
    model.load_state_dict(saved["state_dict"])
    return model


def data_info(checkpoint: str | Path) -> DataInfo | None:
    """What the data told the model of a checkpoint (see data/info.py); None when it was not
    written by this project's training. Read memory-mapped: its weights are not loaded."""
    saved = torch.load(checkpoint, map_location="cpu", weights_only=True, mmap=True)
    data = saved.get("hyper_parameters", {}).get("data")
    return DataInfo(**data) if isinstance(data, dict) else None


def check_readable(checkpoint: str | Path, resuming: bool = False) -> None:
    """Stop when a checkpoint is missing or damaged, before a run starts on it.

    torch writes checkpoints as zip files; one cut short (a crash, a full disk, a copy that
    stopped) lacks the zip's closing directory, which is quick to check without loading it.
    """
    path = Path(checkpoint)
    check_is_a_file(path)
    if zipfile.is_zipfile(path):
        return
    fix = (
        "delete it to start this run again from the beginning, or resume from another checkpoint "
        "with ckpt_path=<path>"
        if resuming
        else "use another checkpoint, e.g. checkpoints/best.ckpt of the same run"
    )
    raise CheckpointError(f"{path} is damaged (cut short by a crash or a full disk?): {fix}.")
