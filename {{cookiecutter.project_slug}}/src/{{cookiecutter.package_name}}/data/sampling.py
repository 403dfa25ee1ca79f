"""The order of the training examples, made so that a resumed run sees the batches it would have.

PyTorch's shuffling draws each epoch's order from a random generator whose state a checkpoint
does not hold, so a run resumed after a crash trains on other batches than the run left alone,
and ends with other weights. Here the order of epoch e depends only on (seed, e), and a run
resumed in the middle of an epoch skips the batches that it already trained on.
"""

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


class EpochSampler(Sampler[int]):
    """Shuffles the indices 0..size-1 anew for every epoch, the same way for the same epoch."""

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.seed = seed
        self.epoch = 0
        self.skip = 0  # examples of `self.epoch` already trained on (a resumed epoch)

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning before each epoch."""
        if epoch != self.epoch:
            self.epoch, self.skip = epoch, 0

    def resume_at(self, epoch: int, examples_done: int) -> None:
        """Start the next iteration in `epoch`, after its first `examples_done` examples."""
        self.epoch, self.skip = epoch, examples_done

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        order = torch.randperm(self.size, generator=generator)[self.skip :]
        self.skip = 0  # only the first pass after a resume is shortened
        return iter(order.tolist())

    def __len__(self) -> int:
        return self.size
