"""Images sorted into one folder per class: data/raw/<class>/<image> (configs/data/default.yaml).

`make data` decodes every image once, resizes it to image_size x image_size and stores it as 8-bit
pixels, so that an epoch reads one compact array instead of decoding thousands of files again.
The pixel mean and standard deviation are measured on the training split only and stored in
metadata.json; every batch is standardised with them, on the GPU when there is one.
"""

from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image

from {{ cookiecutter.package_name }}.data.datamodule import PreparedData, RawDataError
from {{ cookiecutter.package_name }}.data.info import DataInfo
from {{ cookiecutter.package_name }}.data.splits import stratified_split
from {{ cookiecutter.package_name }}.image_plots import image_grid

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}
COLOUR_MODES = {1: "L", 3: "RGB"}  # channels -> the Pillow mode images are converted to


class ImageFolderData(PreparedData):
    """Classify images: data/raw/<class>/<image>; the folder names are the class names.

    `preparation` holds image_size, channels, val_fraction, test_fraction and split_seed.
    """

    def __init__(
        self,
        name: str,
        raw_dir: str,
        processed_dir: str,
        preparation: dict,
        batch_size: int = 64,
        num_workers: int = 0,
        shuffle_seed: int = 0,
    ) -> None:
        super().__init__(name, processed_dir, preparation, batch_size, num_workers, shuffle_seed)
        self.raw_dir = Path(raw_dir)

    def prepare(self) -> DataInfo:
        """Split the images, measure the training pixels, write the arrays."""
        settings = self.preparation
        images, labels, class_names = load_image_folder(
            self.raw_dir, settings["image_size"], settings["channels"]
        )
        rows = stratified_split(
            labels,
            *(settings["val_fraction"], settings["test_fraction"], settings["split_seed"]),
            class_names=class_names,
            source=f"{self.raw_dir} (one folder per class)",
        )
        train_pixels = images[rows["train"]].astype(np.float64) / 255  # [N, C, H, W]
        info = self.make_info(
            input_shape=list(images.shape[1:]),  # [C, H, W]
            task="classification",
            target="class",
            class_names=class_names,
        )
        self.write_splits(
            {split: (images[index], labels[index]) for split, index in rows.items()},
            info,
            # Per-channel statistics from the training split only: the test set must not leak in.
            extra_metadata={
                "pixel_mean": train_pixels.mean(axis=(0, 2, 3)).tolist(),
                "pixel_std": train_pixels.std(axis=(0, 2, 3)).tolist(),
            },
        )
        return info

    def on_after_batch_transfer(self, batch: list[torch.Tensor], dataloader_idx: int) -> list:
        """Turn 8-bit pixels into standardised floats, on the GPU when there is one."""
        pixels, labels = batch  # pixels: [batch, C, H, W] uint8
        mean = torch.tensor(self.metadata["pixel_mean"], device=pixels.device).view(1, -1, 1, 1)
        std = torch.tensor(self.metadata["pixel_std"], device=pixels.device).view(1, -1, 1, 1)
        return [(pixels.float() / 255 - mean) / std, labels]

    def test_figures(self, targets: np.ndarray, predictions: np.ndarray) -> dict[str, Figure]:
        """32 test images spread over the split, which is sorted by class: every class shows up."""
        shown = np.linspace(0, len(targets) - 1, num=min(32, len(targets))).astype(int)
        raw_pixels = self.datasets["test"].tensors[0][shown].numpy()  # as a person sees them
        grid = image_grid(raw_pixels, targets[shown], predictions[shown], self.info.class_names)
        return {"test_images": grid}


def load_image_folder(
    raw_dir: Path, image_size: int, channels: int
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read raw_dir/<class>/<image> into pixels [N, channels, size, size] (uint8) and labels [N]."""
    class_dirs = sorted(path for path in raw_dir.glob("*") if path.is_dir())
    if not class_dirs:
        raise RawDataError(
            f"No class folders in {raw_dir}. Put your images in {raw_dir}/<class>/, "
            "or run `make example-data` for the example (or `make data-pull` for data tracked "
            "with DVC)."
        )
    mode = COLOUR_MODES[channels]
    images, labels = [], []
    for label, class_dir in enumerate(class_dirs):
        for path in sorted(class_dir.iterdir()):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                with Image.open(path) as image:
                    image = image.convert(mode).resize((image_size, image_size))
            except OSError as error:
                raise RawDataError(f"Cannot read {path} ({error}): fix or delete it.") from error
            pixels = np.asarray(image, dtype=np.uint8).reshape(image_size, image_size, channels)
            images.append(pixels.transpose(2, 0, 1))  # [H, W, C] -> [C, H, W], PyTorch's order
            labels.append(label)
        if label not in labels:
            raise RawDataError(
                f"{class_dir} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}): add some, "
                "or remove the folder if it is not a class."
            )
    return np.stack(images), np.array(labels, dtype=np.int64), [d.name for d in class_dirs]
