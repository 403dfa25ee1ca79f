"""The base of every data source: prepare the raw data once, then serve it in batches.

A data source (configs/data/<name>.yaml names its class) subclasses `PreparedData` and writes
`prepare()`: read the raw data, split it, and store the splits with `write_splits()`. `make data`
calls `prepare()`; training and evaluation only read what it wrote, from data/processed:
<split>_x.npy and <split>_y.npy (inputs and targets, see splits.py) and metadata.json (the
DataInfo and the settings used). Training reads the arrays memory-mapped, a batch at a time, so
its memory does not grow with the dataset; on a GPU, DataLoader workers (`data.num_workers`) read
ahead.

The settings under `data.preparation` decide what `make data` writes. A run whose settings
differ from those of the prepared data stops with the command that prepares it again: a model
is never trained or tested on data it did not ask for.
"""

import json
import multiprocessing
import os
from dataclasses import dataclass, field
from pathlib import Path

import lightning as L
import numpy as np
import torch
from lightning.fabric.utilities.data import suggested_max_num_workers
from matplotlib.figure import Figure
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import DataLoader, Dataset

from {{ cookiecutter.package_name }}.data.info import DataInfo, make_args
from {{ cookiecutter.package_name }}.data.raw_files import check_prepared_from, fingerprint
from {{ cookiecutter.package_name }}.data.sampling import EpochSampler
from {{ cookiecutter.package_name }}.data.splits import SPLITS, open_split, split_files, write_processed
from {{ cookiecutter.package_name }}.errors import UserError

METADATA_FILE = "metadata.json"
DEFAULT_BATCH_SIZE = 64  # when data.batch_size is null and nothing fitted it (schedule.py)


class MissingDataError(UserError):
    """The prepared data is not there, or not for this run; the message says what to run."""


class RawDataError(UserError):
    """The raw data is missing, unreadable, or does not fit the settings; the message says why."""


class SplitDataset(Dataset):
    """The (input, target) pairs of one prepared split, read from its memory-mapped files.

    A batch is read with one indexing of the map (`__getitems__`, which the DataLoader calls
    with the batch's indices), so only its rows are read from disk.
    """

    def __init__(self, processed_dir: Path, split: str) -> None:
        self.processed_dir, self.split = Path(processed_dir), split
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None
        self.length = len(self.arrays[1])

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Inputs [N, ...] and targets [N], memory-mapped: opened on first use in each process."""
        if self._arrays is None:
            self._arrays = open_split(self.processed_dir, self.split)
        return self._arrays

    def __getstate__(self) -> dict:
        # A DataLoader worker started by "spawn" receives a pickled copy of the dataset: give it
        # the paths, not the mapped arrays (a memory map pickles as its whole content).
        return {**self.__dict__, "_arrays": None}

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.__getitems__([index])[0]

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        inputs, targets = self.arrays
        rows = np.asarray(indices)
        # Indexing the map with a list reads just these rows from disk, into memory.
        batch_inputs = torch.from_numpy(np.ascontiguousarray(inputs[rows]))
        batch_targets = torch.from_numpy(np.ascontiguousarray(targets[rows]))
        return list(zip(batch_inputs, batch_targets, strict=True))


@dataclass
class NewInputs:
    """New data for `make predict`: what each input is called, and the inputs themselves.

    `dataset` yields (input, usable) for every name, in order; `usable` is False for an input that
    could not be read, and `problems` says why for each of those (listed, never fatal).
    """

    names: list[str]
    dataset: Dataset
    problems: dict[str, str] = field(default_factory=dict)


class PreparedData(L.LightningDataModule):
    """Loads the prepared train/val/test arrays and batches them; the test split is not shuffled.

    The training order depends only on `shuffle_seed` and the epoch (see sampling.py), and every
    checkpoint records how far training got in it, so that a resumed run goes on exactly where
    it stopped.
    `batch_size` null: 64, unless training fits it to the data's size first (schedule.py).
    """

    def __init__(
        self,
        name: str,
        processed_dir: str,
        preparation: dict | DictConfig,
        batch_size: int | None = None,
        num_workers: int | None = None,
        shuffle_seed: int = 0,
    ) -> None:
        super().__init__()
        self.name = name
        self.processed_dir = Path(processed_dir)
        self.preparation = as_plain(preparation)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.shuffle_seed = shuffle_seed
        self.datasets: dict[str, Dataset] = {}
        self._metadata: dict | None = None
        self._resume_at = (0, 0)  # (epoch, examples done): set from a checkpoint
        self.new_inputs: NewInputs | None = None

    # ------------------------------------------------------------------ `make data`
    # The data config's setting that names the raw data `prepare` reads (raw_dir, raw_file); None
    # for a source that reads none.
    raw_setting: str | None = None

    @property
    def raw(self) -> Path | None:
        """The raw data `prepare` reads: a folder or a file, as `raw_setting` names it."""
        return Path(getattr(self, self.raw_setting)) if self.raw_setting else None

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
        """Write arrays that fit in memory and metadata.json, replacing processed_dir whole.

        Data larger than memory is written a chunk at a time with splits.ProcessedWriter instead
        (see data/images.py), with the same `metadata_for`.
        """
        sizes = {split: len(arrays[split][1]) for split in SPLITS}
        metadata = self.metadata_for(info, sizes, extra_metadata)
        write_processed(self.processed_dir, arrays, metadata, extra_files)

    def metadata_for(self, info: DataInfo, split_sizes: dict[str, int], extra: dict | None) -> dict:
        """What metadata.json holds: the DataInfo, the split sizes, which raw data it was prepared
        from and its fingerprint (see raw_files.py), and the source's own values."""
        raw_path = None
        if self.raw:  # also as seen from data/processed: the project may move as a whole
            relative = os.path.relpath(self.raw, self.processed_dir)
            raw_path = {"absolute": str(self.raw.resolve()), "from_processed": relative}
        return {
            "info": info.as_dict(),
            "split_sizes": split_sizes,
            "raw_path": raw_path,
            "raw_fingerprint": fingerprint(self.raw) if self.raw else None,
            **(extra or {}),
        }

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
            self.check_prepared_for_this_run(metadata)
            self._metadata = metadata
        return self._metadata

    def check_prepared_for_this_run(self, metadata: dict) -> None:
        """Stop when data/processed was prepared from other raw data, or with other
        `data.preparation` settings, than this run asks for; say how to make them agree."""
        prepared = metadata["info"]["preparation"]
        asked = {f"preparation.{key}": value for key, value in self.preparation.items()}
        was = {key: prepared.get(key.removeprefix("preparation.")) for key in asked}
        prepared_from = self.other_raw_prepared(metadata)
        if prepared_from:
            asked[self.raw_setting], was[self.raw_setting] = str(self.raw), str(prepared_from)
        differences = {key: value for key, value in asked.items() if was[key] != value}
        if differences:
            was = {key: was[key] for key in differences}
            raise MissingDataError(
                f"The prepared data was made with {describe(was)}, but this run asks for "
                f"{describe(differences)}. Prepare it for this run first: `make data "
                f"{make_args(differences, 'data.')}` (or with the same experiment=... or data=... "
                "as this run). Or, to use it as it is, give this run the settings it was made "
                f"with: {make_args(was, 'data.')} (settings you always need, such as a table's "
                "file and `sep`, belong in a data config: configs/data/<name>.yaml, used as "
                "data=<name>)."
            )

    def other_raw_prepared(self, metadata: dict) -> Path | None:
        """The raw data that data/processed was prepared from, if it is not this run's: by its
        path then, or as seen from data/processed now (the project may have moved). None where
        this run's raw data is not here (a cluster job given data/processed alone)."""
        recorded = metadata.get("raw_path")
        if not (recorded and self.raw and self.raw.exists()):
            return None
        seen_from_here = (self.processed_dir / recorded["from_processed"]).resolve()
        if self.raw.resolve() in (Path(recorded["absolute"]), seen_from_here):
            return None
        # Named where it is now, if the project moved with it; else where it was.
        return seen_from_here if seen_from_here.exists() else Path(recorded["absolute"])

    def check_raw_unchanged(self) -> None:
        """Stop when the raw data changed since `make data` prepared processed_dir from it.
        Training and evaluation ask first; `make predict` needs the prepared statistics only."""
        if self.raw:
            check_prepared_from(self.raw, self.metadata.get("raw_fingerprint"), self.processed_dir)

    def example_input(self) -> tuple[torch.Tensor]:
        """The first training input, as a batch of one: Lightning's model summary runs it through
        the network to show each layer's output size and FLOPs (`model.example_input_array`)."""
        inputs, _ = open_split(self.processed_dir, "train")
        return (torch.as_tensor(np.array(inputs[:1])),)

    @property
    def info(self) -> DataInfo:
        return DataInfo(**self.metadata["info"])

    def setup(self, stage: str | None = None) -> None:
        self.metadata  # noqa: B018 (checks the prepared data before anything is loaded)
        for split in SPLITS:
            for path in split_files(self.processed_dir, split):
                if not path.exists():  # e.g. deleted by hand, or a copy that stopped half-way
                    raise MissingDataError(
                        f"{path.parent.name}/{path.name} is missing from {self.processed_dir}: "
                        "run `make data` again to prepare every split."
                    )
            self.datasets[split] = SplitDataset(self.processed_dir, split)

    def train_dataloader(self) -> DataLoader:
        sampler = EpochSampler(len(self.datasets["train"]), self.shuffle_seed)
        sampler.resume_at(*self._resume_at)
        return self._loader("train", sampler)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")

    def predict_dataloader(self) -> DataLoader:
        """The new inputs of `predict_on`, in order (`make predict`)."""
        if self.new_inputs is None:
            raise UserError("No new inputs to predict: call predict_on(path) first.")
        return self._loader(self.new_inputs.dataset)

    def _loader(self, split: str | Dataset, sampler: EpochSampler | None = None) -> DataLoader:
        workers = self.num_workers
        if workers is None:
            workers = default_num_workers(self.trainer)
        return DataLoader(
            self.datasets[split] if isinstance(split, str) else split,
            batch_size=self.batch_size or DEFAULT_BATCH_SIZE,
            sampler=sampler,  # None: in order
            num_workers=workers,
            persistent_workers=workers > 0,
            multiprocessing_context=worker_start_method() if workers > 0 else None,
            # A generator of its own: creating a loader then draws nothing from the global random
            # state, which decides dropout, so a resumed run's dropout matches the uninterrupted.
            generator=torch.Generator().manual_seed(self.shuffle_seed),
        )

    def state_dict(self) -> dict:
        """Where training is in the order of the examples: saved in every checkpoint."""
        if self.trainer is None:
            return {}
        trained = self.trainer.fit_loop.epoch_loop.batch_progress.current.processed
        batch_size = self.batch_size or DEFAULT_BATCH_SIZE
        return {"epoch": self.trainer.current_epoch, "examples_done": trained * batch_size}

    def load_state_dict(self, state: dict) -> None:
        if state:
            self._resume_at = (state["epoch"], state["examples_done"])

    # ------------------------------------------------------------------ `make predict`
    def predict_on(self, path: str | Path) -> NewInputs:
        """Read new data for `predict_dataloader`; return it (names, and inputs not usable)."""
        self.metadata  # noqa: B018 (the statistics and encodings come from the prepared data)
        self.new_inputs = self.read_new_inputs(Path(path))
        return self.new_inputs

    def read_new_inputs(self, path: Path) -> NewInputs:
        """Read new data (a folder of images, a table) as the training data was prepared, with
        its statistics and encodings (never fitted again)."""
        raise UserError(
            f"{type(self).__name__} cannot read new data: `make predict` needs a data "
            "source with a read_new_inputs() (the examples show how)."
        )

    def test_figures(self, targets: np.ndarray, predictions: np.ndarray) -> dict[str, Figure]:
        """Figures of the test split that only this kind of data can draw (e.g. the images)."""
        return {}


def as_plain(settings: dict | DictConfig) -> dict:
    """Settings as plain Python values, as they are compared and written to JSON."""
    if isinstance(settings, DictConfig):
        return OmegaConf.to_container(settings, resolve=True)
    return dict(settings)


def describe(settings: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in settings.items())


def default_num_workers(trainer: L.Trainer | None) -> int:
    """DataLoader workers for `data.num_workers: null`: none on the CPU, up to 4 on a GPU.

    A batch of the prepared arrays is a slice of a memory-mapped file: the main process reads it
    faster than a worker process hands it over, and on the CPU every core is busy training
    (`make bench` on 2 cores: the example's epochs 1.3x faster without workers). A GPU computes
    while workers read the next batches, as many as Lightning suggests for this machine: the
    cores this job may use (under SLURM its allocation, not the whole node), shared among the
    processes of its GPUs, less one core for each process itself.
    """
    on_gpu = trainer.strategy.root_device.type != "cpu" if trainer else torch.cuda.is_available()
    processes_here = trainer.num_devices if trainer else 1
    return min(4, suggested_max_num_workers(processes_here)) if on_gpu else 0


def worker_start_method() -> str | None:
    """How DataLoader workers start: Python's default for this platform (None keeps it).

    A job of a parallel sweep (`hydra/launcher=joblib`) runs in a joblib process whose default
    is joblib's own start method, which cannot start DataLoader workers; they use the platform's.
    """
    if multiprocessing.get_start_method(allow_none=True) in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_all_start_methods()[0]
