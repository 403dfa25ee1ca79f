"""Every option of every config group composes, resolves and builds what it names."""

import re
import subprocess
import sys
from pathlib import Path

import hydra
import pytest
from omegaconf import OmegaConf

from {{ cookiecutter.package_name }}.config import (
    CONFIG_DIR,
    PROJECT_ROOT,
    compose_config,
    exit_on_misspelt_setting,
    multirun_flag_first,
)
from {{ cookiecutter.package_name }}.runs import flat_settings

GROUPS = ["data", "model", "trainer", "callbacks", "logger", "experiment", "debug"]
OPTIONS = [
    f"{group}={path.stem}" for group in GROUPS for path in (CONFIG_DIR / group).glob("*.yaml")
]


def test_every_group_has_options() -> None:
    assert {option.split("=")[0] for option in OPTIONS} == set(GROUPS)


@pytest.mark.parametrize("override", OPTIONS)
def test_option_composes_and_resolves(train_config, override: str) -> None:
    resolved = OmegaConf.to_container(train_config(override), resolve=True)
    group = override.split("=")[0]
    if group in ("experiment", "debug"):  # global overrides: they must change something
        assert resolved != OmegaConf.to_container(train_config(), resolve=True)
    else:
        assert resolved[group]
    assert Path(resolved["paths"]["output_dir"]).is_dir()


@pytest.mark.parametrize("option", ["cpu", "ddp_cpu"])
def test_cpu_trainers_build(train_config, option: str) -> None:
    trainer = hydra.utils.instantiate(train_config(f"trainer={option}").trainer, logger=False)
    assert trainer.num_devices == {"cpu": 1, "ddp_cpu": 2}[option]


def test_callbacks_build(train_config) -> None:
    from {{ cookiecutter.package_name }}.callbacks import instantiate_callbacks

    callbacks = instantiate_callbacks(train_config().callbacks)
    names = {type(callback).__name__ for callback in callbacks}
    # Tests write to no terminal: one line per epoch instead of a progress bar.
    assert names == {
        "ModelCheckpoint", "EarlyStoppingInSteps", "LearningRateMonitor", "EpochLines"
    }  # fmt: skip


def test_debug_switches_early_stopping_off(train_config) -> None:
    from {{ cookiecutter.package_name }}.callbacks import instantiate_callbacks

    callbacks = instantiate_callbacks(train_config("debug=smoke").callbacks)
    assert not any("EarlyStopping" in type(callback).__name__ for callback in callbacks)


@pytest.mark.parametrize("name", ["prepare", "evaluate"])
def test_other_entry_configs_compose(data_dir, name: str) -> None:
    cfg = compose_config(name, [f"paths.data_dir={data_dir}", "paths.output_dir=unused"])
    assert Path(cfg.data.processed_dir) == data_dir / "processed"


def test_bad_override_is_rejected(train_config) -> None:
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException, match="trainer"):
        train_config("trainer=no_such_trainer")


@pytest.mark.parametrize("override", ["experiment=exampel", "debug=smok", "debug=fdr"])
def test_misspelt_option_lists_the_choices(train_config, override: str) -> None:
    from hydra.errors import ConfigCompositionException

    group = override.split("=")[0]
    with pytest.raises(ConfigCompositionException, match=f"Available options in '{group}'"):
        train_config(override)


def test_misspelt_experiment_runs_nothing(data_dir, tmp_path) -> None:
    """From the command line: Hydra's list of experiments, exit 1, no run folder."""
    command = [
        sys.executable, "-m", "{{ cookiecutter.package_name }}.train", "experiment=exampel",
        f"paths.root_dir={tmp_path}", f"paths.data_dir={data_dir}", f"paths.log_dir={tmp_path}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Available options in 'experiment'" in result.stderr
    assert "example" in result.stderr and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argument", "meant"),
    [
        ("modle=timm", "model"),
        ("sed=1", "seed"),
        ("trainr.max_epochs=2", "trainer"),
        ("trainer.max_epoch=2", "trainer.max_epochs"),
        ("schedule.min_step=1", "schedule.min_steps"),
        ("callbacks.early_stoping=null", "callbacks.early_stopping"),
        ("model.optimizer.weight_decy=0.1", "model.optimizer.weight_decay"),
        ("data.preparation.split_sed=1", "data.preparation.split_seed"),
        ("model.optimizer.learning_rate=0.1", "model.optimizer.lr"),  # Keras' name for it
    ],
)
def test_misspelt_setting_is_named_with_the_one_it_resembles(argument: str, meant: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        exit_on_misspelt_setting("train", [argument])
    assert str(stopped.value.code).startswith(f"ERROR: {argument!r}: there is no setting or ")
    assert f"did you mean {meant!r}?" in str(stopped.value.code)


def test_settings_and_flags_that_exist_pass_the_spelling_check() -> None:
    arguments = [
        "-m", "--cfg", "job", "model.optimizer.lr=0.1", "seed=1,2", "hydra/launcher=joblib",
        "+callbacks.kill._target_=x.Y", "~logger", "experiment=example", "zzz=1",  # left to Hydra
        "debug=smoke", "trainer.limit_train_batches=5",  # a name a debug config adds
        "hydra.sweeper.n_trials=2", "data.preparation.val_fraction=0.2", "trainer.devices=2",
    ]  # fmt: skip
    for name in ("train", "evaluate", "predict", "prepare"):
        exit_on_misspelt_setting(name, arguments)  # returns: nothing to say


@pytest.mark.parametrize(
    ("name", "override"),
    [("train", ""), *(("train", option) for option in OPTIONS),
     ("evaluate", ""), ("predict", ""), ("prepare", "")],
)  # fmt: skip
def test_every_setting_of_every_option_passes_the_spelling_check(name: str, override: str) -> None:
    """The check reads configs/ without composing it: no setting that composing gives may be
    taken for a typo, however deep."""
    cfg = compose_config(name, [override] if override else [])
    names = flat_settings(OmegaConf.to_container(cfg, resolve=False))
    assert "data.preparation.split_seed" in names
    exit_on_misspelt_setting(name, [f"{setting}=1" for setting in names])  # returns: no typo


def test_misspelt_setting_on_the_command_line_stops_before_hydra(tmp_path) -> None:
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}.train", "modle=timm",
               f"paths.log_dir={tmp_path}"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "did you mean 'model'?" in result.stderr
    assert "Traceback" not in result.stderr and "+modle" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_training_length_is_fitted_to_the_data_when_left_null(train_config, data_source) -> None:
    """A few hundred examples get as many optimizer steps as a few thousand."""
    from {{ cookiecutter.package_name }}.schedule import fit_to_data, fitted_batch_size

    assert fitted_batch_size(126, min_batches=8) == 16  # 8 batches of 16, not 2 of 64
    assert fitted_batch_size(20_000, min_batches=8) == 64
    cfg = train_config()
    chosen = fit_to_data(cfg, data_source())
    train_size = data_source().metadata["split_sizes"]["train"]
    steps = cfg.trainer.max_epochs * -(-train_size // cfg.data.batch_size)
    assert steps >= cfg.schedule.min_steps and chosen.startswith(f"Fitted to {train_size}")
    explicit = train_config("trainer.max_epochs=3", "data.batch_size=5")
    fit_to_data(explicit, data_source())
    assert (explicit.trainer.max_epochs, explicit.data.batch_size) == (3, 5)  # given: kept
    one_step = train_config(f"data.batch_size={train_size}")  # epochs of one step each
    fit_to_data(one_step, data_source())
    assert one_step.trainer.log_every_n_steps == 1  # logged each epoch, not never


def test_early_stopping_patience_is_counted_in_steps() -> None:
    from types import SimpleNamespace

    from {{ cookiecutter.package_name }}.callbacks import EarlyStoppingInSteps

    stopping = EarlyStoppingInSteps(patience_steps=200, min_patience=3, monitor="val/loss")
    stopping.on_train_start(SimpleNamespace(num_training_batches=8), None)
    assert stopping.patience == 25  # 200 steps of 8 batches per epoch
    stopping.on_train_start(SimpleNamespace(num_training_batches=1000), None)
    assert stopping.patience == 3  # never fewer than min_patience epochs


def test_multirun_flag_may_come_after_settings() -> None:
    """Hydra's parser refuses settings after `-m`; the train command moves it first."""
    arguments = ["trainer.max_epochs=2", "--multirun", "seed=1,2"]
    assert multirun_flag_first(arguments) == ["--multirun", "trainer.max_epochs=2", "seed=1,2"]


# `make evaluate` and `make predict` given no checkpoint (CKPT empty: no training run yet), one
# that is not there, a run's folder, or no input: one sentence each.
REFUSED = {
    "evaluate-no-checkpoint": ("evaluate", [], "No checkpoint given, and no training run"),
    "evaluate-missing-file": ("evaluate", ["ckpt_path=nope.ckpt"], "No checkpoint at 'nope.ckpt'"),
    "evaluate-run-folder": ("evaluate", ["ckpt_path=."], r"\. is a folder: give a checkpoint"),
    "predict-no-checkpoint": ("predict", ["input=new"], "make predict CKPT="),
    "predict-no-input": ("predict", ["ckpt_path=pyproject.toml"], "No input to predict"),
}


@pytest.mark.parametrize(("command", "given", "said"), REFUSED.values(), ids=REFUSED)
def test_a_refused_command_says_why_before_importing_torch(command, given, said, tmp_path) -> None:
    """Said before torch and Lightning are imported (a second, not eight), and nothing is left:
    the run folder Hydra made is removed. `-X importtime` lists each module the command imports."""
    module = "{{ cookiecutter.package_name }}." + command
    arguments = ["-X", "importtime", "-m", module, *given, f"paths.log_dir={tmp_path}"]
    result = subprocess.run(
        [sys.executable, *arguments], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT
    )
    assert result.returncode == 1 and re.search(said, result.stderr), result.stderr[-2000:]
    lines = result.stderr.splitlines()
    imported = {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time")}
    assert "hydra" in imported and not imported & {"torch", "lightning"}
    assert list((tmp_path / command).iterdir()) == []
