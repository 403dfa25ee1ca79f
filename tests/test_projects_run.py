"""Slow tier: install baked projects once each and run what a researcher would run in them.

Projects: the defaults (images), the tabular example, and awkward-but-valid answers. The default
and tabular projects run their own test suites (`make test`) and slow tests, and go through the
README's commands end to end, from example data to the results table.
"""

import csv
import re

import pytest

pytestmark = pytest.mark.slow

TABULAR = {"example": "tabular"}
AWKWARD = {
    "project_name": "José O'Brien's \"Cloud\" Study",
    "description": 'Clouds "seen" from a balloon \\ at 30 km, naïvely',
    "author_name": "José O'Brien",
    "license": "GPL-3.0",
}
PROJECTS = {"default": {}, "tabular": TABULAR, "awkward": AWKWARD}


@pytest.mark.parametrize("answers", [{}, TABULAR], ids=["default", "tabular"])
def test_generated_tests_pass(installed_project, answers: dict) -> None:
    project = installed_project(**answers)
    output = project.make("test")
    assert re.search(r"\d+ passed", output) and " failed" not in output


def test_awkward_answers_install_and_train(installed_project) -> None:
    """Quotes, backslashes and accents survive into the installed project: its configs compose
    and a short training runs (the rest of its code is the default project's, tested above)."""
    project = installed_project(**AWKWARD)
    output = project.run(
        str(project.python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "tests/test_configs.py", "tests/test_train.py", "-k", "compose or smoke",
    )  # fmt: skip
    assert re.search(r"\d+ passed", output) and " failed" not in output


# The slow tests that do not depend on the example (cluster, sweeps, resume, benchmark) run in
# the default project; the tabular one runs the pipeline's, which prepare its own data.
@pytest.mark.parametrize("answers, tests", [({}, []), (TABULAR, ["tests/test_dvc.py"])],
                         ids=["default", "tabular"])  # fmt: skip
def test_generated_slow_tests_pass(installed_project, answers: dict, tests: list[str]) -> None:
    """The project's own slow tests (`make test-all` adds them to `make test`)."""
    project = installed_project(**answers)
    output = project.run(
        str(project.python), "-m", "pytest", "-m", "slow", "-q", "-p", "no:cacheprovider", *tests
    )
    assert re.search(r"\d+ passed", output) and " failed" not in output


def test_make_help_lists_every_target(installed_project) -> None:
    project = installed_project()
    makefile_targets = set(re.findall(r"^([a-z-]+):.*##", (project.path / "Makefile").read_text(), re.M))
    listed = set(re.findall(r"^\s*make (\S+)", project.make("help"), re.M))
    assert {"install", "data", "train", "evaluate", "test", "lint"} <= listed
    assert listed == makefile_targets


def test_readme_flow_trains_and_evaluates(installed_project) -> None:
    """make example-data -> make data -> make train -> make evaluate, as the README says."""
    project = installed_project()
    project.make("example-data")
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.org"]
    project.run("git", *identity, "commit", "-q", "-m", "Track the example data")  # as it says
    project.make("data")
    train_output = project.make("train", "ARGS=trainer.max_epochs=3 logger=csv")
    with open(project.path / "results" / "results.csv", newline="") as table:
        (row,) = csv.DictReader(table)
    assert row["git_dirty"] == "False"  # the quick start's results name a commit that holds it all
    accuracy = float(re.findall(r"test/acc\s+([0-9.]+)", train_output)[-1])
    assert accuracy > 0.5  # 3 epochs on the digits: far above the 0.1 of guessing
    (run,) = (project.path / "outputs" / "train").iterdir()
    assert (run / "checkpoints" / "best.ckpt").is_file()

    evaluate_output = project.make("evaluate")  # the newest run's best checkpoint by default
    assert float(re.findall(r"test/acc\s+([0-9.]+)", evaluate_output)[-1]) == pytest.approx(accuracy)


def example_data(project) -> None:
    """Write the example data once per project: several tests share the tabular one."""
    if not any((project.path / "data" / "raw").glob("*")):
        project.make("example-data")


def test_example_data_refuses_to_overwrite(installed_project) -> None:
    project = installed_project(**TABULAR)
    example_data(project)
    result = project.run_unchecked("make", f"PYTHON={project.python}", "example-data")
    assert result.returncode != 0 and "only goes into an empty folder" in result.stderr


def test_newcomer_path_ends_in_a_sorted_results_table(installed_project) -> None:
    """example data -> make data -> make train -> make evaluate -> make repro -> make results."""
    project = installed_project(**TABULAR)
    example_data(project)
    assert (project.path / "data" / "raw.dvc").is_file()
    project.make("data")
    project.make("train", "ARGS=trainer.max_epochs=3 description='three epochs'")
    project.make("evaluate")
    project.make("repro")
    assert (project.path / "metrics.json").is_file() and (project.path / "dvc.lock").is_file()

    table = project.make("results")
    print(table)  # what a newcomer sees (pytest -s shows it)
    header = next(line for line in table.splitlines() if "test/acc" in line)
    rows = [line for line in table.splitlines() if re.match(r"\s*20\d\d-", line)]
    assert len(rows) >= 3  # make train, make evaluate, make repro
    end = header.index("test/acc") + len("test/acc")  # values are right-aligned under their name
    accuracies = [float(row[:end].split()[-1]) for row in rows]
    assert accuracies == sorted(accuracies, reverse=True)

    project.make("data-push")
    storage = project.path.parent / f"{project.path.name}-dvc-storage"
    assert any(storage.rglob("*")), "the default remote is the folder beside the project"


def test_readme_regression_flow_predicts_a_number(installed_project) -> None:
    """make data/train/evaluate ARGS="experiment=body_mass", as the README says, then make results."""
    project = installed_project(**TABULAR)
    example_data(project)
    project.make("data", "ARGS=experiment=body_mass")
    train_output = project.make("train", "ARGS=experiment=body_mass trainer.max_epochs=3 logger=csv")
    mae = float(re.findall(r"test/mae\s+([0-9.]+)", train_output)[-1])
    assert 0 < mae < 1000  # grams; the body masses spread over 2700-6300 g
    run = max((project.path / "outputs" / "train").iterdir(), key=lambda path: path.stat().st_mtime)
    assert (project.path / "reports" / "figures" / run.name / "predicted_vs_true.png").is_file()
    evaluate_output = project.make("evaluate", f"CKPT={run}/checkpoints/best.ckpt")
    assert float(re.findall(r"test/mae\s+([0-9.]+)", evaluate_output)[-1]) == pytest.approx(mae)

    # A classification run on the regression data stops with the command that fixes it.
    result = project.run_unchecked("make", f"PYTHON={project.python}", "train")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    fix = re.search(r'make data ARGS="([^"]*)"', result.stderr)
    assert fix and {"data.preparation.target=species", "data.preparation.task=classification"} <= set(
        fix.group(1).split()
    )
    table = project.make("results")
    assert "test/r2" in table and "Body mass (g) by regression" in table


def test_missing_data_gives_the_command_not_a_traceback(installed_project) -> None:
    project = installed_project(**AWKWARD)
    result = project.run_unchecked("make", f"PYTHON={project.python}", "train")
    assert result.returncode != 0
    assert "run `make data` first" in result.stderr and "Traceback" not in result.stderr


def test_lint_passes(installed_project) -> None:
    installed_project().make("lint")
