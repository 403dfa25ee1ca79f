"""`make bench`: how fast the project trains, against a plain PyTorch loop doing the same work.

Each loop runs as a fresh process, one after the other, on the prepared data (`make data` first):
`python -m <package>.train` with a timing callback, benchmarks/plain_loop.py, and a bare Lightning
Trainer (benchmarks/bare_trainer.py), all with the same settings. Each records when its first
training step ran and when each epoch started, so this prints, for the project and the plain
loop: the time to the first step, the time per epoch (the median, every epoch but the first), the
whole run, and the plain loop's speed over the project's. `import lightning` alone is timed too,
in every round: it is most of the fixed cost a Lightning project cannot avoid. The bare Trainer's
time per epoch is Lightning's own share, which no setting of the project takes away.

    make bench                                  # the default settings, 10 epochs
    make bench ARGS="--epochs 5 model.network.channels=[32,64,128]"
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKAGE = "{{ cookiecutter.package_name }}"
BENCHMARKS = Path(__file__).resolve().parent


def run(command: list[str], timings_file: Path) -> dict[str, float]:
    """Run one loop as a new process; return its timings, in seconds from the process start."""
    env = {**os.environ, "BENCH_TIMINGS": str(timings_file), "WANDB_MODE": "offline"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCHMARKS), env.get("PYTHONPATH")]))
    start = time.time()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    total = time.time() - start
    if result.returncode != 0:
        sys.exit(f"ERROR: {' '.join(command)} failed:\n{result.stderr[-3000:]}")
    events = json.loads(timings_file.read_text())
    starts = events["epoch_starts"] + [events["end"]]
    epochs = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    return {
        "first_step": events["first_step"] - start,
        "per_epoch": statistics.median(epochs[1:] or epochs),  # the first epoch warms caches up
        "total": total,
    }


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each loop; the median")
    parser.add_argument("overrides", nargs="*", help="settings for both loops, as for make train")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        settings = [
            f"trainer.max_epochs={args.epochs}", "callbacks.early_stopping=null",
            f"paths.root_dir={scratch}", f"paths.data_dir={Path.cwd() / 'data'}", "test=false",
            *args.overrides,
        ]  # fmt: skip
        project = [sys.executable, "-m", f"{PACKAGE}.train", *settings,
                   "+callbacks.bench_timing._target_=timing.TimingCallback"]  # fmt: skip
        plain = [sys.executable, str(BENCHMARKS / "plain_loop.py"), *settings]
        bare = [sys.executable, str(BENCHMARKS / "bare_trainer.py"), *settings]
        timings = Path(scratch) / "timings.json"
        commands = {"project": project, "plain": plain, "bare": bare}
        results = {name: [] for name in commands}
        import_times = []
        for _ in range(args.repeat):  # alternated, so that all see the same machine load
            for name, command in commands.items():
                results[name].append(run(command, timings))
            start = time.time()
            subprocess.run([sys.executable, "-c", "import lightning"], check=True)
            import_times.append(time.time() - start)
        import_lightning = statistics.median(import_times)

    project_result, plain_result, bare_result = (median_of(results[name]) for name in commands)
    print(f"{args.epochs} epochs, {' '.join(args.overrides) or 'default settings'}:")
    print(f"{'':24}{'project':>10}{'plain loop':>12}{'speed ratio':>13}")
    for key, label in [("first_step", "time to first step"), ("per_epoch", "time per epoch"),
                       ("total", "whole run")]:  # fmt: skip
        ratio = plain_result[key] / project_result[key]
        print(f"{label:24}{project_result[key]:>9.3f}s{plain_result[key]:>11.3f}s{ratio:>12.2f}x")
    fixed = project_result["total"] - args.epochs * project_result["per_epoch"]
    versus_import = f"{fixed / import_lightning:.2f}x `import lightning`, {import_lightning:.2f}s"
    print(f"{'fixed cost':24}{fixed:>9.2f}s   ({versus_import})")
    bare_ratio = plain_result["per_epoch"] / bare_result["per_epoch"]
    added = project_result["per_epoch"] - bare_result["per_epoch"]
    print(
        f"Lightning's own loop: a bare Trainer takes {bare_result['per_epoch']:.3f}s per epoch "
        f"({bare_ratio:.2f}x the plain loop); the project's epoch minus it: {added:+.3f}s."
    )


if __name__ == "__main__":
    main()
