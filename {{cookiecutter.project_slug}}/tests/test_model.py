"""The model: the network maps a batch to one output per class, gradients flow, and a checkpoint
reloads on its own but never builds anything outside the project."""

import pytest
import torch
from hydra.utils import instantiate

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.models.checkpoint import CheckpointError, load_model
from {{ cookiecutter.package_name }}.models.trusted import UntrustedTargetError


@pytest.fixture
def model(data_source):
    """A new model of configs/model/ for the example data, as training builds it."""
    model_cfg = compose_config("train", ["paths.output_dir=unused"]).model
    data = data_source().info.as_dict()
    return instantiate(model_cfg, data=data, _recursive_=False, _convert_="all")


def test_network_gives_one_score_per_class(model) -> None:
    inputs = torch.randn(7, *model.info.input_shape)
    assert model(inputs).shape == (7, len(model.info.class_names))


def test_model_learns_a_batch(model) -> None:
    """Overfitting one small batch is the cheapest check that gradients flow end to end."""
    inputs = torch.randn(12, *model.info.input_shape)
    labels = torch.arange(12) % len(model.info.class_names)
    optimizer = model.configure_optimizers()["optimizer"]
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = model.loss(model(inputs), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


def save_checkpoint(model, path, **changes: object) -> None:
    """A checkpoint as Lightning writes it (with the class that wrote it), its settings changed."""
    checkpoint = {"state_dict": model.state_dict(), "hyper_parameters": dict(model.hparams)}
    checkpoint["hyper_parameters"].update(changes)
    model.on_save_checkpoint(checkpoint)
    torch.save(checkpoint, path)


def test_checkpoint_reloads_the_same_model(model, tmp_path) -> None:
    save_checkpoint(model, tmp_path / "model.ckpt")
    loaded = load_model(tmp_path / "model.ckpt")
    inputs = torch.randn(3, *model.info.input_shape)
    assert type(loaded) is type(model) and loaded.info == model.info
    torch.testing.assert_close(loaded.eval()(inputs), model.eval()(inputs))


def test_checkpoint_naming_foreign_code_is_refused_before_it_runs(model, tmp_path) -> None:
    """A doctored checkpoint asks to 'build' its network with builtins.open on a user's file."""
    victim = tmp_path / "notes.txt"
    victim.write_text("a week of lab notes")
    network = {"_target_": "builtins.open", "file": str(victim), "mode": "w"}
    save_checkpoint(model, tmp_path / "doctored.ckpt", network=network)
    with pytest.raises(UntrustedTargetError, match="builtins.open"):
        load_model(tmp_path / "doctored.ckpt")
    assert victim.read_text() == "a week of lab notes"


def test_checkpoint_of_a_model_this_project_lacks_says_where_to_use_it(model, tmp_path) -> None:
    """E.g. the tabular example's checkpoint in an images project: its network is not here."""
    removed = "{{ cookiecutter.package_name }}.models.removed.Network"
    network = {**model.hparams.network, "_target_": removed}
    save_checkpoint(model, tmp_path / "other.ckpt", network=network)
    with pytest.raises(CheckpointError, match="which this project does not have"):
        load_model(tmp_path / "other.ckpt")


def test_a_run_folder_given_as_checkpoint_gets_its_best_checkpoint_named(model, tmp_path) -> None:
    """CKPT=outputs/train/<run> (the folder, not the file): the file to give is named."""
    (tmp_path / "checkpoints").mkdir()
    save_checkpoint(model, tmp_path / "checkpoints" / "best.ckpt")
    with pytest.raises(CheckpointError, match=f"folder: .* e.g. {tmp_path}/checkpoints/best.ckpt"):
        load_model(tmp_path)


def test_damaged_checkpoint_says_so(model, tmp_path) -> None:
    save_checkpoint(model, tmp_path / "last.ckpt")
    truncated = tmp_path / "last.ckpt"
    truncated.write_bytes(truncated.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="damaged"):
        load_model(truncated)
