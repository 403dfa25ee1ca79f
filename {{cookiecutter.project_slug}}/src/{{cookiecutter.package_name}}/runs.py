"""Each run's own folder, outputs/<job>/<run_name>/: a unique name, one live process at a time.

- Names: `run_name` (configs/train.yaml) is `${unique_run_name:}`, the start time and a random
  suffix, plus the job number in a sweep (`-m`): jobs started in the same second, by any launcher,
  never share a folder, figures or W&B run. Under SLURM the job id names the run instead, so that
  a requeued job finds its own folder again.
- One process per run: the first process takes a lock in the folder (released by the system when
  the process dies, even by `kill -9`); another process started with the same run_name is refused.
- Finished runs: `checkpoints/finished.json` says that the run trained and tested to the end;
  starting it again does nothing (a crashed run, without it, resumes from its last.ckpt).
"""

import json
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from filelock import FileLock, Timeout
from omegaconf import DictConfig, OmegaConf, read_write

from {{ cookiecutter.package_name }}.errors import UserError

FINISHED_FILE = "finished.json"  # in the run's checkpoints/ folder, beside last.ckpt


class RunInUseError(UserError):
    """Another live process is already running under this run_name."""


def in_a_sweep() -> bool:
    """Whether this run is one job of a sweep (`-m`, a hyper-parameter search)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def unique_run_name() -> str:
    """A name no other run has: the SLURM job (a requeue keeps it), else the time and a random
    suffix; in a sweep, the job number too (`_j3`)."""
    from hydra.core.hydra_config import HydraConfig

    job = f"_j{HydraConfig.get().job.num}" if in_a_sweep() else ""
    if "SLURM_JOB_ID" in os.environ:  # every task of the job (one per GPU) gets the same name
        array_task = os.environ.get("SLURM_ARRAY_TASK_ID")
        slurm_job = os.environ.get("SLURM_ARRAY_JOB_ID") if array_task else None
        name = f"{slurm_job}_{array_task}" if slurm_job else os.environ["SLURM_JOB_ID"]
        return f"slurm-{name}{job}"
    return f"{datetime.now():%Y-%m-%d_%H-%M-%S}{job}_{secrets.token_hex(3)}"


# Cached: every `${run_name}` of one job's config is the same name. Each job of a sweep composes
# a config of its own, so each gets a name of its own.
OmegaConf.register_new_resolver("unique_run_name", unique_run_name, use_cache=True, replace=True)


class RunFolder:
    """The folder of one run, held by this process while it trains (`with RunFolder(path):`)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.checkpoints = self.path / "checkpoints"
        self._lock = FileLock(self.path / "run.lock")

    def __enter__(self) -> "RunFolder":
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            pid_file = self.path / "run.pid"
            pid = pid_file.read_text().strip() if pid_file.exists() else "unknown"
            drop_segment_config()  # the config Hydra saved for this refused start
            raise RunInUseError(
                f"The run {self.path.name!r} is in use by another process (pid {pid}): two "
                "processes would overwrite each other's checkpoints. Wait for it to end, or leave "
                "run_name unset to start a new run."
            ) from None
        (self.path / "run.pid").write_text(f"{os.getpid()}\n")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()

    @property
    def last_checkpoint(self) -> Path | None:
        """The newest checkpoint to resume from: last.ckpt, or the one Lightning saved when SLURM
        warned of the time limit (hpc_ckpt_<n>.ckpt, in the run folder itself)."""
        saved = [*self.checkpoints.glob("last.ckpt"), *self.path.glob("hpc_ckpt_*.ckpt")]
        return max(saved, key=lambda path: path.stat().st_mtime) if saved else None

    def finished(self) -> dict | None:
        """What the run recorded when it finished (its test metrics...), or None if it did not."""
        marker = self.checkpoints / FINISHED_FILE
        return json.loads(marker.read_text()) if marker.exists() else None

    def mark_finished(self, metrics: dict[str, float], row: int | None) -> None:
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        record = {"finished": datetime.now().isoformat(timespec="seconds"), "row": row}
        (self.checkpoints / FINISHED_FILE).write_text(json.dumps({**record, "metrics": metrics}))


# Settings that differ between the starts of one run by design: its name (set on the command
# line to resume it), the checkpoint to resume from, and where it runs.
PER_START = ("run_name", "ckpt_path", "paths.")


def settings_changed_since_last_start(cfg: DictConfig) -> dict[str, tuple[object, object]]:
    """The settings of this start of a run that differ from its previous start's, as Hydra saved
    them (.hydra/<start>/config.yaml): {name: (before, now)}. Empty outside a Hydra command."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized() or HydraConfig.get().output_subdir is None:
        return {}
    hydra = HydraConfig.get()
    this_start = Path(hydra.runtime.output_dir) / hydra.output_subdir
    saved = this_start.parent.glob("*/config.yaml")
    earlier = sorted(path for path in saved if path.parent != this_start)
    if not earlier:
        return {}
    before = flat_settings(OmegaConf.to_container(OmegaConf.load(earlier[-1])))
    now = flat_settings(OmegaConf.to_container(cfg))
    return {
        name: (before.get(name), now.get(name))
        for name in sorted(before.keys() | now.keys())
        if before.get(name) != now.get(name) and not name.startswith(PER_START)
    }


def flat_settings(values: dict, prefix: str = "") -> dict[str, object]:
    """{"trainer": {"max_epochs": 3}} -> {"trainer.max_epochs": 3}."""
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict) and value:
            flat |= flat_settings(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def drop_segment_config() -> None:
    """Delete the config Hydra saved for this start of the run (.hydra/<start>/), when the start
    did nothing: the folder then keeps only the configs of the segments that trained."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized() and HydraConfig.get().output_subdir is not None:
        hydra = HydraConfig.get()
        shutil.rmtree(Path(hydra.runtime.output_dir) / hydra.output_subdir, ignore_errors=True)


def ddp_processes_join_this_job() -> None:
    """In a sweep (`-m`), make the processes that DDP starts run this one job, in its folder.

    Lightning starts the other processes of a DDP training with this script's command line and
    `hydra.run.dir` added: in a sweep they would each run the whole sweep again, in folders of
    their own. Their command becomes this job's (its own overrides, without `-m`), run in this
    job's folder. Does nothing outside a sweep, or where SLURM or torchrun start the processes.
    """
    from hydra.core.hydra_config import HydraConfig

    if not in_a_sweep():
        return
    hydra = HydraConfig.get()
    with read_write(hydra):
        hydra.run.dir = hydra.runtime.output_dir  # Lightning passes this one to the processes
    sys.argv = [sys.argv[0], *hydra.overrides.task]


# What Lightning sets in the environment of a DDP training.
DDP_VARIABLES = ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "LOCAL_RANK", "WORLD_SIZE", "RANK")


@contextmanager
def distributed_job() -> Iterator[None]:
    """Leave no DDP state behind a job: the next job of a sweep, in this same process, starts
    its own processes (Lightning reads the environment it sets, and keeps its process group)."""
    before = {name: os.environ.get(name) for name in DDP_VARIABLES}
    try:
        yield
    finally:
        import torch.distributed

        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
