"""Every run its own: unique names, one live process per run folder, finished runs left alone;
and only real evaluations in the results table: no debug run, no diverged run."""

import logging
import subprocess
import sys
import time

import pytest
import torch

from {{ cookiecutter.package_name }}.errors import TrainingDivergedError
from {{ cookiecutter.package_name }}.results import read_results
from {{ cookiecutter.package_name }}.runs import RunInUseError
from {{ cookiecutter.package_name }}.train import train

# One whole epoch on the CPU: the shortest run that is a real result.
ONE_EPOCH = ("trainer=cpu", "logger=csv", "trainer.max_epochs=1")


def test_every_composed_run_gets_a_new_name(train_config) -> None:
    names = {train_config().run_name for _ in range(5)}
    assert len(names) == 5
    assert all(len(name.rsplit("_", 1)[-1]) == 6 for name in names)  # time_<random suffix>


def test_under_slurm_the_job_names_the_run(train_config, monkeypatch) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    assert train_config().run_name == "slurm-4242"  # a requeued job finds its folder again
    monkeypatch.setenv("SLURM_ARRAY_JOB_ID", "4200")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "7")
    assert train_config().run_name == "slurm-4200_7"


def test_a_run_in_use_by_a_live_process_is_refused(train_config, tmp_path) -> None:
    """A second process started with the same run_name must not share the first one's folder."""
    from {{ cookiecutter.package_name }} import runs

    holder = subprocess.Popen(
        [sys.executable, "-c", f"from {runs.__name__} import RunFolder; import sys, time\n"
         f"with RunFolder({str(tmp_path)!r}):\n    print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunInUseError, match=rf"in use by another process \(pid {holder.pid}\)"):
            train(train_config("debug=smoke"))
        assert not (tmp_path / "checkpoints").exists()
    finally:
        holder.communicate("", timeout=30)  # the holder ends; the lock goes with it


def test_a_finished_run_started_again_does_nothing(train_config, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO)
    first = train(train_config(*ONE_EPOCH))
    started = time.monotonic()
    again = train(train_config(*ONE_EPOCH))
    assert again == first and time.monotonic() - started < 10
    assert "finished on" in caplog.text and "nothing to do" in caplog.text
    assert len(read_results(tmp_path / "results" / "results.csv")) == 1  # no duplicate row
    assert len(list((tmp_path / "csv").glob("version_*"))) == 1  # no second training


@pytest.mark.parametrize(
    "overrides",
    [
        ["debug=smoke"],
        ["debug=overfit", "trainer.max_epochs=2"],
        ["trainer=cpu", "logger=csv", "+trainer.fast_dev_run=true"],
        ["trainer=cpu", "logger=csv", "trainer.max_epochs=0"],
        ["trainer=cpu", "logger=csv", "+trainer.max_steps=3", "callbacks.early_stopping=null"],
    ],
    ids=["smoke", "overfit", "fast_dev_run", "zero_epochs", "few_steps"],
)
def test_debug_runs_add_no_row(train_config, tmp_path, caplog, overrides: list[str]) -> None:
    caplog.set_level(logging.INFO)
    metrics = train(train_config(*overrides))
    assert "test/acc" in metrics  # it ran, and tested
    assert not (tmp_path / "results" / "results.csv").exists()
    (line,) = [record.message for record in caplog.records if "Not added to" in record.message]
    assert "debug run" in line or "less than one whole epoch" in line


# The loss is read (a wait for the GPU) on logging steps and before each checkpoint, not at every
# step: a run whose loggers write rarely still stops before its next checkpoint would be saved.
@pytest.mark.parametrize(
    ("overrides", "stopped_at"),
    [
        (["trainer.log_every_n_steps=4"], "by step 4"),
        (
            [
                "trainer.log_every_n_steps=1000",
                "callbacks.mid_epoch_checkpoint.every_n_train_steps=3",
            ],
            "by step 3",
        ),
    ],
    ids=["at_a_logging_step", "before_a_checkpoint"],
)
def test_a_diverging_run_stops_with_what_to_try(
    train_config, tmp_path, overrides: list[str], stopped_at: str
) -> None:
    cfg = train_config(*ONE_EPOCH, "model.optimizer.lr=1e30", "trainer.max_epochs=3", *overrides)
    with pytest.raises(TrainingDivergedError) as stopped:
        train(cfg)
    message = str(stopped.value)
    assert f"the training loss became NaN or infinite {stopped_at}" in message
    assert "learning rate 1e+30" in message
    assert "model.optimizer.lr=1e+29" in message and "gradient_clip_val" in message
    assert not (tmp_path / "results" / "results.csv").exists()
    # It stopped before any checkpoint of the broken weights was written.
    for checkpoint in (tmp_path / "checkpoints").glob("*.ckpt"):
        weights = torch.load(checkpoint, weights_only=True)["state_dict"].values()
        assert all(torch.isfinite(tensor).all() for tensor in weights), checkpoint.name
