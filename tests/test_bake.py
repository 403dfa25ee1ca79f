"""Fast tier: bake every cell of the option matrix and check what comes out.

The matrix is data: the defaults, each choice of cookiecutter.json changed one at a time (read
from the file, so a new option is covered as soon as it is added), and explicit pairs of options
that interact. Every bake must be free of template leftovers, lint clean, and have configs that
parse and say what the answers asked for.
"""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import QUESTIONS


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
    "tabular+no-license": {"example_task": "tabular", "license": "none"},
    "tabular+python-3.10": {"example_task": "tabular", "python_version": "3.10"},
    "tabular+no-git": {"example_task": "tabular", "init_git": False},
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


@pytest.fixture(params=list(CELLS.values()), ids=list(CELLS))
def baked(request: pytest.FixtureRequest, bake) -> tuple[Path, dict]:
    answers = request.param
    return bake(**answers), {**defaults(), **answers}


def defaults() -> dict:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in QUESTIONS.items()}


def project_files(project: Path) -> list[Path]:
    return [p for p in project.rglob("*") if p.is_file() and ".git" not in p.relative_to(project).parts]


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


def test_defaults_lists_name_existing_options(baked) -> None:
    """Every `group: option` in a top-level config must exist as configs/<group>/<option>.yaml."""
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
    task_files = {"images": ("digits", "cnn"), "tabular": ("penguins", "mlp")}
    data, model = task_files[answers["example_task"]]
    assert [p.stem for p in (project / "configs" / "data").glob("*.yaml")] == [data]
    assert [p.stem for p in (project / "configs" / "model").glob("*.yaml")] == [model]


def test_git_repository_when_asked(baked) -> None:
    project, answers = baked
    if not answers["init_git"]:
        assert not (project / ".git").exists()
        return
    log = subprocess.run(["git", "log", "--format=%an <%ae>"], cwd=project, capture_output=True, text=True)
    assert log.stdout.strip() == f"{answers['author_name']} <{answers['author_email']}>"
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True)
    assert status.stdout == "", f"files left out of the first commit:\n{status.stdout}"
