"""Start the next numbered notebook from skeleton.ipynb: `make notebook name=short-description`.

Notebooks are named NN-short-description.ipynb, one experiment each, so that this folder reads as
the project's lab book in the order things were tried. This finds the highest NN, adds one, and
copies the skeleton (Rationale on top, Conclusion at the bottom) with its title filled in.
"""

import re
import sys
from pathlib import Path

import nbformat

NOTEBOOK_DIR = Path(__file__).resolve().parent
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")  # lowercase words joined by '-', e.g. bigger-model
NUMBERED = re.compile(r"^(\d+)-.+\.ipynb$")


def next_number(notebook_dir: Path) -> int:
    """One more than the highest NN- prefix in the folder; gaps left by deleted notebooks stay."""
    matches = [NUMBERED.match(path.name) for path in notebook_dir.iterdir()]
    numbers = [int(match.group(1)) for match in matches if match]
    return max(numbers, default=0) + 1


def create_notebook(name: str, notebook_dir: Path = NOTEBOOK_DIR) -> Path:
    """Copy the skeleton to the next NN-name.ipynb, titled after the name; return its path."""
    if not NAME.match(name):
        raise ValueError(
            f"{name!r} is not a short description: use lowercase words joined by '-', "
            "e.g. `make notebook name=bigger-model`."
        )
    number = next_number(notebook_dir)
    notebook = nbformat.read(notebook_dir / "skeleton.ipynb", as_version=4)
    title_cell = notebook.cells[0]  # starts with the line "# NN - Title"
    _, rest = title_cell.source.split("\n", 1)
    title_cell.source = f"# {number:02d} - {name.replace('-', ' ').capitalize()}\n{rest}"
    path = notebook_dir / f"{number:02d}-{name}.ipynb"
    nbformat.write(notebook, path)
    return path


def main() -> None:
    if len(sys.argv) != 2 or not sys.argv[1]:
        sys.exit(
            "ERROR: name the notebook after its experiment, in a few words joined by '-', "
            "e.g. `make notebook name=bigger-model`."
        )
    try:
        path = create_notebook(sys.argv[1])
    except ValueError as error:
        sys.exit(f"ERROR: {error}")
    print(f"Created {path}: fill in its Rationale first, its Conclusion last.")


if __name__ == "__main__":
    main()
