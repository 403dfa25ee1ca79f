"""The network maps a batch to the number of outputs asked for, whatever the input size."""

import pytest
import torch
from hydra.utils import instantiate

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.models.classifier import Classifier


{% if cookiecutter.example_task == "images" -%}
@pytest.mark.parametrize("input_shape", [[1, 8, 8], [3, 64, 48]])
{%- else -%}
@pytest.mark.parametrize("input_shape", [[12], [100]])
{%- endif %}
def test_network_output_shape(input_shape: list[int]) -> None:
    network_cfg = compose_config("train", ["paths.output_dir=unused"]).model.network
    network = instantiate(network_cfg, input_shape=input_shape, num_outputs=5)
    scores = network(torch.randn(7, *input_shape))
    assert scores.shape == (7, 5)


def test_classifier_learns_a_batch() -> None:
    """Overfitting one small batch is the cheapest check that gradients flow end to end."""
    model_cfg = compose_config("train", ["paths.output_dir=unused"]).model
{%- if cookiecutter.example_task == "images" %}
    input_shape = [1, 8, 8]
{%- else %}
    input_shape = [10]
{%- endif %}
    model = Classifier(dict(model_cfg.network), input_shape, ["a", "b", "c"], lr=0.01)
    inputs, labels = torch.randn(12, *input_shape), torch.arange(12) % 3
    optimizer = model.configure_optimizers()["optimizer"]
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
