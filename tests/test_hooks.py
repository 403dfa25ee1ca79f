"""The pre-generation hook: a bad answer stops the bake with a clear message and leaves nothing.

Every bad answer the hook knows is one row of BAD_ANSWERS, whatever the question (names, email,
W&B, DVC). Awkward but valid answers (quotes, backslashes, accents) are baked by the fast tier
(test_bake_matrix.py) and by the slow tier, which runs the baked project's own tests.
"""

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from cookiecutter.exceptions import FailedHookException

from conftest import QUESTIONS, TEMPLATE, bake_into
from dependency_modules import bake_examples, dependency_modules, listed_modules

BAD_ANSWERS = {
    # Python package and directory names.
    "package-name-with-dash": ({"package_name": "cloud-study"}, "package_name 'cloud-study'"),
    "package-name-keyword": ({"package_name": "class"}, "package_name 'class'"),
    "package-name-digit-first": ({"package_name": "2clouds"}, "not a valid Python package"),
    "project-name-digit-first": ({"project_name": "3D Segmentation"}, "package_name '3d_segmentation'"),
    "package-name-underscore-first": ({"package_name": "_clouds"}, "starting with a letter"),
    "package-shadows-torch": ({"package_name": "torch"}, "would shadow the module 'torch'"),
    "package-shadows-lightning": ({"package_name": "lightning"}, "would shadow"),
    "package-shadows-stdlib": ({"package_name": "json"}, "would shadow the module 'json'"),
    "package-shadows-tests": ({"package_name": "tests"}, "would shadow"),
    # Modules that only the project's dependencies import, each of which broke a baked project.
    "package-shadows-scipy": ({"project_name": "scipy"}, "the module 'scipy' that the project's"),
    "package-shadows-pyarrow": ({"package_name": "pyarrow"}, "would shadow the module 'pyarrow'"),
    "package-shadows-tqdm": ({"package_name": "tqdm"}, "would shadow the module 'tqdm'"),
    "package-shadows-rich": ({"package_name": "rich"}, "would shadow the module 'rich'"),
    "package-shadows-gitpython": ({"package_name": "git"}, "would shadow the module 'git'"),
    "slug-with-slash": ({"project_slug": "clouds/v2"}, "project_slug 'clouds/v2'"),
    "slug-with-space": ({"project_slug": "cloud study"}, "not usable as a directory"),
    "bad-email": ({"author_email": "ada at example.org"}, "author_email 'ada at example.org'"),
    # Weights & Biases.
    "wandb-project-slash": ({"wandb_project": "lab/clouds"}, "wandb_project 'lab/clouds'"),
    "wandb-entity-space": ({"wandb_entity": "ada lab"}, "wandb_entity 'ada lab'"),
    # DVC remote.
    "s3-remote-with-gs-url": (
        {"dvc_remote": "s3", "dvc_remote_url": "gs://bucket/x"},
        "dvc_remote_url 'gs://bucket/x' is not a s3 URL",
    ),
    "local-remote-with-url": ({"dvc_remote_url": "s3://bucket/x"}, "dvc_remote is 'local'"),
    "remote-url-with-comment": ({"dvc_remote_url": "../store # old"}, "cannot be written"),
    # CPython's own `test` package, names longer than file names allow, and Jinja.
    "package-shadows-stdlib-test": ({"package_name": "test"}, "would shadow the module 'test'"),
    "package-name-too-long": ({"package_name": "a" * 300}, "has 300 characters"),
    "package-name-101-characters": ({"package_name": "a" * 101}, "use at most 100"),
    "slug-too-long": ({"project_slug": "a" * 300}, "use up to 100"),
    "slug-parent-folder": ({"project_slug": "a/b"}, "project_slug 'a/b'"),
    "slug-dot-dot": ({"project_slug": ".."}, "project_slug '..'"),
    "jinja-raw-in-name": ({"project_name": "{% raw %}"}, "project_name '{% raw %}' contains Jinja"),
    "jinja-in-wandb-project": ({"wandb_project": 'pro"j{{x}}'}, "wandb_project 'pro\"j{{x}}'"),
    "jinja-expression": ({"description": "{{ 7*7 }}"}, "description '{{ 7*7 }}' contains Jinja"),
    "jinja-comment": ({"author_name": "{# x #}"}, "author_name '{# x #}' contains Jinja"),
    "jinja-later-answer": ({"project_name": "{{ cookiecutter.wandb_project }}"}, "contains Jinja"),
}


@pytest.mark.parametrize("answers, message", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_bad_answer_is_rejected_and_leaves_nothing(
    answers: dict, message: str, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    with pytest.raises(FailedHookException) as refused:
        bake_into(tmp_path, **answers)
    # The pre-generation hook prints its sentence; the checks that run before it (Jinja in an
    # answer, the project folder's name: local_extensions.py) put it in the exception.
    said = capfd.readouterr().err + str(refused.value)
    assert message in said
    assert "e.g. '" in said  # every message shows a valid example
    assert list(tmp_path.iterdir()) == []  # nothing at all, not even an empty folder


def test_command_line_refuses_jinja_in_one_line(tmp_path: Path) -> None:
    """What a user sees for an answer holding Jinja: one line, status 1, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "--default-config", str(TEMPLATE),
         'wandb_project=pro"j{{x}}', "-o", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    output = (result.stdout + result.stderr).strip()
    assert output.startswith("ERROR: wandb_project 'pro\"j{{x}}' contains Jinja markup")
    assert len(output.splitlines()) == 1 and "Traceback" not in output
    assert list(tmp_path.iterdir()) == []


def test_lab_config_may_refer_to_earlier_answers(bake) -> None:
    """The one form of Jinja allowed in an answer: `{{ cookiecutter.<earlier question> }}`."""
    project = bake(dvc_remote_url="../{{ cookiecutter.project_slug }}-store")
    assert "../cloud-classifier-store" in (project / ".dvc" / "config").read_text()


def test_longest_names_allowed_bake(bake) -> None:
    """A 100-character slug and package name (the limit) bake, so the limit is not too tight."""
    project = bake(project_slug="s" * 100, package_name="p" * 100)
    assert (project / "src" / ("p" * 100) / "train.py").is_file()


def imported_modules(project: Path) -> set[str]:
    """The top-level modules that a baked project's Python files import."""
    names = set()
    for path in project.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def test_every_module_a_project_imports_is_refused_as_package_name(
    tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    """Read from the baked code of every example, so a new import is covered as soon as it is
    written: a package of that name would hide the real module."""
    examples = QUESTIONS["example"]
    projects = [bake_into(tmp_path / example, example=example) for example in examples]
    modules = set().union(*map(imported_modules, projects)) - {"cloud_classifier", "conftest"}
    for module in sorted(name for name in modules if name.isidentifier() and name.islower()):
        with pytest.raises(FailedHookException) as refused:
            bake_into(tmp_path / "refused", package_name=module)
        assert f"package_name {module!r} would shadow" in capfd.readouterr().err + str(refused.value)


def test_every_module_of_the_dependencies_is_listed(tmp_path: Path) -> None:
    """The hook's DEPENDENCY_MODULES names every top-level module that the baked projects'
    dependencies install here, down to the last indirect one (scipy, tqdm, git, ...)."""
    missing = dependency_modules(bake_examples(tmp_path)) - listed_modules()
    assert not missing, f"run `python tests/dependency_modules.py` to list {sorted(missing)}"


def answer_guard() -> ModuleType:
    """local_extensions.py, the module cookiecutter imports (and keeps) for `_extensions`."""
    sys.path.insert(0, str(TEMPLATE))
    try:
        return importlib.import_module("local_extensions")
    finally:
        sys.path.remove(str(TEMPLATE))


def test_names_in_messages_are_accepted() -> None:
    """The names a refusal suggests, and those the README shows, are themselves fine."""
    answers = {
        "project_slug": "cloud-classifier", "package_name": "cloud_classifier",
        "author_email": "ada@example.org", "wandb_project": "cloud-classifier", "wandb_entity": "",
        "dvc_remote": "local", "dvc_remote_url": "../cloud-classifier-dvc-storage",
        "_repo_dir": str(TEMPLATE),
    }  # fmt: skip
    problem = answer_guard().load_hook().problem
    assert problem(answers) is None
    for name in sorted(listed_modules()):
        refusal = problem({**answers, "package_name": name})
        assert refusal, name
        if "would shadow" in refusal:
            assert problem({**answers, "package_name": f"{name}_study"}) is None, refusal
    readme = (TEMPLATE / "README.md").read_text()
    assert "`torch`, `test` or `class`" in readme
    assert all(problem({**answers, "package_name": name}) for name in ("torch", "test", "class"))


@pytest.mark.parametrize(
    "answer, sentence",
    [
        ("package_name=torch", "package_name 'torch' would shadow the module 'torch'"),
        ("project_name=scipy", "package_name 'scipy' would shadow the module 'scipy'"),
        ("project_name=3D Segmentation", "package_name '3d_segmentation' is not a valid"),
        ("project_name=test", "package_name 'test' would shadow the module 'test'"),
        ("project_slug=a/b", "project_slug 'a/b' is not usable"),
    ],
)
def test_command_line_shows_one_clear_sentence(answer: str, sentence: str, tmp_path: Path) -> None:
    """What a user sees: exit status 1 and our sentence alone, no traceback of cookiecutter's."""
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "--default-config", str(TEMPLATE),
         answer, "-o", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    output = (result.stdout + result.stderr).strip()
    assert output.startswith(f"ERROR: {sentence}")
    assert len(output.splitlines()) == 1 and "Traceback" not in output
    assert list(tmp_path.iterdir()) == []


def test_hook_script_refuses_what_the_extension_let_through(
    tmp_path: Path, capfd: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-generation hook checks the answers again, should a later cookiecutter not render
    the project folder's name through local_extensions.py."""
    let_through = SimpleNamespace(problem=lambda answers: None)
    monkeypatch.setattr(answer_guard(), "load_hook", lambda: let_through)
    with pytest.raises(FailedHookException, match="Hook script failed"):
        bake_into(tmp_path, package_name="torch")
    assert "ERROR: package_name 'torch' would shadow the module 'torch'" in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_unknown_example_is_refused_before_any_hook(tmp_path: Path) -> None:
    """A choice outside cookiecutter.json's list never reaches the hooks, and writes nothing."""
    with pytest.raises(ValueError):
        bake_into(tmp_path, example="audio")
    assert list(tmp_path.iterdir()) == []


def test_awkward_name_gets_clean_identifiers(bake) -> None:
    project = bake(project_name="José O'Brien's \"Cloud\" Study")
    assert project.name == "jose-o-brien-s-cloud-study"
    assert (project / "src" / "jose_o_brien_s_cloud_study" / "train.py").is_file()
