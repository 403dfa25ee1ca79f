"""Data preparation: the split is stratified and repeatable, the prepared data is what the run
asks for, and missing data says which command makes it."""

import json
import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT, compose_config
from {{ cookiecutter.package_name }}.data.datamodule import MissingDataError, RawDataError
from {{ cookiecutter.package_name }}.data.info import make_args
from {{ cookiecutter.package_name }}.data.prepare import prepare
from {{ cookiecutter.package_name }}.data.splits import (
    SPLITS,
    ProcessedWriter,
    SplitError,
    open_split,
    stratified_split,
    write_processed,
)
from {{ cookiecutter.package_name }}.errors import UserError
from {{ cookiecutter.package_name }}.train import train


def load_split(data_dir, split: str) -> tuple[np.ndarray, np.ndarray]:
    inputs, targets = open_split(data_dir / "processed", split)
    return np.asarray(inputs), np.asarray(targets)


def test_split_sizes_and_disjointness() -> None:
    labels = np.repeat(np.arange(4), 50)  # 200 examples, 4 balanced classes
    rows = stratified_split(labels, val_fraction=0.2, test_fraction=0.2, seed=0)
    assert [len(rows[s]) for s in ("train", "val", "test")] == [120, 40, 40]
    assert len(np.unique(np.concatenate(list(rows.values())))) == 200
    for index in rows.values():  # stratified: every class keeps its 25% share
        assert np.all(np.bincount(labels[index]) == len(index) // 4)


def test_split_is_repeatable_and_seeded() -> None:
    labels = np.repeat(np.arange(3), 40)
    first, again = (stratified_split(labels, 0.2, 0.2, seed=1) for _ in range(2))
    assert all(np.array_equal(first[split], again[split]) for split in first)
    assert not np.array_equal(first["test"], stratified_split(labels, 0.2, 0.2, seed=2)["test"])


def test_one_class_only_is_refused_by_name() -> None:
    """scikit-learn and torchmetrics would fail later, naming class numbers or `num_classes`."""
    with pytest.raises(SplitError, match=r"data/raw holds one class only \('cat'\)"):
        stratified_split(np.zeros(40, dtype=int), 0.15, 0.15, 0, ["cat"], source="data/raw")


def test_class_too_small_to_split_is_named() -> None:
    labels = np.array([0] * 40 + [1])  # one dog among forty cats
    with pytest.raises(SplitError, match=r"class 'dog' has 1\. Give each class 7 or more"):
        stratified_split(labels, 0.15, 0.15, 0, ["cat", "dog"], source="data/raw")


def test_impossible_fractions_are_named() -> None:
    with pytest.raises(SplitError, match="val_fraction=0.6 and test_fraction=0.5"):
        stratified_split(np.repeat(np.arange(2), 20), 0.6, 0.5, 0)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True])
def test_a_split_seed_that_cannot_seed_is_named(seed) -> None:
    labels = np.repeat(np.arange(2), 30)
    with pytest.raises(SplitError, match=f"split_seed={seed!r} cannot seed the split"):
        stratified_split(labels, 0.15, 0.15, seed, ["cat", "dog"])


def test_prepared_arrays_match_what_the_data_tells_the_model(data_dir, data_source) -> None:
    data = data_source()
    info = data.info
    for split, size in data.metadata["split_sizes"].items():
        inputs, labels = load_split(data_dir, split)
        assert len(inputs) == len(labels) == size
        assert list(inputs.shape[1:]) == info.input_shape
        assert set(np.unique(labels)) == set(range(len(info.class_names)))
    assert info.class_names == sorted(info.class_names)
    assert info.preparation == data.preparation  # recorded with the data, and in checkpoints


def test_metadata_is_json(data_dir) -> None:
    metadata = json.loads((data_dir / "processed" / "metadata.json").read_text())
    assert set(metadata["info"]) >= {"name", "input_shape", "task", "class_names", "preparation"}


def test_data_prepared_with_other_settings_is_refused_with_the_command(data_source) -> None:
    with pytest.raises(MissingDataError, match=r'make data ARGS="data.preparation.split_seed=7"'):
        data_source("data.preparation.split_seed=7").info  # noqa: B018


def test_data_prepared_with_other_settings_says_both_ways_out(data_source) -> None:
    """A run that forgot a setting `make data` was given is told to pass it, not only to
    prepare the data again without it."""
    with pytest.raises(MissingDataError) as refused:
        data_source("data.preparation.split_seed=7").info  # noqa: B018
    way_out = 'give this run the settings it was made with: ARGS="data.preparation.split_seed=0"'
    assert way_out in str(refused.value)


def test_data_prepared_from_other_raw_data_is_refused_with_what_it_was_prepared_from(
    data_dir, data_source, tmp_path
) -> None:
    """`make data ARGS="data.raw_file=..."` (or raw_dir) prepared another file or folder; a run
    without that setting is told which, and given it to pass: its raw data, not the default."""
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    default = data_source(data_dir=copy).raw
    mine = copy / f"mine{default.suffix}"
    shutil.copytree(default, mine) if default.is_dir() else shutil.copy2(default, mine)
    setting = data_source().raw_setting
    prepare(compose_config("prepare", [f"paths.data_dir={copy}", f"data.{setting}={mine}"]))

    with pytest.raises(MissingDataError, match=f"made with {setting}='{mine}'") as refused:
        data_source(data_dir=copy).info  # noqa: B018
    made_with = str(refused.value).split("the settings it was made with: ")[1]
    args = re.match(r'ARGS="(?:[^"\\]|\\.)*"', made_with).group()
    overrides = shlex.split(shlex.split(args)[0].removeprefix("ARGS="))
    source = data_source(*overrides, data_dir=copy)  # as a shell hands them on: see below
    assert source.info.name and source.raw == mine
    source.check_raw_unchanged()
    # The data folder moved as a whole (another machine): the message names it where it is now.
    moved = copy.rename(tmp_path / "moved")
    with pytest.raises(MissingDataError, match=f"made with {setting}='{moved / mine.name}'"):
        data_source(data_dir=moved).info  # noqa: B018


# Settings whose values a shell, make or Hydra would read otherwise if pasted as they are.
HARD_SETTINGS = {
    "a_european_csv": {"sep": ";", "decimal": ","},
    "column_names_that_shells_read": {"features": ["Cost ($)", "it's", "a\\b", 'say "hi"', "`x`"]},
    "text_hydra_reads_as_values": {"features": None, "target": "1", "name": "true", "u": "Gr (cm)"},
    "numbers_and_empty_lists": {"drop_columns": [], "split_seed": 0, "fraction": 0.15, "x": 1e-30},
    "edges": {"sep": "\t", "blank": "", "space": " x", "ends_in": "x\\"},
}


@pytest.mark.parametrize("settings", HARD_SETTINGS.values(), ids=HARD_SETTINGS.keys())
def test_a_printed_make_command_hands_hydra_the_same_values(settings: dict, tmp_path) -> None:
    """The `make data ARGS=...` a message prints goes through your shell, make and make's shell:
    pasted, it must give Hydra the very values the message means."""
    python = tmp_path / "python"  # stands in for Python: prints the arguments make gives it
    python.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[3:]))\n")
    python.chmod(0o755)
    command = f"make -s --no-print-directory data PYTHON={python} {make_args(settings)}"
    printed = subprocess.run(
        ["bash", "-c", command], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    overrides = OverridesParser.create().parse_overrides(json.loads(printed.stdout))
    received = {override.key_or_group: override.value() for override in overrides}
    assert received == {f"data.preparation.{name}": value for name, value in settings.items()}


def test_a_killed_preparation_leaves_nothing_once_preparing_again(tmp_path) -> None:
    """`kill -9` during `make data` leaves its staging folder; the next preparation removes it,
    but not one that a running preparation (here: this process) is writing."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    machine = socket.gethostname()
    abandoned = tmp_path / f".processed-{machine}-{ended.stdout.strip()}-0a1b2c3d"
    in_use = tmp_path / f".processed-{machine}-{os.getpid()}-4e5f6a7b"
    for folder in (abandoned, in_use):
        folder.mkdir()
        (folder / "train_x.npy").write_bytes(b"half written")
    with ProcessedWriter(tmp_path / "processed") as out:
        out.write_array("train_y", np.zeros(3))
    assert not abandoned.exists() and in_use.exists()


def test_missing_raw_data_says_what_to_run(tmp_path) -> None:
    with pytest.raises(RawDataError, match="make example-data"):
        prepare(compose_config("prepare", [f"paths.data_dir={tmp_path}"]))
    assert not (tmp_path / "processed").exists()


def test_missing_split_file_says_to_prepare_again(data_dir, data_source, tmp_path) -> None:
    shutil.copytree(data_dir / "processed", tmp_path / "processed")
    (tmp_path / "processed" / "test_x.npy").unlink()
    with pytest.raises(MissingDataError, match=r"processed/test_x.npy is missing .* `make data`"):
        data_source(data_dir=tmp_path).setup()


def test_raw_data_changed_since_make_data_stops_training_before_it_writes(
    data_dir, data_source, train_config, tmp_path
) -> None:
    """Images added, or a table edited, after `make data`: training would not see them."""
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    source = data_source(data_dir=copy)
    source.check_raw_unchanged()  # unchanged: nothing to say
    hidden = (source.raw if source.raw.is_dir() else source.raw.parent) / ".DS_Store"
    hidden.write_bytes(b"Finder's own")  # not data: changes nothing
    source.check_raw_unchanged()

    if source.raw.is_dir():  # a folder of raw data: a file added
        next(path for path in source.raw.iterdir() if path.is_dir()).joinpath("new").write_text("")
    else:  # a raw file: edited, its size kept
        text = source.raw.read_text()
        source.raw.write_text(text.replace("1", "2", 1))  # the example table holds a 1
    with pytest.raises(UserError, match=r"not prepared from what .* holds now .*: run `make data`"):
        train(train_config("logger=csv", data_dir=copy))
    # No log, no checkpoint: only the run's lock, which the command line then removes with it.
    assert {path.name for path in tmp_path.iterdir()} <= {"data", "run.lock", "run.pid"}
    # Where there is no raw data (a cluster job given data/processed alone), nothing to compare.
    shutil.rmtree(copy / "raw")
    data_source(data_dir=copy).check_raw_unchanged()


def test_missing_prepared_data_says_what_to_run(data_source, tmp_path) -> None:
    with pytest.raises(MissingDataError, match="make data"):
        data_source(data_dir=tmp_path).info  # noqa: B018


@pytest.fixture(params=[0o002, 0o022], ids=["umask-002", "umask-022"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under this umask (a shared group machine, a personal one), then restore it."""
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def test_prepared_data_follows_the_umask(umask: int, tmp_path) -> None:
    """Others in the group read data/processed when the user's umask lets them."""
    processed = tmp_path / "processed"
    write_processed(processed, {s: (np.zeros((3, 2)), np.zeros(3)) for s in SPLITS}, {})
    assert stat.S_IMODE(processed.stat().st_mode) == 0o777 & ~umask
    for path in processed.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path.name
