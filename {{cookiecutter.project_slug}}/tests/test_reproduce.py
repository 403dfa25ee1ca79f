"""`make reproduce ROW=<n>`: a row's settings run again give the same numbers, bit for bit on the
CPU; a row made with other code or data is refused with what to run."""

import pandas as pd
import pytest
import torch

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.evaluate import evaluate
from {{ cookiecutter.package_name }}.reproduce import ReproduceError, comparison, reproduce
from {{ cookiecutter.package_name }}.train import train


def only_test_metrics(metrics: dict[str, float]) -> dict[str, float]:
    return {name: value for name, value in metrics.items() if name.startswith("test/")}


def test_a_row_is_reproduced_exactly_and_other_code_or_data_refused(train_config, tmp_path) -> None:
    metrics = train(train_config("trainer=cpu", "logger=csv", "trainer.max_epochs=2"))
    table_file = tmp_path / "results" / "results.csv"

    row, again = reproduce(1, table_file)
    assert only_test_metrics(again) == only_test_metrics(metrics)  # to the last bit
    assert "DIFFERENT" not in comparison(1, row, again)
    (rerun,) = (tmp_path / "outputs" / "reproduce").iterdir()
    original = torch.load(tmp_path / "checkpoints" / "best.ckpt", weights_only=True)["state_dict"]
    repeated = torch.load(rerun / "checkpoints" / "best.ckpt", weights_only=True)["state_dict"]
    assert all(torch.equal(original[key], repeated[key]) for key in original)
    assert len(pd.read_csv(table_file)) == 1  # a reproduction adds no row

    for column, value, advice in [
        ("git_commit", "0123456789abcdef", "git checkout 0123456789ab"),
        ("data_hash", "d41d8cd98f00b204e9800998ecf8427e", "make data-pull"),
        ("test_set_md5", "d41d8cd98f00b204e9800998ecf8427e", "data.preparation.split_seed=0"),
    ]:
        table = pd.read_csv(table_file, dtype=str, keep_default_na=False)
        changed = tmp_path / "results" / "changed.csv"  # beside the table, as if edited
        table.assign(**{column: value}).to_csv(changed, index=False)
        with pytest.raises(ReproduceError, match=advice.replace("(", r"\(")):
            reproduce(1, changed)

    # A row made before DVC tracked the data: its test split is still compared.
    untracked = table.assign(data_hash="data/raw is not tracked by DVC", test_set_md5="0" * 32)
    untracked.to_csv(changed, index=False)
    with pytest.raises(ReproduceError, match="The prepared test split is not the one row 1"):
        reproduce(1, changed)


def test_an_evaluation_of_a_checkpoint_in_its_run_folder_is_reproduced(
    train_config, data_dir, tmp_path
) -> None:
    """The pipeline's evaluate stage tests best.ckpt of the train stage's folder, its own run
    folder: reproducing it tests that checkpoint again, not one in the reproduction's folder."""
    run = tmp_path / "outputs" / "train" / "dvc"
    settings = ["trainer=cpu", "logger=csv", f"paths.output_dir={run}"]
    train(train_config(*settings, "trainer.max_epochs=1", "test=false"))
    cfg = compose_config(
        "evaluate",
        [f"paths.data_dir={data_dir}", f"paths.root_dir={tmp_path}", *settings,
         f"ckpt_path={run / 'checkpoints' / 'best.ckpt'}"],
    )  # fmt: skip
    metrics = evaluate(cfg)
    row, again = reproduce(1, tmp_path / "results" / "results.csv")
    assert only_test_metrics(again) == only_test_metrics(metrics)
    (rerun,) = (tmp_path / "outputs" / "reproduce").iterdir()
    assert not (rerun / "checkpoints").exists()  # tested again, not trained


def test_a_row_that_does_not_exist_is_named(train_config, tmp_path) -> None:
    table_file = tmp_path / "results" / "results.csv"
    table_file.parent.mkdir()
    table_file.write_text("timestamp,model,description\n")
    with pytest.raises(ReproduceError, match="No row 3"):
        reproduce(3, table_file)
