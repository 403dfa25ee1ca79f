"""What the prepared data tells a model: one small object, saved in every checkpoint.

A model is built for one dataset: its input shape, and what it predicts (the class names, or the
name, unit and scale of a number). `make data` writes this to data/processed/metadata.json; the
model keeps it in its hyperparameters, so a checkpoint reloads on its own and can be checked
against the data it is evaluated on. It is stored as a plain dict (`as_dict()`), because torch
loads checkpoints that hold plain data only.
"""

import re
from dataclasses import asdict, dataclass, field

TASKS = ("classification", "regression")


@dataclass(frozen=True)
class DataInfo:
    name: str  # the dataset, as the results table names it
    input_shape: list[int]  # one example: [channels, height, width] of an image; [features]
    task: str  # "classification" (a class) or "regression" (a number)
    target: str  # what is predicted: "class", or a column's name
    class_names: list[str] = field(default_factory=list)  # classification: index -> name
    target_unit: str = ""  # regression: the unit of the number, for figures
    target_mean: float = 0.0  # regression: the training rows' mean and standard deviation,
    target_std: float = 1.0  # which the model uses to predict on a standardised scale
    preparation: dict = field(default_factory=dict)  # the settings `make data` was run with
    # The inputs' names where they have some (a table's columns after encoding); a checkpoint is
    # refused on data whose inputs have other names, even when their number is the same.
    input_names: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def preparation_args(self) -> str:
        """`ARGS="..."` for `make data` to prepare data as this was prepared."""
        return make_args(self.preparation)

    def describe(self) -> str:
        """What the data asks a model to predict: "the classes [...]" or "the number 'x'"."""
        if self.task == "regression":
            return f"the number {self.target!r}"
        return f"the classes {self.class_names}"


# Text that Hydra reads as the same string and that no shell changes; anything else is quoted.
PLAIN_TEXT = re.compile(r"[A-Za-z_][\w./@+-]*")
HYDRA_WORDS = {"true", "false", "null", "nan", "inf"}  # Hydra reads these, in any case, as values
SHELL_SAFE = re.compile(r"[\w./@+=,:\[\]-]+")


def make_args(settings: dict, prefix: str = "data.preparation.") -> str:
    """`ARGS="..."` for a make command that hands these settings to Hydra unchanged."""
    overrides = [f"{prefix}{name}={hydra_value(value)}" for name, value in settings.items()]
    return make_args_of(overrides)


def make_args_of(overrides: list[str]) -> str:
    """`ARGS="..."` for a make command that hands these overrides to Hydra as they are.

    The text goes through your shell, make (which reads `$` as its own) and make's shell before
    Hydra reads it, so a value like `;` needs three layers of quotes:
    ARGS="\\"data.preparation.sep=';'\\"".
    """
    quoted = [word if SHELL_SAFE.fullmatch(word) else double_quoted(word) for word in overrides]
    return "ARGS=" + double_quoted(" ".join(quoted).replace("$", "$$"))


def hydra_value(value: object) -> str:
    """A value as written in a Hydra override, so that Hydra reads back the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(hydra_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{hydra_value(k)}:{hydra_value(v)}" for k, v in value.items()) + "}"
    text = str(value)
    if PLAIN_TEXT.fullmatch(text) and text.lower() not in HYDRA_WORDS:
        return text
    # In quotes, Hydra reads a backslash as an escape only before a quote (or the closing one).
    escaped = re.sub(r"(\\*)('|\Z)", lambda m: m[1] * 2 + ("\\'" if m[2] else ""), text)
    return f"'{escaped}'"


def double_quoted(text: str) -> str:
    """Text in double quotes for a POSIX shell: \\, ", $ and ` escaped, everything else literal."""
    return '"' + re.sub(r'([\\"$`])', r"\\\1", text) + '"'
