"""Fill data/raw with the example dataset: the Palmer penguins table (344 penguins, 3 species).

The `palmerpenguins` package ships the CSV file; it is copied unchanged, missing values included,
to data/raw/penguins.csv, where your own table would go.
Run it with `make example-data`; it never overwrites a folder that already holds files.
"""

import shutil
import sys
from importlib import resources
from pathlib import Path

RAW_DIR = Path("data/raw")


def write_example(raw_dir: Path) -> Path:
    """Copy the penguins table into raw_dir and return the path of the copy."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    source = resources.files("palmerpenguins") / "data" / "penguins.csv"
    target = raw_dir / "penguins.csv"
    with resources.as_file(source) as source_path:
        shutil.copyfile(source_path, target)
    return target


def main() -> None:
    if RAW_DIR.exists() and any(RAW_DIR.iterdir()):
        sys.exit(f"{RAW_DIR} already holds files: the example only goes into an empty folder.")
    target = write_example(RAW_DIR)
    print(f"Wrote the example table to {target}. Next: `make data`.")


if __name__ == "__main__":
    main()
