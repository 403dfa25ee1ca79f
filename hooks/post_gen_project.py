"""Finish the bake: put the chosen variants into place, then start a git repository if asked.

The project folder holds the code common to every project, with no condition on the answers.
Each choice that adds files is a folder of its own under _variants/<question>/<answer>/, laid out
like the project itself: the example (its data source, network, configs, notebook and tests), the
licence, the CI files. The chosen folder is laid over the project, and _variants/ is deleted.
A new example is a new folder _variants/example/<name>/ plus its name in cookiecutter.json.

This hook works offline and only needs git.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

VARIANTS = Path("_variants")
# An example's README.md is a section of the project's README (included there at bake time),
# not a file of its own.
README_SECTION = "README.md"


def lay_over_project(variant: Path) -> None:
    """Move every file of a variant folder to the same place in the project.

    A variant adds files; it never replaces a common one (that would hide the common code from
    whoever maintains it): a clash stops the bake.
    """
    for source in sorted(variant.rglob("*")):
        target = source.relative_to(variant)
        if source.is_dir() or target == Path(README_SECTION):
            continue
        if target.exists():
            sys.exit(f"ERROR: {source} would replace the common file {target}: rename one of them.")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)


def use_variant(question: str) -> None:
    """Lay the folder of this question's answer over the project; an answer without one adds nothing."""
    variant = VARIANTS / question / str(ANSWERS[question])
    if variant.is_dir():
        lay_over_project(variant)


def use_example() -> None:
    use_variant("example")


def use_license() -> None:
    use_variant("license")  # "none" has no folder: no LICENSE file


def use_ci() -> None:
    use_variant("ci")  # "none" has no folder: no CI file


def remove_variants() -> None:
    shutil.rmtree(VARIANTS)


def git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, stdout=subprocess.DEVNULL)


def init_git(author_name: str, author_email: str) -> None:
    """Make the baked files the first commit, authored by the project's author."""
    if shutil.which("git") is None:
        print("WARNING: git is not installed; skipped `git init`. Install git, then run it yourself.")
        return
    git("init", "--quiet", "--initial-branch=main")
    git("add", "--all")
    git(
        "-c", f"user.name={author_name}", "-c", f"user.email={author_email}",
        "commit", "--quiet", "--no-verify", "-m", "Initial commit from dl-template",
    )  # fmt: skip


if __name__ == "__main__":
    use_example()
    use_license()
    use_ci()
    remove_variants()
    if ANSWERS["init_git"]:
        init_git(ANSWERS["author_name"], ANSWERS["author_email"])
