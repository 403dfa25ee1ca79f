"""Finish the bake: start a git repository with a first commit, when that was asked for.

Options that a project does not use never reach it (conditional file names in the template).
Only folders cannot be conditional in cookiecutter: the GitHub workflow's folder is removed here
when it was left empty. This hook works offline and only needs git.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")


def git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, stdout=subprocess.DEVNULL)


def init_git(author_name: str, author_email: str) -> None:
    """Make the baked files the first commit, authored by the project's author."""
    git("init", "--quiet", "--initial-branch=main")
    git("add", "--all")
    git(
        "-c", f"user.name={author_name}", "-c", f"user.email={author_email}",
        "commit", "--quiet", "--no-verify", "-m", "Initial commit from dl-template",
    )  # fmt: skip


def remove_unused_ci_folder() -> None:
    """Drop .github/ when the CI is not GitHub Actions (its only file was not rendered)."""
    workflows = Path(".github", "workflows")
    if workflows.is_dir() and not any(workflows.iterdir()):
        shutil.rmtree(".github")


if __name__ == "__main__":
    remove_unused_ci_folder()
    if ANSWERS["init_git"]:
        if shutil.which("git") is None:
            print("WARNING: git is not installed; skipped `git init`. Install git, then run it yourself.")
            sys.exit(0)
        init_git(ANSWERS["author_name"], ANSWERS["author_email"])
