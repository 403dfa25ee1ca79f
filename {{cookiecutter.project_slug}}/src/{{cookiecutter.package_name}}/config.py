"""Load the project's Hydra configs from Python (tests, notebooks), as the command line would.

`python -m {{ cookiecutter.package_name }}.train model.optimizer.lr=0.01` and
`compose_config("train", ["model.optimizer.lr=0.01"])` give the same settings.
"""

from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from {{ cookiecutter.package_name }} import runs  # noqa: F401 (registers ${unique_run_name:})

# The project root holds configs/; this file is in <root>/src/<package>/ (an editable install).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / "configs"


def compose_config(name: str = "train", overrides: list[str] | tuple[str, ...] = ()) -> DictConfig:
    """Compose configs/<name>.yaml with command-line style overrides, e.g. ["trainer=cpu"]."""
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=name, overrides=list(overrides))


def mixed_precision() -> str:
    """The fastest mixed precision here: bfloat16 where the hardware has it (recent NVIDIA GPUs,
    CPUs), else float16 with loss scaling (older GPUs). Configs use it as `${mixed_precision:}`."""
    import torch

    if torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        return "16-mixed"
    return "bf16-mixed"


OmegaConf.register_new_resolver("mixed_precision", mixed_precision, replace=True)
