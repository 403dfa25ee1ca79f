"""How much faster training reads the prepared arrays than it would decode the image files:
`make bench-data` (after `make data`), or `python benchmarks/bench.py --limit 1000`.

Decoding: every image file (up to --limit) opened, decoded and resized as `make data` does it.
Prepared: the training split read from data/processed in shuffled batches, as training reads it.
Both in one process, no DataLoader workers: the ratio is what one worker gains.
"""

import argparse
import time
from pathlib import Path

from torch.utils.data import DataLoader

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.datamodule import SplitDataset
from {{ cookiecutter.package_name }}.data.image_files import find_images, load_image
from {{ cookiecutter.package_name }}.data.splits import open_split


def decode_speed(raw_dir: Path, size: int, channels: int, resize: str, limit: int) -> float:
    """Images per second, decoding and resizing the raw files."""
    paths = find_images(raw_dir).paths[:limit]
    start = time.perf_counter()
    for path in paths:
        load_image(path, size, channels, resize)
    return len(paths) / (time.perf_counter() - start)


def prepared_speed(processed_dir: Path, batch_size: int = 64, epochs: int = 3) -> float:
    """Images per second, reading the memory-mapped training split in shuffled batches."""
    loader = DataLoader(SplitDataset(processed_dir, "train"), batch_size=batch_size, shuffle=True)
    start, count = time.perf_counter(), 0
    for _ in range(epochs):
        for pixels, _labels in loader:
            count += len(pixels)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="data", help="holds raw/ and processed/")
    parser.add_argument("--limit", type=int, default=2000, help="image files decoded at most")
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    cfg = compose_config("prepare", [f"paths.data_dir={data_dir}"])
    channels, size, _ = open_split(data_dir / "processed", "train")[0].shape[1:]
    decode = decode_speed(data_dir / "raw", size, channels, cfg.data.preparation.resize, args.limit)
    prepared = prepared_speed(data_dir / "processed")
    print(
        f"{channels}x{size}x{size} images: decoding the files {decode:,.0f} images/s, reading "
        f"the prepared arrays {prepared:,.0f} images/s: {prepared / decode:.0f} times faster."
    )


if __name__ == "__main__":
    main()
