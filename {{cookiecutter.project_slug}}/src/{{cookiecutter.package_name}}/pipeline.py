"""The stages of the DVC pipeline (dvc.yaml): `python -m <package>.pipeline prepare|train|evaluate`.

Every stage reads params.yaml, the settings that DVC composes from configs/pipeline.yaml (DVC's
Hydra composition, switched on in .dvc/config). The Hydra configs stay the one place where
settings are written:
    dvc exp run -S model.optimizer.lr=0.01
                                   DVC composes the configs with the override into params.yaml,
                                   then reruns the stages whose settings or files changed
    make repro                     `python -m <package>.pipeline params` (the same composition,
                                   without overrides), then `dvc repro`
    dvc repro                      the shipped params.yaml as it is; a stage says in one line
                                   when it no longer matches configs/ (then `make repro`)
Each stage calls the same function as its `make` target, so both ways give the same results.
"""

import json
import logging
import os
import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from {{ cookiecutter.package_name }}.errors import UserError, exit_on_user_error

log = logging.getLogger(__name__)

PARAMS_FILE = Path("params.yaml")
DVC_EXPERIMENT = "DVC_EXP_BASELINE_REV"  # set by `dvc exp run` for the stages it runs
METRICS_FILE = Path("metrics.json")  # the evaluate stage's test metrics, for `dvc exp show`


def compose_params(overrides: list[str] | tuple[str, ...] = ()) -> DictConfig:
    """configs/pipeline.yaml composed and resolved: what params.yaml should hold."""
    from {{ cookiecutter.package_name }}.config import compose_config

    cfg = compose_config("pipeline", overrides)
    OmegaConf.resolve(cfg)
    return cfg


def write_params(overrides: list[str] | tuple[str, ...] = ()) -> DictConfig:
    """Compose configs/pipeline.yaml and write it, resolved, to params.yaml, as DVC does."""
    cfg = compose_params(overrides)
    PARAMS_FILE.write_text(OmegaConf.to_yaml(cfg))
    return cfg


def differences(saved: object, composed: object, prefix: str = "") -> list[str]:
    """The dotted names of the settings whose values differ between two nested configs."""
    if isinstance(saved, dict) and isinstance(composed, dict):
        return [
            name
            for key in sorted(saved.keys() | composed.keys(), key=str)
            for name in differences(saved.get(key), composed.get(key), f"{prefix}{key}.")
        ]
    return [] if saved == composed else [prefix.rstrip(".")]


def warn_if_stale(params: DictConfig) -> None:
    """Say in one line when params.yaml no longer matches configs/ (a config edited since).

    The project ships params.yaml, so that a plain `dvc repro` works on a fresh clone; `make
    repro` rewrites it first. `dvc exp run` composes it itself, with its -S overrides: no warning.
    """
    if DVC_EXPERIMENT in os.environ:
        return
    saved = OmegaConf.to_container(params)
    changed = differences(saved, OmegaConf.to_container(compose_params()))
    if changed:
        names = ", ".join(changed[:4]) + (", ..." if len(changed) > 4 else "")
        log.warning(
            "%s differs from configs/ (%s): this stage runs on %s as it is; `make repro` rewrites "
            "it from configs/, then runs the pipeline.",
            *(PARAMS_FILE, names, PARAMS_FILE),
        )


def check_raw_data(cfg: DictConfig) -> None:
    """Stop before `dvc repro` when data/raw is empty: DVC alone would not say how to fill it."""
    raw_dir = Path(cfg.paths.data_dir) / "raw"
    if not raw_dir.is_dir() or not any(raw_dir.iterdir()):
        raise UserError(
            f"{raw_dir} is empty: run `make data-pull` (`dvc pull`) to fetch the tracked data, "
            "or `make example-data` for the example."
        )


def read_params() -> DictConfig:
    """The settings DVC composed for this run of the pipeline."""
    if not PARAMS_FILE.exists():
        raise UserError(
            f"No {PARAMS_FILE}: run `make repro` or `dvc exp run`, which write it from configs/."
        )
    params = OmegaConf.load(PARAMS_FILE)
    warn_if_stale(params)
    return params


def run_stage(stage: str) -> None:
    """Run one stage of dvc.yaml on the settings in params.yaml."""
    cfg = read_params()
    if stage == "prepare":
        from {{ cookiecutter.package_name }}.data.prepare import prepare

        prepare(cfg)
    elif stage == "train":
        from {{ cookiecutter.package_name }}.train import train

        train(cfg)
    elif stage == "evaluate":
        from {{ cookiecutter.package_name }}.evaluate import evaluate

        cfg.ckpt_path = f"{cfg.paths.output_dir}/checkpoints/best.ckpt"  # the train stage's output
        cfg.run_name = "dvc-evaluate"  # its figures: reports/figures/dvc-evaluate/, as in dvc.yaml
        cfg.job_name = "evaluate"  # its results row and W&B run say so (`make reproduce` reads it)
        metrics = evaluate(cfg)
        METRICS_FILE.write_text(json.dumps(metrics, indent=2) + "\n")
    else:
        sys.exit(f"ERROR: unknown stage {stage!r}: use params, prepare, train or evaluate.")


def main() -> None:
    # What Hydra sets up for `make train`: the project's messages, in Hydra's format.
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"
    )
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    with exit_on_user_error():
        if command == "params":
            check_raw_data(write_params())
        else:
            run_stage(command)


if __name__ == "__main__":
    main()
