"""Test a saved checkpoint on the test split: `make evaluate CKPT=path/to/best.ckpt`.

{% if cookiecutter.example_task == "tabular" -%}
The checkpoint carries its network settings and class names (a regressor's: its target and its
statistics), so nothing else is needed to load it.
{% else -%}
The checkpoint carries its network settings and class names, so nothing else is needed to load it.
{% endif -%}
It is tested on the same prepared test split as every other run, and the test is recorded like
a training's: a row in results/results.csv, figures in reports/figures/<run>/ and in W&B.
"""

import logging
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


class EvaluationError(Exception):
    """The checkpoint cannot be evaluated here; the message says why and what to do."""


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """Load the checkpoint, test it, and return the test metrics."""
    import lightning as L

    # Lightning adds its own console handler; Hydra's already prints and saves these messages.
    logging.getLogger("lightning").handlers.clear()

    from {{ cookiecutter.package_name }}.data.datamodule import ArrayDataModule
    from {{ cookiecutter.package_name }}.instantiate import finish_loggers, instantiate_loggers
{%- if cookiecutter.example_task == "tabular" %}
    from {{ cookiecutter.package_name }}.models.task import load_model
{%- else %}
    from {{ cookiecutter.package_name }}.models.classifier import Classifier
{%- endif %}
    from {{ cookiecutter.package_name }}.report import provenance, record_test

    if not cfg.ckpt_path or not Path(cfg.ckpt_path).is_file():
        raise EvaluationError(
            f"No checkpoint at {cfg.ckpt_path!r}: train first (`make train`), then pass "
            "CKPT=outputs/train/<run>/checkpoints/best.ckpt."
        )
    L.seed_everything(0, workers=True)
    datamodule = ArrayDataModule(cfg.data.processed_dir, cfg.data.batch_size, cfg.data.num_workers)
{%- if cookiecutter.example_task == "tabular" %}
    model = load_model(cfg.ckpt_path)
    check_model_fits_data(model.hparams, datamodule.metadata)
{%- else %}
    model = Classifier.load_from_checkpoint(cfg.ckpt_path, map_location="cpu")
    if model.hparams.class_names != datamodule.class_names:
        raise EvaluationError(
            f"The checkpoint was trained on classes {model.hparams.class_names}, but the prepared "
            f"data has {datamodule.class_names}: evaluate it on the data it was trained for."
        )
{%- endif %}
    if cfg.description is None:
        cfg.description = training_description(Path(cfg.ckpt_path))
    trainer = hydra.utils.instantiate(cfg.trainer, logger=instantiate_loggers(cfg.logger) or False)
    run = provenance(cfg)
    for logger in trainer.loggers:  # loggers write on rank zero only
        logger.log_hyperparams({**OmegaConf.to_container(cfg, resolve=True), "run": run})
    test_metrics = trainer.test(model, datamodule=datamodule)[0]
    for name, value in test_metrics.items():
        log.info("%-16s %.4f", name, value)
    record_test(cfg, trainer, model, datamodule, test_metrics, str(cfg.ckpt_path), run)
    finish_loggers(trainer.loggers)
    return test_metrics


{%- if cookiecutter.example_task == "tabular" %}


def check_model_fits_data(settings: dict, metadata: dict) -> None:
    """Stop when the checkpoint predicts another target than the prepared data holds."""
    if "target_name" in settings:  # a regressor
        trained_for = f"the number {settings['target_name']!r}"
        how = f'`make data ARGS="data.target={settings["target_name"]} data.task=regression"`'
    else:
        trained_for = f"the classes {list(settings['class_names'])}"
        how = '`make data ARGS="data.target=<its target> data.task=classification"`'
    if metadata["task"] == "regression":
        prepared_for = f"the number {metadata['target']!r}"
    else:
        prepared_for = f"the classes {metadata['class_names']}"
    if trained_for != prepared_for:
        raise EvaluationError(
            f"The checkpoint predicts {trained_for}, but the prepared data holds {prepared_for}: "
            f"prepare the data it was trained for ({how}), or evaluate another checkpoint."
        )
{%- endif %}


def training_description(checkpoint: Path) -> str:
    """The description of the run that trained this checkpoint, from its saved config, if any."""
    # outputs/train/<run>/checkpoints/best.ckpt -> outputs/train/<run>/.hydra/config.yaml
    saved_config = checkpoint.parent.parent / ".hydra" / "config.yaml"
    return OmegaConf.load(saved_config).get("description", "") if saved_config.exists() else ""


@hydra.main(version_base="1.3", config_path="../../configs", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    from {{ cookiecutter.package_name }}.data.datamodule import MissingDataError

    try:
        evaluate(cfg)
    except (EvaluationError, MissingDataError) as error:
        sys.exit(f"ERROR: {error}")


if __name__ == "__main__":
    main()
