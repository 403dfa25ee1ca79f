"""What a training leaves in W&B, read back from the offline run file that `wandb sync` uploads."""

import json
import logging
import os
import socket
import time
from pathlib import Path

from wandb.proto import wandb_internal_pb2

from {{ cookiecutter.package_name }}.train import train


def wandb_records(run_file: Path) -> list:
    """The records of an offline run file (.wandb): a LevelDB-style log of protobuf messages.

    Layout: a 7-byte W&B header, then 32 KiB blocks of chunks, each with a 7-byte header
    (checksum, length, type); a record split across blocks comes as FIRST, MIDDLE..., LAST chunks.
    """
    data, position, pending, records = run_file.read_bytes(), 7, b"", []
    block = 32 * 1024
    while position + 7 <= len(data):
        left_in_block = block - position % block
        length = int.from_bytes(data[position + 4 : position + 6], "little")
        kind = data[position + 6]
        if left_in_block < 7 or kind == 0:  # block padding
            position += left_in_block
            continue
        pending += data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind in (1, 4):  # FULL or LAST: the record is complete
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def finished_run_records(run_file: Path, timeout: float = 60) -> list:
    """The records of a finished run: W&B's writer runs in its own process and may still be
    writing when `wandb.finish()` returns, so wait for the run's closing `exit` record."""
    deadline = time.monotonic() + timeout
    while True:
        records = wandb_records(run_file)
        if any(record.WhichOneof("record_type") == "exit" for record in records):
            return records
        assert time.monotonic() < deadline, f"{run_file} has no exit record after {timeout} s"
        time.sleep(0.5)


def test_offline_run_holds_config_provenance_metrics_and_figures(train_config, tmp_path) -> None:
    train(train_config("debug=smoke", "logger=wandb", "model.optimizer.lr=0.005"))
    (run_file,) = (tmp_path / "wandb").glob("offline-run-*/run-*.wandb")
    records = finished_run_records(run_file)
    config = {
        item.key: json.loads(item.value_json)
        for record in records
        if record.WhichOneof("record_type") == "config"
        for item in record.config.update
    }
    summary = {
        item.key or "/".join(item.nested_key): item.value_json
        for record in records
        if record.WhichOneof("record_type") == "summary"
        for item in record.summary.update
    }
    assert config["model"]["optimizer"]["lr"] == 0.005  # the resolved config
    assert {"git_commit", "git_dirty", "data_hash", "overrides"} <= set(config["run"])
    assert {"test/acc", "train/loss_epoch", "val/loss"} <= set(summary), sorted(summary)
    figures = {key.rsplit("/", 1)[0] for key in summary if key.endswith("/_type")}  # image entries
    assert {"figures/learning_curves", "figures/confusion_matrix"} <= figures, sorted(summary)


def closed_port() -> int:
    """A local TCP port where nothing listens: a W&B server that cannot be reached."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_key_without_network_falls_back_to_offline_fast(
    train_config, tmp_path, monkeypatch, caplog
) -> None:
    """A compute node: a W&B key, no network. wandb alone waits ~108 s, then fails the run."""
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_API_KEY", "0123456789abcdef" * 2 + "01234567")  # 40 hex digits
    monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    started = time.monotonic()
    with caplog.at_level(logging.INFO):
        train(train_config("debug=smoke", "logger=wandb"))
    assert time.monotonic() - started < 60  # the smoke run included; the check itself: < 3 s
    assert os.environ["WANDB_MODE"] == "offline"
    (line,) = [record.getMessage() for record in caplog.records if "W&B" in record.getMessage()]
    assert "cannot be reached" in line
    assert "logging offline" in line and "wandb sync" in line
    (run_file,) = (tmp_path / "wandb").glob("offline-run-*/run-*.wandb")
    assert finished_run_records(run_file)  # a whole offline run, ready for `wandb sync`
