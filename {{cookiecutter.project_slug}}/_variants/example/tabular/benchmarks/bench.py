"""How long a large table takes: `make bench-data` prepares a generated table of 100,000 rows and 50
columns (40 numbers, 8 categories, a date, the class) and trains one epoch on it, on the CPU.
`python benchmarks/bench.py --rows 20000` for a smaller one. Nothing is written to the project:
the table, the prepared data and the run go to a temporary folder.
"""

import argparse
import logging
import tempfile
import time
from pathlib import Path

import lightning as L
import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.prepare import prepare
from {{ cookiecutter.package_name }}.train import train


def generated_table(rows: int, seed: int = 0) -> pd.DataFrame:
    """40 numeric columns, 8 categorical, a date and a 3-class target that depends on them."""
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=(rows, 40))
    table = pd.DataFrame(numbers, columns=[f"x{i:02d}" for i in range(40)])
    for index in range(8):
        table[f"c{index}"] = rng.choice([f"level{j}" for j in range(5 + index)], rows)
    table["visit"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, rows), "D")
    score = numbers[:, :5].sum(axis=1) + (table["c0"] == "level1") * 1.5
    table["label"] = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3])).astype(str)
    return table


class EpochTimer(L.Callback):
    """The wall time of each training epoch (validation excluded)."""

    seconds: list[float] = []

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.start = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        EpochTimer.seconds.append(time.perf_counter() - self.start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "data" / "raw").mkdir(parents=True)
        raw_file = root / "data" / "raw" / "generated.csv"
        table = generated_table(args.rows)
        columns = len(table.columns)
        table.to_csv(raw_file, index=False)
        data = [
            f"paths.data_dir={root / 'data'}",
            f"data.raw_file={raw_file}",
            "data.preparation.target=label",
        ]
        start = time.perf_counter()
        prepare(compose_config("prepare", data))
        preparing = time.perf_counter() - start
        cfg = compose_config(
            "train",
            [
                *data,
                f"paths.root_dir={root}",
                f"paths.output_dir={root}",
                "trainer=cpu",
                "trainer.max_epochs=1",
                "logger=csv",
                "callbacks.progress_bar=null",
                "+trainer.enable_progress_bar=false",
                "+callbacks.timer._target_=__main__.EpochTimer",
            ],
        )
        start = time.perf_counter()
        metrics = train(cfg)
        training = time.perf_counter() - start
    print(
        f"{args.rows:,} rows x {columns} columns: `make data` {preparing:.1f} s; "
        f"one training epoch {EpochTimer.seconds[0]:.1f} s (batch size {cfg.data.batch_size}; "
        f"with validation, test and start-up {training:.1f} s); test accuracy "
        f"{metrics['test/acc']:.3f}"
    )


if __name__ == "__main__":
    main()
