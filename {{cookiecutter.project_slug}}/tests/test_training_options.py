"""Choices a run can make beyond the defaults: TensorBoard and MLflow logging, mixed precision,
a compiled network, what the console shows, and the speed benchmark."""

import itertools
import logging
import re
import subprocess
import sys
import warnings
from types import SimpleNamespace

import hydra
import lightning.fabric.utilities.data
import pandas as pd
import pytest
import torch
from lightning.pytorch.callbacks import TQDMProgressBar
from omegaconf import OmegaConf

from {{ cookiecutter.package_name }}.callbacks import EpochLines, progress_bar
from {{ cookiecutter.package_name }}.config import PROJECT_ROOT, mixed_precision
from {{ cookiecutter.package_name }}.data.datamodule import default_num_workers
from {{ cookiecutter.package_name }}.results import read_results
from {{ cookiecutter.package_name }}.train import train

SMOKE = ["debug=smoke", "trainer.max_epochs=2"]


def test_tensorboard_logger_writes_event_files(train_config, tmp_path) -> None:
    train(train_config(*SMOKE, "logger=tensorboard"))
    assert list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))


def test_mlflow_logger_records_the_run_in_a_local_database(train_config, tmp_path) -> None:
    import mlflow

    cfg = train_config(*SMOKE, "logger=mlflow", f"paths.log_dir={tmp_path}")
    metrics = train(cfg)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    runs = mlflow.search_runs(experiment_names=[cfg.logger.mlflow.experiment_name])
    assert list(runs["metrics.test/acc"]) == [pytest.approx(metrics["test/acc"])]


def test_mixed_precision_is_bfloat16_on_the_cpu_and_trains(train_config) -> None:
    assert mixed_precision() == "bf16-mixed"  # CPUs have bfloat16 autocast
    metrics = train(train_config(*SMOKE, "logger=csv", "trainer.precision=${mixed_precision:}"))
    assert 0 <= metrics["test/acc"] <= 1


@pytest.mark.parametrize("every, logged_steps", [(1, [0, 1, 2, 3, 4, 5]), (2, [1, 3, 5])])
def test_training_logs_its_loss_on_the_logged_steps_and_its_epoch_mean(
    train_config, tmp_path, every, logged_steps
) -> None:
    train(train_config(*SMOKE, "logger=csv", f"trainer.log_every_n_steps={every}"))  # 3 steps/epoch
    (metrics_file,) = tmp_path.rglob("metrics.csv")
    logged = pd.read_csv(metrics_file)
    steps = logged.dropna(subset=["train/loss_step"])
    epochs = logged.dropna(subset=["train/loss_epoch"])
    assert list(steps["step"]) == logged_steps and list(epochs["epoch"]) == [0, 1]
    if every == 1:  # every step's loss is in the file: the epoch's value is their mean
        for epoch, mean in zip(epochs["epoch"], epochs["train/loss_epoch"], strict=True):
            epoch_steps = steps[steps["epoch"] == epoch]["train/loss_step"]
            assert mean == pytest.approx(epoch_steps.mean(), rel=1e-5)


def test_test_metrics_are_scored_over_the_whole_split(train_config, tmp_path) -> None:
    from {{ cookiecutter.package_name }}.models.checkpoint import load_model

    cfg = train_config(*SMOKE, "logger=csv")
    metrics = train(cfg)  # validation ran before the test: its outputs must not count there
    model = load_model(tmp_path / "checkpoints" / "best.ckpt").eval()
    data = hydra.utils.instantiate(cfg.data)
    data.setup("test")
    batches = itertools.islice(data.test_dataloader(), cfg.trainer.limit_test_batches)
    inputs, targets = (torch.cat(part) for part in zip(*batches, strict=True))
    with torch.no_grad():
        outputs = model(data.on_after_batch_transfer([inputs, targets], 0)[0])
    assert metrics["test/loss"] == pytest.approx(float(model.loss(outputs, targets)), rel=1e-5)


def test_plain_loop_of_the_benchmark_uses_the_trainer_device_and_precision(monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "benchmarks"))
    from plain_loop import device_and_precision

    for precision, dtype in [("bf16-mixed", torch.bfloat16), ("32-true", torch.float32)]:
        trainer = OmegaConf.create({"accelerator": "cpu", "precision": precision})
        device, autocast, scaler = device_and_precision(trainer)
        with autocast():
            outputs = torch.nn.Linear(2, 2)(torch.ones(1, 2))
        assert device.type == "cpu" and outputs.dtype == dtype and not scaler.is_enabled()


@pytest.mark.slow  # compiling takes tens of seconds on a CPU
def test_compiled_network_trains_and_its_checkpoint_reloads(train_config, tmp_path) -> None:
    from {{ cookiecutter.package_name }}.models.checkpoint import load_model

    train(train_config(*SMOKE, "logger=csv", "compile=true"))
    model = load_model(tmp_path / "checkpoints" / "best.ckpt")  # the network's own names
    assert model is not None


def test_off_a_terminal_each_epoch_is_one_line(train_config, caplog, monkeypatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert isinstance(progress_bar(refresh_rate=10), TQDMProgressBar)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert isinstance(progress_bar(refresh_rate=10), EpochLines)

    caplog.set_level(logging.INFO)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(train_config(*SMOKE, "logger=csv"))
    epoch_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("epoch ")]
    assert [line.split()[1] for line in epoch_lines] == ["1/2", "2/2"]
    assert all("val/loss" in line for line in epoch_lines)
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "litlogger" not in messages and "litmodels" not in messages  # no advertisement
    assert not [w for w in caught if "LeafSpec" in str(w.message)]  # nor Lightning's own warning


# A learning rate that makes training diverge fails its trial only: the search goes on.
DIVERGING_LR = 'hydra.sweeper.params={model.optimizer.lr:"choice(1e30,0.001)"}'


@pytest.mark.slow  # three to five trainings in a new process
@pytest.mark.parametrize(
    ("trials", "overrides", "diverged"), [(3, [], 0), (5, [DIVERGING_LR], 1)],
    ids=["search", "with_a_trial_that_diverges"],
)  # fmt: skip
def test_optuna_search_records_every_trial_and_prints_the_best(
    data_dir, tmp_path, trials: int, overrides: list[str], diverged: int
) -> None:
    command = [
        sys.executable, "-m", "{{ cookiecutter.package_name }}.train", "-m",
        "hparams_search=optuna", "hydra/launcher=basic", f"hydra.sweeper.n_trials={trials}",
        "hydra.sweeper.n_jobs=1", "trainer=cpu", "trainer.max_epochs=1", "logger=csv",
        f"paths.root_dir={tmp_path}", *overrides,
        f"paths.data_dir={data_dir}", f"paths.log_dir={tmp_path}/outputs",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    # The sampler's seed is fixed: the same trials, hence the same diverged ones, every time.
    failed = (result.stdout + result.stderr).count("Failed experiment: Training diverged")
    assert failed == diverged
    rows = read_results(tmp_path / "results" / "results.csv")
    assert len(rows) == trials - failed  # a row per trial that trained
    (rerun,) = re.findall(r"Train it again with:\n    (make train .*)", result.stdout)
    assert rerun.startswith('make train ARGS="trainer=cpu trainer.max_epochs=1 logger=csv ')
    assert "model.optimizer.lr=" in rerun and "hparams_search" not in rerun and "hydra" not in rerun
    assert "setup plugin alembic" not in result.stdout  # Optuna's imports say nothing to act on


def test_on_the_cpu_batches_are_read_without_workers_and_lightning_does_not_object(
    train_config, data_source, monkeypatch
) -> None:
    """data.num_workers null: no worker processes when training on the CPU (a GPU gets them), and
    no advice from Lightning to add some, which it gives on a machine with many cores."""
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    for setting, workers in [("null", 0), ("1", 1)]:  # a number is taken as it is
        data = data_source(f"data.num_workers={setting}")
        data.setup("fit")
        assert data.train_dataloader().num_workers == workers

    monkeypatch.setattr(lightning.fabric.utilities.data, "_num_cpus_available", lambda: 16)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(train_config(*SMOKE, "logger=csv", "data.num_workers=null"))
    assert not [w for w in caught if "does not have many workers" in str(w.message)]


# (cores this job may use, GPUs on the machine, workers for each GPU's process)
@pytest.mark.parametrize(("cores", "gpus", "workers"), [(64, 1, 4), (16, 4, 3), (4, 2, 1)])
def test_on_a_gpu_batches_are_read_ahead_without_taking_more_cores_than_the_job_has(
    monkeypatch, cores: int, gpus: int, workers: int
) -> None:
    """data.num_workers null on a GPU: up to 4 workers for each GPU's process, fewer when the
    job's cores (under SLURM its allocation) shared among its GPUs leave fewer."""
    monkeypatch.setattr(lightning.fabric.utilities.data, "_num_cpus_available", lambda: cores)
    # What the data module asks of a Trainer on GPUs, which a machine without one cannot build.
    trainer_on_gpus = SimpleNamespace(
        strategy=SimpleNamespace(root_device=torch.device("cuda", 0)), num_devices=gpus
    )
    assert default_num_workers(trainer_on_gpus) == workers


@pytest.mark.slow  # five trainings: two in new processes, three in its own
def test_bench_compares_the_project_with_a_plain_loop(data_dir) -> None:
    command = [sys.executable, str(PROJECT_ROOT / "benchmarks" / "bench_training.py"),
               "--epochs", "3", f"paths.data_dir={data_dir}"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = {line.split("  ")[0]: line for line in result.stdout.splitlines()}
    for row in ("time to first step", "time per epoch", "whole run"):
        assert lines[row].rstrip().endswith("x"), result.stdout  # project, plain, speed ratio
    assert "`import lightning`" in lines["fixed cost"]
    assert re.search(r"a bare Trainer takes \d+\.\d+s per epoch \(\d+\.\d+x the plain loop\)",
                     result.stdout), result.stdout  # fmt: skip
