"""Make a row's number again: `make reproduce ROW=<n>` (n as `make results` numbers the rows).

It checks out nothing. It refuses, saying what to run, when the code (the git commit) or the data
(the DVC hash of data/raw, the prepared test split) differ from the row's; then it trains (or
evaluates) with the row's full settings, saved in results/configs/, in a new run folder
outputs/reproduce/<run>/, and prints the row's metrics beside the new ones. It adds no row.
On the same machine a CPU run gives the same numbers, bit for bit.
"""

import argparse
import json
import logging
import re
import sys
from pathlib import Path

import hydra
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from {{ cookiecutter.package_name }} import provenance
from {{ cookiecutter.package_name }}.data.info import make_args
from {{ cookiecutter.package_name }}.errors import (
    UserError,
    exit_on_user_error,
    remove_if_nothing_written,
)
from {{ cookiecutter.package_name }}.results import RESULTS_FILE, read_results
from {{ cookiecutter.package_name }}.runs import unique_run_name

log = logging.getLogger(__name__)
DATA_VERSION = re.compile(r"[0-9a-f]{32}(\.dir)?")  # a DVC hash, as provenance.data_hash gives it


class ReproduceError(UserError):
    """The row cannot be made again here; the message says why and what to run."""


def read_row(number: int, results_file: Path) -> pd.Series:
    table = read_results(results_file)
    if not 1 <= number <= len(table):
        raise ReproduceError(
            f"No row {number} in {results_file}: its rows are 1 to {len(table)} "
            "(`make results` shows each row's number)."
        )
    row = table.iloc[number - 1]
    if not row["config"]:
        raise ReproduceError(
            f"Row {number} has no saved settings (column `config`): it was made by an older "
            "version of the project and cannot be rerun."
        )
    return row


def check_same_code_and_data(number: int, row: pd.Series, cfg: DictConfig) -> None:
    """Refuse when the commit, the raw data or the prepared test split differ from the row's."""
    commit = provenance.git_commit()
    if commit != row["git_commit"] and not provenance.same_code_as(row["git_commit"]):
        raise ReproduceError(
            f"Row {number} was made with the code of commit {row['git_commit'][:12]}, but this "
            f"folder is at {commit[:12]}: run `git checkout {row['git_commit'][:12]}` and "
            f"`make data-pull`, then `make reproduce ROW={number}` again."
        )
    raw = hydra.utils.instantiate(cfg.data).raw  # the raw data the row's data source reads
    data = provenance.data_hash(raw)
    if not DATA_VERSION.fullmatch(row["data_hash"]):  # e.g. made before `make data-track`
        log.warning(
            "Row %d was made with data DVC did not record (%s): only its test split is compared.",
            number, row["data_hash"],
        )  # fmt: skip
    elif data != row["data_hash"]:
        raise ReproduceError(
            f"Row {number} was made with the data {row['data_hash']}, but {raw} here is "
            f"{data if DATA_VERSION.fullmatch(data) else repr(data)}: run `make data-pull` (DVC "
            "brings back the data of this commit)."
        )
    from {{ cookiecutter.package_name }}.data.splits import split_files, split_md5

    processed_dir = Path(cfg.data.processed_dir)
    prepared = all(path.exists() for path in split_files(processed_dir, "test"))
    if not prepared or split_md5(processed_dir, "test") != row["test_set_md5"]:
        preparation = OmegaConf.to_container(cfg.data.preparation, resolve=True)
        raise ReproduceError(
            f"The prepared test split is not the one row {number} was tested on: prepare the "
            f"data as it was, `make data {make_args(preparation)}`."
        )
    for name in ("python", "torch", "lightning"):
        if row[name] and row[name] != provenance.versions()[name]:
            log.warning("Row %d ran with %s %s, this is %s %s: the numbers may differ slightly.",
                        number, name, row[name], name, provenance.versions()[name])  # fmt: skip
    if provenance.git_dirty() or row["git_dirty"] == "True":
        log.warning("Uncommitted changes (here or when the row was made): the code may differ.")


def reproduce(number: int, results_file: Path = RESULTS_FILE) -> tuple[dict, dict[str, float]]:
    """Run row `number` again; return the row and the new metrics."""
    row = read_row(number, results_file)
    root = results_file.parent.parent  # the project root: results/results.csv is in it
    record = json.loads((root / row["config"]).read_text())
    settings = record["config"]
    check_same_code_and_data(number, row, OmegaConf.create(settings))
    # A folder of its own: the row's run folder is replaced by it wherever the settings name it
    # (checkpoints, logs), so that the row's own checkpoints stay as they are.
    run_name = f"row{number}_{unique_run_name()}"
    new_folder = f"{settings['paths']['log_dir']}/reproduce/{run_name}"
    cfg = OmegaConf.create(moved(settings, settings["paths"]["output_dir"], new_folder))
    cfg.run_name = run_name
    cfg.description = f"reproduces row {number}: {cfg.description}"
    log.info("Reproducing row %d in %s", number, cfg.paths.output_dir)
    try:
        if record["job"] == "evaluate":
            from {{ cookiecutter.package_name }}.evaluate import evaluate

            # The checkpoint it evaluated, where it is (the pipeline's is in its run folder).
            cfg.ckpt_path = settings["ckpt_path"]
            return row.to_dict(), evaluate(cfg, add_row=False)
        from {{ cookiecutter.package_name }}.train import train

        return row.to_dict(), train(cfg, add_row=False)
    except UserError:
        remove_if_nothing_written(Path(cfg.paths.output_dir))
        raise


def moved(settings: object, old_folder: str, new_folder: str) -> object:
    """The settings with every path inside `old_folder` moved into `new_folder`."""
    if isinstance(settings, dict):
        return {key: moved(value, old_folder, new_folder) for key, value in settings.items()}
    if isinstance(settings, list):
        return [moved(value, old_folder, new_folder) for value in settings]
    if isinstance(settings, str) and (settings + "/").startswith(old_folder.rstrip("/") + "/"):
        return new_folder + settings[len(old_folder.rstrip("/")) :]
    return settings


def comparison(number: int, row: dict, metrics: dict[str, float]) -> str:
    """The row's metrics beside the new ones; the table keeps 6 significant digits. Only those
    the row recorded: a training also returns its best validation loss, which no row holds."""
    lines = [f"{'metric':<16} {'row ' + str(number):>12} {'now':>12}"]
    for name, value in sorted(metrics.items()):
        recorded = row.get(name, "")
        if not recorded:
            continue
        same = "same" if recorded == f"{value:.6g}" else "DIFFERENT"
        lines.append(f"{name:<16} {recorded:>12} {value:>12.6g}  {same}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a row of results/results.csv again.")
    parser.add_argument("row", nargs="?", type=int, help="its number, as `make results` shows")
    parser.add_argument("--file", type=Path, default=RESULTS_FILE)
    args = parser.parse_args()
    if args.row is None:
        sys.exit("ERROR: say which row: `make reproduce ROW=<n>` (`make results` numbers them).")
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)s] %(message)s")
    with exit_on_user_error():
        row, metrics = reproduce(args.row, args.file)
        print(comparison(args.row, row, metrics))


if __name__ == "__main__":
    main()
