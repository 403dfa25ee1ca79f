"""The training of `make train`, written as a plain PyTorch loop: the yardstick of `make bench`.

Same prepared data and batches (the project's data source), same network, loss and optimizer (the
project's model), validation and a checkpoint every epoch; no Lightning Trainer, callbacks,
loggers or progress bar. `python benchmarks/plain_loop.py <overrides>` takes the overrides of
`make train`.
"""

import sys
from pathlib import Path

import torch
from hydra.utils import instantiate
from timing import Timings

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.schedule import fit_to_data


def main(overrides: list[str]) -> None:
    timings = Timings()
    cfg = compose_config("train", ["paths.output_dir=unused", *overrides])
    torch.manual_seed(cfg.seed)
    data = instantiate(cfg.data)
    data.setup()
    fit_to_data(cfg, data)  # the batch size that training uses
    model = instantiate(cfg.model, data=data.info.as_dict(), _recursive_=False, _convert_="all")
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
            inputs, targets = data.on_after_batch_transfer(batch, 0)
            loss = model.loss(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_loss = sum(
                model.loss(model(inputs), targets).item()
                for inputs, targets in (
                    data.on_after_batch_transfer(batch, 0) for batch in val_batches
                )
            )
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "val": val_loss}
        torch.save(state, checkpoint)
    timings.end()


if __name__ == "__main__":
    main(sys.argv[1:])
