"""What training any network takes, whatever it predicts: the steps, the logging, the optimizer."""

import lightning as L
import numpy as np
import torch
from matplotlib.figure import Figure
from torchmetrics import MetricCollection

from {{ cookiecutter.package_name }}.data.info import DataInfo
from {{ cookiecutter.package_name }}.models.trusted import instantiate_trusted

MODULE_KEY = "model_module"  # where a checkpoint names the LightningModule class that wrote it
EPOCH_LOSS_KEY = "epoch_loss_so_far"  # the training loss summed over the epoch's batches so far


class SupervisedModule(L.LightningModule):
    """Trains a network on (inputs, targets) batches, logging a loss and metrics per stage.

    Everything comes as plain settings, built here: the network, the optimizer and the scheduler
    from their configs (configs/model/), and what the data tells the model (`data`, a DataInfo as a
    dict). They are the module's hyperparameters, saved in every checkpoint, so that
    `load_model("best.ckpt")` rebuilds the same model with nothing else at hand.

    A subclass says how many outputs the network has (`num_outputs`), its `loss`, its metrics
    (`track_metrics`), what a person reads as the answer (`predict`) and its test figures.
    """

    curve_metric = "loss"  # the metric drawn beside the loss in the learning curves

    def __init__(
        self, network: dict, data: dict, optimizer: dict, scheduler: dict | None = None
    ) -> None:
        super().__init__()
        # Plain values only: stored in every checkpoint. Not sent to the loggers, which get the
        # whole run config from train.py (the same settings, under the same names).
        self.save_hyperparameters(logger=False)
        # The training loss summed over this epoch's batches so far (set here, not at the epoch's
        # start: an epoch resumed from a mid-epoch checkpoint does not start again).
        self.epoch_loss_sum: float | torch.Tensor = 0.0
        self.epoch_batches = 0
        # The (outputs, targets) of each validation or test batch, scored once at the split's end.
        self.split_outputs: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.info = DataInfo(**data)
        self.check_data(self.info)
        self.network = instantiate_trusted(
            network, input_shape=self.info.input_shape, num_outputs=self.num_outputs(self.info)
        )

    # ------------------------------------------------------------------ what a subclass defines
    def check_data(self, info: DataInfo) -> None:
        """Stop when the data is not of the kind this module learns (a class, a number)."""

    def num_outputs(self, info: DataInfo) -> int:
        raise NotImplementedError

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def predict_output(self, inputs: torch.Tensor) -> torch.Tensor:
        """What `make predict` writes for each input; by default what `predict` answers."""
        return self.predict(inputs)

    def test_figures(self, targets: np.ndarray, predictions: np.ndarray) -> dict[str, Figure]:
        return {}

    @property
    def network_name(self) -> str:
        """The network, as the results table names it: its class (ConvNet, MLP, ...)."""
        return self.hparams.network["_target_"].rsplit(".", 1)[-1]

    # ------------------------------------------------------------------ shared by every module
    def track_metrics(self, metrics: MetricCollection) -> None:
        """The metrics of validation and test, logged as val/<name> and test/<name>.

        Training logs its loss only: updating and logging metrics at every step made training
        about a third slower (`make bench`), and validation reports them all every epoch.
        """
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")

    # Each self.log call costs about half a millisecond on a CPU (`make bench`), a tenth of a
    # small network's step. So training logs its loss on the steps the loggers write (every
    # trainer.log_every_n_steps) and its mean at the epoch's last batch; validation and test
    # keep each batch's outputs and score the whole split once, at its end.
    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        loss = self.loss(self(inputs), targets)
        self.epoch_loss_sum += loss.detach()  # detach: keep a number, not the step's graph
        self.epoch_batches += 1
        # The steps whose values Lightning hands to the loggers (it counts this one as done).
        if (self.global_step + 1) % self.trainer.log_every_n_steps == 0:
            self.log("train/loss_step", loss, prog_bar=True)
        if self.trainer.is_last_batch:  # sync_dist: the mean over all processes under DDP
            epoch_loss = self.epoch_loss_sum / self.epoch_batches
            self.log("train/loss_epoch", epoch_loss, on_step=False, on_epoch=True, sync_dist=True)
            self.epoch_loss_sum, self.epoch_batches = 0.0, 0
        return loss

    def on_validation_epoch_start(self) -> None:
        self.split_outputs = []

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self._keep_outputs(batch)

    def on_validation_epoch_end(self) -> None:
        self._score_whole_split("val", self.val_metrics)

    def on_test_epoch_start(self) -> None:
        self.split_outputs = []

    def test_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self._keep_outputs(batch)

    def on_test_epoch_end(self) -> None:
        self._score_whole_split("test", self.test_metrics)

    def _keep_outputs(self, batch: list[torch.Tensor]) -> None:
        inputs, targets = batch
        # A few numbers per example. A network with large outputs (a mask per image) would
        # update its metrics batch by batch instead, to keep memory flat.
        self.split_outputs.append((self(inputs), targets))

    def _score_whole_split(self, stage: str, metrics: MetricCollection) -> None:
        """Log the loss and each metric over the whole split. Under DDP each process scored its
        part: sync_dist averages the losses, torchmetrics gathers the metrics' counts."""
        if not self.split_outputs:
            return
        outputs = torch.cat([batch_outputs for batch_outputs, _ in self.split_outputs])
        targets = torch.cat([batch_targets for _, batch_targets in self.split_outputs])
        self.split_outputs = []
        self.log(f"{stage}/loss", self.loss(outputs, targets), prog_bar=True, sync_dist=True)
        metrics.update(outputs, targets)
        self.log_dict(metrics.compute(), sync_dist=True)
        metrics.reset()

    def predict_step(self, batch: list[torch.Tensor], batch_idx: int) -> tuple:
        """`make predict`: the output for each new input, and whether the input was usable."""
        inputs, usable = batch
        return self.predict_output(inputs), usable

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # The class that wrote the checkpoint, so that load_model() rebuilds it without being told.
        checkpoint[MODULE_KEY] = f"{type(self).__module__}.{type(self).__qualname__}"
        # The epoch's training loss so far: a run resumed in the middle of an epoch then logs the
        # mean over the whole epoch, as the run left alone does, not over the part after resuming.
        checkpoint[EPOCH_LOSS_KEY] = [float(self.epoch_loss_sum), self.epoch_batches]

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self.epoch_loss_sum, self.epoch_batches = checkpoint.get(EPOCH_LOSS_KEY, [0.0, 0])

    def configure_optimizers(self) -> dict:
        """The optimizer and scheduler of configs/model/ (`_partial_: true`: built here, on the
        network's parameters). A scheduler that reacts to a metric watches the validation loss.
        Frozen parameters (a pretrained backbone, for its first epochs) are left out: the
        fine-tuning callback adds them when it unfreezes them."""
        trainable = [parameter for parameter in self.parameters() if parameter.requires_grad]
        optimizer = instantiate_trusted(self.hparams.optimizer)(trainable)
        if not self.hparams.scheduler:
            return {"optimizer": optimizer}
        scheduler = instantiate_trusted(self.hparams.scheduler)(optimizer)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "monitor": "val/loss"},
        }
