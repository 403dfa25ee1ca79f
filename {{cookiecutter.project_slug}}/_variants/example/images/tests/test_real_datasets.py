"""Real datasets, slow tier (`make test-all`): preparation in bounded memory whatever the number
of images, and a small colour dataset learnt reliably with no settings given."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.prepare import prepare
from {{ cookiecutter.package_name }}.train import train

SHAPES = ("circle", "square", "triangle")


def draw_shape(shape: str, size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """One shape of random size, place and colour on a darker background, with pixel noise."""
    width, height = size
    image = Image.new("RGB", size, tuple(int(v) for v in rng.integers(0, 100, 3)))
    radius = rng.uniform(0.2, 0.4) * min(size)
    cx, cy = rng.uniform(radius, width - radius), rng.uniform(radius, height - radius)
    colour = tuple(int(v) for v in rng.integers(130, 256, 3))
    box = [cx - radius, cy - radius, cx + radius, cy + radius]
    draw = ImageDraw.Draw(image)
    if shape == "circle":
        draw.ellipse(box, fill=colour)
    elif shape == "square":
        draw.rectangle(box, fill=colour)
    else:
        draw.polygon(
            [(cx, cy - radius), (cx - radius, cy + radius), (cx + radius, cy + radius)], fill=colour
        )
    noisy = np.asarray(image, dtype=np.int16) + rng.integers(-20, 21, (height, width, 3))
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def write_shapes(raw: Path, per_class: int, sizes: tuple[int, int], suffix: str, seed: int = 0):
    """per_class images of each shape, of random sizes between sizes[0] and sizes[1] pixels."""
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        (raw / shape).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            size = tuple(int(v) for v in rng.integers(sizes[0], sizes[1] + 1, 2))
            draw_shape(shape, size, rng).save(raw / shape / f"{index:04d}.{suffix}")


def peak_memory_mb(command: list[str]) -> float:
    """Run a command; its peak resident memory (max RSS, what `/usr/bin/time -v` reports), in MB."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, process.stderr.read().decode()[-2000:]
    return usage.ru_maxrss / 1024  # Linux reports kilobytes


@pytest.mark.slow
def test_preparing_three_times_the_images_takes_no_more_memory(tmp_path, train_config) -> None:
    """1,500 and 4,500 colour JPEGs of mixed sizes (96 to 192 pixels a side)."""
    peaks = {}
    for count in (1500, 4500):
        data_dir = tmp_path / f"{count}-images"
        write_shapes(data_dir / "raw", count // len(SHAPES), (96, 192), "jpg")
        command = [
            sys.executable,
            "-m",
            "{{ cookiecutter.package_name }}.data.prepare",
            f"paths.data_dir={data_dir}",
            f"hydra.run.dir={data_dir / 'log'}",
        ]
        peaks[count] = peak_memory_mb(command)
    pixels_mb = (data_dir / "processed" / "train_x.npy").stat().st_size / 1e6
    print(
        f"\nmake data peak memory: {peaks[1500]:.0f} MB for 1,500 images, {peaks[4500]:.0f} MB "
        f"for 4,500 (whose training pixels alone take {pixels_mb:.0f} MB)"
    )
    assert peaks[4500] <= 1.3 * peaks[1500], peaks
    # And the 4,500 images train, read from the memory-mapped arrays.
    metrics = train(train_config("debug=smoke", "logger=csv", data_dir=data_dir))
    assert 0 <= metrics["test/acc"] <= 1


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_small_colour_images_are_learnt_reliably_with_no_settings(
    tmp_path_factory, train_config, caplog, seed: int
) -> None:
    """180 images of three shapes, 40x40 colour (126 to train on): nothing set but the seed."""
    data_dir = tmp_path_factory.getbasetemp() / "shapes-40"
    if not (data_dir / "processed").exists():
        write_shapes(data_dir / "raw", 60, (40, 40), "png")
        with caplog.at_level(logging.INFO):
            prepare(compose_config("prepare", [f"paths.data_dir={data_dir}"]))
        (said,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Images")]
        assert "40x40" in said and "3 channels" in said
    cfg = train_config("logger=csv", f"seed={seed}", data_dir=data_dir)
    assert train(cfg)["test/acc"] >= 0.9
