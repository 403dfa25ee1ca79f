"""The notebooks: each follows the lab-book conventions and runs top to bottom in a real kernel.

Every notebook has one cell tagged `parameters` (the convention papermill uses). The tests run a
notebook with one more cell after it, which points ROOT_DIR at a temporary folder holding the
example data and shrinks training to a smoke run, so the whole series runs in CI in seconds.
A notebook that raises fails its test, with the error of the cell that failed.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT
from {{ cookiecutter.package_name }}.results import FIRST_COLUMNS, LAST_COLUMNS, append_row

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
# Tiny training for the tests; notebooks that do not train ignore it.
TEST_OVERRIDES = ["debug=smoke"]


def parameters_index(notebook: nbformat.NotebookNode) -> int:
    tags = [cell.metadata.get("tags", []) for cell in notebook.cells]
    tagged = [index for index, cell_tags in enumerate(tags) if "parameters" in cell_tags]
    assert len(tagged) == 1, "a notebook needs exactly one cell tagged `parameters`"
    return tagged[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_follows_the_conventions(path: Path) -> None:
    assert path.name == "skeleton.ipynb" or re.fullmatch(r"\d\d-[a-z0-9-]+\.ipynb", path.name), (
        "name notebooks NN-short-description.ipynb (`make notebook name=...` does)"
    )
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    first, last = notebook.cells[0], notebook.cells[-1]
    assert first.cell_type == "markdown" and "## Rationale" in first.source
    assert last.cell_type == "markdown" and "## Conclusion" in last.source
    parameters_index(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, "commit them without outputs"
            assert not re.search(r"^\s*(async\s+)?(def|class)\s", cell.source, re.MULTILINE), (
                "define functions and classes in the package (src/) and import them"
            )


@pytest.fixture
def root_dir(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root of its own for one notebook run: the prepared example data in data/."""
    shutil.copytree(data_dir, tmp_path / "data")
    # The kernel is a separate process: let it import this checkout's package even if not installed.
    search_path = [str(PROJECT_ROOT / "src"), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, search_path)))
    return tmp_path


def run_notebook(path: Path, root_dir: Path) -> nbformat.NotebookNode:
    """Execute the notebook from notebooks/, as Jupyter would, with the test parameters injected."""
    notebook = nbformat.read(path, as_version=4)
    parameters = [
        "import pathlib",
        f"ROOT_DIR = pathlib.Path({str(root_dir)!r})",
        f"OVERRIDES = {TEST_OVERRIDES!r}",
    ]
    notebook.cells.insert(
        parameters_index(notebook) + 1, nbformat.v4.new_code_cell("\n".join(parameters))
    )
    return execute(notebook, cwd=NOTEBOOK_DIR)


def execute(notebook: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    """Run a notebook in a kernel of this very interpreter (sys.executable), started in `cwd`.

    Not the kernel registered as `python3`: that is whichever environment registered it last,
    possibly one deleted since, and the tests would then fail on a project that is fine. The
    kernelspec lives in a temporary folder of its own, so no user setting can replace it.
    """
    with tempfile.TemporaryDirectory() as kernels:
        spec = Path(kernels) / "this-project"
        spec.mkdir()
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        kernel = {"argv": argv, "display_name": "this project", "language": "python"}
        (spec / "kernel.json").write_text(json.dumps(kernel))
        specs = KernelSpecManager(kernel_dirs=[kernels])
        manager = KernelManager(kernel_name="this-project", kernel_spec_manager=specs)
        # Jupyter starts a notebook's kernel in the notebook's folder: so do the tests.
        in_folder = {"metadata": {"path": str(cwd)}}
        return NotebookClient(notebook, km=manager, timeout=300, resources=in_folder).execute()


def test_kernel_is_this_interpreter_whatever_kernels_are_registered(tmp_path, monkeypatch) -> None:
    """A `python3` kernelspec left by a deleted environment (common) must not matter."""
    stale = tmp_path / "jupyter" / "kernels" / "python3"
    stale.mkdir(parents=True)
    argv = ["/deleted/env/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (stale / "kernel.json").write_text(json.dumps({"argv": argv, "language": "python"}))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    cell = nbformat.v4.new_code_cell("import sys; print(sys.executable)")
    with pytest.raises(FileNotFoundError):  # the trap: asking Jupyter for `python3`
        NotebookClient(nbformat.v4.new_notebook(cells=[cell]), kernel_name="python3").execute()
    notebook = execute(nbformat.v4.new_notebook(cells=[cell]), cwd=tmp_path)
    assert notebook.cells[0].outputs[0]["text"].strip() == sys.executable


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs(path: Path, root_dir: Path) -> None:
    notebook = run_notebook(path, root_dir)
    # A cell that always shows a figure must show one (a library that forces a non-interactive
    # matplotlib backend on import would silently hide every plot).
    for cell in notebook.cells:
        if cell.cell_type == "code" and re.search(r"^plt\.show\(\)$", cell.source, re.MULTILINE):
            images = [output for output in cell.outputs if "image/png" in output.get("data", {})]
            assert images, f"no figure shown by:\n{cell.source}"


def test_compare_results_plots_the_results_table(root_dir: Path) -> None:
    """03 shows one bar per run for each test metric of results/results.csv."""
    runs = [("baseline", {"test/acc": 0.91}), ("bigger-model", {"test/acc": 0.94})]
    runs.append(("body-mass", {"test/r2": 0.82, "test/mae": 290.0}))  # a regression's row
    for description, metrics in runs:
        row = dict.fromkeys(FIRST_COLUMNS + LAST_COLUMNS, "")
        row.update(timestamp="2025-01-01T12:00", description=description, **metrics)
        append_row(row, root_dir / "results" / "results.csv")
    notebook = run_notebook(NOTEBOOK_DIR / "03-compare-results.ipynb", root_dir)
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert any("bigger-model" in str(output.get("data", {})) for output in outputs)
    assert any("body-mass" in str(output.get("data", {})) for output in outputs)
    assert any("image/png" in output.get("data", {}) for output in outputs)


def test_make_notebook_starts_the_next_number_from_the_skeleton(tmp_path: Path) -> None:
    for name in ("new_notebook.py", "skeleton.ipynb", "02-baseline-model.ipynb"):
        shutil.copy(NOTEBOOK_DIR / name, tmp_path / name)
    command = [sys.executable, str(tmp_path / "new_notebook.py"), "my-idea"]
    subprocess.run(command, check=True, capture_output=True)

    created = nbformat.read(tmp_path / "03-my-idea.ipynb", as_version=4)
    skeleton = nbformat.read(tmp_path / "skeleton.ipynb", as_version=4)
    assert created.cells[0].source.startswith("# 03 - My idea\n")
    assert created.cells[1:] == skeleton.cells[1:]


REFUSED_NAMES = {
    "": "name the notebook",  # `make notebook` without name=
    "My Idea": "not a short description",
    "../escape": "not a short description",
    "idea.ipynb": "not a short description",
}


@pytest.mark.parametrize(("name", "said"), REFUSED_NAMES.items())
def test_make_notebook_refuses_names_that_break_the_convention(tmp_path, name, said) -> None:
    shutil.copy(NOTEBOOK_DIR / "new_notebook.py", tmp_path)
    shutil.copy(NOTEBOOK_DIR / "skeleton.ipynb", tmp_path)
    result = subprocess.run(
        [sys.executable, str(tmp_path / "new_notebook.py"), name], capture_output=True, text=True
    )
    assert result.returncode != 0 and said in result.stderr
    assert "e.g. `make notebook name=bigger-model`" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["new_notebook.py", "skeleton.ipynb"]
