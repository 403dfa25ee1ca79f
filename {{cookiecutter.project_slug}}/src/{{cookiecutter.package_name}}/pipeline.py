"""The stages of the DVC pipeline (dvc.yaml): `python -m <package>.pipeline prepare|train|evaluate`.

Every stage reads params.yaml, the settings that DVC composes from configs/pipeline.yaml (DVC's
Hydra composition, switched on in .dvc/config). The Hydra configs stay the one place where
settings are written:
    dvc exp run -S model.optimizer.lr=0.01
                                   DVC composes the configs with the override into params.yaml,
                                   then reruns the stages whose settings or files changed
    make repro                     `python -m <package>.pipeline params` (the same composition,
                                   without overrides), then `dvc repro`
Each stage calls the same function as its `make` target, so both ways give the same results.
"""

import json
import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from {{ cookiecutter.package_name }}.errors import UserError, exit_on_user_error

PARAMS_FILE = Path("params.yaml")
METRICS_FILE = Path("metrics.json")  # the evaluate stage's test metrics, for `dvc exp show`


def write_params(overrides: list[str] | tuple[str, ...] = ()) -> DictConfig:
    """Compose configs/pipeline.yaml and write it, resolved, to params.yaml, as DVC does."""
    from {{ cookiecutter.package_name }}.config import compose_config

    cfg = compose_config("pipeline", overrides)
    OmegaConf.resolve(cfg)
    PARAMS_FILE.write_text(OmegaConf.to_yaml(cfg))
    return cfg


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
    return OmegaConf.load(PARAMS_FILE)


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
        metrics = evaluate(cfg)
        METRICS_FILE.write_text(json.dumps(metrics, indent=2) + "\n")
    else:
        sys.exit(f"ERROR: unknown stage {stage!r}: use params, prepare, train or evaluate.")


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    with exit_on_user_error():
        if command == "params":
            check_raw_data(write_params())
        else:
            run_stage(command)


if __name__ == "__main__":
    main()
