"""Build objects from settings that may come from a checkpoint, calling only trusted classes.

A checkpoint stores the settings of its network, optimizer and scheduler, `_target_`s included,
and loading it builds them again. Checkpoints are shared between lab members and downloaded from
papers' pages, and a `_target_` can name any Python callable (`builtins.open`, `os.system`): so
every `_target_` is checked before anything is called, and only the project's own package and
PyTorch's optimizers and schedulers are allowed.
"""

import importlib

import hydra

from {{ cookiecutter.package_name }}.errors import UserError

TRUSTED_PREFIXES = ("{{ cookiecutter.package_name }}.", "torch.optim.")


class UntrustedTargetError(UserError):
    """A setting names a class or function outside the trusted ones."""


class UnknownTargetError(UserError):
    """A setting names a class of the project that does not exist (any more)."""

    def __init__(self, target: str) -> None:
        super().__init__(
            f"{target!r} is not a class of this project: check the _target_ in configs/, "
            "e.g. configs/model/default.yaml."
        )
        self.target = target


def targets_in(settings: object) -> list[str]:
    """Every `_target_` in nested settings (dicts and lists)."""
    if isinstance(settings, dict):
        own = [str(settings["_target_"])] if "_target_" in settings else []
        return own + [target for value in settings.values() for target in targets_in(value)]
    if isinstance(settings, list):
        return [target for value in settings for target in targets_in(value)]
    return []


def exists(target: str) -> bool:
    """Whether `module.path.Name` names something; imports only trusted modules (checked above)."""
    module, _, name = target.rpartition(".")
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


def instantiate_trusted(settings: dict, **kwargs: object) -> object:
    """`hydra.utils.instantiate`, after checking that every `_target_` is a trusted one."""
    for target in targets_in(settings):
        if not target.startswith(TRUSTED_PREFIXES):
            raise UntrustedTargetError(
                f"Refused to build {target!r}: only classes of the project "
                f"({', '.join(TRUSTED_PREFIXES)}...) are built from a model's settings. If this "
                "came from a checkpoint, do not use that checkpoint."
            )
        if not exists(target):
            raise UnknownTargetError(target)
    return hydra.utils.instantiate(settings, **kwargs)
