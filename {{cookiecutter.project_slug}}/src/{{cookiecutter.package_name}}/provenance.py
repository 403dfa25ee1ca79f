"""Where a number came from: the code (git commit), data (DVC hash), settings and software.

Each function answers in one string and never raises: a run outside git, without DVC tracking or
without Hydra's command line still finishes, and its record says what was missing.
"""

import os
import platform
import subprocess
from pathlib import Path

from omegaconf import DictConfig

# Files that runs write themselves (DVC adds its outputs to .gitignore files): changing them does
# not make the code differ from the commit.
RUN_OUTPUTS = ("results/**", "metrics.json", "params.yaml", "dvc.lock", "**/.gitignore")
RUN_INPUTS = ("src", "configs")  # what a run reads: a new file there is part of its code


def _git(*args: str) -> str | None:
    """Run a git command in the current folder; return its output, or None outside a repository."""
    try:
        result = subprocess.run(["git", *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()


def git_commit() -> str:
    """The commit the code was run from (the full hash), or why there is none."""
    return _git("rev-parse", "HEAD") or "no git commit"


def same_code_as(commit: str) -> bool:
    """Whether the files here differ from `commit` only in what runs write (RUN_OUTPUTS): a later
    commit that added results rows still holds that commit's code."""
    excluded = [f":(exclude,glob){path}" for path in RUN_OUTPUTS]
    return _git("diff", "--quiet", commit, "--", ".", *excluded) is not None


def git_dirty() -> bool | None:
    """Whether tracked files differ from that commit, or code or configs are not committed yet
    (None outside git).

    A dirty run was made with code that no commit holds: the commit alone cannot reproduce it.
    New files elsewhere (a scratch notebook, a draft) do not make a run dirty.
    """
    excluded = [f":(exclude,glob){path}" for path in RUN_OUTPUTS]
    changed = _git("status", "--porcelain", "--untracked-files=no", "--", ".", *excluded)
    new_code = _git("status", "--porcelain", "--untracked-files=all", "--", *RUN_INPUTS)
    return None if changed is None or new_code is None else bool(changed or new_code)


# What follows a data hash whose data changed since it was tracked, and what stands for the hash
# of data that DVC does not track: `make results` shortens both (results.short_data_hash).
MODIFIED_SINCE_TRACKED = "(modified since: run `make data-track`)"
NOT_TRACKED = "is not tracked by DVC"


def data_hash(raw: Path | None) -> str:
    """The DVC hash of the raw data, as `dvc status` checks it: the hash recorded in its own .dvc
    file, or in a folder's above it (`make data-track` records the whole of data/raw).

    The hash names the data version for good: `git checkout <commit> && dvc pull` brings it back.
    `raw`: the data source's own (`PreparedData.raw`), None for a source that names none.
    """
    if raw is None:
        return "unknown (the data source names no raw data: see PreparedData.raw)"
    tracked = [Path(f"{path}.dvc") for path in [raw, *raw.absolute().parents]]
    dvc_file = next((path for path in tracked if path.is_file()), None)
    if dvc_file is None:
        return f"{raw} {NOT_TRACKED} (`make data-track` records data/raw)"
    try:
        from dvc.exceptions import DvcException
        from dvc.repo import Repo
    except ImportError:  # a machine set up by hand, without the project's requirements
        return "unknown (DVC is not installed here: pip install dvc)"
    try:
        with Repo(str(dvc_file.parent)) as repo:
            (stage,) = repo.stage.collect(str(dvc_file))
            recorded = stage.outs[0].hash_info.value
            if repo.status(targets=[str(dvc_file)]):  # the data changed since `dvc add`
                return f"{recorded} {MODIFIED_SINCE_TRACKED}"
    except DvcException as error:
        return f"unknown ({type(error).__name__}: {error})"
    return recorded


def command_line_overrides() -> str:
    """The settings changed on the command line (Hydra), or the DVC experiment that set them."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        return " ".join(HydraConfig.get().overrides.task)
    if os.environ.get("DVC_EXP_NAME"):  # set by `dvc exp run`; its -S values are in params.yaml
        return f"dvc exp {os.environ['DVC_EXP_NAME']} (see `dvc exp show`)"
    if os.environ.get("DVC_STAGE"):
        return "dvc repro (params.yaml)"
    return ""


def experiment_name() -> str:
    """The experiment chosen on the command line (`experiment=<name>`), or "" for none."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        return HydraConfig.get().runtime.choices.get("experiment") or ""
    return ""


def versions() -> dict[str, str]:
    """The versions of Python and of the libraries that decide the numbers."""
    import lightning
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "lightning": lightning.__version__,
    }


def collect(cfg: DictConfig, raw: Path | None) -> dict[str, object]:
    """The code, data (`raw`, the data source's raw data), command line and software of this run:
    logged to W&B and written in the results row."""
    return {
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
        "data_hash": data_hash(raw),
        "experiment": experiment_name(),
        "overrides": command_line_overrides(),
        **versions(),
    }
