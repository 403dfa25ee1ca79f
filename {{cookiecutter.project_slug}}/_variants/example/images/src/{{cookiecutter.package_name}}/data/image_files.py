"""Read image files as they are: find them, decide the size and colour, decode and resize them.

Every format Pillow opens is read (PNG, JPEG, TIFF, BMP, WebP, GIF, ...), whatever the file's
suffix says; a file Pillow cannot open is skipped, and all skipped files are named in one line.
Finding the images reads only each file's header (its size and colour mode), not its pixels.
"""

import logging
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from {{ cookiecutter.package_name }}.data.datamodule import RawDataError

log = logging.getLogger(__name__)

MAX_AUTO_SIZE = 224  # image_size null: the median size, at most this (what pretrained nets expect)
COLOUR_MODES = {1: "L", 3: "RGB"}  # channels -> the Pillow mode images are converted to
RESIZE_MODES = ("pad", "crop", "stretch")
SHOWN = 10  # skipped files named in the log line; the others are counted


@dataclass
class ImageFolder:
    """The images of raw_dir/<class>/<file>: paths, labels, sizes, and what was skipped."""

    paths: list[Path]
    labels: np.ndarray  # [N] class indices, in the order of class_names
    class_names: list[str]
    longer_sides: list[int]  # each image's larger dimension, in pixels
    any_colour: bool
    skipped: list[Path] = field(default_factory=list)


def image_header(path: Path) -> tuple[tuple[int, int], str] | None:
    """(width, height) and colour mode of an image file, or None if Pillow cannot open it."""
    try:
        with Image.open(path) as image:
            return image.size, image.mode
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def describe_skipped(skipped: list[Path]) -> str:
    named = ", ".join(str(path) for path in skipped[:SHOWN])
    more = f" and {len(skipped) - SHOWN} more" if len(skipped) > SHOWN else ""
    return f"Skipped {len(skipped)} files that Pillow cannot open as images: {named}{more}."


def find_images(raw_dir: Path) -> ImageFolder:
    """Every image of raw_dir/<class>/ (sub-folders included); one sentence for each mistake."""
    class_dirs = sorted(path for path in raw_dir.glob("*") if path.is_dir())
    if not class_dirs:
        raise RawDataError(
            f"No class folders in {raw_dir}. Put your images in {raw_dir}/<class>/, "
            "or run `make example-data` for the example (or `make data-pull` for data tracked "
            "with DVC)."
        )
    if len(class_dirs) == 1:
        raise RawDataError(
            f"{raw_dir} holds a single class folder ({class_dirs[0].name}): a classifier needs "
            "two or more, so add one folder of images per class."
        )
    paths, labels, longer_sides, any_colour = [], [], [], False
    skipped = sorted(path for path in raw_dir.glob("*") if path.is_file())  # not in a class
    for label, class_dir in enumerate(class_dirs):
        found = 0
        for path in sorted(p for p in class_dir.rglob("*") if p.is_file()):
            header = image_header(path)
            if header is None:
                skipped.append(path)
                continue
            (width, height), mode = header
            paths.append(path)
            labels.append(label)
            longer_sides.append(max(width, height))
            any_colour = any_colour or Image.getmodebase(mode) != "L"  # 1, L, I;16, F: grey
            found += 1
        if found == 0:
            raise RawDataError(
                f"The class folder {class_dir} holds no image that Pillow can open: add images "
                "to it, or delete it."
            )
    if skipped:
        log.warning(describe_skipped(skipped))
    class_names = [path.name for path in class_dirs]
    return ImageFolder(
        paths, np.array(labels, dtype=np.int64), class_names, longer_sides, any_colour, skipped
    )


def check_class_sizes(folder: ImageFolder, raw_dir: Path, val: float, test: float) -> None:
    """Stop when a class has too few images to give the validation and test sets one each."""
    needed = max(3, math.ceil(1 / min(val, test)))
    counts = np.bincount(folder.labels, minlength=len(folder.class_names))
    for name, count in zip(folder.class_names, counts, strict=True):
        if count < needed:
            raise RawDataError(
                f"The class folder {raw_dir / name} holds {count} images, too few to set "
                f"{val:.0%} aside for validation and {test:.0%} for testing: add images to reach "
                f"at least {needed}, or remove the folder."
            )


def choose_size_and_channels(folder: ImageFolder, settings: dict) -> tuple[int, int]:
    """image_size and channels: the settings', or what the images hold when they are null."""
    channels, size, resize = settings["channels"], settings["image_size"], settings["resize"]
    if channels not in (None, *COLOUR_MODES):
        raise RawDataError(
            f"data.preparation.channels is {channels!r}: set it to 1 (grey), 3 (colour), or null "
            "(colour if any image has colour)."
        )
    if resize not in RESIZE_MODES:
        raise RawDataError(
            f"data.preparation.resize is {resize!r}: set it to pad (keep the whole image, pad "
            "the short side), crop (keep the centre square) or stretch."
        )
    if size is not None and (not isinstance(size, int) or size < 1):
        raise RawDataError(f"data.preparation.image_size is {size!r}: set a number of pixels.")
    if size is not None and channels is not None:
        return size, channels
    median = int(statistics.median(folder.longer_sides))
    chosen_size = size or min(median, MAX_AUTO_SIZE)
    chosen_channels = channels or (3 if folder.any_colour else 1)
    size_reason = "as set" if size else f"the median longer side, at most {MAX_AUTO_SIZE}"
    colour_reason = (
        "as set"
        if channels
        else ("some images have colour" if folder.any_colour else "every image is grey")
    )
    log.info(
        "Images prepared at %dx%d pixels (%s) with %d channel%s (%s), resize=%s; to choose "
        "yourself, set data.preparation.image_size and data.preparation.channels.",
        chosen_size,
        chosen_size,
        size_reason,
        chosen_channels,
        "s" if chosen_channels > 1 else "",
        colour_reason,
        resize,
    )
    return chosen_size, chosen_channels


def to_eight_bits(image: Image.Image) -> Image.Image:
    """16-bit grey images (microscopes, cameras) scaled to 8 bits, not clipped (values of
    32-bit images above 65,535 are clipped)."""
    if image.mode.startswith("I"):
        pixels = np.asarray(image, dtype=np.float64)
        return Image.fromarray(np.clip(pixels / 257, 0, 255).astype(np.uint8))
    return image


def load_image(path: Path, size: int, channels: int, resize: str = "pad") -> np.ndarray:
    """Decode one image into [channels, size, size] uint8 pixels (PyTorch's order).

    `pad` keeps the whole image and its aspect ratio, filling the short side with black; `crop`
    keeps the aspect ratio and cuts the centre square; `stretch` squashes to a square.
    """
    with Image.open(path) as opened:
        opened.draft(COLOUR_MODES[channels], (size, size))  # JPEG: decode at a reduced size
        image = to_eight_bits(ImageOps.exif_transpose(opened)).convert(COLOUR_MODES[channels])
    if resize == "pad":
        image = ImageOps.pad(image, (size, size), method=Image.Resampling.BILINEAR, color=0)
    elif resize == "crop":
        image = ImageOps.fit(image, (size, size), method=Image.Resampling.BILINEAR)
    else:
        image = image.resize((size, size), Image.Resampling.BILINEAR)
    pixels = np.asarray(image, dtype=np.uint8).reshape(size, size, channels)
    return pixels.transpose(2, 0, 1)  # [H, W, C] -> [C, H, W]
