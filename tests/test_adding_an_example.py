"""The README's claim: adding an example is one new folder plus one entry in cookiecutter.json.

In a copy of the template, a minimal third example, "points" (2-D points in three classes), is
added as _variants/example/points/ and its name appended to `example` in cookiecutter.json;
nothing else changes. The slow test bakes it and trains it with the project's own entry points.
Its files are written here as strings, with the same placeholders as the real examples.
"""

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from cookiecutter.exceptions import FailedHookException

from conftest import NOT_TEMPLATE, TEMPLATE, bake_into, copy_template, run

EXAMPLE = "points"
PACKAGE = "{{ cookiecutter.package_name }}"
SOURCE = "src/{{cookiecutter.package_name}}"

POINTS_FILES = {
    "README.md": """\
## The example: points in the plane

`make example-data` writes data/raw/points.csv: 2-D points around three centres, one class each.
""",
    "configs/data/default.yaml": f"""\
# 2-D points with a class each: data/raw/points.csv, columns x, y, class.
_target_: {PACKAGE}.data.points.PointsData
name: points
raw_file: ${{paths.data_dir}}/raw/points.csv
processed_dir: ${{paths.data_dir}}/processed
batch_size: 32
num_workers: 0
preparation:
  val_fraction: 0.2
  test_fraction: 0.2
  split_seed: 0
""",
    "configs/model/default.yaml": f"""\
# A small network for points (src/{PACKAGE}/models/points_net.py), trained as a classifier.
_target_: {PACKAGE}.models.classifier.Classifier
network:
  _target_: {PACKAGE}.models.points_net.PointsNet
  hidden: 16
optimizer:
  _target_: torch.optim.Adam
  _partial_: true
  lr: 0.01
scheduler:
  _target_: torch.optim.lr_scheduler.ReduceLROnPlateau
  _partial_: true
  factor: 0.5
  patience: 2
""",
    "configs/experiment/example.yaml": """\
# @package _global_
description: "A wider hidden layer"

model:
  network:
    hidden: 64
""",
    f"{SOURCE}/data/example.py": '''\
"""Fill data/raw with the example: 2-D points around three centres, one class per centre."""

import sys
from pathlib import Path

import numpy as np

RAW_DIR = Path("data/raw")
CENTRES = {"red": (0.0, 0.0), "green": (3.0, 0.0), "blue": (0.0, 3.0)}


def write_example(raw_dir: Path) -> Path:
    """Write 100 points per class to raw_dir/points.csv and return its path."""
    rng = np.random.default_rng(0)
    rows = [
        f"{x:.4f},{y:.4f},{name}"
        for name, centre in CENTRES.items()
        for x, y in rng.normal(centre, 0.5, size=(100, 2))
    ]
    raw_dir.mkdir(parents=True, exist_ok=True)
    path = raw_dir / "points.csv"
    path.write_text("x,y,class\\n" + "\\n".join(rows) + "\\n")
    return path


def main() -> None:
    if RAW_DIR.exists() and any(RAW_DIR.iterdir()):
        sys.exit(f"{RAW_DIR} already holds files: the example only goes into an empty folder.")
    print(f"Wrote {write_example(RAW_DIR)}. Next: `make data`.")


if __name__ == "__main__":
    main()
''',
    f"{SOURCE}/data/points.py": f'''\
"""Points with a class each: a CSV file with columns x, y, class (configs/data/default.yaml)."""

from pathlib import Path

import numpy as np

from {PACKAGE}.data.datamodule import PreparedData
from {PACKAGE}.data.info import DataInfo
from {PACKAGE}.data.splits import stratified_split


class PointsData(PreparedData):
    """Classify 2-D points; `preparation` holds val_fraction, test_fraction and split_seed."""

    def __init__(
        self,
        name: str,
        raw_file: str,
        processed_dir: str,
        preparation: dict,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__(name, processed_dir, preparation, batch_size, num_workers)
        self.raw_file = Path(raw_file)

    def prepare(self) -> DataInfo:
        table = np.loadtxt(self.raw_file, delimiter=",", skiprows=1, dtype=str)
        points = table[:, :2].astype(np.float32)
        class_names, labels = np.unique(table[:, 2], return_inverse=True)
        settings = self.preparation
        rows = stratified_split(
            labels, settings["val_fraction"], settings["test_fraction"], settings["split_seed"]
        )
        info = self.make_info(
            input_shape=[2], task="classification", target="class", class_names=class_names.tolist()
        )
        arrays = {{split: (points[index], labels[index].astype(np.int64)) for split, index in rows.items()}}
        self.write_splits(arrays, info)
        return info
''',
    f"{SOURCE}/models/points_net.py": '''\
"""A small network for 2-D points: one hidden layer."""

import torch
from torch import nn


class PointsNet(nn.Module):
    def __init__(self, input_shape: list[int], num_outputs: int, hidden: int = 16) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(input_shape[0], hidden), nn.ReLU(), nn.Linear(hidden, num_outputs)
        )

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return self.layers(points)  # [B, 2] -> [B, num_outputs] logits
''',
    "notebooks/01-explore-data.ipynb": nbformat.writes(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 01 - Explore the points")])
    ),
}


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file of a template folder, as copy_template copies it, with its content."""
    files = {}
    for root, dirs, names in os.walk(folder):
        ignored = NOT_TEMPLATE(root, [*dirs, *names])
        dirs[:] = [name for name in dirs if name not in ignored]
        for name in names:
            if name not in ignored:
                path = Path(root, name)
                files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def add_example(template: Path, name: str, files: dict[str, str]) -> None:
    """What a maintainer does: one folder _variants/example/<name>/, one entry in cookiecutter.json."""
    folder = template / "{{cookiecutter.project_slug}}" / "_variants" / "example" / name
    for relative, content in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(content)
    questions_file = template / "cookiecutter.json"
    questions = json.loads(questions_file.read_text())
    questions["example"].append(name)
    questions_file.write_text(json.dumps(questions, indent=2, ensure_ascii=False) + "\n")


@pytest.mark.slow
def test_a_third_example_is_one_folder_and_one_entry(tmp_path: Path) -> None:
    template = copy_template(tmp_path / "template")
    add_example(template, EXAMPLE, POINTS_FILES)

    # The copy differs from the template by the new folder and cookiecutter.json only.
    original, changed = files_of(TEMPLATE), files_of(template)
    differences = {
        name for name in original.keys() | changed.keys() if original.get(name) != changed.get(name)
    }
    new_folder = f"{{{{cookiecutter.project_slug}}}}/_variants/example/{EXAMPLE}/"
    assert {name for name in differences if not name.startswith(new_folder)} == {"cookiecutter.json"}
    old_questions = json.loads(original["cookiecutter.json"])
    assert json.loads(changed["cookiecutter.json"]) == {
        **old_questions,
        "example": [*old_questions["example"], EXAMPLE],
    }

    project = bake_into(tmp_path / "baked", template=template, example=EXAMPLE)
    package = project / "src" / "cloud_classifier"
    assert (package / "data" / "points.py").is_file() and (package / "models" / "points_net.py").is_file()
    assert not (project / "_variants").exists()
    assert "## The example: points in the plane" in (project / "README.md").read_text()

    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(tmp_path / "wandb"),
        "WANDB_CACHE_DIR": str(tmp_path / "wandb"),
        "WANDB_CONFIG_DIR": str(tmp_path / "wandb"),
    }
    for module, *overrides in (
        ["cloud_classifier.data.example"],
        ["cloud_classifier.data.prepare"],
        ["cloud_classifier.train", "trainer=cpu", "trainer.max_epochs=2", "logger=csv"],
    ):
        run([sys.executable, "-m", module, *overrides], cwd=project, env=env)
    assert list((project / "outputs" / "train").glob("*/checkpoints/*.ckpt"))
    rows = (project / "results" / "results.csv").read_text().strip().splitlines()
    assert len(rows) == 2 and "points" in rows[1]  # a header and this run's row


def test_a_variant_that_would_replace_a_common_file_stops_the_bake(tmp_path: Path) -> None:
    """An example adds files; one with the path of a common file would hide it: the bake stops."""
    template = copy_template(tmp_path / "template")
    add_example(template, "clash", {"Makefile": "all:\n"})
    with pytest.raises(FailedHookException):
        bake_into(tmp_path / "baked", template=template, example="clash")
    assert not (tmp_path / "baked").exists() or list((tmp_path / "baked").iterdir()) == []
