"""Keys stay out of git: secret files are ignored, and a commit that adds a key is refused.

Real git and real pre-commit, in a fresh repository holding this project's .gitignore and
.pre-commit-config.yaml; pre-commit's cache goes to a temporary folder; no network is needed.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT

# Made-up keys of the real formats: W&B's 40 hex digits, AWS's documented example pair. Written
# in pieces, so that this file itself passes the hook it tests.
LEAKY_ENV = (
    "WANDB_API_KEY" + "=" + "0123456789abcdef" * 2 + "01234567\n"
    "AWS_ACCESS_KEY_ID" + "=" + "AKIA" + "IOSFODNN7EXAMPLE\n"
    "AWS_SECRET_ACCESS_KEY" + "=" + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
)


@pytest.fixture
def repository(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A new git repository with this project's ignore rules and pre-commit hooks installed."""
    shutil.copy(PROJECT_ROOT / ".gitignore", tmp_path)
    shutil.copy(PROJECT_ROOT / ".pre-commit-config.yaml", tmp_path)
    env = {
        **os.environ,
        # The hooks call the tools of this environment (pre-commit-hooks' detect-aws-credentials).
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path / ".pre-commit-home"),
        "HOME": str(tmp_path),  # no AWS or git settings of the user's
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    for command in (
        ["git", "init", "--quiet"],
        ["git", "config", "user.email", "ada@example.org"],
        ["git", "config", "user.name", "Ada"],
        [sys.executable, "-m", "pre_commit", "install"],
    ):
        subprocess.run(command, cwd=tmp_path, env=env, check=True, capture_output=True)
    return tmp_path, env


@pytest.mark.parametrize(
    "name", [".env", ".env.local", ".netrc", "gcp-credentials.json", "id_rsa", "server.pem"]
)
def test_secret_files_are_ignored(repository, name: str) -> None:
    path, env = repository
    (path / name).write_text("secret\n")
    ignored = subprocess.run(["git", "check-ignore", "--quiet", name], cwd=path, env=env)
    assert ignored.returncode == 0, f"{name} is not git-ignored"


def test_commit_adding_keys_is_refused(repository) -> None:
    """Even forced past .gitignore (`git add -f .env`), the keys never reach a commit."""
    path, env = repository
    (path / ".env").write_text(LEAKY_ENV)
    subprocess.run(["git", "add", "-f", ".env"], cwd=path, env=env, check=True)
    commit = subprocess.run(
        ["git", "commit", "-m", "add settings"], cwd=path, env=env, capture_output=True, text=True
    )
    said = commit.stdout + commit.stderr
    assert commit.returncode != 0, said
    assert "refuse W&B and AWS keys written in files" in said
    assert ".env:1:WANDB_API_KEY" in said and ".env:3:AWS_SECRET_ACCESS_KEY" in said
    log = subprocess.run(["git", "log"], cwd=path, env=env, capture_output=True, text=True)
    assert log.returncode != 0  # no commit at all


def test_commit_without_keys_passes(repository) -> None:
    """The hook refuses keys, not the mention of them (e.g. a README saying where keys go)."""
    path, env = repository
    (path / "notes.md").write_text("Set WANDB_API_KEY in .env, never here.\n")
    subprocess.run(["git", "add", "notes.md"], cwd=path, env=env, check=True)
    commit = subprocess.run(
        ["git", "commit", "-m", "notes"], cwd=path, env=env, capture_output=True, text=True
    )
    assert commit.returncode == 0, commit.stdout + commit.stderr
