"""Mistakes a user can fix, and how the entry points report them.

Every such mistake raises `UserError` (or a subclass) with one sentence that names the file, folder
or setting and says what to do. Each entry point catches it in one place, `exit_on_user_error`,
prints that sentence and exits non-zero; anything else is a bug and keeps its traceback.
"""

import sys
from collections.abc import Iterator
from contextlib import contextmanager


class UserError(Exception):
    """A mistake in the data, the settings or the command: the message says what to do."""


def user_error_in(error: BaseException) -> UserError | None:
    """The UserError behind an exception, if any: Hydra wraps what a class raises while it is
    built from its config (`instantiate`) in an error of its own."""
    while error is not None and not isinstance(error, UserError):
        error = error.__cause__
    return error


@contextmanager
def exit_on_user_error() -> Iterator[None]:
    """Turn a UserError into `ERROR: <its sentence>` on stderr and exit status 1."""
    try:
        yield
    except Exception as error:
        mistake = user_error_in(error)
        if mistake is None:
            raise  # a bug, not a mistake of the user's: keep the whole traceback
        sys.exit(f"ERROR: {mistake}")
