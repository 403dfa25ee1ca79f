"""Resume is exact: a training killed with SIGKILL, in the middle of an epoch or just after an
epoch's checkpoint, and started again ends with the same weights, metrics and learning-rate
schedule, tensor for tensor, as the same run left alone."""

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import lightning as L
import pytest
import torch

pytestmark = pytest.mark.slow  # four trainings, each a new Python process

TESTS = Path(__file__).resolve().parent
SETTINGS = [
    "trainer=cpu", "logger=csv", "trainer.max_epochs=3",
    "callbacks.mid_epoch_checkpoint.every_n_train_steps=2",  # last.ckpt in the middle of epochs too
    "model.scheduler.patience=0",  # the learning rate drops at each epoch that does not improve
]  # fmt: skip


class SigkillInSecondEpoch(L.Callback):
    """Kills its own process, as `kill -9` would, after the last-but-one batch of the 2nd epoch.

    That step is odd (2 x batches per epoch - 1), so its last.ckpt is never written: the run
    resumes from the one two batches before the end of the epoch, in the middle of it.
    """

    def on_train_batch_end(self, trainer: L.Trainer, *args: object) -> None:
        last_but_one = 2 * trainer.num_training_batches - 1
        if trainer.current_epoch == 1 and trainer.global_step == last_but_one:
            os.kill(os.getpid(), signal.SIGKILL)


class SigkillAsSecondEpochStarts(L.Callback):
    """Kills its own process as the 2nd epoch starts: last.ckpt is the one saved as the 1st epoch
    ended, before Lightning's step of the learning-rate scheduler that watches the validation
    loss (see callbacks.PlateauStepsOnResume)."""

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch == 1:
            os.kill(os.getpid(), signal.SIGKILL)


def start(root: Path, data_dir: Path, run_name: str, *extra: str) -> subprocess.CompletedProcess:
    """`python -m <package>.train` with the test's settings, as a user starts it."""
    command = [
        sys.executable, "-m", "{{ cookiecutter.package_name }}.train", *SETTINGS, *extra,
        f"run_name={run_name}", f"paths.root_dir={root}", f"paths.data_dir={data_dir}",
        f"paths.log_dir={root / 'outputs'}",
    ]  # fmt: skip
    search_path = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": search_path}  # the tests folder: SigkillInSecondEpoch
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)


def weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    return torch.load(checkpoint, weights_only=True)["state_dict"]


# Where the kill leaves last.ckpt: (global step, epoch), for epochs of `batches` steps.
KILLS = {
    "in_the_middle_of_an_epoch": ("SigkillInSecondEpoch", lambda batches: (2 * batches - 2, 1)),
    "as_an_epoch_starts": ("SigkillAsSecondEpochStarts", lambda batches: (batches, 0)),
}


@pytest.mark.parametrize("kill", KILLS.keys())
def test_killed_run_resumes_to_the_same_weights_and_metrics(kill, data_dir, tmp_path) -> None:
    whole = start(tmp_path, data_dir, "whole")
    assert whole.returncode == 0, whole.stderr[-3000:]

    batches = torch.load(tmp_path / "outputs" / "train" / "whole" / "checkpoints" / "last.ckpt",
                         weights_only=True)["global_step"] // 3  # fmt: skip
    assert batches >= 3, "the test needs an epoch of at least 3 batches"

    callback, left_at = KILLS[kill]
    killed = start(tmp_path, data_dir, "killed", f"+callbacks.kill._target_=test_resume.{callback}")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    run = tmp_path / "outputs" / "train" / "killed"
    saved = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert (saved["global_step"], saved["epoch"]) == left_at(batches)
    assert not (run / "checkpoints" / "finished.json").exists()

    started = time.monotonic()
    resumed = start(tmp_path, data_dir, "killed")  # the same command again
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming from" in resumed.stdout + resumed.stderr
    # Lightning's warning that checkpoints/ holds files: the run's own, which it resumes from.
    assert "exists and is not empty" not in resumed.stdout + resumed.stderr
    # The console line of the epoch it resumed in times it from the resume, not from boot time.
    (seconds,) = re.findall(r"epoch 2/3 \(([\d.]+) s\)", resumed.stdout + resumed.stderr)
    assert float(seconds) <= time.monotonic() - started

    schedules = [
        torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)["lr_schedulers"]
        for folder in (tmp_path / "outputs" / "train" / "whole", run)
    ]
    assert schedules[0] == schedules[1]  # each epoch's scheduler step taken once, as left alone
    for name in ("best.ckpt", "last.ckpt"):
        left_alone = weights(tmp_path / "outputs" / "train" / "whole" / "checkpoints" / name)
        after_kill = weights(run / "checkpoints" / name)
        assert left_alone.keys() == after_kill.keys()
        for key, tensor in left_alone.items():
            assert torch.equal(tensor, after_kill[key]), (name, key)
    finished = {
        name: json.loads((tmp_path / "outputs" / "train" / name / "checkpoints" /
                          "finished.json").read_text())["metrics"]
        for name in ("whole", "killed")
    }  # fmt: skip
    assert finished["whole"] == finished["killed"]  # every test metric, to the last bit

    # The figures and logs cover the whole run; each start's settings are kept.
    history = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["callbacks"]
    (epochs,) = [state["epochs"] for key, state in history.items() if "EpochHistory" in key]
    assert [epoch["epoch"] for epoch in epochs] == [0, 1, 2]
    history = torch.load(tmp_path / "outputs" / "train" / "whole" / "checkpoints" / "last.ckpt",
                         weights_only=True)["callbacks"]  # fmt: skip
    (left_alone,) = [state["epochs"] for key, state in history.items() if "EpochHistory" in key]
    # The resumed epoch's training loss is the mean over all its batches, before the kill too.
    losses = [[epoch["train/loss_epoch"] for epoch in rows] for rows in (left_alone, epochs)]
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)
    assert (tmp_path / "reports" / "figures" / "killed" / "learning_curves.png").is_file()
    assert len(list((run / ".hydra").glob("*/config.yaml"))) == 2
    assert (run / "train.log").read_text().count("Seed set to") == 2  # both starts, one log

    # Started once more, the finished run does nothing and adds no row.
    again = start(tmp_path, data_dir, "killed")
    assert again.returncode == 0 and "finished on" in again.stdout + again.stderr
    rows = (tmp_path / "results" / "results.csv").read_text().strip().splitlines()
    assert len(rows) == 3  # the header, the run left alone and the resumed one


class CtrlCInSecondEpoch(L.Callback):
    """Presses Ctrl-C (SIGINT to its own process) in the middle of the 2nd epoch."""

    def on_train_batch_end(self, trainer: L.Trainer, *args: object) -> None:
        if trainer.current_epoch == 1 and trainer.global_step == trainer.num_training_batches + 2:
            os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_prints_the_command_that_carries_the_run_on(data_dir, tmp_path) -> None:
    interrupt = "+callbacks.ctrl_c._target_=test_resume.CtrlCInSecondEpoch"
    stopped = start(tmp_path, data_dir, "pressed", "seed=7", interrupt)
    assert stopped.returncode != 0
    output = stopped.stdout + stopped.stderr
    (command,) = re.findall(r"carry on from the last checkpoint: (make train .*)", output)
    # What the shell and make's recipe hand the command: the settings of this start, and its name.
    given = shlex.split(shlex.split(command)[2].removeprefix("ARGS="))
    assert "seed=7" in given and given[-1] == "run_name=pressed" and interrupt in given
    again = [setting for setting in given if setting != interrupt]
    resumed = start(tmp_path, data_dir, "pressed", *again)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming from" in resumed.stdout + resumed.stderr
    # The command gave back every setting: the one left out on purpose is the only change said.
    changed = "differ from the run's last start: callbacks.ctrl_c._target_: "
    assert f"{changed}'test_resume.CtrlCInSecondEpoch' -> None. To" in resumed.stdout
    run = tmp_path / "outputs" / "train" / "pressed"
    assert (run / "checkpoints" / "finished.json").is_file()


def test_resuming_with_other_settings_says_which(data_dir, tmp_path) -> None:
    """A crashed run started again with a setting typed differently goes on with it: said."""
    kill = "+callbacks.kill._target_=test_resume.SigkillInSecondEpoch"
    start(tmp_path, data_dir, "crashed", kill)
    resumed = start(tmp_path, data_dir, "crashed", "model.optimizer.weight_decay=0.01")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    (line,) = [line for line in resumed.stdout.splitlines() if "differ from the run's" in line]
    assert "model.optimizer.weight_decay: 0.0 -> 0.01" in line
    assert "callbacks.kill._target_: 'test_resume.SigkillInSecondEpoch' -> None" in line
