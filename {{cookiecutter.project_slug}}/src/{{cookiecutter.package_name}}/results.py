"""The results table, results/results.csv: one row per test of a model, kept in git.

Every run is tested on the same test split, so every row can be compared with every other.
`make results` prints the table, best first, with each row's number (`make reproduce ROW=<n>` runs
that row again). `make results ARGS="--by config_id"` puts together the runs that differ only in
their seed (e.g. `make train ARGS="-m seed=1,2,3"`): the mean ± standard deviation of each metric,
and how many seeds. Write what you learnt in the `comments` column: the table is re-read before
each new row is added, so your edits stay.

Several runs may finish at the same moment (a parallel multirun, SLURM jobs sharing a folder), so a
row is added under a file lock, and the table is replaced in one step (write a copy, then rename):
no row is ever lost or cut in half. A table that cannot be read is reported and left untouched.
"""

import argparse
import io
import json
import os
import sys
import uuid
from pathlib import Path

import pandas as pd
from filelock import FileLock

from {{ cookiecutter.package_name }}.errors import UserError, exit_on_user_error
from {{ cookiecutter.package_name }}.provenance import MODIFIED_SINCE_TRACKED, NOT_TRACKED

RESULTS_FILE = Path("results/results.csv")
CONFIGS_DIR = Path("results/configs")  # each row's full settings, one JSON file per run
# The columns before and after the test metrics (whose names start with "test/").
FIRST_COLUMNS = ["timestamp", "model", "description"]
LAST_COLUMNS = [
    "test_set", "test_set_md5", "data_hash", "git_commit", "git_dirty", "seed", "experiment",
    "config_id", "config", "run_name", "python", "torch", "lightning", "wandb_run", "checkpoint",
    "overrides", "comments",
]  # fmt: skip
# `make results` sorts by the first of these, then rows without it (regressions) by the next.
MAIN_METRICS = ["test/acc", "test/r2"]
# Errors and losses: the lowest value is the best. Every other metric: the highest.
LOWER_IS_BETTER = {"loss", "mae", "rmse", "mse"}


# What git writes into a file it could not merge; pandas would read these lines as rows.
CONFLICT_MARKERS = ("<<<<<<< ", "=======", ">>>>>>> ")


class ResultsTableError(UserError):
    """The results table cannot be read; the message says where and how to fix it."""


def read_results(path: Path = RESULTS_FILE) -> pd.DataFrame:
    """Read the table with every value as text, exactly as written (commit hashes stay intact)."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ResultsTableError(
            f"Cannot read {path} ({error}): make it a readable text file again (`git checkout "
            f"{path}` restores the committed one); new rows are not added until then."
        ) from error
    if any(line.startswith(CONFLICT_MARKERS) for line in text.splitlines()):
        raise ResultsTableError(
            f"{path} holds an unresolved git merge conflict (lines starting with <<<<<<<, ======= "
            f"and >>>>>>>): keep the rows of both sides, delete those lines, then `git add {path}`."
        )
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ResultsTableError(
            f"{path} is not a readable CSV table ({error}). Fix it by hand (`git diff {path}` "
            "shows what changed); new rows are not added until then."
        ) from error
    missing = [column for column in FIRST_COLUMNS if column not in table.columns]
    if missing:
        raise ResultsTableError(
            f"{path} lacks the columns {missing}: restore its header (see `git log -p {path}`)."
        )
    # A table from an older version of the project gets the newer columns, empty.
    return table.reindex(columns=_column_order(list(table.columns)), fill_value="")


def append_row(row: dict[str, object], path: Path = RESULTS_FILE) -> int:
    """Add one row to the table (created if absent); new metric columns are added for every row.

    Returns the row's number: 1 for the first row of the table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{path}.lock"):
        table = read_results(path) if path.exists() else pd.DataFrame(columns=FIRST_COLUMNS)
        new_row = pd.DataFrame([{name: _as_text(value) for name, value in row.items()}])
        table = pd.concat([table, new_row], ignore_index=True)
        # Cells a row did not fill (a metric it lacks, a comment not yet written) are empty text.
        table = table.reindex(columns=_column_order(list(table.columns))).astype(object).fillna("")
        # Write a copy beside the table, then swap it in: a crash mid-write leaves the old table.
        # A uniquely named file opened with "x" follows the user's umask, as the table should
        # (tempfile.mkstemp would make it readable by its owner only).
        temporary = path.parent / f".{path.name}.{uuid.uuid4().hex}"
        with open(temporary, "x", newline="") as file:
            table.to_csv(file, index=False)
        os.replace(temporary, path)
        return len(table)


def _as_text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def _column_order(columns: list[str]) -> list[str]:
    """Fixed columns first and last, test metrics between them, any column you added at the end."""
    metrics = sorted(column for column in columns if column.startswith("test/"))
    known = FIRST_COLUMNS + metrics + LAST_COLUMNS
    return known + [column for column in columns if column not in known]


def short_data_hash(value: str) -> str:
    """A data hash as the summary shows it: its first 8 characters, and "+modified" when the data
    changed since DVC tracked it (as a commit gets "+dirty"); "untracked", "unknown" otherwise."""
    if NOT_TRACKED in value:
        return "untracked"
    if value.startswith("unknown"):
        return "unknown"
    return value[:8] + ("+modified" if MODIFIED_SINCE_TRACKED in value else "")


def summary(table: pd.DataFrame, sort_by: str | None = None) -> str:
    """The table as a terminal-sized text: best first (by `sort_by`, or by MAIN_METRICS), long
    values shortened."""
    if sort_by is not None and sort_by not in table.columns:
        raise ResultsTableError(f"No column {sort_by!r}; the columns are {list(table.columns)}.")
    by = [sort_by] if sort_by else [name for name in MAIN_METRICS if name in table.columns]
    ascending = [name.rsplit("/", 1)[-1] in LOWER_IS_BETTER for name in by]
    view = table.copy()
    view.insert(1, "row", range(1, len(view) + 1))  # `make reproduce ROW=<n>`
    dirty = view["git_dirty"].map({"True": "+dirty"}).fillna("")
    view["git_commit"] = view["git_commit"].str[:8] + dirty
    view["data_hash"] = view["data_hash"].map(short_data_hash)
    view["timestamp"] = view["timestamp"].str[:16]  # to the minute
    as_numbers = lambda values: pd.to_numeric(values, errors="coerce")  # noqa: E731
    if by:  # rows without a value (another kind of model) come last
        view = view.sort_values(by, key=as_numbers, ascending=ascending)
    metrics = [column for column in view.columns if column.startswith("test/")]
    columns = ["timestamp", "row", "model", "description", *metrics, "data_hash", "git_commit"]

    def shown(rows: pd.DataFrame) -> str:
        return rows[[*columns, "overrides", "comments"]].to_string(index=False, max_colwidth=40)

    test_sets = view.groupby(["test_set", "test_set_md5"], sort=False)
    if test_sets.ngroups <= 1:
        return shown(view)
    # Numbers from different test sets do not compare: one ranking per test set.
    return "\n\n".join(
        f"Tested on {name} (MD5 {md5[:8]}): {len(rows)} row(s), ranked among themselves\n"
        + shown(rows)
        for (name, md5), rows in test_sets
    )


def grouped_summary(table: pd.DataFrame, by: str) -> str:
    """One line per value of `by` (config_id: the runs that differ only in their seed): the mean
    ± standard deviation of each test metric over its rows, how many rows, and which seeds."""
    if by not in table.columns:
        raise ResultsTableError(f"No column {by!r}; the columns are {list(table.columns)}.")
    metrics = [column for column in table.columns if column.startswith("test/")]
    lines = []
    for key, rows in table.groupby(by, sort=False):
        values = rows[metrics].apply(pd.to_numeric, errors="coerce")
        line = {
            by: key,
            "model": rows["model"].iloc[0],
            "description": rows["description"].iloc[0],
            "n": len(rows),
            "seeds": ",".join(rows["seed"]),
        }
        for metric in metrics:
            mean, std = values[metric].mean(), values[metric].std()  # std: n-1 in the denominator
            if pd.notna(mean):
                line[metric] = f"{mean:.4f} ± {std:.4f}" if len(rows) > 1 else f"{mean:.4f}"
            else:
                line[metric] = ""
        line["overrides"] = " ".join(
            part for part in rows["overrides"].iloc[0].split() if not part.startswith("seed=")
        )
        lines.append(line)
    view = pd.DataFrame(lines)
    main = next((name for name in MAIN_METRICS if name in view.columns), None)
    if main:  # the best mean first
        means = pd.to_numeric(view[main].str.split(" ").str[0], errors="coerce")
        view = view.iloc[means.sort_values(ascending=False, na_position="last").index]
    return view.to_string(index=False, max_colwidth=40)


def main() -> None:
    parser = argparse.ArgumentParser(description="Print results/results.csv, best first.")
    parser.add_argument(
        "--sort",
        help=f"column to sort by, best first (default: {', '.join(MAIN_METRICS)}); "
        f"lowest first for {', '.join(sorted(LOWER_IS_BETTER))}, highest first for the others",
    )
    parser.add_argument(
        "--by",
        help="group the rows by this column, with the mean ± std of each metric: config_id puts "
        "together the runs that differ only in their seed; experiment, model... work too",
    )
    parser.add_argument("--file", type=Path, default=RESULTS_FILE)
    parser.add_argument(
        "--add",
        type=Path,
        metavar="ROW_JSON",
        help="add a row that a run could not add itself (its run folder's results_row.json)",
    )
    args = parser.parse_args()
    if args.add:
        with exit_on_user_error():
            append_row(json.loads(args.add.read_text()), args.file)
        print(f"Added the row of {args.add} to {args.file}.")
        return
    if not args.file.exists():
        sys.exit(f"No results yet in {args.file}: `make train` or `make evaluate` adds rows.")
    with exit_on_user_error():
        table = read_results(args.file)
        print(grouped_summary(table, args.by) if args.by else summary(table, args.sort))


if __name__ == "__main__":
    main()
