"""Load the project's Hydra configs from Python (tests, notebooks), as the command line would;
and check the names a command line sets before Hydra reads them.

`python -m {{ cookiecutter.package_name }}.train model.optimizer.lr=0.01` and
`compose_config("train", ["model.optimizer.lr=0.01"])` give the same settings.
"""

import difflib
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from {{ cookiecutter.package_name }} import runs  # noqa: F401 (registers ${unique_run_name:})

# The project root holds configs/; this file is in <root>/src/<package>/ (an editable install).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / "configs"
# Names other libraries give our settings (Keras, Hugging Face), too unlike ours for difflib.
OTHER_NAMES = {"learning_rate": "lr"}


def compose_config(name: str = "train", overrides: list[str] | tuple[str, ...] = ()) -> DictConfig:
    """Compose configs/<name>.yaml with command-line style overrides, e.g. ["trainer=cpu"]."""
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=name, overrides=list(overrides))


def setting_names(name: str) -> dict[str, set[str]]:
    """The names a command line may set, read from configs/ without composing them: under each
    dotted path ("" for the top level, "model", "model.optimizer", ...), the names the config
    files give it: a group's options and their settings, the entry config's own sections, and
    what a `@package _global_` file (debug/, experiment/) adds."""
    names: dict[str, set[str]] = defaultdict(set)

    def add(path: str, values: dict) -> None:
        for key, value in values.items():
            names[path].add(key)
            if isinstance(value, dict):
                add(f"{path}.{key}" if path else key, value)

    add("", yaml.safe_load((CONFIG_DIR / f"{name}.yaml").read_text()) or {})
    names[""].add("hydra")
    for option in CONFIG_DIR.glob("*/*.yaml"):
        group, text = option.parent.name, option.read_text()
        names[""].add(group)
        if "# @package _global_" in text:
            add("", yaml.safe_load(text) or {})
        elif "# @package" not in text:  # elsewhere (data.augmentation): not a name of its own
            add(group, yaml.safe_load(text) or {})
    for found in names.values():
        found.discard("defaults")  # a config's list of other configs, not a setting
    return names


def exit_on_misspelt_setting(name: str, arguments: list[str] | None = None) -> None:
    """Stop a command whose setting is a typo (`modle=timm`, `trainer.max_epoch=5`,
    `model.optimizer.learning_rate=0.1`), and say the name it resembles. Hydra's own message
    would suggest adding it (`+trainer.max_epoch=5`), which then fails further on.

    Names come from setting_names(), at every depth; a name is refused only when it resembles
    one of them: anything else is left to Hydra to judge, as are Hydra's own settings (hydra.*).
    """
    names = setting_names(name)
    for argument in sys.argv[1:] if arguments is None else arguments:
        if argument.startswith(("-", "+", "~")) or "=" not in argument:
            continue  # a flag (-m, --cfg), or a setting added or removed on purpose
        path = re.split(r"[./@]", argument.split("=", 1)[0])
        if path[0] == "hydra":
            continue
        for depth, part in enumerate(path):
            known = names.get(".".join(path[:depth]), set())
            if part in known or not known:
                continue  # a name that exists (then its next part is checked), or none to compare
            resembles = [OTHER_NAMES[part]] if OTHER_NAMES.get(part) in known else []
            resembles = resembles or difflib.get_close_matches(part, known, n=1)
            if resembles:
                meant = ".".join([*path[:depth], resembles[0]])
                sys.exit(
                    f"ERROR: {argument!r}: there is no setting or config group "
                    f"{'.'.join(path[: depth + 1])!r}; did you mean {meant!r}? (`python -m "
                    f"{{ cookiecutter.package_name }}.{name} --help` lists them.)"
                )
            break  # unknown, and like none of ours: Hydra says what it makes of it


def multirun_flag_first(arguments: list[str]) -> list[str]:
    """The command line with `-m` (`--multirun`) moved before the settings: Hydra's parser takes
    it only there, and refuses the settings after it (`make train ARGS="trainer.max_epochs=2 -m
    seed=1,2,3"`: "unrecognized arguments: seed=1,2,3")."""
    return sorted(arguments, key=lambda argument: argument not in ("-m", "--multirun"))


def mixed_precision() -> str:
    """The fastest mixed precision here: bfloat16 where the hardware has it (recent NVIDIA GPUs,
    CPUs), else float16 with loss scaling (older GPUs). Configs use it as `${mixed_precision:}`."""
    import torch

    if torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        return "16-mixed"
    return "bf16-mixed"


OmegaConf.register_new_resolver("mixed_precision", mixed_precision, replace=True)
