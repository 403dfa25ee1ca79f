"""Load the project's Hydra configs from Python (tests, notebooks), as the command line would.

`python -m {{ cookiecutter.package_name }}.train model.optimizer.lr=0.01` and
`compose_config("train", ["model.optimizer.lr=0.01"])` give the same settings.
"""

import difflib
import re
import sys
from pathlib import Path

import yaml
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


def exit_on_misspelt_setting(name: str, arguments: list[str] | None = None) -> None:
    """Stop a command whose setting is a typo of a top-level name (`modle=timm` for `model`), and
    say the name it resembles. Hydra's own message would suggest adding it (`+modle=timm`).

    Only top-level names, read from configs/ without composing them (which would slow every run's
    start), and only when one resembles the typo: anything else is left to Hydra to judge.
    """
    primary = yaml.safe_load((CONFIG_DIR / f"{name}.yaml").read_text()) or {}
    groups = [path.name for path in CONFIG_DIR.iterdir() if path.is_dir()]
    known = {*primary, *groups, "hydra"} - {"defaults"}
    for argument in sys.argv[1:] if arguments is None else arguments:
        if argument.startswith(("-", "+", "~")) or "=" not in argument:
            continue  # a flag (-m, --cfg), or a setting added or removed on purpose
        setting = re.split(r"[./@=]", argument, maxsplit=1)[0]
        resembles = difflib.get_close_matches(setting, known, n=1)
        if setting not in known and resembles:
            sys.exit(
                f"ERROR: {argument!r}: there is no setting or config group {setting!r}; did you "
                f"mean {resembles[0]!r}? (`python -m {{ cookiecutter.package_name }}.{name} "
                "--help` lists them all.)"
            )


def mixed_precision() -> str:
    """The fastest mixed precision here: bfloat16 where the hardware has it (recent NVIDIA GPUs,
    CPUs), else float16 with loss scaling (older GPUs). Configs use it as `${mixed_precision:}`."""
    import torch

    if torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        return "16-mixed"
    return "bf16-mixed"


OmegaConf.register_new_resolver("mixed_precision", mixed_precision, replace=True)
