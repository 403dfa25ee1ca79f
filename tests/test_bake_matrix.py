"""Fast tier: bake every cell of the option matrix and check what comes out.

The matrix is data: the defaults, each choice of cookiecutter.json changed one at a time (read
from the file, so a new option or a new example is covered as soon as it is added), and named pairs
of options that interact. Every bake must be free of template leftovers, lint clean, have configs
that parse and say what the answers asked for, and hold exactly the common core plus the folders
of the chosen variants (_variants/<question>/<answer>/), with no _variants folder left.
"""

import ast
import importlib
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT_TEMPLATE, QUESTIONS

VARIANTS = PROJECT_TEMPLATE / "_variants"
PACKAGE_FOLDER = "{{cookiecutter.package_name}}"
README_SECTION = "README.md"  # an example's README is a section of the project's, not a file


def one_change_at_a_time() -> dict[str, dict]:
    cells = {"defaults": {}}
    for key, default in QUESTIONS.items():
        if key.startswith("_"):
            continue
        if isinstance(default, list):
            cells.update({f"{key}={value}": {key: value} for value in default[1:]})
        elif isinstance(default, bool):
            cells[f"{key}={not default}"] = {key: not default}
    return cells


PAIRS = {
    # Options that meet in the same files.
    "tabular+no-license": {"example": "tabular", "license": "none"},
    "tabular+python-3.10": {"example": "tabular", "python_version": "3.10"},
    "tabular+no-git": {"example": "tabular", "init_git": False},
    "tabular+gitlab": {"example": "tabular", "ci": "gitlab"},
    # Answers that must survive quoting in TOML, YAML, Python and JSON.
    "awkward-text": {
        "project_name": "José O'Brien's \"Cloud\" Study",
        "description": 'Clouds "seen" from a balloon \\ at 30 km, naïvely',
        "author_name": "José O'Brien",
    },
}
CELLS = {**one_change_at_a_time(), **PAIRS}

# Template syntax that must not survive a bake. GitHub Actions' own `${{ ... }}` is allowed.
LEFTOVER = re.compile(r"(?<!\$)\{\{|\{%|cookiecutter\.")


def defaults() -> dict:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in QUESTIONS.items()}


@pytest.fixture(params=list(CELLS.values()), ids=list(CELLS))
def baked(request: pytest.FixtureRequest, bake) -> tuple[Path, dict]:
    answers = request.param
    return bake(**answers), {**defaults(), **answers}


def project_files(project: Path) -> list[Path]:
    return [p for p in project.rglob("*") if p.is_file() and ".git" not in p.relative_to(project).parts]


def package_of(project: Path, answers: dict) -> str:
    """The package name: the one answered, else the default's, derived from the slug."""
    package = answers.get("package_name", "")
    return project.name.replace("-", "_") if "{{" in package or not package else package


# ---------------------------------------------------------------------------------- every cell


def test_no_template_leftovers(baked) -> None:
    project, _ = baked
    for path in project_files(project):
        relative = path.relative_to(project)
        assert not LEFTOVER.search(str(relative)), f"template syntax in the name {relative}"
        match = LEFTOVER.search(path.read_text(encoding="utf-8"))
        assert not match, f"template syntax {match.group()!r} left in {relative}"


def test_python_compiles_and_passes_ruff(baked) -> None:
    project, _ = baked
    for path in project.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    for command in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command], cwd=project, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_configs_parse(baked) -> None:
    project, _ = baked
    for path in project_files(project):
        if path.suffix in (".yaml", ".yml"):
            list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        elif path.suffix == ".toml":
            tomllib.loads(path.read_text(encoding="utf-8"))


def template_files(folder: Path) -> set[str]:
    """Every file under a folder of the template, as a relative POSIX path."""
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def expected_tree(answers: dict, package: str) -> set[str]:
    """The common core, plus the folder of each chosen variant (without its README section)."""
    files = {name for name in template_files(PROJECT_TEMPLATE) if not name.startswith("_variants/")}
    for question in VARIANTS.iterdir():
        chosen = question / str(answers[question.name])
        if chosen.is_dir():  # an answer like license=none has no folder: it adds nothing
            files |= template_files(chosen) - {README_SECTION}
    return {name.replace(PACKAGE_FOLDER, package) for name in files}


def test_tree_is_the_core_plus_the_chosen_variants(baked) -> None:
    project, answers = baked
    baked_files = {path.relative_to(project).as_posix() for path in project_files(project)}
    assert not (project / "_variants").exists()
    expected = expected_tree(answers, package_of(project, answers))
    assert baked_files == expected, (
        f"missing: {sorted(expected - baked_files)}, unexpected: {sorted(baked_files - expected)}"
    )


def test_pyproject_says_what_was_asked(baked) -> None:
    project, answers = baked
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["name"] == project.name  # the slug names both
    assert metadata["description"] == answers["description"]
    assert metadata["authors"] == [{"name": answers["author_name"], "email": answers["author_email"]}]
    assert metadata["requires-python"] == f">={answers['python_version']}"
    package = metadata["scripts"][f"{metadata['name']}-train"].split(".")[0]
    assert (project / "src" / package / "train.py").is_file()


LICENSE_FIRST_WORDS = {
    "MIT": "MIT License",
    "BSD-3-Clause": "BSD 3-Clause License",
    "Apache-2.0": "Apache License",
    "GPL-3.0": "GNU GENERAL PUBLIC LICENSE",
}


def test_license_matches_the_answer(baked) -> None:
    project, answers = baked
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    if answers["license"] == "none":
        assert not (project / "LICENSE").exists() and "license" not in metadata
    else:
        assert (project / "LICENSE").read_text().strip().startswith(LICENSE_FIRST_WORDS[answers["license"]])
        assert metadata["license"].startswith(answers["license"])


def targets_in(config: object) -> Iterator[str]:
    """Every `_target_` in a parsed config, however deep."""
    if isinstance(config, dict):
        if "_target_" in config:
            yield config["_target_"]
        for value in config.values():
            yield from targets_in(value)
    elif isinstance(config, list):
        for value in config:
            yield from targets_in(value)


def classes_in(module_file: Path) -> dict[str, list[str]]:
    """The classes a module defines, each with the names of its bases (read, not imported)."""
    tree = ast.parse(module_file.read_text(encoding="utf-8"))
    return {
        node.name: [ast.unparse(base).split(".")[-1] for base in node.bases]
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    }


def assert_target_exists(project: Path, package: str, target: str) -> list[str]:
    """A `_target_` of the project is a class its package defines (its bases are returned);
    any other is an importable class (torch's optimizers, Lightning's callbacks...)."""
    module, _, name = target.rpartition(".")
    if module.split(".")[0] != package:
        assert hasattr(importlib.import_module(module), name), target
        return []
    module_file = project / "src" / Path(*module.split(".")).with_suffix(".py")
    assert module_file.is_file(), f"{target}: no {module_file.relative_to(project)}"
    classes = classes_in(module_file)
    assert name in classes, f"{target}: no class {name} in {module_file.relative_to(project)}"
    return classes[name]


def test_defaults_lists_and_targets_name_what_exists(baked) -> None:
    """Every `group: option` in a top-level config exists as configs/<group>/<option>.yaml, and
    every `_target_` of the data and model configs names a class that exists."""
    project, answers = baked
    for top in ("train", "evaluate", "prepare"):
        config = yaml.safe_load((project / "configs" / f"{top}.yaml").read_text())
        for entry in config["defaults"]:
            if not isinstance(entry, dict):
                continue
            ((group, option),) = entry.items()
            group = group.removeprefix("optional ")
            if option is not None:
                assert (project / "configs" / group / f"{option}.yaml").is_file(), (top, group, option)
    package = package_of(project, answers)
    for group in ("data", "model"):
        for path in (project / "configs" / group).glob("*.yaml"):
            for target in targets_in(yaml.safe_load(path.read_text())):
                assert_target_exists(project, package, target)


def test_git_repository_when_asked(baked) -> None:
    project, answers = baked
    if not answers["init_git"]:
        assert not (project / ".git").exists()
        return
    log = subprocess.run(["git", "log", "--format=%an <%ae>"], cwd=project, capture_output=True, text=True)
    assert log.stdout.strip() == f"{answers['author_name']} <{answers['author_email']}>"
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True)
    assert status.stdout == "", f"files left out of the first commit:\n{status.stdout}"


# ---------------------------------------------------------------------------------- variants


def test_variant_folders_match_the_answers() -> None:
    """Every example has a folder; every variant folder is an answer; only `none` adds nothing."""
    assert sorted(path.name for path in (VARIANTS / "example").iterdir()) == sorted(QUESTIONS["example"])
    for question in VARIANTS.iterdir():
        folders = {path.name for path in question.iterdir()}
        assert folders <= set(QUESTIONS[question.name]), f"_variants/{question.name}: not answers"
        assert set(QUESTIONS[question.name]) - folders <= {"none"}, f"_variants/{question.name}"


# What every example provides (README.md, "Adding an example"), then what each adds of its own.
EXAMPLE_CONTRACT = [
    "configs/data/default.yaml",
    "configs/model/default.yaml",
    "configs/experiment/example.yaml",
    "src/{package}/data/example.py",
    "notebooks/01-explore-data.ipynb",
]
EXAMPLE_OWN_FILES = {
    "images": [
        "src/{package}/data/images.py",
        "src/{package}/models/cnn.py",
        "src/{package}/image_plots.py",
        "tests/test_images.py",
    ],
    "tabular": [
        "src/{package}/data/table.py",
        "src/{package}/models/mlp.py",
        "src/{package}/models/regressor.py",
        "src/{package}/regression_plots.py",
        "configs/model/regressor.yaml",
        "configs/experiment/body_mass.yaml",
        "tests/test_tabular.py",
        "tests/test_regression.py",
    ],
}


@pytest.mark.parametrize("example", QUESTIONS["example"])
def test_example_produces_exactly_its_files(bake, example: str) -> None:
    """The bake is the core plus the example's folder, and holds the files the contract names."""
    project = bake(project_name="Lab Study", example=example)
    baked_files = {path.relative_to(project).as_posix() for path in project_files(project)}
    expected = expected_tree({**defaults(), "example": example}, "lab_study")
    assert baked_files == expected, (
        f"missing: {sorted(expected - baked_files)}, unexpected: {sorted(baked_files - expected)}"
    )
    own = [name.format(package="lab_study") for name in EXAMPLE_OWN_FILES.get(example, [])]
    others = {
        name.format(package="lab_study")
        for other, names in EXAMPLE_OWN_FILES.items()
        if other != example
        for name in names
    }
    assert [name for name in EXAMPLE_CONTRACT if name.format(package="lab_study") not in baked_files] == []
    assert [name for name in own if name not in baked_files] == []
    assert sorted(others & baked_files - set(own)) == []  # no other example's files
    section = VARIANTS / "example" / example / README_SECTION
    if section.is_file():  # included in the project's README, not copied as a file
        first_line = section.read_text().strip().splitlines()[0]
        assert first_line in (project / "README.md").read_text()


@pytest.mark.parametrize("example", QUESTIONS["example"])
def test_example_configs_keep_the_contract(bake, example: str) -> None:
    """The data config names a PreparedData with its settings; the model config a Classifier
    built from a network, an optimizer and a scheduler (both built later: `_partial_`)."""
    project = bake(example=example)
    package = "cloud_classifier"
    data = yaml.safe_load((project / "configs" / "data" / "default.yaml").read_text())
    assert {"_target_", "name", "processed_dir", "batch_size", "num_workers", "preparation"} <= set(data)
    assert isinstance(data["preparation"], dict)
    assert "PreparedData" in assert_target_exists(project, package, data["_target_"])
    model = yaml.safe_load((project / "configs" / "model" / "default.yaml").read_text())
    assert model["_target_"] == f"{package}.models.classifier.Classifier"
    assert model["optimizer"]["_partial_"] is True and model["scheduler"]["_partial_"] is True
    assert_target_exists(project, package, model["network"]["_target_"])
    experiment = (project / "configs" / "experiment" / "example.yaml").read_text()
    assert experiment.startswith("# @package _global_")
    example_module = ast.parse((project / "src" / package / "data" / "example.py").read_text())
    functions = {node.name for node in example_module.body if isinstance(node, ast.FunctionDef)}
    assert {"write_example", "main"} <= functions


# Regression (predicting a number) is part of the tabular example only; the core knows the word
# (DataInfo.task, the results table), but no other example's file does.
REGRESSION_FILES = [
    "configs/experiment/body_mass.yaml",
    "configs/model/regressor.yaml",
    "src/cloud_classifier/models/regressor.py",
    "src/cloud_classifier/regression_plots.py",
    "tests/test_regression.py",
]
REGRESSION_WORDS = re.compile(r"regress|body_mass|predicted_vs_true|test/r2|\bmae\b|rmse", re.I)


@pytest.mark.parametrize("example", QUESTIONS["example"])
def test_regression_is_baked_into_the_tabular_example_only(bake, example: str) -> None:
    project = bake(example=example)
    mentions = {
        path.relative_to(project).as_posix()
        for path in project_files(project)
        if REGRESSION_WORDS.search(path.read_text(encoding="utf-8"))
    }
    present = [name for name in REGRESSION_FILES if (project / name).is_file()]
    if example != "tabular":
        core = expected_tree({**defaults(), "example": "none"}, "cloud_classifier")
        assert present == [] and mentions <= core, sorted(mentions - core)
        return
    assert present == REGRESSION_FILES
    assert {"src/cloud_classifier/data/table.py", "README.md"} <= mentions
    experiment = yaml.safe_load((project / REGRESSION_FILES[0]).read_text())
    assert experiment["data"] == {
        "preparation": {"target": "body_mass_g", "task": "regression", "target_unit": "g"}
    }
    # It trains a Regressor: named in the experiment, or by overriding the model config.
    regressor = experiment.get("model", {}).get("_target_") == "cloud_classifier.models.regressor.Regressor"
    assert regressor or {"override /model": "regressor"} in experiment.get("defaults", [])
    preparation = yaml.safe_load((project / "configs" / "data" / "default.yaml").read_text())["preparation"]
    assert (preparation["target"], preparation["task"]) == ("species", "classification")
