"""What a run prints: its own progress and results, not third-party notices nobody can act on.

Kept quiet, because they say nothing a user can change: Lightning's deprecation warning about its
own use of torch's pytree API, its advertisements for its logging and model services, its note
that the model summary counts bf16 parameters as 32-bit, its advice to add DataLoader workers
(on the CPU the project reads its prepared arrays without them on purpose, see
`default_num_workers`), its warning that a resumed run's checkpoint folder is not empty (it holds
the checkpoints the run resumes from), W&B's banner and summary (the project prints where the
offline run is and how to upload it).
Warnings about the user's data, settings or code stay.
"""

import logging
import os
import warnings


class DropMessages(logging.Filter):
    """Drop log records whose message contains any of the given fragments."""

    def __init__(self, *fragments: str) -> None:
        super().__init__()
        self.fragments = fragments

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(fragment in record.getMessage() for fragment in self.fragments)


def quiet_third_party_notices() -> None:
    """Silence the notices of Lightning and W&B that a user cannot act on (see the module doc)."""
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
    warnings.filterwarnings("ignore", message=r"Precision .* is not supported by the model summary")
    warnings.filterwarnings("ignore", message=r"The '\w+' does not have many workers")
    # A resumed run's checkpoints/ holds its own checkpoints: the files it resumes from.
    warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")
    adverts = DropMessages("litlogger", "litmodels")
    logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(adverts)
    os.environ.setdefault("WANDB_SILENT", "true")
