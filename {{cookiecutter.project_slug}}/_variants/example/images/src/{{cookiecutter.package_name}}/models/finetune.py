"""Fine-tune a pretrained network from timm (`model=timm`): any of its ~1,000 image models by name.

A pretrained backbone already knows edges, textures and shapes from millions of images; a small
scientific dataset then only has to teach it its own classes. Three things make that work:

- its own input normalisation: images are standardised with the mean and std of the data the
  backbone was trained on (ImageNet's for most), not with this dataset's (`input_mean_std`);
- a frozen start: for `freeze_epochs` epochs only the new classifier head learns, so that its
  random first guesses do not wreck the pretrained features; then the backbone is unfrozen and
  learns too, from a tenth of the head's learning rate, rising each epoch until it matches it
  (Lightning's BackboneFinetuning callback);
- weights from a file (`weights=`) for clusters without internet: download them once elsewhere
  (`timm.create_model(name, pretrained=True)` and `torch.save(model.state_dict(), file)`).

The pretrained weights are loaded when training starts, not when the model is built, so a saved
checkpoint reloads offline (`make evaluate`, `make predict`) without fetching them again.
"""

import logging
from pathlib import Path

import timm
import torch
from lightning.pytorch.callbacks import BackboneFinetuning
from torch import nn

from {{ cookiecutter.package_name }}.errors import UserError
from {{ cookiecutter.package_name }}.models.classifier import Classifier

log = logging.getLogger(__name__)


class TimmNetwork(nn.Module):
    """A timm backbone without its classifier, then a new linear head for this data's classes."""

    def __init__(self, input_shape: list[int], num_outputs: int, name: str) -> None:
        super().__init__()
        if not timm.is_model(name):
            raise UserError(
                f"timm has no model {name!r}: pick one of `timm.list_models()`, e.g. resnet18, "
                "efficientnet_b0 or convnext_tiny (model.backbone=...)."
            )
        # num_classes=0: the backbone ends in pooled features; in_chans: grey images too.
        self.backbone = timm.create_model(name, num_classes=0, in_chans=input_shape[0])
        self.head = nn.Linear(self.backbone.num_features, num_outputs)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(images))  # [B, C, H, W] -> [B, features] -> [B, classes]


class FineTuner(Classifier):
    """A Classifier whose network is a timm backbone, pretrained, fine-tuned in two phases."""

    def __init__(
        self,
        backbone: str,
        data: dict,
        optimizer: dict,
        scheduler: dict | None = None,
        pretrained: bool = True,
        weights: str | None = None,
        freeze_epochs: int = 2,
    ) -> None:
        network = {"_target_": f"{TimmNetwork.__module__}.TimmNetwork", "name": backbone}
        super().__init__(network, data, optimizer, scheduler)
        # What rebuilds this model from a checkpoint: these arguments (backbone, pretrained,
        # weights...), in place of the parent's. Lightning would also record the local variable
        # `network`, which is not an argument here: it follows from the backbone's name.
        self.save_hyperparameters(ignore=["network"], logger=False)
        config = timm.data.resolve_model_data_config(self.network.backbone)
        mean, std = list(config["mean"]), list(config["std"])
        if self.info.input_shape[0] != len(mean):  # grey images: one average channel
            mean, std = [sum(mean) / len(mean)], [sum(std) / len(std)]
        self.input_mean_std = (mean, std)  # read by the data source (ImageFolderData)
        self.pretrained_loaded = False

    @property
    def network_name(self) -> str:
        return f"timm {self.hparams.backbone}"  # as the results table names it

    @property
    def backbone(self) -> nn.Module:
        """What BackboneFinetuning freezes, then unfreezes."""
        return self.network.backbone

    def configure_callbacks(self) -> list:
        if not (self.hparams.pretrained or self.hparams.weights):
            return []  # random weights: nothing to protect, everything learns from the start
        return [
            BackboneFinetuning(
                unfreeze_backbone_at_epoch=self.hparams.freeze_epochs,
                backbone_initial_ratio_lr=0.1,
                should_align=True,
                train_bn=False,  # the batch-norm weights are frozen with the rest
            )
        ]

    def setup(self, stage: str) -> None:
        """Load the pretrained weights when training starts (a resumed run then loads its
        checkpoint over them)."""
        if stage != "fit" or self.pretrained_loaded:
            return
        weights = self.hparams.weights
        if weights or self.hparams.pretrained:
            name, in_chans = self.hparams.backbone, self.info.input_shape[0]
            pretrained = pretrained_backbone(name, in_chans, Path(weights) if weights else None)
            self.network.backbone.load_state_dict(pretrained.state_dict())
            log.info(
                "Loaded the pretrained %s weights%s", name, f" from {weights}" if weights else ""
            )
        self.pretrained_loaded = True


def pretrained_backbone(name: str, in_chans: int, file: Path | None = None) -> nn.Module:
    """A timm backbone with its pretrained weights: from the model hub, or from a local file (a
    state_dict saved with torch.save, or .safetensors). timm adapts them as it does downloaded
    ones: the old classifier dropped, the first layer fitted to grey images."""
    if file is not None and not file.is_file():
        raise UserError(f"No weights file at {file}: fix model.weights, or set it to null.")
    overlay = {"file": str(file)} if file is not None else None
    try:
        return timm.create_model(
            name, pretrained=True, num_classes=0, in_chans=in_chans, pretrained_cfg_overlay=overlay
        )
    except OSError as error:  # the hub's "cannot find the requested files", offline
        raise UserError(
            f"Cannot download the pretrained {name} weights ({type(error).__name__}): no internet "
            f"here? Download them once where there is (see models/finetune.py) and train with "
            f"model.weights=<file>, or set model.pretrained=false."
        ) from error
