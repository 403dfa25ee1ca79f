"""Images as they are: every Pillow format, skipped files named, size and colour chosen from the
images, the aspect ratio kept, and one sentence for each mistake in the folder or the settings."""

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.image_files import load_image
from {{ cookiecutter.package_name }}.data.prepare import prepare
from {{ cookiecutter.package_name }}.errors import UserError

FORMATS = ["png", "jpeg", "webp", "gif", "tiff", "bmp"]


def write_image(
    path: Path, size: tuple[int, int] = (40, 40), mode: str = "RGB", seed: int = 0
) -> None:
    """A random image of this size and mode; the format follows the suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    channels = {"RGB": 3, "L": 1}[mode]
    pixels = rng.integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
    Image.fromarray(pixels.squeeze(-1) if channels == 1 else pixels, mode).save(path)


def write_classes(raw: Path, per_class: int = 10, size=(40, 40), mode="RGB", suffix="png") -> None:
    for name in ("cloud", "clear"):
        for index in range(per_class):
            write_image(raw / name / f"{index}.{suffix}", size, mode, seed=index)


def prepare_in(tmp_path: Path, *overrides: str):
    return prepare(compose_config("prepare", [f"paths.data_dir={tmp_path}", *overrides]))


def test_every_pillow_format_is_read_and_skipped_files_are_named(tmp_path, caplog) -> None:
    for index, suffix in enumerate(FORMATS * 3):
        write_image(tmp_path / "raw" / ("cloud" if index % 2 else "clear") / f"{index}.{suffix}")
    (tmp_path / "raw" / "cloud" / "notes.txt").write_text("taken on a Tuesday")
    (tmp_path / "raw" / "clear" / "broken.png").write_bytes(b"not a png")
    with caplog.at_level(logging.WARNING):
        info = prepare_in(tmp_path)
    assert info.class_names == ["clear", "cloud"]
    split_sizes = compose_split_sizes(tmp_path)
    assert sum(split_sizes.values()) == 3 * len(FORMATS)  # every image, whatever its format
    (skipped_line,) = [r.getMessage() for r in caplog.records if "Skipped" in r.getMessage()]
    assert skipped_line.startswith("Skipped 2 files") and "notes.txt" in skipped_line
    assert "broken.png" in skipped_line


def compose_split_sizes(data_dir: Path) -> dict[str, int]:
    return json.loads((data_dir / "processed" / "metadata.json").read_text())["split_sizes"]


def test_size_and_colour_are_chosen_from_the_images_and_said(tmp_path, caplog) -> None:
    """40x40 colour images are prepared as 40x40 colour, not shrunk to 8x8 grey."""
    write_classes(tmp_path / "raw", size=(40, 40), mode="RGB")
    write_image(tmp_path / "raw" / "clear" / "grey.png", (40, 40), "L")
    with caplog.at_level(logging.INFO):
        info = prepare_in(tmp_path)
    assert info.input_shape == [3, 40, 40]
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Images")]
    assert "40x40" in line and "3 channels" in line and "data.preparation.image_size" in line


@pytest.mark.parametrize(
    "sides, chosen",
    [([30, 40, 50, 60, 300, 400, 500], 60), ([100, 250, 300, 400, 500, 600, 700], 224)],
)
def test_chosen_size_is_the_median_longer_side_at_most_224(tmp_path, sides, chosen) -> None:
    for index, side in enumerate(sides):  # landscape and portrait, grey
        write_image(tmp_path / "raw" / "cloud" / f"{index}.png", (side, side // 2), "L")
        write_image(tmp_path / "raw" / "clear" / f"{index}.png", (side // 2, side), "L")
    assert prepare_in(tmp_path).input_shape == [1, chosen, chosen]


def white_disc_on_a_wide_image(path: Path) -> None:
    """A white disc on black, 80 wide and 40 high."""
    image = Image.new("L", (80, 40), 0)
    ImageDraw.Draw(image).ellipse([20, 0, 59, 39], fill=255)
    image.save(path)


def test_resizing_keeps_the_aspect_ratio_by_default(tmp_path) -> None:
    path = tmp_path / "disc.png"
    white_disc_on_a_wide_image(path)
    padded = load_image(path, 20, 1, "pad")[0] > 127  # [20, 20], the disc 10 pixels across
    assert not padded[:5].any() and not padded[-5:].any()  # black bands above and below
    rows, columns = np.flatnonzero(padded.any(axis=1)), np.flatnonzero(padded.any(axis=0))
    assert abs(len(rows) - len(columns)) <= 1  # still a disc, not an ellipse
    cropped = load_image(path, 20, 1, "crop")[0] > 127  # the centre square: the disc fills it
    assert cropped[10].all() and cropped[:, 10].all()
    stretched = load_image(path, 20, 1, "stretch")[0] > 127  # an ellipse, as squashed before
    assert np.flatnonzero(stretched.any(axis=1)).size > 1.5 * np.flatnonzero(stretched[10]).size


@pytest.mark.parametrize(
    "layout, overrides, message",
    [
        (
            "empty-class",
            [],
            r"The class folder .*fog holds no image .* add images to it, or delete",
        ),
        ("one-class", [], r"holds a single class folder \(cloud\): a classifier needs two or more"),
        ("small-class", [], r"fog holds 3 images, too few .* at least 7"),
        ("tiny-class", [], r"\(one folder per class\) has too few .* class 'fog' has 1"),
        ("ok", ["data.preparation.val_fraction=0"], r"val_fraction=0 and test_fraction=0.15"),
        ("ok", ["data.preparation.channels=4"], r"channels is 4: set it to 1 \(grey\), 3"),
        ("ok", ["data.preparation.resize=squash"], r"resize is 'squash': set it to pad"),
        ("no-images", [], r"holds no image that Pillow can open"),
    ],
)
def test_each_mistake_is_one_sentence_naming_what_to_do(
    tmp_path, layout: str, overrides: list[str], message: str
) -> None:
    raw = tmp_path / "raw"
    write_classes(raw)
    if layout == "empty-class":
        (raw / "fog").mkdir()
    elif layout == "one-class":
        for path in (raw / "clear").iterdir():
            path.unlink()
        (raw / "clear").rmdir()
    elif layout in ("small-class", "tiny-class"):
        for index in range(3 if layout == "small-class" else 1):
            write_image(raw / "fog" / f"{index}.png")
    elif layout == "no-images":
        (raw / "fog").mkdir()
        (raw / "fog" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(UserError, match=message) as raised:
        prepare_in(tmp_path, *overrides)
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "processed").exists()
