"""Images sorted into one folder per class: data/raw/<class>/<image> (configs/data/default.yaml).

`make data` decodes every image once, resizes it (keeping its aspect ratio by default) and stores
it as 8-bit pixels in data/processed/<split>_x.npy, so that an epoch reads one compact array
instead of decoding thousands of files again (`make bench-data` measures the difference). It works a
chunk of images at a time and never holds the dataset in memory: 50,000 images prepare in the
same memory as 500. The pixel mean and standard deviation of each channel are counted on the
training split only, in the same pass, and stored in metadata.json.

Training reads the arrays memory-mapped, a batch at a time. Each batch is turned into floats,
augmented (training batches only, when an `augmentation=` is chosen) and standardised on the
device, the GPU when there is one.
"""

import csv
import logging
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image
from torch import nn
from torch.utils.data import Dataset

from {{ cookiecutter.package_name }}.data.datamodule import (
    NewInputs,
    PreparedData,
    RawDataError,
)
from {{ cookiecutter.package_name }}.data.image_files import (
    SHOWN,
    SKIPPED_FILE,
    check_class_sizes,
    check_settings,
    choose_intensity_max,
    choose_size_and_channels,
    differ_between_channels,
    find_images,
    image_header,
    load_image,
    write_skipped,
)
from {{ cookiecutter.package_name }}.data.info import DataInfo
from {{ cookiecutter.package_name }}.data.raw_files import files_under
from {{ cookiecutter.package_name }}.data.splits import (
    ProcessedWriter,
    open_split,
    stratified_split,
)
from {{ cookiecutter.package_name }}.image_plots import image_grid, picture_grid

log = logging.getLogger(__name__)

CHUNK = 256  # images decoded and written at a time: 256 x 3 x 224 x 224 bytes is 39 MB


class ImageFolderData(PreparedData):
    """Classify images: data/raw/<class>/<image>; the folder names are the class names.

    `preparation` holds image_size, channels, intensity_max (null: chosen from the images), resize
    (pad, crop or stretch), val_fraction, test_fraction and split_seed. `name` null: the folder's
    name.
    """

    raw_setting = "raw_dir"

    def __init__(
        self,
        name: str | None,
        raw_dir: str,
        processed_dir: str,
        preparation: dict,
        batch_size: int | None = None,
        num_workers: int = 0,
        augmentation: nn.Module | None = None,
    ) -> None:
        super().__init__(
            name or Path(raw_dir).name, processed_dir, preparation, batch_size, num_workers
        )
        self.raw_dir = Path(raw_dir)
        self.augmentation = augmentation

    # ------------------------------------------------------------------ `make data`

    def prepare(self) -> DataInfo:
        """Find the images, split them, then decode and write each split a chunk at a time."""
        settings = self.preparation
        fractions = settings["val_fraction"], settings["test_fraction"]
        check_settings(settings)  # before the images are found: a folder may hold 100,000
        folder = find_images(self.raw_dir)
        # Beside data/processed, so that the list is there even when preparing stops.
        write_skipped(folder, self.processed_dir.parent / "interim" / SKIPPED_FILE)
        rows = stratified_split(
            folder.labels, *fractions, settings["split_seed"], folder.class_names,
            source=f"{self.raw_dir} (one folder per class)",
        )  # fmt: skip
        # A class of a few images passes the split yet can miss the validation or test set.
        check_class_sizes(folder, self.raw_dir, *fractions)
        size, channels = choose_size_and_channels(folder, settings)
        intensity_max = choose_intensity_max(folder, settings)
        info = self.make_info(
            input_shape=[channels, size, size],
            task="classification",
            target="class",
            class_names=folder.class_names,
        )
        # Pixels are 8-bit: one 256-bin histogram per channel holds the statistics exactly.
        histogram = np.zeros((channels, 256), dtype=np.int64)
        broken: dict[Path, str] = {}  # files whose header was fine but whose pixels are not
        colour_seen = False  # whether any RGB image decoded so far has colour
        with ProcessedWriter(self.processed_dir) as out:
            for split, index in rows.items():
                writer = out.writer(f"{split}_x", (len(index), channels, size, size), np.uint8)
                for start in range(0, len(index), CHUNK):
                    chunk = [folder.paths[i] for i in index[start : start + CHUNK]]
                    pixels = self.decode(chunk, size, channels, intensity_max, broken)
                    writer.append(pixels)
                    colour_seen = colour_seen or (channels == 3 and differ_between_channels(pixels))
                    if split == "train":  # statistics of the training split only: no test leak
                        for channel in range(channels):
                            histogram[channel] += np.bincount(
                                pixels[:, channel].ravel(), minlength=256
                            )
                out.write_array(f"{split}_y", folder.labels[index])
            if broken:  # leaves data/processed as it was
                raise RawDataError(describe_broken(broken, self.processed_dir.parent / "interim"))
            if channels == 3 and not colour_seen and settings["channels"] is None:
                log.warning(
                    "Every image is grey, though saved in colour (RGB with equal channels): "
                    '`make data ARGS="data.preparation.channels=1"` prepares them with one '
                    "channel, a third of the memory for the same information."
                )
            sizes = {split: len(index) for split, index in rows.items()}
            mean, std = histogram_mean_std(histogram)
            extra = {
                "pixel_mean": mean,
                "pixel_std": std,
                "skipped_files": len(folder.skipped),
                "intensity_max": intensity_max,  # `make predict` scales new images the same way
            }
            out.finish(self.metadata_for(info, sizes, extra))
        return info

    def decode(
        self,
        paths: list[Path],
        size: int,
        channels: int,
        intensity_max: float | None,
        broken: dict[Path, str],
    ) -> np.ndarray:
        """[len(paths), C, H, W] uint8 pixels; a file that fails is added to `broken` (its rows
        stay black) so that one pass names every broken file."""
        pixels = np.zeros((len(paths), channels, size, size), dtype=np.uint8)
        resize = self.preparation["resize"]
        for row, path in enumerate(paths):
            try:
                pixels[row] = load_image(path, size, channels, resize, intensity_max)
            except (OSError, ValueError) as error:  # e.g. a copy cut short: the header was fine
                broken[path] = str(error)
        return pixels

    # ------------------------------------------------------------------ every batch
    def on_after_batch_transfer(self, batch: list[torch.Tensor], dataloader_idx: int) -> list:
        """8-bit pixels -> floats, augmented when training, standardised; on the batch's device.
        A batch is (pixels, targets); (pixels, usable) to predict; (pixels,) in the summary."""
        pixels, *rest = batch  # pixels: [batch, C, H, W] uint8
        images = pixels.float() / 255  # [0, 1], what augmentations expect
        if self.augmentation is not None and self.trainer is not None and self.trainer.training:
            images = self.augmentation(images)  # training batches only: never val or test
        mean, std = self.normalisation()
        mean = torch.tensor(mean, device=images.device).view(1, -1, 1, 1)
        std = torch.tensor(std, device=images.device).view(1, -1, 1, 1)
        return [(images - mean) / std, *rest]

    def normalisation(self) -> tuple[list[float], list[float]]:
        """The mean and std each channel is standardised with: the model's own when it has one
        (a pretrained backbone expects what it was trained with), else the training split's."""
        model = self.trainer.lightning_module if self.trainer is not None else None
        own = getattr(model, "input_mean_std", None)
        return own or (self.metadata["pixel_mean"], self.metadata["pixel_std"])

    # ------------------------------------------------------------------ figures
    def test_figures(self, targets: np.ndarray, predictions: np.ndarray) -> dict[str, Figure]:
        """32 test images spread over the split, which is sorted by class: every class shows up.
        With an augmentation, also 32 training images as the network sees them."""
        shown = np.linspace(0, len(targets) - 1, num=min(32, len(targets))).astype(int)
        raw_pixels = open_split(self.processed_dir, "test")[0][shown]  # as a person sees them
        grid = image_grid(raw_pixels, targets[shown], predictions[shown], self.info.class_names)
        figures = {"test_images": grid}
        if self.augmentation is not None:
            figures["augmented_batch"] = self.augmented_batch_figure()
        return figures

    def augmented_batch_figure(self) -> Figure:
        train_pixels, train_labels = open_split(self.processed_dir, "train")
        shown = np.linspace(0, len(train_labels) - 1, num=min(32, len(train_labels))).astype(int)
        device = next(iter(self.augmentation.parameters()), torch.zeros(0)).device
        images = torch.from_numpy(np.ascontiguousarray(train_pixels[shown])).float().to(device)
        with torch.no_grad():
            augmented = self.augmentation(images / 255).clamp(0, 1) * 255
        names = [self.info.class_names[label] for label in train_labels[shown]]
        title = (
            "Training images as the network sees them (augmented; validation and test never are)"
        )
        return picture_grid(augmented.to(torch.uint8).cpu().numpy(), names, title)

    # ------------------------------------------------------------------ `make predict`
    def read_new_inputs(self, path: Path) -> NewInputs:
        """Every file of a folder (or one file), prepared as the training images were."""
        if not path.exists():
            raise RawDataError(f"No file or folder at {path}: give INPUT=<folder of images>.")
        files = files_under(path)[0] if path.is_dir() else [path]
        headers = {str(p): image_header(p) for p in files}
        problems = {name: header for name, header in headers.items() if isinstance(header, str)}
        channels, size, _ = self.info.input_shape
        # Scaled as the training images were: the value `make data` chose (None for 8-bit data).
        scaling = self.preparation["resize"], self.metadata.get("intensity_max")
        dataset = ImageFiles(files, size, channels, *scaling, set(problems))
        return NewInputs([str(p) for p in files], dataset, problems)


class ImageFiles(Dataset):
    """New image files, decoded one by one (in DataLoader workers when there are some)."""

    def __init__(
        self,
        paths: list[Path],
        size: int,
        channels: int,
        resize: str,
        intensity_max: float | None,
        unusable: set[str],
    ) -> None:
        self.paths, self.size, self.channels, self.resize = paths, size, channels, resize
        self.intensity_max, self.unusable = intensity_max, unusable

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, bool]:
        path = self.paths[index]
        if str(path) not in self.unusable:
            try:
                pixels = load_image(path, self.size, self.channels, self.resize, self.intensity_max)
                return torch.from_numpy(pixels), True
            except (OSError, ValueError, Image.DecompressionBombError):
                pass  # reported as "could not be read" in predictions.csv
        return torch.zeros(self.channels, self.size, self.size, dtype=torch.uint8), False


def describe_broken(broken: dict[Path, str], list_dir: Path) -> str:
    """Why preparing stopped: every image that could not be decoded, named in one pass.

    They stop the run rather than being skipped: the split was drawn with them, and a file cut
    short is most often a copy to make again, not an image to lose without a word.
    """
    named = "; ".join(f"{path} ({error})" for path, error in list(broken.items())[:SHOWN])
    message = f"Cannot decode {len(broken)} image file{'s' if len(broken) > 1 else ''}: {named}"
    if len(broken) > SHOWN:
        list_file = list_dir / "undecodable_files.csv"
        list_dir.mkdir(parents=True, exist_ok=True)
        with list_file.open("w", newline="") as out:
            csv.writer(out).writerows([("file", "error"), *broken.items()])
        message += f" and {len(broken) - SHOWN} more (all listed in {list_file})"
    return message + ". Copy them again, or delete them, then run `make data` again."


def histogram_mean_std(histogram: np.ndarray) -> tuple[list[float], list[float]]:
    """Mean and standard deviation of pixel values in [0, 1], per channel, from 256-bin counts."""
    values = np.arange(256) / 255
    counts = histogram / histogram.sum(axis=1, keepdims=True)
    mean = counts @ values
    std = np.sqrt(counts @ values**2 - mean**2)
    return mean.tolist(), np.maximum(std, 1e-6).tolist()
