"""Fill data/raw with the example dataset: scikit-learn's bundled 8x8 handwritten digits.

Each digit is written as a real PNG file in the layout your own data should have,
data/raw/<class>/<image>.png, so nothing downstream can tell the example from real data.
Run it with `make example-data`; it never overwrites a folder that already holds files.
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

RAW_DIR = Path("data/raw")


def write_example(raw_dir: Path) -> int:
    """Write the 1,797 digits as PNG files, one folder per digit; return how many were written."""
    digits = load_digits()
    for index, (image, label) in enumerate(zip(digits.images, digits.target, strict=True)):
        class_dir = raw_dir / str(label)
        class_dir.mkdir(parents=True, exist_ok=True)
        pixels = np.round(image * 255 / 16).astype(np.uint8)  # the digits come as 0..16 grey levels
        Image.fromarray(pixels).save(class_dir / f"digit_{index:04d}.png")
    return len(digits.images)


def main() -> None:
    if RAW_DIR.exists() and any(RAW_DIR.iterdir()):
        sys.exit(f"{RAW_DIR} already holds files: the example only goes into an empty folder.")
    count = write_example(RAW_DIR)
    print(f"Wrote {count} example images to {RAW_DIR}/<class>/. Next: `make data`.")


if __name__ == "__main__":
    main()
