"""What training any network takes, whatever it predicts: the steps, the logging, the optimizer."""

import lightning as L
import numpy as np
import torch
from matplotlib.figure import Figure
from torchmetrics import MetricCollection

from {{ cookiecutter.package_name }}.data.info import DataInfo
from {{ cookiecutter.package_name }}.models.trusted import instantiate_trusted

MODULE_KEY = "model_module"  # where a checkpoint names the LightningModule class that wrote it


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

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        loss = self.loss(self(inputs), targets)
        self.log("train/loss", loss, prog_bar=True, on_epoch=True)
        return loss

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "val", self.val_metrics)

    def test_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "test", self.test_metrics)

    def on_validation_epoch_end(self) -> None:
        self._log_whole_split(self.val_metrics)

    def on_test_epoch_end(self) -> None:
        self._log_whole_split(self.test_metrics)

    def _evaluate(self, batch: list, stage: str, metrics: MetricCollection) -> None:
        inputs, targets = batch
        outputs = self(inputs)
        metrics.update(outputs, targets)  # computed once, over the whole split, at its end
        # sync_dist averages the loss over all processes when training on several GPUs.
        self.log(f"{stage}/loss", self.loss(outputs, targets), prog_bar=True, sync_dist=True)

    def _log_whole_split(self, metrics: MetricCollection) -> None:
        """Log each metric over the whole split (torchmetrics gathers it from every process)."""
        self.log_dict(metrics.compute(), sync_dist=True)  # the same on every process
        metrics.reset()

    def predict_step(self, batch: list[torch.Tensor], batch_idx: int) -> tuple:
        """`make predict`: the output for each new input, and whether the input was usable."""
        inputs, usable = batch
        return self.predict_output(inputs), usable

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # The class that wrote the checkpoint, so that load_model() rebuilds it without being told.
        checkpoint[MODULE_KEY] = f"{type(self).__module__}.{type(self).__qualname__}"

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
