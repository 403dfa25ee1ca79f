"""The pre-generation hook: a bad answer stops the bake with a clear message and leaves nothing.

Awkward but valid answers (quotes, backslashes, accents) are baked by the fast tier (test_bake.py)
and by the slow tier, which runs the baked project's own tests.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from conftest import TEMPLATE, bake_into

BAD_ANSWERS = {
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


def test_awkward_name_gets_clean_identifiers(bake) -> None:
    project = bake(project_name="José O'Brien's \"Cloud\" Study")
    assert project.name == "jose-o-brien-s-cloud-study"
    assert (project / "src" / "jose_o_brien_s_cloud_study" / "train.py").is_file()
