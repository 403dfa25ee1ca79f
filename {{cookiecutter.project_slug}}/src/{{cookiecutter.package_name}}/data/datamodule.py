"""Serve the prepared arrays (data/processed/<split>.npz) to Lightning in batches.

The arrays were made once by `make data`; here they are only loaded into memory, which is the
fastest way to feed a model from a dataset that fits in RAM.
"""

import json
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset


class MissingDataError(FileNotFoundError):
{%- if cookiecutter.example_task == "tabular" %}
    """The prepared data is not there, or not for this run; the message says what to run."""
{%- else %}
    """The prepared data is not there; the message says which command makes it."""
{%- endif %}


def read_metadata(processed_dir: Path) -> dict:
    """Return what `make data` recorded: {% if cookiecutter.example_task == "tabular" %}target and task, {% endif %}class names, input shape, split sizes."""
    path = Path(processed_dir) / "metadata.json"
    if not path.exists():
        raise MissingDataError(
            f"No prepared data in {processed_dir}: run `make data` first "
            "(and before it `make example-data` or `dvc pull` if data/raw is empty)."
        )
    return json.loads(path.read_text())
{%- if cookiecutter.example_task == "tabular" %}


def check_prepared_for(metadata: dict, target: str, task: str) -> None:
    """Stop when `make data` prepared another target or task than this run asks for.

    data/processed holds one preparation at a time; training a classifier on grams, or a
    regressor on species codes, must not happen silently.
    """
    if (metadata["target"], metadata["task"]) != (target, task):
        raise MissingDataError(
            f"The prepared data is for {metadata['target']!r} ({metadata['task']}), but this run "
            f"predicts {target!r} ({task}). Prepare the data for it first: "
            f'`make data ARGS="data.target={target} data.task={task}"` (or with the same '
            "experiment=... as this run)."
        )
{%- endif %}


class ArrayDataModule(L.LightningDataModule):
    """Loads train/val/test arrays and batches them; the test split is never shuffled or changed."""

    def __init__(self, processed_dir: str, batch_size: int = 64, num_workers: int = 0) -> None:
        super().__init__()
        self.processed_dir = Path(processed_dir)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.metadata = read_metadata(self.processed_dir)
        self.datasets: dict[str, TensorDataset] = {}

{%- if cookiecutter.example_task == "tabular" %}

    @property
    def task(self) -> str:
        """What the target was prepared for: "classification" or "regression"."""
        return self.metadata["task"]
{%- endif %}

    @property
    def class_names(self) -> list[str]:
        return self.metadata["class_names"]

    @property
    def input_shape(self) -> list[int]:
        return self.metadata["input_shape"]

    def setup(self, stage: str | None = None) -> None:
        for split in ("train", "val", "test"):
            with np.load(self.processed_dir / f"{split}.npz") as arrays:
                inputs, labels = torch.from_numpy(arrays["x"]), torch.from_numpy(arrays["y"])
            self.datasets[split] = TensorDataset(inputs, labels)
{%- if cookiecutter.example_task == "images" %}

    def on_after_batch_transfer(self, batch: list[torch.Tensor], dataloader_idx: int) -> list:
        """Turn 8-bit pixels into standardised floats, on the GPU when there is one."""
        pixels, labels = batch  # pixels: [batch, C, H, W] uint8
        mean = torch.tensor(self.metadata["pixel_mean"], device=pixels.device).view(1, -1, 1, 1)
        std = torch.tensor(self.metadata["pixel_std"], device=pixels.device).view(1, -1, 1, 1)
        return [(pixels.float() / 255 - mean) / std, labels]
{%- endif %}

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        return DataLoader(
            self.datasets[split],
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )
