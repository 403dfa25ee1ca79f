"""Callbacks the cluster tests add to a run (`+callbacks.<name>._target_=cluster_helpers...`)."""

import os
import time
from pathlib import Path

import lightning as L
import torch


class SaveWeightsPerRank(L.Callback):
    """Every process writes its final weights to $WEIGHTS_DIR/rank<global rank>.pt."""

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        path = Path(os.environ["WEIGHTS_DIR"]) / f"rank{trainer.global_rank}.pt"
        torch.save(pl_module.state_dict(), path)


class SlowSteps(L.Callback):
    """Sleeps after each step, so that a test can signal the run in the middle of an epoch."""

    def on_train_batch_end(self, trainer: L.Trainer, *args: object) -> None:
        time.sleep(0.2)
