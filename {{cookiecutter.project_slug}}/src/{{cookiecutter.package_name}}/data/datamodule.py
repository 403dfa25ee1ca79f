"""The base of every data source: prepare the raw data once, then serve it in batches.

A data source (configs/data/<name>.yaml names its class) subclasses `PreparedData` and writes
`prepare()`: read the raw data, split it, and store the splits with `write_splits()`. `make data`
calls `prepare()`; training and evaluation only read what it wrote, from data/processed:
<split>.npz (inputs `x`, targets `y`) and metadata.json (the DataInfo and the settings used).

The settings under `data.preparation` decide what `make data` writes. A run whose settings
differ from those of the prepared data stops with the command that prepares it again: a model
is never trained or tested on data it did not ask for.
"""

import json
from pathlib import Path

import lightning as L
import numpy as np
import torch
from matplotlib.figure import Figure
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import DataLoader, TensorDataset

from {{ cookiecutter.package_name }}.data.info import DataInfo, override_value
from {{ cookiecutter.package_name }}.data.sampling import EpochSampler
from {{ cookiecutter.package_name }}.data.splits import SPLITS, write_processed
from {{ cookiecutter.package_name }}.errors import UserError

METADATA_FILE = "metadata.json"


class MissingDataError(UserError):
    """The prepared data is not there, or not for this run; the message says what to run."""


class RawDataError(UserError):
    """The raw data is missing, unreadable, or does not fit the settings; the message says why."""


class PreparedData(L.LightningDataModule):
    """Loads the prepared train/val/test arrays and batches them; the test split is not shuffled.

    The training order depends only on `shuffle_seed` and the epoch (see sampling.py), and every
    checkpoint records how far training got in it, so that a resumed run goes on exactly where
    it stopped.
    """

    def __init__(
        self,
        name: str,
        processed_dir: str,
        preparation: dict | DictConfig,
        batch_size: int = 64,
        num_workers: int = 0,
        shuffle_seed: int = 0,
    ) -> None:
        super().__init__()
        self.name = name
        self.processed_dir = Path(processed_dir)
        self.preparation = as_plain(preparation)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.shuffle_seed = shuffle_seed
        self.datasets: dict[str, TensorDataset] = {}
        self._metadata: dict | None = None
        self._resume_at = (0, 0)  # (epoch, examples done): set from a checkpoint

    # ------------------------------------------------------------------ `make data`
    def prepare(self) -> DataInfo:
        """Read the raw data, split it, write the splits (`write_splits`); return the DataInfo."""
        raise NotImplementedError

    def make_info(self, **fields: object) -> DataInfo:
        """The DataInfo of this dataset and these preparation settings, with the given fields."""
        return DataInfo(name=self.name, preparation=self.preparation, **fields)

    def write_splits(
        self,
        arrays: dict[str, tuple[np.ndarray, np.ndarray]],
        info: DataInfo,
        extra_metadata: dict | None = None,
        extra_files: dict[str, bytes] | None = None,
    ) -> None:
        """Write the arrays and metadata.json, replacing processed_dir whole."""
        metadata = {
            "info": info.as_dict(),
            "split_sizes": {split: len(arrays[split][1]) for split in SPLITS},
            **(extra_metadata or {}),
        }
        write_processed(self.processed_dir, arrays, metadata, extra_files)

    # ------------------------------------------------------------------ training and evaluation
    @property
    def metadata(self) -> dict:
        """What `make data` recorded; stops when it is missing or was made with other settings."""
        if self._metadata is None:
            path = self.processed_dir / METADATA_FILE
            if not path.exists():
                raise MissingDataError(
                    f"No prepared data in {self.processed_dir}: run `make data` first "
                    "(and before it `make example-data` or `make data-pull` if data/raw is empty)."
                )
            metadata = json.loads(path.read_text())
            check_prepared_with(metadata["info"]["preparation"], self.preparation)
            self._metadata = metadata
        return self._metadata

    @property
    def info(self) -> DataInfo:
        return DataInfo(**self.metadata["info"])

    def setup(self, stage: str | None = None) -> None:
        self.metadata  # noqa: B018 (checks the prepared data before anything is loaded)
        for split in SPLITS:
            path = self.processed_dir / f"{split}.npz"
            if not path.is_file():
                raise MissingDataError(
                    f"{path} is missing from the prepared data: run `make data` again (it "
                    "rewrites the whole folder)."
                )
            with np.load(path) as arrays:
                inputs, targets = torch.from_numpy(arrays["x"]), torch.from_numpy(arrays["y"])
            self.datasets[split] = TensorDataset(inputs, targets)

    def train_dataloader(self) -> DataLoader:
        sampler = EpochSampler(len(self.datasets["train"]), self.shuffle_seed)
        sampler.resume_at(*self._resume_at)
        return self._loader("train", sampler)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")

    def _loader(self, split: str, sampler: EpochSampler | None = None) -> DataLoader:
        return DataLoader(
            self.datasets[split],
            batch_size=self.batch_size,
            sampler=sampler,  # None: in order
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            # A generator of its own: creating a loader then draws nothing from the global random
            # state, which decides dropout, so a resumed run's dropout matches the uninterrupted.
            generator=torch.Generator().manual_seed(self.shuffle_seed),
        )

    def state_dict(self) -> dict:
        """Where training is in the order of the examples: saved in every checkpoint."""
        if self.trainer is None:
            return {}
        trained = self.trainer.fit_loop.epoch_loop.batch_progress.current.processed
        return {"epoch": self.trainer.current_epoch, "examples_done": trained * self.batch_size}

    def load_state_dict(self, state: dict) -> None:
        if state:
            self._resume_at = (state["epoch"], state["examples_done"])

    def test_figures(self, targets: np.ndarray, predictions: np.ndarray) -> dict[str, Figure]:
        """Figures of the test split that only this kind of data can draw (e.g. the images)."""
        return {}


def as_plain(settings: dict | DictConfig) -> dict:
    """Settings as plain Python values, as they are compared and written to JSON."""
    if isinstance(settings, DictConfig):
        return OmegaConf.to_container(settings, resolve=True)
    return dict(settings)


def check_prepared_with(prepared: dict, asked: dict) -> None:
    """Stop when data/processed was prepared with other `data.preparation` settings than asked."""
    differences = {key: value for key, value in asked.items() if prepared.get(key) != value}
    if differences:
        was = ", ".join(f"{key}={prepared.get(key)!r}" for key in differences)
        fix = " ".join(f"data.preparation.{k}={override_value(v)}" for k, v in differences.items())
        raise MissingDataError(
            f"The prepared data was made with {was}, but this run asks for other values. Prepare "
            f'it for this run first: `make data ARGS="{fix}"` (or with the same experiment=... as '
            "this run)."
        )
