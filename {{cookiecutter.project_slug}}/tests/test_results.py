"""The results table: every test adds one well-formed row, even from parallel jobs, and a broken
table is reported, never overwritten."""

import json
import multiprocessing
import os
import platform
import stat
import subprocess
import sys
from pathlib import Path

import hydra
import pytest

from {{ cookiecutter.package_name }} import provenance
from {{ cookiecutter.package_name }}.results import (
    LAST_COLUMNS,
    ResultsTableError,
    append_row,
    grouped_summary,
    read_results,
    summary,
)
from {{ cookiecutter.package_name }}.train import train


def make_row(acc: float, **extra: object) -> dict[str, object]:
    return {"timestamp": "2026-01-01 10:00:00", "model": "MLP", "description": "a test",
            "test/acc": acc, "test/loss": 1 - acc, "git_commit": "1234e567", **extra}  # fmt: skip


def test_rows_keep_their_values_as_written(tmp_path) -> None:
    table_file = tmp_path / "results.csv"
    append_row(make_row(0.5), table_file)
    append_row(make_row(0.75, comments="lower lr"), table_file)
    table = read_results(table_file)
    assert list(table["test/acc"]) == ["0.5", "0.75"]
    assert list(table["git_commit"]) == ["1234e567", "1234e567"]  # text, not the number 1.234e+570
    assert list(table.columns[-len(LAST_COLUMNS) :]) == LAST_COLUMNS
    assert list(table["comments"]) == ["", "lower lr"]


def test_a_new_metric_becomes_a_column(tmp_path) -> None:
    table_file = tmp_path / "results.csv"
    append_row(make_row(0.5), table_file)
    append_row(make_row(0.6, **{"test/auroc": 0.9}), table_file)
    assert list(read_results(table_file)["test/auroc"]) == ["", "0.9"]


def append_many(table_file, worker: int) -> None:
    for index in range(10):
        append_row(make_row(0.5, description=f"worker {worker} row {index}"), table_file)


def test_parallel_writers_lose_no_row(tmp_path) -> None:
    table_file = tmp_path / "results.csv"
    context = multiprocessing.get_context("spawn")  # fresh processes, as parallel jobs are
    workers = [context.Process(target=append_many, args=(table_file, w)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    table = read_results(table_file)
    expected = [f"worker {w} row {i}" for w in range(4) for i in range(10)]
    assert sorted(table["description"]) == sorted(expected)


@pytest.mark.parametrize("umask", [0o002, 0o022])
def test_table_follows_the_umask(umask: int, tmp_path) -> None:
    """Others in the group read results/results.csv when the user's umask lets them."""
    previous = os.umask(umask)
    try:
        append_row(make_row(0.5), tmp_path / "results" / "results.csv")
    finally:
        os.umask(previous)
    for path in (tmp_path / "results", tmp_path / "results" / "results.csv"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o777 if path.is_dir() else 0o666) & ~umask


def test_malformed_table_is_reported_and_left_untouched(tmp_path) -> None:
    table_file = tmp_path / "results.csv"
    append_row(make_row(0.5), table_file)
    # An unclosed quote, as a bad hand edit may leave.
    broken = table_file.read_text() + 'a,"b,c\n1,2\n'
    table_file.write_text(broken)
    with pytest.raises(ResultsTableError, match="not a readable CSV"):
        append_row(make_row(0.6), table_file)
    assert table_file.read_text() == broken


def test_merge_conflict_is_reported_not_read_as_rows(tmp_path) -> None:
    table_file = tmp_path / "results.csv"
    append_row(make_row(0.5), table_file)
    header, row = table_file.read_text().splitlines()
    conflicted = f"{header}\n<<<<<<< HEAD\n{row}\n=======\n{row}\n>>>>>>> other-branch\n"
    table_file.write_text(conflicted)
    with pytest.raises(ResultsTableError, match="unresolved git merge conflict"):
        read_results(table_file)
    assert table_file.read_text() == conflicted


def test_unreadable_table_is_reported(tmp_path) -> None:
    (tmp_path / "results.csv").mkdir()  # anything that cannot be read as a file
    with pytest.raises(ResultsTableError, match="Cannot read .*results.csv"):
        read_results(tmp_path / "results.csv")


def test_run_whose_row_cannot_be_added_keeps_it_and_says_how_to_add_it(
    train_config, tmp_path
) -> None:
    table_file = tmp_path / "results" / "results.csv"
    append_row(make_row(0.5), table_file)
    table_file.write_text(table_file.read_text() + "<<<<<<< HEAD\n")  # a conflict, half resolved
    with pytest.raises(ResultsTableError, match=r"kept in .*results_row.json.* --add") as error:
        train(train_config("trainer=cpu", "logger=csv", "trainer.max_epochs=1"))  # a real run
    row_file = tmp_path / "results_row.json"  # in the run's folder
    assert str(row_file) in str(error.value) and (tmp_path / "checkpoints" / "best.ckpt").is_file()

    table_file.write_text(table_file.read_text().replace("<<<<<<< HEAD\n", ""))  # fixed
    module = "{{ cookiecutter.package_name }}.results"
    command = [sys.executable, "-m", module, "--file", str(table_file), "--add", str(row_file)]
    subprocess.run(command, check=True, capture_output=True)
    rows = read_results(table_file)
    assert len(rows) == 2 and rows["test/acc"].iloc[1] != ""


def test_table_without_its_header_is_reported(tmp_path) -> None:
    table_file = tmp_path / "results.csv"
    table_file.write_text("0.5,MLP\n")
    with pytest.raises(ResultsTableError, match="lacks the columns"):
        append_row(make_row(0.6), table_file)


def test_summary_puts_the_best_first(tmp_path) -> None:
    table_file = tmp_path / "results.csv"
    for acc in (0.8, 0.95, 0.9):
        append_row(make_row(acc, description=f"acc {acc}"), table_file)
    lines = summary(read_results(table_file)).splitlines()
    # Each line: date, time, row number, model, the description "acc <value>", then test/acc.
    assert [line.split()[6] for line in lines[1:]] == ["0.95", "0.9", "0.8"]
    assert [line.split()[2] for line in lines[1:]] == ["2", "3", "1"]  # for make reproduce ROW=n


def test_summary_ranks_the_rows_of_each_test_set_apart(tmp_path) -> None:
    """A run on another dataset (or another split) is not better or worse: it is not comparable."""
    table_file = tmp_path / "results.csv"
    for acc, test_set in [(0.8, "clinic/test"), (0.99, "penguins/test"), (0.9, "clinic/test")]:
        append_row(make_row(acc, test_set=test_set, test_set_md5=test_set[0] * 32), table_file)
    blocks = summary(read_results(table_file)).split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == [
        "Tested on penguins/test (MD5 pppppppp): 1 row(s), ranked among themselves",
        "Tested on clinic/test (MD5 cccccccc): 2 row(s), ranked among themselves",
    ]
    assert [line.split()[6] for line in blocks[1].splitlines()[2:]] == ["0.9", "0.8"]


def test_summary_marks_data_changed_since_it_was_tracked(tmp_path) -> None:
    """A row whose raw data changed after `make data-track` did not train on the tracked
    version: its short hash says so, as +dirty says it of uncommitted code."""
    table_file = tmp_path / "results.csv"
    tracked = "ecb4f2ac0123456789abcdef01234567.dir"
    modified = f"{tracked} {provenance.MODIFIED_SINCE_TRACKED}"
    append_row(make_row(0.9, data_hash=tracked, git_dirty="True"), table_file)
    append_row(make_row(0.8, data_hash=modified), table_file)
    append_row(make_row(0.7, data_hash=provenance.data_hash(tmp_path / "scratch")), table_file)
    lines = summary(read_results(table_file)).splitlines()[1:]
    assert [line.split()[-2:] for line in lines] == [
        ["ecb4f2ac", "1234e567+dirty"], ["ecb4f2ac+modified", "1234e567"], ["untracked", "1234e567"]
    ]  # fmt: skip


def descriptions_in_summary_order(table_file, sort_by: str | None = None) -> list[str]:
    lines = summary(read_results(table_file), sort_by).splitlines()
    return [line.split()[4] for line in lines[1:]]  # after the date, time, row and model


def test_summary_puts_the_lowest_loss_first_when_sorted_by_it(tmp_path) -> None:
    table_file = tmp_path / "results.csv"
    for acc in (0.8, 0.95, 0.9):  # make_row: test/loss = 1 - acc
        append_row(make_row(acc, description=f"acc-{acc}"), table_file)
    by_loss = descriptions_in_summary_order(table_file, "test/loss")
    assert by_loss == ["acc-0.95", "acc-0.9", "acc-0.8"]


def test_make_results_without_a_table_says_what_to_run(tmp_path) -> None:
    module = "{{ cookiecutter.package_name }}.results"
    command = [sys.executable, "-m", module, "--file", str(tmp_path / "none.csv")]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode != 0 and "make train" in result.stderr
    assert "Traceback" not in result.stderr


def test_training_adds_a_row_and_figures(train_config, tmp_path) -> None:
    # Imported here: the parallel writers above import this module, and should start quickly.
    import lightning
    import torch

    cfg = train_config("trainer=cpu", "logger=csv", "trainer.max_epochs=1", "description=one epoch")
    metrics = train(cfg)
    (row,) = read_results(tmp_path / "results" / "results.csv").to_dict("records")
    assert float(row["test/acc"]) == pytest.approx(metrics["test/acc"], abs=1e-6)
    assert row["description"] == "one epoch" and row["checkpoint"].endswith("best.ckpt")
    assert row["seed"] == "42" and row["run_name"] == cfg.run_name
    assert row["python"] == platform.python_version() and row["torch"] == torch.__version__
    assert row["lightning"] == lightning.__version__
    # The full settings, with the preparation of the prepared data, in a file kept with the table.
    saved = json.loads((tmp_path / row["config"]).read_text())
    assert saved["config"]["trainer"]["max_epochs"] == 1
    assert saved["config"]["data"]["preparation"] == data_source_preparation(cfg)
    assert saved["run"]["git_commit"] == row["git_commit"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    assert row["git_commit"] == (head.stdout.strip() if head.returncode == 0 else "no git commit")
    source = hydra.utils.instantiate(cfg.data)
    assert row["test_set"].startswith(source.name + "/test")  # data.name, or the folder or file's
    # The raw data the data source read; the test data folder is not a DVC repository.
    untracked = f"{source.raw} is not tracked by DVC (`make data-track` records data/raw)"
    assert row["data_hash"] == untracked
    figures = sorted(p.name for p in (tmp_path / "reports" / "figures" / cfg.run_name).iterdir())
    # The classifier's figures; the example may add its own (test images, for instance).
    assert {"confusion_matrix.png", "learning_curves.png", "precision_recall.png"} <= set(figures)


def test_data_version_without_dvc_installed_says_so(tmp_path, monkeypatch) -> None:

    (tmp_path / "raw.dvc").write_text("outs:\n- md5: 0123abcd.dir\n  path: raw\n")
    monkeypatch.setitem(sys.modules, "dvc.repo", None)  # `import dvc.repo` now fails
    monkeypatch.setitem(sys.modules, "dvc.exceptions", None)
    assert provenance.data_hash(tmp_path / "raw").startswith("unknown (DVC is not installed")


def test_data_version_is_that_of_the_raw_data_the_run_read(tmp_path, monkeypatch) -> None:
    """A data source reading a folder inside data/raw gets the hash `make data-track` recorded
    for data/raw; one reading data DVC does not track is said to be so, by its own path."""
    from dvc.repo import Repo
    from omegaconf import OmegaConf

    monkeypatch.chdir(tmp_path)
    for name in ("a.txt", "cells/b.txt"):
        (tmp_path / "data" / "raw" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "data" / "raw" / name).write_text(name)
    (tmp_path / "scratch").mkdir()
    with Repo.init(str(tmp_path), no_scm=True) as repo:
        repo.add("data/raw")
    recorded = OmegaConf.load(tmp_path / "data" / "raw.dvc").outs[0].md5
    assert provenance.data_hash(Path("data/raw")) == recorded
    assert provenance.data_hash(Path("data/raw/cells")) == recorded
    assert provenance.data_hash(tmp_path / "data" / "raw" / "a.txt") == recorded
    untracked = provenance.data_hash(Path("scratch"))
    assert untracked == "scratch is not tracked by DVC (`make data-track` records data/raw)"


def data_source_preparation(cfg) -> dict:
    """The preparation settings recorded with the prepared data: all of them, as `make data` ran."""
    import hydra

    return hydra.utils.instantiate(cfg.data).info.preparation


def test_rows_differing_only_in_the_seed_are_averaged(tmp_path) -> None:
    table_file = tmp_path / "results.csv"
    for seed, acc in ((1, 0.8), (2, 0.9), (3, 1.0)):
        row = make_row(acc, seed=seed, config_id="aaaa1111", overrides=f"seed={seed}")
        append_row(row, table_file)
    append_row(make_row(0.5, seed=1, config_id="bbbb2222", description="other"), table_file)
    lines = grouped_summary(read_results(table_file), "config_id").splitlines()
    assert lines[1].split()[:6] == ["aaaa1111", "MLP", "a", "test", "3", "1,2,3"]
    assert "0.9000 ± 0.1000" in lines[1]  # the mean and the sample standard deviation
    assert lines[2].split()[0] == "bbbb2222" and "0.5000" in lines[2] and "±" not in lines[2]


def test_grouping_by_an_unknown_column_names_the_columns(tmp_path) -> None:
    table_file = tmp_path / "results.csv"
    append_row(make_row(0.5), table_file)
    with pytest.raises(ResultsTableError, match="No column 'nope'"):
        grouped_summary(read_results(table_file), "nope")


def test_a_later_commit_of_results_rows_still_holds_the_code_of_the_row(
    tmp_path, monkeypatch
) -> None:
    """`make reproduce` after the results table was committed: HEAD is a later commit, which
    holds the row's code; a commit that changed code does not."""
    monkeypatch.chdir(tmp_path)

    def commit(message: str) -> str:
        identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
        for command in (["add", "--all"], ["commit", "--quiet", "-m", message]):
            subprocess.run(["git", *identity, *command], check=True)
        return provenance.git_commit()

    subprocess.run(["git", "init", "--quiet"], check=True)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "model.py").write_text("WIDTH = 16\n")
    row_made_at = commit("code")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "results.csv").write_text("model\nMLP\n")
    commit("the results")
    assert provenance.same_code_as(row_made_at)
    (tmp_path / "src" / "model.py").write_text("WIDTH = 32\n")
    commit("wider")
    assert not provenance.same_code_as(row_made_at)


def test_a_run_is_dirty_when_code_or_configs_are_not_committed(tmp_path, monkeypatch) -> None:
    """A new config (configs/data/clinic.yaml) no commit holds makes a run dirty: the commit
    alone could not run it again. A new scratch file elsewhere does not."""

    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "model.py").write_text("WIDTH = 16\n")
    for command in (["init", "--quiet"], ["add", "--all"], ["commit", "--quiet", "-m", "code"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *command], check=True)
    assert provenance.git_dirty() is False
    (tmp_path / "scratch.ipynb").write_text("{}")
    assert provenance.git_dirty() is False
    (tmp_path / "configs" / "data").mkdir(parents=True)
    (tmp_path / "configs" / "data" / "clinic.yaml").write_text("sep: ';'\n")
    assert provenance.git_dirty() is True
