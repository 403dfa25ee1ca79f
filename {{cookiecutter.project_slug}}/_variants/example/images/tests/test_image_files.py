"""Images as they are: every Pillow format, skipped files named, size and colour chosen from the
images, the aspect ratio kept, and one sentence for each mistake in the folder or the settings."""

import json
import logging
from pathlib import Path

import hydra
import numpy as np
import pytest
from PIL import Image, ImageDraw

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.image_files import load_image
from {{ cookiecutter.package_name }}.data.images import ImageFolderData
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


def test_linked_folders_are_followed_once_and_hidden_ones_ignored(tmp_path, caplog) -> None:
    raw = tmp_path / "raw"
    write_classes(raw, per_class=8)
    for index in range(4):  # a folder elsewhere, linked into a class folder
        write_image(tmp_path / "elsewhere" / f"{index}.png", seed=index)
    (raw / "cloud" / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (raw / "cloud" / "loop").symlink_to(raw / "cloud", target_is_directory=True)  # read once
    for hidden in (".ipynb_checkpoints/0.png", "cloud/.ipynb_checkpoints/0-checkpoint.png",
                   "__MACOSX/cloud/._0.png"):  # fmt: skip
        write_image(raw / hidden)
    (raw / "clear" / ".DS_Store").write_bytes(b"Bud1")
    with caplog.at_level(logging.WARNING):
        info = prepare_in(tmp_path)
    assert info.class_names == ["clear", "cloud"]  # not .ipynb_checkpoints, not __MACOSX
    assert sum(compose_split_sizes(tmp_path).values()) == 8 + 8 + 4
    (line,) = [r.getMessage() for r in caplog.records if "Ignored" in r.getMessage()]
    assert "Ignored 4 hidden or system files and folders" in line
    assert "skipped_files.csv" in line


def test_each_skipped_file_has_its_reason_and_all_are_listed_in_a_file(
    tmp_path, caplog, monkeypatch
) -> None:
    raw = tmp_path / "raw"
    write_classes(raw)
    write_image(raw / "stray.png")  # an image, but of no class
    write_image(raw / "cloud" / "huge.png", (200, 200))  # 40,000 pixels, over the limit below
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)  # Pillow refuses twice as many
    for index in range(12):
        (raw / "clear" / f"notes{index}.txt").write_text("not an image")
    with caplog.at_level(logging.WARNING):
        prepare_in(tmp_path)
    (line,) = [r.getMessage() for r in caplog.records if "Skipped" in r.getMessage()]
    assert line.startswith("Skipped 14 files (12 not an image Pillow can open; ")
    assert "1 not in a class folder" in line and "decompression bombs" in line
    assert "and 4 more" in line  # 10 named
    list_file = tmp_path / "interim" / "skipped_files.csv"
    assert str(list_file) in line
    listed = list_file.read_text().splitlines()
    assert len(listed) == 1 + 14 and any("huge.png" in row and "bombs" in row for row in listed)
    assert any("stray.png" in row and "not in a class folder" in row for row in listed)


def test_every_undecodable_image_is_named_in_one_pass(tmp_path) -> None:
    """Files whose header reads but whose pixels are cut short (a copy that stopped)."""
    raw = tmp_path / "raw"
    write_classes(raw)
    for name in ("cloud", "clear"):
        write_image(raw / name / "cut.png", (64, 64))
        whole = (raw / name / "cut.png").read_bytes()
        (raw / name / "cut.png").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UserError, match=r"Cannot decode 2 image files: .*cut\.png.*cut\.png"):
        prepare_in(tmp_path)
    assert not (tmp_path / "processed").exists()


def compose_split_sizes(data_dir: Path) -> dict[str, int]:
    return read_metadata(data_dir)["split_sizes"]


def read_metadata(data_dir: Path) -> dict:
    return json.loads((data_dir / "processed" / "metadata.json").read_text())


def data_source_in(data_dir: Path, *overrides: str) -> ImageFolderData:
    """The data source as training and `make predict` build it, on data_dir."""
    overrides = (f"paths.data_dir={data_dir}", "paths.output_dir=unused", *overrides)
    return hydra.utils.instantiate(compose_config("train", list(overrides)).data)


def all_pixels(data_dir: Path) -> np.ndarray:
    """The prepared pixels of every split, and each image's class: [N, C, H, W], [N]."""
    processed = data_dir / "processed"
    splits = ("train", "val", "test")
    pixels = np.concatenate([np.load(processed / f"{split}_x.npy") for split in splits])
    return pixels, np.concatenate([np.load(processed / f"{split}_y.npy") for split in splits])


@pytest.mark.parametrize(
    "dtype, brightest, white",
    [(np.uint16, 4000, 4095), (np.int32, 1000, 1023), (np.float32, 0.9, 1.0)],
    ids=["12-bit camera in 16-bit files", "32-bit integers", "floats in 0..1"],
)
def test_deep_images_are_all_scaled_by_one_range_chosen_from_them(
    tmp_path, caplog, dtype, brightest: float, white: float
) -> None:
    """Not divided by 257 (16 grey levels for a 12-bit camera, black for floats), and not each
    by its own maximum: a dim class stays dimmer than a bright one."""
    rng = np.random.default_rng(0)
    for name, top in (("dim", brightest / 4), ("bright", brightest)):
        for index in range(10):
            pixels = rng.uniform(0, top, (16, 16)).astype(dtype)
            pixels[0, 0] = top  # each class reaches its own brightest value
            write_pixels(tmp_path / "raw" / name / f"{index}.tif", pixels)
    with caplog.at_level(logging.INFO):
        prepare_in(tmp_path)
    assert read_metadata(tmp_path)["intensity_max"] == white
    assert any(f"scaled from 0..{white:g} to 0..255" in r.getMessage() for r in caplog.records)
    pixels, labels = all_pixels(tmp_path)
    assert len(np.unique(pixels)) > 200  # 8 bits' worth of grey levels, not 16
    bright_class = labels == 0  # the classes are sorted by name: bright, dim
    assert pixels[bright_class].max() == round(255 * brightest / white)
    assert pixels[~bright_class].max() == round(255 * brightest / 4 / white)  # still dim

    # `make predict` scales a new image with the value the training images were scaled with.
    write_pixels(tmp_path / "new" / "grey.tif", np.full((16, 16), white / 2, dtype=dtype))
    data = data_source_in(tmp_path)
    new_pixels, usable = data.predict_on(tmp_path / "new").dataset[0]
    assert usable and new_pixels.float().mean().item() == pytest.approx(127.5, abs=1)


def test_a_set_intensity_max_is_used_and_recorded(tmp_path) -> None:
    for name in ("dim", "bright"):
        for index in range(10):
            write_pixels(tmp_path / "raw" / name / f"{index}.png", np.full((8, 8), 4095, np.uint16))
    prepare_in(tmp_path, "data.preparation.intensity_max=65535")  # 16-bit white: 4095 is dark
    assert all_pixels(tmp_path)[0].max() == 16  # 4095 * 255 / 65535, rounded
    assert read_metadata(tmp_path)["info"]["preparation"]["intensity_max"] == 65535


def write_pixels(path: Path, pixels: np.ndarray) -> None:
    """An image file holding these values as they are: uint16 -> I;16, int32 -> I, float32 -> F."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def test_size_and_colour_are_chosen_from_the_images_and_said(tmp_path, caplog) -> None:
    """40x40 colour images are prepared as 40x40 colour, not shrunk to 8x8 grey."""
    write_classes(tmp_path / "raw", size=(40, 40), mode="RGB")
    write_image(tmp_path / "raw" / "clear" / "grey.png", (40, 40), "L")
    with caplog.at_level(logging.INFO):
        info = prepare_in(tmp_path)
    assert info.input_shape == [3, 40, 40]
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Images")]
    assert "40x40" in line and "3 channels" in line and "data.preparation.image_size" in line


def test_grey_palette_and_one_bit_images_are_prepared_in_grey(tmp_path) -> None:
    """A palette image (mode P, as GIFs are) is grey when its palette is, whatever its mode."""
    raw = tmp_path / "raw"
    write_classes(raw, mode="L")
    for index in range(10):
        grey = Image.open(raw / "cloud" / f"{index}.png").convert("RGB").quantize(16)
        grey.save(raw / "cloud" / f"{index}.gif")  # 16 greys in a palette
        Image.new("1", (40, 40), index % 2).save(raw / "clear" / f"{index}.png")  # 1 bit
    assert Image.open(raw / "cloud" / "0.gif").mode == "P"
    assert prepare_in(tmp_path).input_shape[0] == 1
    write_image(raw / "cloud" / "colour.gif", mode="RGB")  # a palette of colours
    assert prepare_in(tmp_path).input_shape[0] == 3


def test_grey_images_saved_in_colour_are_said_to_be_grey(tmp_path, caplog) -> None:
    """RGB files whose channels are equal (a grey camera's JPEGs, say): their headers say colour,
    their pixels grey, and preparing says how to prepare them in one channel."""
    raw = tmp_path / "raw"
    write_classes(raw, mode="L", suffix="jpeg")
    for path in raw.rglob("*.jpeg"):
        Image.open(path).convert("RGB").save(path)
    assert Image.open(raw / "cloud" / "0.jpeg").mode == "RGB"
    with caplog.at_level(logging.WARNING):
        assert prepare_in(tmp_path).input_shape[0] == 3
    assert any("channels=1" in record.getMessage() for record in caplog.records)

    caplog.clear()
    write_image(raw / "cloud" / "colour.png", mode="RGB")  # one image in colour: nothing to say
    with caplog.at_level(logging.WARNING):
        prepare_in(tmp_path)
    assert not any("channels=1" in record.getMessage() for record in caplog.records)


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
        # Said before the folder is read, which takes minutes for 100,000 images.
        ("empty-class", ["data.preparation.image_size=0"], r"image_size is 0: set a number of"),
        ("deep", ["data.preparation.intensity_max=0"], r"intensity_max is 0: set the pixel value"),
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
    elif layout == "deep":
        write_pixels(raw / "fog" / "deep.tif", np.zeros((8, 8), np.uint16))
        for index in range(10):
            write_image(raw / "fog" / f"{index}.png", seed=index)
    elif layout == "no-images":
        (raw / "fog").mkdir()
        (raw / "fog" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(UserError, match=message) as raised:
        prepare_in(tmp_path, *overrides)
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "processed").exists()
