"""The pre-generation hook: a bad answer stops the bake with a clear message and leaves nothing.

Every bad answer the hook knows is one row of BAD_ANSWERS, whatever the question (names, email,
W&B, DVC). Awkward but valid answers (quotes, backslashes, accents) are baked by the fast tier
(test_bake_matrix.py) and by the slow tier, which runs the baked project's own tests.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from conftest import TEMPLATE, bake_into

BAD_ANSWERS = {
    # Python package and directory names.
    "package-name-with-dash": ({"package_name": "cloud-study"}, "package_name 'cloud-study'"),
    "package-name-keyword": ({"package_name": "class"}, "package_name 'class'"),
    "package-name-digit-first": ({"package_name": "2clouds"}, "not a valid Python package"),
    "package-shadows-torch": ({"package_name": "torch"}, "would shadow the module 'torch'"),
    "package-shadows-lightning": ({"package_name": "lightning"}, "would shadow"),
    "package-shadows-stdlib": ({"package_name": "json"}, "would shadow the module 'json'"),
    "package-shadows-tests": ({"package_name": "tests"}, "would shadow"),
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
}


@pytest.mark.parametrize("answers, message", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_bad_answer_is_rejected_and_leaves_nothing(
    answers: dict, message: str, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    with pytest.raises(FailedHookException):
        bake_into(tmp_path, **answers)
    stderr = capfd.readouterr().err
    assert message in stderr
    assert "e.g. '" in stderr  # every message shows a valid example
    # Nothing is left, except for a slug with "/": cookiecutter makes "clouds/v2" before the hook
    # runs and removes only "v2", so an empty "clouds" folder stays (no file of ours is written).
    assert [p for p in tmp_path.rglob("*") if not p.is_dir()] == []
    if "/" not in answers.get("project_slug", ""):
        assert list(tmp_path.iterdir()) == []


def test_command_line_shows_one_clear_sentence(tmp_path: Path) -> None:
    """What a user sees: exit status 1 and our sentence, not only cookiecutter's traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "--default-config", str(TEMPLATE),
         "package_name=torch", "-o", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    assert "ERROR: package_name 'torch' would shadow the module 'torch'" in result.stderr
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
