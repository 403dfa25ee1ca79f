"""Fixtures for the template's own tests: bake the template with real cookiecutter.

Two tiers (see README.md, "Testing the template"):
- fast: `bake()` renders one cell of the option matrix into a temporary folder (about a second);
- slow (`-m slow`): `installed_project(**answers)` bakes a cell once per session, installs it into
  a virtual environment layered on this one's packages, and runs its own tests and commands there.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv as venv_module
from collections.abc import Callable
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
QUESTIONS = json.loads((TEMPLATE / "cookiecutter.json").read_text())
PROJECT_TEMPLATE = TEMPLATE / "{{cookiecutter.project_slug}}"
# What is not part of the template in a checkout: environments, caches, baked demos, git itself.
NOT_TEMPLATE = shutil.ignore_patterns(".git", ".venv", "build", "__pycache__", ".*_cache", "*.egg-info")


def bake_into(output_dir: Path, template: Path = TEMPLATE, **answers: object) -> Path:
    """Bake the template with these answers (the rest default) and return the project folder."""
    questions = json.loads((template / "cookiecutter.json").read_text())
    unknown = set(answers) - set(questions)
    assert not unknown, f"not questions of cookiecutter.json: {unknown}"  # cookiecutter ignores typos
    project = cookiecutter(
        str(template),
        no_input=True,
        extra_context=answers,
        output_dir=str(output_dir),
        default_config=True,  # ignore the user's ~/.cookiecutterrc
    )
    return Path(project)


@pytest.fixture
def bake(tmp_path: Path) -> Callable[..., Path]:
    """Bake into this test's temporary folder: `bake(example="tabular")`."""
    return lambda **answers: bake_into(tmp_path, **answers)


def copy_template(destination: Path) -> Path:
    """Copy this checkout's template (its working tree, without environments and caches)."""
    shutil.copytree(TEMPLATE, destination, ignore=NOT_TEMPLATE)
    return destination


def run(command: list[str], cwd: Path, env: dict | None = None, timeout: int = 900) -> str:
    """Run a command, fail the test with its output if it fails, and return its output."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output[-6000:]}"
    return output


class InstalledProject:
    """A baked project, installed in its own virtual environment, with helpers to run in it."""

    def __init__(self, path: Path, venv: Path) -> None:
        self.path = path
        self.python = venv / "bin" / "python"
        self.env = {
            **os.environ,
            # The parent environment's tools (pre-commit's hooks, ruff) after the project's own:
            # its packages reach the project through a .pth file, but their commands do not.
            "PATH": os.pathsep.join(
                [str(venv / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]]
            ),
            "WANDB_MODE": "offline",
            "WANDB_DIR": str(path / ".wandb-home"),
            "WANDB_CACHE_DIR": str(path / ".wandb-home"),
            "WANDB_CONFIG_DIR": str(path / ".wandb-home"),
            "WANDB_SILENT": "true",
        }
        self.env.pop("PYTHONPATH", None)

    def run(self, *command: str, timeout: int = 900) -> str:
        return run(list(command), cwd=self.path, env=self.env, timeout=timeout)

    def run_unchecked(self, *command: str) -> subprocess.CompletedProcess:
        """Run a command that may fail; the caller checks its status and output."""
        return subprocess.run(command, cwd=self.path, env=self.env, capture_output=True, text=True)

    def make(self, *targets: str) -> str:
        return self.run("make", f"PYTHON={self.python}", *targets)


def cache_key(answers: dict) -> str:
    """The answers as one canonical string: the same answers, in any order, are the same project.

    Answers equal to a question's plain default are dropped, so `installed_project()` and
    `installed_project(example="images")` share one installation.
    """
    defaults = {key: value[0] if isinstance(value, list) else value for key, value in QUESTIONS.items()}
    given = {key: value for key, value in answers.items() if defaults.get(key) != value}
    return json.dumps(given, sort_keys=True, ensure_ascii=False)


def folder_name(answers: dict) -> str:
    """A readable folder name for these answers (the cache key decides identity, not this)."""
    words = "-".join(f"{key}-{value}" for key, value in sorted(answers.items())) or "defaults"
    return re.sub(r"[^A-Za-z0-9-]+", "_", words)[:60]


@pytest.fixture(scope="session")
def installed_project(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., InstalledProject]:
    """Bake and install a project once per session for each set of answers.

    `installed_project(example="tabular")`: the cache is keyed by the answers themselves.
    """
    installed: dict[str, InstalledProject] = {}

    def install(**answers: object) -> InstalledProject:
        key = cache_key(answers)
        if key not in installed:
            root = tmp_path_factory.mktemp(folder_name(json.loads(key)))
            project = bake_into(root, **answers)
            venv = root / "venv"
            # The project's dependencies are this environment's: the new environment sees them
            # through a .pth file instead of downloading them again, and the project itself is
            # installed for real, with its dev extra.
            venv_module.create(venv, with_pip=False)
            own_site = Path(sysconfig.get_path("purelib", vars={"base": str(venv)}))
            (own_site / "parent-environment.pth").write_text(sysconfig.get_path("purelib") + "\n")
            run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index",
                 "--no-build-isolation", "-e", ".[dev]"],
                cwd=project,
            )  # fmt: skip
            installed[key] = InstalledProject(project, venv)
        return installed[key]

    return install
