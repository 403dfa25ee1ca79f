"""The top-level modules of a baked project's dependencies, all of them, down to the last one.

A package named like any of them (`scipy`, `tqdm`, `rich`, `git`, ...) bakes, installs, and then
hides the real module from the library that imports it: `make example-data` fails far from the
cause. The pre-generation hook refuses these names as package names; its DEPENDENCY_MODULES lists
them. Regenerate that list after changing the project's dependencies or this environment:

    .venv/bin/python tests/dependency_modules.py

tests/test_hooks.py fails when an installed dependency provides a module the list lacks.
The names come from this environment, which holds every dependency of the baked projects (the
clients of remote DVC storage, `dvc[s3]` and the like, only when they are installed here).
"""

import importlib.util
import re
import sys
import tempfile
import textwrap
import tomllib
from importlib.metadata import Distribution, distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

TEMPLATE = Path(__file__).resolve().parents[1]
HOOK = TEMPLATE / "hooks" / "pre_gen_project.py"
# The hook's generated lines: the names between the quotes.
LISTED = re.compile(r'(?<=^DEPENDENCY_NAMES = """)\n.*?(?=""")', re.DOTALL | re.MULTILINE)


def project_requirements(project: Path) -> list[str]:
    """What a baked project's pyproject.toml asks for: to build, to run and to develop it."""
    settings = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    optional = settings["project"].get("optional-dependencies", {}).values()
    return [
        *settings["build-system"]["requires"],
        *settings["project"]["dependencies"],
        *(requirement for group in optional for requirement in group),
    ]


def installed_closure(requirements: list[str]) -> list[Distribution]:
    """The installed distributions these requirements pull in, directly or through others."""
    installed = {canonicalize_name(dist.metadata["Name"]): dist for dist in distributions()}
    found: dict[str, Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(Requirement(text), frozenset({""})) for text in requirements]
    while pending:
        requirement, extras_asked = pending.pop()
        marker = requirement.marker
        if marker and not any(marker.evaluate({"extra": extra}) for extra in extras_asked):
            continue
        name = canonicalize_name(requirement.name)
        extras = frozenset({"", *map(canonicalize_name, requirement.extras)})
        if name not in installed or (name, extras) in seen:
            continue
        seen.add((name, extras))
        found[name] = installed[name]
        pending += [(Requirement(text), extras) for text in installed[name].requires or []]
    return list(found.values())


def top_level_modules(dist: Distribution) -> set[str]:
    """The importable names a distribution installs: its top_level.txt and its files' top level."""
    names = {line.strip().split("/")[0] for line in (dist.read_text("top_level.txt") or "").splitlines()}
    for file in dist.files or []:
        first, *rest = file.parts
        if first in ("..", "__pycache__") or first.endswith((".dist-info", ".data", ".egg-info")):
            continue
        if not rest and file.suffix in (".py", ".so", ".pyd"):
            names.add(first.split(".")[0])  # a module, or an extension module: name.cpython-311-....so
        elif rest and file.suffix in (".py", ".so", ".pyd"):
            names.add(first)  # a package, or a namespace package like `google`
    # `_private` modules are no names a user would choose for a project.
    return {name for name in names if name.isidentifier() and not name.startswith("_")}


def dependency_modules(projects: list[Path]) -> set[str]:
    requirements = [text for project in projects for text in project_requirements(project)]
    return {name for dist in installed_closure(requirements) for name in top_level_modules(dist)}


def listed_modules() -> set[str]:
    """The hook's DEPENDENCY_MODULES (the hook imports as it stands, unrendered)."""
    spec = importlib.util.spec_from_file_location("pre_gen_project", HOOK)
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    return hook.DEPENDENCY_MODULES


def bake_examples(output_dir: Path) -> list[Path]:
    """One baked project per example, with the default answers otherwise."""
    from conftest import QUESTIONS, bake_into

    return [bake_into(output_dir / example, example=example) for example in QUESTIONS["example"]]


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    with tempfile.TemporaryDirectory() as folder:
        names = dependency_modules(bake_examples(Path(folder)))
    lines = textwrap.fill(" ".join(sorted(names)), width=100, break_on_hyphens=False)
    source, count = LISTED.subn(f"\n{lines}\n", HOOK.read_text(encoding="utf-8"))
    assert count == 1, f"{HOOK} has no DEPENDENCY_NAMES to rewrite"
    HOOK.write_text(source, encoding="utf-8")
    print(f"{HOOK}: DEPENDENCY_MODULES lists {len(names)} modules")


if __name__ == "__main__":
    main()
