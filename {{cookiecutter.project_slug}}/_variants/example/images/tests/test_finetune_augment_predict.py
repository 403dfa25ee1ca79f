"""A pretrained timm backbone (offline: random weights, or weights a test saved itself), kornia
augmentation on the training batches only, and `make predict` on a folder of new images."""

import json
import shutil

import huggingface_hub
import lightning as L
import numpy as np
import pandas as pd
import pytest
import timm
import torch
from hydra.utils import instantiate
from PIL import Image

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.errors import UserError
from {{ cookiecutter.package_name }}.evaluate import EvaluationError
from {{ cookiecutter.package_name }}.models.checkpoint import load_model
from {{ cookiecutter.package_name }}.models.finetune import pretrained_backbone
from {{ cookiecutter.package_name }}.predict import predict
from {{ cookiecutter.package_name }}.train import train

TIMM = ["model=timm", "model.backbone=resnet18", "model.pretrained=false"]


def fine_tuner(data_source, *overrides: str):
    model_cfg = compose_config("train", ["paths.output_dir=unused", *TIMM, *overrides]).model
    data = data_source().info.as_dict()
    return instantiate(model_cfg, data=data, _recursive_=False, _convert_="all")


def test_timm_backbone_trains_offline_and_its_checkpoint_reloads(train_config, tmp_path) -> None:
    cfg = train_config(*TIMM, "debug=smoke", "trainer.max_epochs=1")
    metrics = train(cfg)
    assert 0 <= metrics["test/acc"] <= 1
    model = load_model(tmp_path / "checkpoints" / "best.ckpt")  # no download: weights are in it
    assert model.hparams.backbone == "resnet18" and model.network.backbone.num_features == 512


def test_pretrained_weights_without_internet_say_what_to_do(monkeypatch) -> None:
    """On a cluster node without internet: one sentence, not the model hub's traceback."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # as if no network
    with pytest.raises(UserError, match=r"pretrained resnet18 weights .* model.weights=<file>"):
        pretrained_backbone("resnet18", in_chans=1)


def test_backbone_uses_its_own_normalisation(data_source) -> None:
    model = fine_tuner(data_source)
    mean, std = model.input_mean_std  # ImageNet's, averaged over RGB for the grey digits
    assert mean == pytest.approx([np.mean([0.485, 0.456, 0.406])])
    data = data_source()
    data.trainer = L.Trainer(logger=False, enable_progress_bar=False)
    data.trainer.strategy.connect(model)  # as fit does: the data source now sees the model
    assert data.normalisation() == model.input_mean_std


def test_weights_from_a_local_file_are_loaded_and_the_backbone_is_frozen_first(
    data_source, tmp_path
) -> None:
    source = timm.create_model("resnet18", num_classes=0, in_chans=1)
    torch.save(source.state_dict(), tmp_path / "resnet18.pth")  # as a user would save them
    model = fine_tuner(data_source, f"model.weights={tmp_path / 'resnet18.pth'}")
    assert not torch.equal(model.backbone.conv1.weight, source.conv1.weight)  # random at first
    model.setup("fit")  # training starts: the file's weights are loaded
    torch.testing.assert_close(model.backbone.conv1.weight, source.conv1.weight)
    (finetuning,) = model.configure_callbacks()
    assert type(finetuning).__name__ == "BackboneFinetuning"
    assert finetuning.unfreeze_backbone_at_epoch == 2  # frozen for 2 epochs, then unfrozen


def test_fine_tuning_freezes_then_unfreezes_the_backbone(train_config, data_dir, tmp_path) -> None:
    source = timm.create_model("resnet18", num_classes=0, in_chans=1)
    torch.save(source.state_dict(), tmp_path / "resnet18.pth")
    cfg = train_config(
        *TIMM,
        f"model.weights={tmp_path / 'resnet18.pth'}",
        "debug=smoke",
        "model.freeze_epochs=1",
        "test=false",
    )
    train(cfg)
    model = load_model(tmp_path / "checkpoints" / "last.ckpt")
    # Epoch 0 trained the head only, epoch 1 everything: the backbone has moved from the file's.
    assert not torch.equal(model.backbone.conv1.weight, source.conv1.weight)


def test_augmentation_changes_training_batches_only(data_source) -> None:
    data = data_source("augmentation=light", "data.batch_size=256")
    data.setup()
    batch = next(iter(data.train_dataloader()))
    data.trainer = L.Trainer(logger=False, enable_progress_bar=False)
    data.trainer.validating = True
    first, again = (data.on_after_batch_transfer(list(batch), 0)[0] for _ in range(2))
    torch.testing.assert_close(first, again)  # validation: never augmented
    data.trainer.training = True
    augmented = data.on_after_batch_transfer(list(batch), 0)[0]
    assert augmented.shape == first.shape and not torch.allclose(augmented, first)


def test_augmented_run_draws_one_augmented_batch(train_config, tmp_path) -> None:
    cfg = train_config("augmentation=flips", "debug=smoke", "logger=csv")
    train(cfg)
    assert (tmp_path / "reports" / "figures" / cfg.run_name / "augmented_batch.png").is_file()


def test_predict_writes_one_row_per_file_and_lists_the_unusable(
    train_config, data_dir, tmp_path
) -> None:
    train(train_config("debug=smoke", "logger=csv", "test=false"))
    new = tmp_path / "new"
    new.mkdir()
    for index, path in enumerate(sorted((data_dir / "raw" / "3").iterdir())[:3]):
        Image.open(path).resize((16, 16)).save(new / f"digit_{index}.webp")  # other size, format
    (new / "readme.txt").write_text("three digits")
    cfg = compose_config(
        "predict",
        [
            f"paths.data_dir={data_dir}",
            f"paths.output_dir={tmp_path}/p",
            f"ckpt_path={tmp_path / 'checkpoints' / 'last.ckpt'}",
            f"input={new}",
            "trainer=cpu",
        ],
    )
    table = pd.read_csv(predict(cfg), keep_default_na=False)
    assert len(table) == 4 and list(table.columns[:2]) == ["input", "prediction"]
    probabilities = table.filter(like="probability_")
    assert probabilities.shape[1] == 10
    usable = table["problem"] == ""
    assert usable.sum() == 3
    np.testing.assert_allclose(probabilities[usable].astype(float).sum(axis=1), 1, rtol=1e-5)
    (problem,) = table.loc[~usable, "problem"]
    assert table.loc[~usable, "input"].item().endswith("readme.txt") and "Pillow" in problem

    nothing = cfg.copy()
    nothing.input = str(tmp_path / "empty")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="Found nothing to predict in .*empty"):
        predict(nothing)
    # Data prepared from other images (here: other classes) would scale the inputs wrongly.
    other = tmp_path / "other"
    shutil.copytree(data_dir / "processed", other / "processed")
    metadata = json.loads((other / "processed" / "metadata.json").read_text())
    metadata["info"]["class_names"] = [f"class {name}" for name in metadata["info"]["class_names"]]
    (other / "processed" / "metadata.json").write_text(json.dumps(metadata))
    cfg.data.processed_dir = str(other / "processed")
    with pytest.raises(EvaluationError, match="The checkpoint predicts the classes .* the raw data "
                       "changed since its training. Bring that data back"):  # fmt: skip
        predict(cfg)
