"""The training of `make train`, written as a plain PyTorch loop: the yardstick of `make bench`.

Same prepared data and batches (the project's data source), same network, loss and optimizer (the
project's model), the same device and precision (`trainer.accelerator`, `trainer.precision`),
validation and a checkpoint every epoch; no Lightning Trainer, callbacks, loggers or progress bar.
`python benchmarks/plain_loop.py <overrides>` takes the overrides of `make train`.
"""

import sys
from functools import partial
from pathlib import Path

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig
from timing import Timings

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.datamodule import PreparedData
from {{ cookiecutter.package_name }}.models.supervised import SupervisedModule
from {{ cookiecutter.package_name }}.schedule import fit_to_data


def the_work(overrides: list[str]) -> tuple[DictConfig, PreparedData, SupervisedModule]:
    """What every loop of the benchmark trains, as train.py builds it: the settings, the data
    (with the batch size and epochs fitted to it) and the project's model, seeded the same way."""
    cfg = compose_config("train", ["paths.output_dir=unused", *overrides])
    torch.manual_seed(cfg.seed)
    torch.set_float32_matmul_precision("high")  # as train.py sets it
    data = instantiate(cfg.data)
    fit_to_data(cfg, data)
    model = instantiate(cfg.model, data=data.info.as_dict(), _recursive_=False, _convert_="all")
    return cfg, data, model


def device_and_precision(trainer: DictConfig) -> tuple[torch.device, partial, torch.amp.GradScaler]:
    """What the trainer config asks Lightning for, by hand: the device, an autocast context for
    mixed precision (off at 32-true), and a gradient scaler (on for float16 only)."""
    on_gpu = trainer.accelerator in ("gpu", "cuda") or (
        trainer.accelerator == "auto" and torch.cuda.is_available()
    )
    device = torch.device("cuda" if on_gpu else "cpu")
    dtype = {"bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}.get(str(trainer.precision))
    autocast = partial(torch.autocast, device.type, dtype=dtype, enabled=dtype is not None)
    return device, autocast, torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)


def main(overrides: list[str]) -> None:
    timings = Timings()
    cfg, data, model = the_work(overrides)
    data.setup()
    device, autocast, scaler = device_and_precision(cfg.trainer)
    model.to(device)
    optimizer = model.configure_optimizers()["optimizer"]
    checkpoint = Path(cfg.paths.log_dir) / "plain-loop.ckpt"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    # Made once, as a plain loop would: their worker processes then last for the whole run.
    train_batches, val_batches = data.train_dataloader(), data.val_dataloader()

    for epoch in range(cfg.trainer.max_epochs):
        timings.epoch_start()
        train_batches.sampler.set_epoch(epoch)
        model.train()
        for batch in train_batches:
            timings.first_step()
            inputs, targets = data.on_after_batch_transfer([t.to(device) for t in batch], 0)
            with autocast():
                loss = model.loss(model(inputs), targets)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        model.eval()
        val_loss = torch.zeros((), device=device)
        with torch.no_grad(), autocast():
            for batch in val_batches:
                inputs, targets = data.on_after_batch_transfer([t.to(device) for t in batch], 0)
                val_loss += model.loss(model(inputs), targets)
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
        torch.save({**state, "val_loss": val_loss.item()}, checkpoint)
    timings.end()


if __name__ == "__main__":
    main(sys.argv[1:])
