"""Training end to end on the example data: a smoke run, its checkpoint, resuming, DDP, W&B."""

import logging
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import lightning as L
import pytest
import torch

from {{ cookiecutter.package_name }}.callbacks import SayHowToResume, instantiate_callbacks
from {{ cookiecutter.package_name }}.checks import SettingError
from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.evaluate import EvaluationError, check_model_fits_data, evaluate
from {{ cookiecutter.package_name }}.models.checkpoint import CheckpointError
from {{ cookiecutter.package_name }}.train import best_checkpointing, train

METRICS = {"test/loss", "test/acc", "test/precision", "test/recall", "test/f1"}


def test_smoke_training_writes_checkpoints_that_evaluate_reproduces(train_config, tmp_path) -> None:
    metrics = train(train_config("debug=smoke"))
    assert set(metrics) == METRICS | {"val/loss_best"}  # the best validation loss too
    assert all(0 <= metrics[name] <= 1 for name in METRICS - {"test/loss"})
    best = tmp_path / "checkpoints" / "best.ckpt"
    assert best.is_file() and (tmp_path / "checkpoints" / "last.ckpt").is_file()

    evaluate_cfg = compose_config(
        "evaluate",
        [f"paths.data_dir={Path(train_config().paths.data_dir)}", f"ckpt_path={best}",
         "trainer=cpu", "+trainer.limit_test_batches=2", f"paths.root_dir={tmp_path}",
         f"paths.output_dir={tmp_path / 'evaluate'}", "logger=csv"],
    )  # fmt: skip
    assert evaluate(evaluate_cfg)["test/acc"] == pytest.approx(metrics["test/acc"])


def test_model_summary_shows_the_network_output_size_and_flops(train_config, capsys) -> None:
    """Lightning's summary counts FLOPs and shows sizes only given an example input: the data's."""
    train(train_config("debug=smoke", "logger=csv", "test=false"))
    shown = capsys.readouterr().out
    assert "sizes" in shown and re.search(r"Total FLOPs: [1-9]", shown), shown[-2000:]


def test_evaluate_without_checkpoint_says_what_to_do(data_dir) -> None:
    cfg = compose_config(
        "evaluate", [f"paths.data_dir={data_dir}", "paths.output_dir=unused", "ckpt_path=nope.ckpt"]
    )
    with pytest.raises(CheckpointError, match="make train"):
        evaluate(cfg)


def test_a_run_stopped_early_says_when_and_why(train_config, caplog) -> None:
    """Early stopping ends a run before max_epochs: without a word, its log would just end."""
    cfg = train_config(
        "logger=csv", "trainer.max_epochs=6", "+trainer.limit_train_batches=2", "test=false",
        "callbacks.early_stopping.patience_steps=1", "callbacks.early_stopping.min_patience=1",
        "+callbacks.early_stopping.min_delta=100",  # no epoch improves on the first one enough
    )  # fmt: skip
    with caplog.at_level(logging.INFO):
        train(cfg)
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Stopped")]
    assert line.startswith("Stopped early, at epoch 2 of 6: val/loss has not improved for 1 epoch ")


def test_ctrl_c_says_the_command_that_carries_the_run_on(tmp_path, caplog) -> None:
    trainer = L.Trainer(default_root_dir=tmp_path / "my-run", logger=False)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        SayHowToResume().on_exception(trainer, None, KeyboardInterrupt())
        SayHowToResume().on_exception(trainer, None, ValueError("a bug"))  # not a Ctrl-C: silent
    assert [record.getMessage() for record in caplog.records] == [
        'Stopped. To carry on from the last checkpoint: make train ARGS="run_name=my-run"'
    ]


def test_the_best_checkpoint_is_the_monitored_one_in_any_order_of_callbacks(train_config) -> None:
    """A config that lists last_checkpoint before model_checkpoint still tests best.ckpt, not
    the last epoch's weights (`make reproduce` reruns a row's saved config)."""
    callbacks = instantiate_callbacks(train_config().callbacks)
    for ordered in (callbacks, callbacks[::-1]):
        trainer = L.Trainer(callbacks=ordered, logger=False)
        assert best_checkpointing(trainer).monitor == "val/loss"


def test_training_learns(train_config, data_source) -> None:
    """A short real run must beat chance clearly: the whole pipeline fits together."""
    metrics = train(train_config("trainer=cpu", "logger=csv", "trainer.max_epochs=8"))
    chance = 1 / len(data_source().info.class_names)
    assert metrics["test/acc"] > 2 * chance


def test_damaged_last_checkpoint_says_how_to_resume(train_config, tmp_path) -> None:
    """A crash or a full disk cut last.ckpt short: torch alone says `OSError: [Errno 22]`."""
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "last.ckpt").write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(CheckpointError, match=r"last.ckpt is damaged .* delete it to start"):
        train(train_config("debug=smoke"))


class LastCheckpointOfEachEpoch(L.Callback):
    """Checks, as each epoch starts, that last.ckpt holds the end of the epoch before."""

    checked = 0

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch > 0:
            last = Path(trainer.default_root_dir) / "checkpoints" / "last.ckpt"
            assert torch.load(last, weights_only=True)["global_step"] == trainer.global_step
            LastCheckpointOfEachEpoch.checked += 1


def test_last_checkpoint_is_saved_every_epoch_even_with_no_new_best(train_config, tmp_path) -> None:
    """A crashed run resumes from its last epoch, not from the epoch of its best checkpoint.

    mode=max makes best.ckpt the epoch of the highest validation loss, so the epochs that lower
    it are not a new best: as for a run whose validation loss has stalled.
    """
    LastCheckpointOfEachEpoch.checked = 0
    train(train_config(
        "debug=smoke", "trainer.max_epochs=4", "callbacks.model_checkpoint.mode=max",
        "+callbacks.check._target_=test_train.LastCheckpointOfEachEpoch",
    ))  # fmt: skip
    assert LastCheckpointOfEachEpoch.checked == 3
    best, last = (
        torch.load(tmp_path / "checkpoints" / name, weights_only=True)["global_step"]
        for name in ("best.ckpt", "last.ckpt")
    )
    assert best < last == 4 * 3  # some epochs were not the best; last.ckpt is the 4th epoch's end


@pytest.mark.parametrize(
    "override, sentence",
    [
        ("trainer=gpu", "ERROR: trainer.accelerator is 'gpu' (trainer=gpu or trainer=ddp), but"),
        ("data.batch_size=0", "ERROR: data.batch_size is 0: set it to a whole number"),
        ("trainer.max_epochs=two", "ERROR: trainer.max_epochs is 'two': set it to a whole number"),
        ("-m data.batch_size=0,8", "ERROR: data.batch_size is 0: set it to a whole number"),
    ],
)
def test_impossible_setting_is_one_sentence_and_leaves_no_run_folder(
    data_dir, tmp_path, override: str, sentence: str
) -> None:
    """From the command line, as a user types it: Hydra makes the run folder before the run (and
    a sweep's folder before its first job, which stops the sweep)."""
    if override == "trainer=gpu" and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    command = [
        sys.executable, "-m", "{{ cookiecutter.package_name }}.train", *override.split(), "logger=csv",
        f"paths.root_dir={tmp_path}", f"paths.data_dir={data_dir}", f"paths.log_dir={tmp_path}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(sentence), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert list((tmp_path / "train").iterdir()) == []  # the folders Hydra made are gone


@pytest.mark.parametrize(
    "override, sentence",
    [
        ("seed=abc", "seed is 'abc': set it to a whole number, e.g. seed=1."),
        ("seed=true", "seed is True: set it to a whole number"),
        ("trainer.max_epochs=2.5", "trainer.max_epochs is 2.5: set it to a whole number"),
        ("trainer.log_every_n_steps=ten", "trainer.log_every_n_steps is 'ten'"),
        ("model.optimizer.lr=abc", "model.optimizer.lr is 'abc': set it to a number above 0"),
        ("model.optimizer.lr=-1", "model.optimizer.lr is -1: set it to a number above 0"),
    ],
)
def test_a_mistyped_setting_is_named_before_training(train_config, override, sentence) -> None:
    """Typed on the command line, these would fail deep in Lightning or PyTorch, in their words."""
    with pytest.raises(SettingError, match=re.escape(sentence)):
        train(train_config(override))


def test_wandb_logs_offline_without_an_account(train_config, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("WANDB_MODE")  # as on a fresh machine: no mode chosen, no login
    monkeypatch.setenv("HOME", str(tmp_path))
    train(train_config("debug=smoke", "logger=wandb"))
    assert os.environ["WANDB_MODE"] == "offline"
    runs = list((tmp_path / "wandb").glob("offline-run-*"))
    assert len(runs) == 1 and list(runs[0].glob("*.wandb"))


def test_ddp_cpu_run_leaves_one_run_folder(data_dir, tmp_path) -> None:
    """Two processes on the CPU through DDP, from the command line, as a user would start it."""
    command = [
        sys.executable, "-m", "{{ cookiecutter.package_name }}.train", "trainer=ddp_cpu", "logger=csv",
        f"paths.root_dir={tmp_path}", f"paths.data_dir={data_dir}", f"paths.log_dir={tmp_path}",
        "trainer.max_epochs=2",
        "+trainer.limit_train_batches=3", "+trainer.limit_val_batches=2",
        "+trainer.limit_test_batches=2", "callbacks.early_stopping=null",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = list((tmp_path / "train").iterdir())
    assert len(runs) == 1, runs  # the second process works in the first one's folder
    checkpoints = sorted(p.name for p in (runs[0] / "checkpoints").iterdir())
    assert checkpoints == ["best.ckpt", "finished.json", "last.ckpt"]
    assert len(list((runs[0] / "csv").glob("version_*"))) == 1
    assert len(list((runs[0] / ".hydra").iterdir())) == 1  # one start, one saved config
    output = result.stdout + result.stderr
    # Rank zero alone records the test; a run on a few batches is not a row of the results.
    assert output.count("Not added to") == 1 and "limit_train_batches=3" in output
    assert not (tmp_path / "results").exists()
    assert "test/acc" in output


def test_resuming_from_a_checkpoint_of_other_data_is_refused_before_training(
    data_source, train_config, tmp_path
) -> None:
    """ckpt_path= a checkpoint trained on other classes: one sentence, not Lightning's size
    mismatch while it loads the weights, and nothing written."""
    prepared = data_source().info
    trained_on = replace(prepared, class_names=[*prepared.class_names, "added-later"])
    checkpoint = tmp_path / "elsewhere" / "last.ckpt"
    checkpoint.parent.mkdir()
    torch.save({"hyper_parameters": {"data": trained_on.as_dict()}, "state_dict": {}}, checkpoint)
    with pytest.raises(EvaluationError, match=r"added-later.*, or start a new run \(leave"):
        train(train_config("logger=csv", f"ckpt_path={checkpoint}"))
    assert {path.name for path in tmp_path.iterdir()} <= {"elsewhere", "run.lock", "run.pid"}


def test_checkpoint_for_other_classes_is_refused(data_source) -> None:
    """Same settings, other data (a class folder added since): the checkpoint does not fit it,
    and no settings would make it fit; other settings: the `make data` that prepares its data."""
    prepared = data_source().info
    trained_on = replace(prepared, class_names=[*prepared.class_names, "added-later"])
    with pytest.raises(EvaluationError, match="added-later.*the raw data changed since its "
                       "training.*`make data-pull`") as same_settings:  # fmt: skip
        check_model_fits_data(trained_on, prepared)
    assert "ARGS=" not in str(same_settings.value)
    preparation = {**prepared.preparation, "test_fraction": 0.25}
    with pytest.raises(EvaluationError, match=r"prepare the data it was trained for \(`make data "
                       r'ARGS=".*data.preparation.test_fraction=0.25'):  # fmt: skip
        check_model_fits_data(replace(trained_on, preparation=preparation), prepared)
