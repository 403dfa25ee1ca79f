"""When each epoch starts, written to the JSON file named by $BENCH_TIMINGS: `make bench` reads it.

The benchmark's loops all record the same events, so their numbers compare: the process start
(from the benchmark), the first training step, and the start of every epoch (an epoch's time is
everything until the next one starts: training, validation, checkpoints, logging).
"""

import json
import os
import time

import lightning as L


class Timings:
    """The events of one run, saved on every epoch start (a run may end in any way)."""

    def __init__(self) -> None:
        self.events: dict[str, object] = {"first_step": None, "epoch_starts": []}

    def first_step(self) -> None:
        if self.events["first_step"] is None:
            self.events["first_step"] = time.time()

    def epoch_start(self) -> None:
        self.events["epoch_starts"].append(time.time())
        self.save()

    def end(self) -> None:
        self.events["end"] = time.time()
        self.save()

    def save(self) -> None:
        with open(os.environ["BENCH_TIMINGS"], "w") as file:
            json.dump(self.events, file)


class TimingCallback(L.Callback):
    """Records the timings of a Lightning run (added by `make bench` as a callback)."""

    def __init__(self) -> None:
        self.timings = Timings()

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.timings.epoch_start()

    def on_train_batch_start(self, trainer: L.Trainer, *args: object) -> None:
        self.timings.first_step()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.timings.end()
