"""Read image files as they are: find them, decide the size and colour, decode and resize them.

Every format Pillow opens is read (PNG, JPEG, TIFF, BMP, WebP, GIF, ...), whatever the file's
suffix says; a file Pillow cannot open is skipped, and all skipped files are named in one line.
Finding the images reads only each file's header (its size and colour mode), not its pixels.
Hidden and system files and folders (names starting with '.', __MACOSX) are never read.
"""

import csv
import logging
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from {{ cookiecutter.package_name }}.checks import is_number
from {{ cookiecutter.package_name }}.data.datamodule import RawDataError
from {{ cookiecutter.package_name }}.data.raw_files import files_under, is_hidden

log = logging.getLogger(__name__)

MAX_AUTO_SIZE = 224  # image_size null: the median size, at most this (what pretrained nets expect)
COLOUR_MODES = {1: "L", 3: "RGB"}  # channels -> the Pillow mode images are converted to
RESIZE_MODES = ("pad", "crop", "stretch")
SHOWN = 10  # skipped files named in the log line; the others are in a file
SKIPPED_FILE = "skipped_files.csv"  # every skipped file and why, in data/interim/
HIDDEN_REASON = "hidden or system file (name starting with '.', __MACOSX)"


@dataclass
class ImageFolder:
    """The images of raw_dir/<class>/<file>: paths, labels, sizes, and what was skipped."""

    paths: list[Path]
    labels: np.ndarray  # [N] class indices, in the order of class_names
    class_names: list[str]
    longer_sides: list[int]  # each image's larger dimension, in pixels
    any_colour: bool  # whether any image holds colour (has_colour)
    modes: list[str] = field(default_factory=list)  # each image's Pillow mode: L, RGB, I;16, F
    skipped: dict[Path, str] = field(default_factory=dict)  # file -> why it was not read
    hidden: list[Path] = field(default_factory=list)  # hidden files and folders, never read


def has_colour(image: Image.Image) -> bool:
    """Whether an opened image holds colour, from what its header says.

    1, L, I;16 and F images are grey. A palette image (GIF, some PNGs) is grey when its palette
    is, which the header holds. An RGB image whose three channels are equal is taken as colour
    here, where only headers are read; preparing, which decodes the pixels, then says so.
    """
    if image.mode in ("P", "PA"):
        palette = image.getpalette("RGB") or []  # [r, g, b, r, g, b, ...]
        return any(len(set(palette[i : i + 3])) > 1 for i in range(0, len(palette), 3))
    return Image.getmodebase(image.mode) != "L"


# JPEG's conversion to and from its own colour space leaves grey pixels a level or two apart.
GREY_TOLERANCE = 2


def differ_between_channels(pixels: np.ndarray) -> bool:
    """Whether [images, 3, height, width] pixels hold colour: grey images saved as RGB do not.
    Every 4th row and column is enough to tell: 26 ms instead of 0.5 s for 256 grey images of
    224x224 pixels, the case where every pixel is compared."""
    as_int = pixels[:, :, ::4, ::4].astype(np.int16)
    return any(
        np.abs(as_int[:, channel] - as_int[:, 0]).max(initial=0) > GREY_TOLERANCE
        for channel in (1, 2)
    )


def image_header(path: Path) -> tuple[tuple[int, int], str, bool] | str:
    """(width, height), colour mode and has_colour of an image file, or why Pillow cannot open
    it."""
    try:
        with Image.open(path) as image:
            return image.size, image.mode, has_colour(image)
    except Image.DecompressionBombError:  # a deliberate limit: a huge file, or a malicious one
        return (
            f"over {2 * Image.MAX_IMAGE_PIXELS:,} pixels, Pillow's limit against decompression "
            "bombs: raise Image.MAX_IMAGE_PIXELS in image_files.py if you trust the file"
        )
    except (OSError, ValueError):
        return "not an image Pillow can open"


def describe_skipped(skipped: dict[Path, str], hidden: list[Path], list_file: Path) -> str:
    """One line: how many files were skipped and why, the first few named, where the rest are."""
    parts = []
    if skipped:
        named = ", ".join(str(path) for path in list(skipped)[:SHOWN])
        more = f" and {len(skipped) - SHOWN} more" if len(skipped) > SHOWN else ""
        reasons = "; ".join(
            f"{count} {reason}" for reason, count in Counter(skipped.values()).most_common()
        )
        parts.append(f"Skipped {len(skipped)} files ({reasons}): {named}{more}.")
    if hidden:
        parts.append(
            f"Ignored {len(hidden)} hidden or system files and folders (names starting with '.', "
            "__MACOSX)."
        )
    return " ".join([*parts, f"All are listed, with the reason, in {list_file}."])


def write_skipped(folder: "ImageFolder", list_file: Path) -> None:
    """Log what was not read, and list all of it in list_file (removed when nothing was)."""
    if not folder.skipped and not folder.hidden:
        list_file.unlink(missing_ok=True)  # a list left by an earlier run would mislead
        return
    list_file.parent.mkdir(parents=True, exist_ok=True)
    with list_file.open("w", newline="") as out:
        rows = [*folder.skipped.items(), *((path, HIDDEN_REASON) for path in folder.hidden)]
        csv.writer(out).writerows([("file", "reason"), *rows])
    log.warning(describe_skipped(folder.skipped, folder.hidden, list_file))


def find_images(raw_dir: Path) -> ImageFolder:
    """Every image of raw_dir/<class>/ (sub-folders included); one sentence for each mistake."""
    entries = sorted(raw_dir.glob("*"))
    hidden = [path for path in entries if is_hidden(path.name)]
    class_dirs = [path for path in entries if path.is_dir() and not is_hidden(path.name)]
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
    paths, labels, longer_sides, modes, any_colour = [], [], [], [], False
    skipped = {
        path: "not in a class folder"
        for path in entries
        if path.is_file() and not is_hidden(path.name)
    }
    for label, class_dir in enumerate(class_dirs):
        found = 0
        files, hidden_here = files_under(class_dir)
        hidden += hidden_here
        for path in files:
            header = image_header(path)
            if isinstance(header, str):
                skipped[path] = header
                continue
            (width, height), mode, colour = header
            any_colour = any_colour or colour
            paths.append(path)
            labels.append(label)
            longer_sides.append(max(width, height))
            modes.append(mode)
            found += 1
        if found == 0:
            raise RawDataError(
                f"The class folder {class_dir} holds no image that Pillow can open: add images "
                "to it, or delete it."
            )
    class_names = [path.name for path in class_dirs]
    labels = np.array(labels, dtype=np.int64)
    return ImageFolder(paths, labels, class_names, longer_sides, any_colour, modes, skipped, hidden)


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


def check_settings(settings: dict) -> None:
    """Stop at once on a mistyped size, colour or resize setting, before reading any image."""
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


def choose_size_and_channels(folder: ImageFolder, settings: dict) -> tuple[int, int]:
    """image_size and channels: the settings', or what the images hold when they are null."""
    channels, size, resize = settings["channels"], settings["image_size"], settings["resize"]
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


def has_more_than_eight_bits(mode: str) -> bool:
    """16-bit (I;16...) and 32-bit (I) integer images, and floating-point (F) ones."""
    return mode.startswith("I") or mode == "F"


def choose_intensity_max(folder: ImageFolder, settings: dict) -> float | None:
    """The pixel value shown as white in images of more than 8 bits: the setting's, or, when it is
    null, one value chosen from all of them, so that every image is scaled the same way.

    A 12-bit camera writes 0..4095 into 16-bit files: scaled from 0..65535 it would keep 16 grey
    levels, and a float image in 0..1 would turn black. So the brightest pixel of the images
    decides: integers round up to the next 2^k - 1 (4000 -> 4095, the sensor's range), floats
    in 0..1 take 1.0. Scaling each image by its own brightest pixel would erase the brightness
    differences between images, which can be what tells the classes apart. None: no such images.
    """
    value = settings["intensity_max"]
    if value is not None and not (is_number(value) and value > 0):
        raise RawDataError(
            f"data.preparation.intensity_max is {value!r}: set the pixel value shown as white in "
            "images of more than 8 bits (e.g. 4095 for a 12-bit camera, 1.0 for float images in "
            "0..1), or null (chosen from the images)."
        )
    modes = zip(folder.paths, folder.modes, strict=True)
    deep = [path for path, mode in modes if has_more_than_eight_bits(mode)]
    if not deep:
        return value  # 8-bit images keep their 0..255
    if value is None:
        # Reads the pixels of these images once more; the 8-bit ones are not read here.
        peak, integers = 0.0, True
        for path in deep:
            try:
                with Image.open(path) as image:
                    peak = max(peak, float(image.getextrema()[1]))
                    integers = integers and image.mode != "F"
            except (OSError, ValueError):
                pass  # a broken file: the decoding pass names it with the others
        value = white_for(peak, integers)
        reason = f"the brightest pixel is {peak:g}"
    else:
        reason = "as set"
    log.info(
        "%d of %d images have more than 8 bits: each is scaled from 0..%g to 0..255 (%s); to "
        "choose yourself, set data.preparation.intensity_max.",
        len(deep), len(folder.paths), value, reason,
    )  # fmt: skip
    return value


def white_for(peak: float, integers: bool) -> float:
    """The value shown as white when the brightest pixel is `peak`: the range a sensor writes."""
    if integers:
        return 2 ** max(1, int(peak).bit_length()) - 1  # 4000 -> 4095 (12 bits), 1000 -> 1023
    return 1.0 if peak <= 1 else peak


def to_eight_bits(image: Image.Image, intensity_max: float | None) -> Image.Image:
    """Images of more than 8 bits scaled so that intensity_max is white (brighter is clipped).

    intensity_max None (the training images had 8 bits): the full range of a 16-bit file, or 1.0
    for a float image.
    """
    if not has_more_than_eight_bits(image.mode):
        return image
    if intensity_max is None:
        intensity_max = 1.0 if image.mode == "F" else 65535
    pixels = np.asarray(image, dtype=np.float32) * (255 / intensity_max)
    return Image.fromarray(np.clip(pixels, 0, 255).round().astype(np.uint8))


def load_image(
    path: Path, size: int, channels: int, resize: str = "pad", intensity_max: float | None = None
) -> np.ndarray:
    """Decode one image into [channels, size, size] uint8 pixels (PyTorch's order).

    `pad` keeps the whole image and its aspect ratio, filling the short side with black; `crop`
    keeps the aspect ratio and cuts the centre square; `stretch` squashes to a square.
    intensity_max: the value shown as white in images of more than 8 bits (choose_intensity_max).
    """
    with Image.open(path) as opened:
        opened.draft(COLOUR_MODES[channels], (size, size))  # JPEG: decode at a reduced size
        image = ImageOps.exif_transpose(opened)
        image = to_eight_bits(image, intensity_max).convert(COLOUR_MODES[channels])
    if resize == "pad":
        image = ImageOps.pad(image, (size, size), method=Image.Resampling.BILINEAR, color=0)
    elif resize == "crop":
        image = ImageOps.fit(image, (size, size), method=Image.Resampling.BILINEAR)
    else:
        image = image.resize((size, size), Image.Resampling.BILINEAR)
    pixels = np.array(image, dtype=np.uint8).reshape(size, size, channels)  # a writable copy
    return pixels.transpose(2, 0, 1)  # [H, W, C] -> [C, H, W]
