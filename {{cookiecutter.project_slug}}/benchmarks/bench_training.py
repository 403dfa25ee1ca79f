"""`make bench`: how fast the project trains, against a plain PyTorch loop doing the same work.

Both loops, and a bare Lightning Trainer (benchmarks/bare_trainer.py), train on the prepared data
(`make data` first) with the same settings, and record when their first training step ran and
when each epoch started (benchmarks/timing.py). Two measurements:
- Start-up, as a user meets it: `python -m <package>.train` and benchmarks/plain_loop.py, each a
  new process. The time to the first step, the whole run, and the fixed cost: the whole run less
  its epochs. `import lightning` alone is timed too: most of the fixed cost a Lightning project
  cannot avoid.
- Time per epoch (the median, every epoch but the first): the three loops one after another in
  this one process, so that they share its CPU. On a shared machine, new processes running the
  same loop differed by up to 30% (measured), more than the gap being measured. The bare
  Trainer's time is Lightning's own share, which no setting of the project takes away.
Each is repeated `--repeat` times, the loops alternated, and the medians printed.

    make bench                                  # the default settings, 10 epochs
    make bench ARGS="--epochs 5 model.network.channels=[32,64,128]"
"""

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

PACKAGE = "{{ cookiecutter.package_name }}"
BENCHMARKS = Path(__file__).resolve().parent
TIMING_CALLBACK = "+callbacks.bench_timing._target_=timing.TimingCallback"


def read_timings(timings_file: Path) -> tuple[float, float, list[float]]:
    """The first step's time, the end's, and each epoch's duration, from a loop's timings file."""
    events = json.loads(timings_file.read_text())
    starts = events["epoch_starts"] + [events["end"]]
    epochs = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    return events["first_step"], events["end"], epochs


def start_up(command: list[str], timings_file: Path) -> dict[str, float]:
    """Run one loop as a new process; its time to the first step and its whole run, in seconds."""
    env = {**os.environ, "BENCH_TIMINGS": str(timings_file), "WANDB_MODE": "offline"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCHMARKS), env.get("PYTHONPATH")]))
    start = time.time()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    total = time.time() - start
    if result.returncode != 0:
        sys.exit(f"ERROR: {' '.join(command)} failed:\n{result.stderr[-3000:]}")
    first_step, _, _ = read_timings(timings_file)
    return {"first_step": first_step - start, "total": total}


def time_per_epoch(train: Callable[[], object], timings_file: Path) -> float:
    """Run one loop in this process, its output hidden; the median time of its epochs."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        train()
    _, _, epochs = read_timings(timings_file)
    return statistics.median(epochs[1:] or epochs)  # the first epoch warms caches up


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each loop; the median")
    parser.add_argument("overrides", nargs="*", help="settings for both loops, as for make train")
    args = parser.parse_args()

    # Imported here: `--help` answers at once. The loops run in this process read BENCH_TIMINGS.
    sys.path.insert(0, str(BENCHMARKS))
    import bare_trainer
    import plain_loop

    from {{ cookiecutter.package_name }}.config import compose_config
    from {{ cookiecutter.package_name }}.train import train

    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        settings = [
            f"trainer.max_epochs={args.epochs}", "callbacks.early_stopping=null",
            f"paths.root_dir={scratch}", f"paths.data_dir={Path.cwd() / 'data'}", "test=false",
            *args.overrides,
        ]  # fmt: skip
        timings = Path(scratch) / "timings.json"
        os.environ["BENCH_TIMINGS"] = str(timings)
        os.environ["WANDB_MODE"] = "offline"  # as for the new processes: not runs to upload
        processes = {
            "project": [sys.executable, "-m", f"{PACKAGE}.train", *settings, TIMING_CALLBACK],
            "plain": [sys.executable, str(BENCHMARKS / "plain_loop.py"), *settings],
        }
        started = {name: [] for name in processes}
        epochs = {"project": [], "plain": [], "bare": []}
        import_times = []
        for round_number in range(args.repeat):  # alternated: all see the same machine load
            for name, command in processes.items():
                started[name].append(start_up(command, timings))
            start = time.time()
            subprocess.run([sys.executable, "-c", "import lightning"], check=True)
            import_times.append(time.time() - start)

            # A run folder of its own each time: the same folder would resume the last run.
            run_dir = f"paths.output_dir={scratch}/in-process-{round_number}"
            project_cfg = compose_config("train", [*settings, run_dir, TIMING_CALLBACK])
            in_process = {
                "project": partial(train, project_cfg, add_row=False),
                "plain": partial(plain_loop.main, settings),
                "bare": partial(bare_trainer.main, settings),
            }
            for name, loop in in_process.items():
                epochs[name].append(time_per_epoch(loop, timings))

    project, plain = (
        {**median_of(started[name]), "per_epoch": statistics.median(epochs[name])}
        for name in processes
    )
    bare_per_epoch = statistics.median(epochs["bare"])
    import_lightning = statistics.median(import_times)
    print(f"{args.epochs} epochs, {' '.join(args.overrides) or 'default settings'}:")
    print(f"{'':24}{'project':>10}{'plain loop':>12}{'speed ratio':>13}")
    for key, label in [("first_step", "time to first step"), ("per_epoch", "time per epoch"),
                       ("total", "whole run")]:  # fmt: skip
        ratio = plain[key] / project[key]
        print(f"{label:24}{project[key]:>9.3f}s{plain[key]:>11.3f}s{ratio:>12.2f}x")
    fixed = project["total"] - args.epochs * project["per_epoch"]
    versus_import = f"{fixed / import_lightning:.2f}x `import lightning`, {import_lightning:.2f}s"
    print(f"{'fixed cost':24}{fixed:>9.2f}s   ({versus_import})")
    bare_ratio = plain["per_epoch"] / bare_per_epoch
    added = project["per_epoch"] - bare_per_epoch
    print(
        f"Lightning's own loop: a bare Trainer takes {bare_per_epoch:.3f}s per epoch "
        f"({bare_ratio:.2f}x the plain loop); the project's epoch minus it: {added:+.3f}s."
    )


if __name__ == "__main__":
    main()
