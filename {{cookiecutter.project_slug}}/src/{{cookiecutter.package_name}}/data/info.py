"""What the prepared data tells a model: one small object, saved in every checkpoint.

A model is built for one dataset: its input shape, and what it predicts (the class names, or the
name, unit and scale of a number). `make data` writes this to data/processed/metadata.json; the
model keeps it in its hyperparameters, so a checkpoint reloads on its own and can be checked
against the data it is evaluated on. It is stored as a plain dict (`as_dict()`), because torch
loads checkpoints that hold plain data only.
"""

import json
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

    def preparation_overrides(self) -> str:
        """The command-line overrides that prepare data as this was prepared."""
        settings = self.preparation.items()
        return " ".join(f"data.preparation.{k}={override_value(v)}" for k, v in settings)

    def describe(self) -> str:
        """What the data asks a model to predict: "the classes [...]" or "the number 'x'"."""
        if self.task == "regression":
            return f"the number {self.target!r}"
        return f"the classes {self.class_names}"


def override_value(value: object) -> str:
    """A value as it is written in a Hydra override on the command line."""
    return json.dumps(value) if isinstance(value, list | dict) else str(value)
