"""The lab's tooling around a project: notebooks that survive baking, pre-commit and CI in the
generated project, the template's own CI, lab-wide defaults from a cookiecutter user config, and
cruft updates.

Everything runs offline: pre-commit's hooks call tools installed in this environment (no hook
environment is built, nothing is downloaded), CI files are checked against the JSON schemas that
check-jsonschema ships for GitHub and GitLab, and cruft works from a local git copy of the template.
The generated project's own tests execute the notebooks (the slow tier runs them via `make test`).
"""

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from conftest import PROJECT_TEMPLATE, QUESTIONS, TEMPLATE, copy_template, run

BIN = Path(sys.executable).parent  # the tools of this environment: pre-commit, ruff, nbstripout...
PACKAGE_PLACEHOLDER = "{{ cookiecutter.package_name }}"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
}  # fmt: skip


def tools_env(**extra: str) -> dict[str, str]:
    """This environment's tools first on PATH, as in an activated project environment."""
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **GIT_IDENTITY, **extra}


def git(project: Path, *args: str) -> str:
    return run(["git", *args], cwd=project, env=tools_env())


# ---------------------------------------------------------------------------------- notebooks


@pytest.mark.parametrize("example", QUESTIONS["example"])
def test_notebooks_survive_baking_intact(bake, example: str) -> None:
    """Baking changes nothing in a notebook but the package name: JSON, braces and all.

    A project's notebooks are the core's, plus the example's (its folder's notebooks/).
    """
    project = bake(project_name="Lab Study", example=example)
    baked = {path.name: path for path in (project / "notebooks").glob("*.ipynb")}
    assert sorted(baked) == [
        "01-explore-data.ipynb", "02-baseline-model.ipynb", "03-compare-results.ipynb", "skeleton.ipynb"
    ]  # fmt: skip
    sources = [
        *(PROJECT_TEMPLATE / "notebooks").glob("*.ipynb"),
        *(PROJECT_TEMPLATE / "_variants" / "example" / example / "notebooks").glob("*.ipynb"),
    ]
    assert sorted(source.name for source in sources) == sorted(baked)
    for source in sources:
        expected = source.read_text(encoding="utf-8").replace(PACKAGE_PLACEHOLDER, "lab_study")
        assert baked[source.name].read_text(encoding="utf-8") == expected, f"Jinja changed {source.name}"
        nbformat.validate(nbformat.reads(expected, as_version=4))
    # Only meaningful if the code cells hold braces that Jinja could have eaten.
    code = [cell.source for path in baked.values() for cell in nbformat.read(path, 4).cells]
    assert any("{" in source and "}" in source for source in code)


def test_make_notebook_numbers_the_next_notebook(bake) -> None:
    project = bake()
    output = run(["make", f"PYTHON={sys.executable}", "notebook", "name=bigger-model"], cwd=project)
    created = project / "notebooks" / "04-bigger-model.ipynb"
    assert created.name in output
    notebook = nbformat.read(created, as_version=4)
    assert notebook.cells[0].source.startswith("# 04 - Bigger model")
    assert "## Conclusion" in notebook.cells[-1].source


# ---------------------------------------------------------------------------------- pre-commit


def pre_commit(project: Path, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files"],
        cwd=project, env=tools_env(PRE_COMMIT_HOME=str(home)), capture_output=True, text=True,
    )  # fmt: skip


def failed_hooks(output: str) -> set[str]:
    return set(re.findall(r"^- hook id: (\S+)", output, re.MULTILINE))


@pytest.mark.parametrize(
    "answers", [{}, {"example": "tabular", "ci": "gitlab"}], ids=["images-github", "tabular-gitlab"]
)
def test_pre_commit_passes_on_a_fresh_bake_without_downloading(bake, tmp_path: Path, answers) -> None:
    project = bake(**answers)
    home = tmp_path / "pre-commit-home"
    result = pre_commit(project, home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert git(project, "status", "--porcelain") == "", "pre-commit changed files of a fresh bake"
    # pre-commit clones or builds an environment per repository it installs: none here.
    assert not [path for path in home.iterdir() if path.name.startswith("repo")]


def test_pre_commit_hooks_cover_the_lab_rules_with_tools_from_the_dev_extra(bake) -> None:
    project = bake()
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert [repo["repo"] for repo in config["repos"]] == ["local"]  # nothing cloned from GitHub
    # Nothing installed by pre-commit: tools of the dev extra, or pygrep (built into pre-commit).
    assert {hook["language"] for hook in hooks} <= {"unsupported", "pygrep"}
    assert {hook["id"] for hook in hooks} >= {
        "ruff-check", "ruff-format", "nbstripout", "check-yaml", "check-toml", "end-of-file-fixer",
        "trailing-whitespace", "check-added-large-files", "detect-private-key",
    }  # fmt: skip

    dev_extra = tomllib.loads((project / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    dev_names = {re.split(r"[<>=\[ ]", requirement)[0].lower() for requirement in dev_extra["dev"]}
    scripts = {
        entry_point.name: dist.metadata["Name"].lower().replace("_", "-")
        for dist in importlib.metadata.distributions()
        for entry_point in dist.entry_points
        if entry_point.group == "console_scripts"
    }
    for hook in hooks:
        if hook["language"] == "pygrep":  # its entry is a pattern, not a command
            continue
        command = hook["entry"].split()[0]
        assert scripts.get(command, command) in dev_names, f"{command} is not in the dev extra"
    assert "pre-commit" in dev_names


def test_pre_commit_catches_what_it_guards_against(bake, tmp_path: Path) -> None:
    project = bake()
    notebook_path = project / "notebooks" / "02-baseline-model.ipynb"
    notebook = nbformat.read(notebook_path, as_version=4)
    code_cell = next(cell for cell in notebook.cells if cell.cell_type == "code")
    code_cell.outputs = [nbformat.v4.new_output("stream", text="an output\n")]
    code_cell.execution_count = 1
    nbformat.write(notebook, notebook_path)
    (project / "configs" / "broken.yaml").write_text("model: [1, 2\n")
    (project / "notes.md").write_text("trailing spaces   \n")
    (project / "scratch.py").write_text("import os\n")  # an unused import
    private_key = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"
    (project / "server_key.txt").write_text(private_key)
    (project / "weights.bin").write_bytes(b"\0" * 2_000_000)
    git(project, "add", "--all")

    result = pre_commit(project, tmp_path / "pre-commit-home")
    assert result.returncode == 1
    assert failed_hooks(result.stdout) >= {
        "nbstripout", "check-yaml", "trailing-whitespace", "ruff-check", "detect-private-key",
        "check-added-large-files",
    }  # fmt: skip
    assert not nbformat.read(notebook_path, as_version=4).cells[code_cell_index(notebook)].outputs


def code_cell_index(notebook: nbformat.NotebookNode) -> int:
    return next(index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code")


def test_git_filter_keeps_notebook_outputs_out_of_commits(bake) -> None:
    """After `make git-hooks`, git itself strips outputs: a run notebook shows no change."""
    project = bake()
    attributes = (project / ".gitattributes").read_text()
    run(["make", f"PYTHON={sys.executable}", "git-hooks"], cwd=project, env=tools_env())
    assert (project / ".gitattributes").read_text() == attributes  # already declared the filter
    assert (project / ".git" / "hooks" / "pre-commit").is_file()

    notebook_path = project / "notebooks" / "03-compare-results.ipynb"
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells[code_cell_index(notebook)].outputs = [nbformat.v4.new_output("stream", text="x\n")]
    notebook.cells[code_cell_index(notebook)].execution_count = 7
    nbformat.write(notebook, notebook_path)
    git(project, "add", "notebooks")
    assert git(project, "diff", "--cached", "--stat") == ""


# ---------------------------------------------------------------------------------- CI


def check_schema(schema: str, path: Path) -> subprocess.CompletedProcess:
    """Validate against a schema bundled with check-jsonschema (no network)."""
    command = [str(BIN / "check-jsonschema"), "--builtin-schema", f"vendor.{schema}", str(path)]
    return subprocess.run(command, capture_output=True, text=True)


def assert_installs_cpu_torch_then_checks(commands: list[str]) -> None:
    """CPU PyTorch before the project (or pip takes the CUDA build), then pre-commit and tests."""
    torch = next(i for i, c in enumerate(commands) if "download.pytorch.org/whl/cpu" in c)
    project = next(i for i, c in enumerate(commands) if 'pip install -e ".[dev]"' in c)
    checks = next(i for i, c in enumerate(commands) if "pre-commit run --all-files" in c)
    tests = next(i for i, c in enumerate(commands) if c.strip() == "make test")
    assert torch < project < checks < tests


def test_github_ci_is_a_valid_workflow(bake) -> None:
    project = bake(ci="github", python_version="3.12")
    path = project / ".github" / "workflows" / "ci.yml"
    result = check_schema("github-workflows", path)
    assert result.returncode == 0, result.stdout + result.stderr
    (job,) = yaml.safe_load(path.read_text())["jobs"].values()
    setup = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "3.12"
    assert_installs_cpu_torch_then_checks([step.get("run", "") for step in job["steps"]])
    assert not (project / ".gitlab-ci.yml").exists()


def test_gitlab_ci_is_a_valid_pipeline(bake) -> None:
    project = bake(ci="gitlab", python_version="3.12")
    path = project / ".gitlab-ci.yml"
    result = check_schema("gitlab-ci", path)
    assert result.returncode == 0, result.stdout + result.stderr
    job = yaml.safe_load(path.read_text())["test"]
    assert job["image"] == "python:3.12"
    assert_installs_cpu_torch_then_checks(job["before_script"] + job["script"])
    assert not (project / ".github").exists()


def test_no_ci_leaves_no_ci_files(bake) -> None:
    project = bake(ci="none")
    assert not (project / ".github").exists() and not (project / ".gitlab-ci.yml").exists()


def test_schema_check_rejects_a_broken_workflow(bake, tmp_path: Path) -> None:
    """The CI checks above can fail: a job without `runs-on` is not a GitHub workflow."""
    workflow = yaml.safe_load((bake() / ".github" / "workflows" / "ci.yml").read_text())
    del workflow["jobs"]["test"]["runs-on"]
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(workflow))
    assert check_schema("github-workflows", broken).returncode != 0


def test_template_ci_bakes_tests_and_uploads_every_combination(tmp_path: Path) -> None:
    """The samples cover every example and CI answer, read from cookiecutter.json by the
    `questions` job, whose script is run here as GitHub would (it writes to $GITHUB_OUTPUT)."""
    path = TEMPLATE / ".github" / "workflows" / "template.yml"
    result = check_schema("github-workflows", path)
    assert result.returncode == 0, result.stdout + result.stderr
    jobs = yaml.safe_load(path.read_text())["jobs"]
    sample = jobs["sample"]
    matrix = sample["strategy"]["matrix"]
    assert sample["needs"] == "questions"
    assert matrix == {key: f"${{{{ fromJSON(needs.questions.outputs.{key}) }}}}" for key in ("example", "ci")}
    (read,) = [step for step in jobs["questions"]["steps"] if step.get("id") == "read"]
    outputs = tmp_path / "github-output"
    run(["bash", "-c", read["run"]], cwd=TEMPLATE, env={**os.environ, "GITHUB_OUTPUT": str(outputs)})
    written = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert {key: json.loads(value) for key, value in written.items()} == {
        "example": QUESTIONS["example"],
        "ci": QUESTIONS["ci"],
    }
    assert jobs["questions"]["outputs"] == {key: f"${{{{ steps.read.outputs.{key} }}}}" for key in written}
    steps = sample["steps"]
    commands = [step.get("run", "") for step in steps]
    bake_step = next(c for c in commands if c.startswith("cookiecutter"))
    assert all(f"{key}=${{{{ matrix.{key} }}}}" in bake_step for key in matrix)
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact"))
    assert "matrix.example" in upload["with"]["name"] and "matrix.ci" in upload["with"]["name"]
    assert upload["with"]["include-hidden-files"] is True  # .pre-commit-config.yaml, .github/...
    assert_installs_cpu_torch_then_checks(commands)


# ---------------------------------------------------------------------------------- lab defaults


def test_lab_defaults_from_a_cookiecutter_user_config(tmp_path: Path) -> None:
    """A lab writes its defaults once; `--config-file` bakes with them, answers still win."""
    lab = {
        "author_name": "Ada Lab",
        "author_email": "ada-lab@uni.example",
        "license": "Apache-2.0",
        "ci": "gitlab",
        "wandb_entity": "ada-lab",
        "dvc_remote": "ssh",
        "dvc_remote_url": "ssh://storage.uni.example/dvc/cloud-classifier",
    }
    assert set(lab) <= set(QUESTIONS)  # cookiecutter would ignore a misspelt key
    config = tmp_path / "lab-cookiecutter.yaml"
    config.write_text(yaml.safe_dump({"default_context": lab}))

    def bake_with_lab_config(output_dir: Path, *answers: str) -> Path:
        command = [str(BIN / "cookiecutter"), "--no-input", "--config-file", str(config)]
        run([*command, "--output-dir", str(output_dir), str(TEMPLATE), *answers], cwd=tmp_path)
        return output_dir / "cloud-classifier"

    project = bake_with_lab_config(tmp_path / "lab")
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["authors"] == [{"name": "Ada Lab", "email": "ada-lab@uni.example"}]
    assert metadata["license"] == "Apache-2.0"
    assert (project / ".gitlab-ci.yml").is_file() and not (project / ".github").exists()
    wandb_logger = yaml.safe_load((project / "configs" / "logger" / "wandb.yaml").read_text())["wandb"]
    assert wandb_logger["entity"] == "ada-lab"
    assert "ssh://storage.uni.example/dvc/cloud-classifier" in (project / ".dvc" / "config").read_text()

    own = bake_with_lab_config(tmp_path / "own", "ci=github", "license=MIT")
    assert (own / ".github" / "workflows" / "ci.yml").is_file() and not (own / ".gitlab-ci.yml").exists()
    assert tomllib.loads((own / "pyproject.toml").read_text())["project"]["license"] == "MIT"


# ---------------------------------------------------------------------------------- cruft


def cruft(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "cruft"), *args], cwd=cwd, env=tools_env(), capture_output=True, text=True
    )


def test_cruft_update_brings_a_template_change_into_a_project_with_its_own_commits(tmp_path) -> None:
    # A local git copy of the template stands for the lab's template repository.
    template = copy_template(tmp_path / "template")
    git(template, "init", "--quiet", "--initial-branch=main")
    git(template, "add", "--all")
    git(template, "commit", "--quiet", "-m", "template v1")
    first_commit = git(template, "rev-parse", "HEAD").strip()

    created = cruft("create", str(template), "--no-input", "--default-config", cwd=tmp_path)
    assert created.returncode == 0, created.stdout + created.stderr
    project = tmp_path / "cloud-classifier"
    assert yaml.safe_load((project / ".cruft.json").read_text())["commit"] == first_commit
    git(project, "add", ".cruft.json")
    git(project, "commit", "--quiet", "-m", "Record the template version")
    with (project / "README.md").open("a") as readme:
        readme.write("\n## Our findings\n\nDropout helps.\n")
    git(project, "commit", "--quiet", "-am", "Our findings")
    assert cruft("check", cwd=project).returncode == 0  # up to date

    # The template improves.
    with (template / "{{cookiecutter.project_slug}}" / ".gitignore").open("a") as gitignore:
        gitignore.write("\n# Added by the template's second version.\n*.tmp\n")
    git(template, "commit", "--quiet", "-am", "template v2: ignore *.tmp")

    behind = cruft("check", cwd=project)
    assert behind.returncode != 0, behind.stdout
    updated = cruft("update", "--skip-apply-ask", cwd=project)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "*.tmp" in (project / ".gitignore").read_text()  # the template's change
    assert "Dropout helps." in (project / "README.md").read_text()  # the project's own change
    assert "Our findings" in git(project, "log", "--format=%s")
    assert cruft("check", cwd=project).returncode == 0
