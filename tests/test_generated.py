"""Slow tier: install named cells once each and run what a researcher would run in them.

Cells: the defaults (images), the tabular example, and awkward-but-valid answers. Each runs its own
test suite (`make test`); the default cell also goes through the README's commands end to end.
"""

import re

import pytest

pytestmark = pytest.mark.slow

CELLS = {
    "default": {},
    "tabular": {"example_task": "tabular"},
    "awkward": {
        "project_name": "José O'Brien's \"Cloud\" Study",
        "description": 'Clouds "seen" from a balloon \\ at 30 km, naïvely',
        "author_name": "José O'Brien",
        "license": "GPL-3.0",
    },
}


@pytest.mark.parametrize("cell", CELLS)
def test_generated_tests_pass(installed_project, cell: str) -> None:
    project = installed_project(cell, **CELLS[cell])
    output = project.make("test")
    assert re.search(r"\d+ passed", output) and " failed" not in output


def test_make_help_lists_every_target(installed_project) -> None:
    project = installed_project("default")
    makefile_targets = set(re.findall(r"^([a-z-]+):.*##", (project.path / "Makefile").read_text(), re.M))
    listed = set(re.findall(r"make (\S+)", project.make("help")))
    assert {"install", "data", "train", "evaluate", "test", "lint"} <= listed
    assert listed == makefile_targets


def test_readme_flow_trains_and_evaluates(installed_project) -> None:
    """make example-data -> make data -> make train -> make evaluate, as the README says."""
    project = installed_project("default")
    project.make("example-data")
    project.make("data")
    train_output = project.make("train", "ARGS=trainer.max_epochs=3 logger=csv")
    accuracy = float(re.findall(r"test/acc\s+([0-9.]+)", train_output)[-1])
    assert accuracy > 0.5  # 3 epochs on the digits: far above the 0.1 of guessing
    (run,) = (project.path / "outputs" / "train").iterdir()
    assert (run / "checkpoints" / "best.ckpt").is_file()

    evaluate_output = project.make("evaluate")  # the newest run's best checkpoint by default
    assert float(re.findall(r"test/acc\s+([0-9.]+)", evaluate_output)[-1]) == pytest.approx(accuracy)


def test_example_data_refuses_to_overwrite(installed_project) -> None:
    project = installed_project("tabular", **CELLS["tabular"])
    project.make("example-data")
    result = project.run_unchecked("make", f"PYTHON={project.python}", "example-data")
    assert result.returncode != 0 and "only goes into an empty folder" in result.stderr


def test_missing_data_gives_the_command_not_a_traceback(installed_project) -> None:
    project = installed_project("awkward", **CELLS["awkward"])
    result = project.run_unchecked("make", f"PYTHON={project.python}", "train")
    assert result.returncode != 0
    assert "run `make data` first" in result.stderr and "Traceback" not in result.stderr


def test_lint_passes(installed_project) -> None:
    installed_project("default").make("lint")
