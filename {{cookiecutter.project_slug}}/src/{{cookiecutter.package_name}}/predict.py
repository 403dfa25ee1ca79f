"""Apply a trained model to new data: `make predict INPUT=path CKPT=path/to/best.ckpt`.

The data source reads the new inputs as it prepared the training data, with that data's own
statistics and encodings (the pixel mean and standard deviation, the table's fitted encoder), so
the model sees new data exactly as it saw its training data. Inputs that cannot be used (a file
that is not an image, a row with text where a number belongs) are listed, not fatal: their row of
predictions.csv is empty but for the `problem` column. That column also notes what a data source
flags in an input it could still predict (in a table: a category no training row had).
"""

import logging
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from omegaconf import DictConfig

from {{ cookiecutter.package_name }} import config
from {{ cookiecutter.package_name }}.console import quiet_third_party_notices
from {{ cookiecutter.package_name }}.data.info import DataInfo
from {{ cookiecutter.package_name }}.errors import UserError, exit_on_user_error

log = logging.getLogger(__name__)

PREDICTIONS_FILE = "predictions.csv"


def prediction_table(
    names: list[str], outputs: np.ndarray, usable: np.ndarray, info: DataInfo, problems: dict
) -> pd.DataFrame:
    """One row per input: its name, the prediction, the class probabilities, any problem."""
    table = pd.DataFrame({"input": names})
    if info.task == "classification":  # outputs: [N, classes] probabilities
        table["prediction"] = np.asarray(info.class_names, dtype=object)[outputs.argmax(axis=1)]
        for index, name in enumerate(info.class_names):
            table[f"probability_{name}"] = outputs[:, index]
    else:  # outputs: [N] numbers, in the target's units
        table["prediction"] = outputs
    table.loc[~usable, table.columns[1:]] = None
    pairs = zip(names, usable, strict=True)
    table["problem"] = [problems.get(name, "" if ok else "could not be read") for name, ok in pairs]
    return table


def predict(cfg: DictConfig) -> Path:
    """Predict every input of `cfg.input` with the checkpoint; return the CSV file written."""
    from {{ cookiecutter.package_name }}.checks import check_checkpoint_file

    # Before torch and Lightning are imported: a mistake is told in a second, not in eight.
    check_checkpoint_file(cfg.ckpt_path, "predict")
    if not cfg.input:
        raise UserError(
            "No input to predict: give new data of the kind data/raw holds, e.g. "
            "`make predict INPUT=path/to/new/data`."
        )

    import torch

    from {{ cookiecutter.package_name }}.evaluate import check_model_fits_data
    from {{ cookiecutter.package_name }}.models.checkpoint import load_model

    logging.getLogger("lightning").handlers.clear()
    quiet_third_party_notices()
    model = load_model(cfg.ckpt_path)
    # The new data is read as the model's training data was prepared: the checkpoint says how.
    datamodule = hydra.utils.instantiate(cfg.data, preparation=model.info.preparation)
    # Inputs are scaled with the prepared data's statistics: it must be the model's own data.
    otherwise = "predict with another checkpoint"
    check_model_fits_data(model.info, datamodule.info, str(datamodule.processed_dir), otherwise)
    new = datamodule.predict_on(cfg.input)
    if not new.names:
        raise UserError(
            f"Found nothing to predict in {cfg.input}: point INPUT at new data of the kind the "
            "model was trained on."
        )
    trainer = hydra.utils.instantiate(cfg.trainer, logger=False, enable_progress_bar=False)
    batches = trainer.predict(model, datamodule=datamodule)
    outputs = torch.cat([output for output, _ in batches]).float().numpy()
    usable = torch.cat([ok for _, ok in batches]).numpy().astype(bool)

    table = prediction_table(new.names, outputs, usable, model.info, new.problems)
    path = Path(cfg.paths.output_dir) / PREDICTIONS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    unusable = table.loc[~usable, "input"].tolist()
    if unusable:
        named = ", ".join(unusable[:10]) + (
            f" and {len(unusable) - 10} more" if len(unusable) > 10 else ""
        )
        inputs = "1 input" if len(unusable) == 1 else f"{len(unusable)} inputs"
        log.warning("%s could not be used (see the `problem` column): %s", inputs, named)
    log.info("Predicted %d inputs of %s; written to %s", int(usable.sum()), cfg.input, path)
    return path


@hydra.main(version_base="1.3", config_path="../../configs", config_name="predict")
def main(cfg: DictConfig) -> None:
    with exit_on_user_error(run_dir=cfg.paths.output_dir):
        predict(cfg)


if __name__ == "__main__":
    config.exit_on_misspelt_setting("predict")
    main()
