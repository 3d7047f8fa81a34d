"""A lock so two compliance runs never overlap (timer, cron and a person at the console)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sipelangi_net.errors import RunLocked
from sipelangi_net.locks import open_lock, read_holder, try_lock, unlock, write_holder

__all__ = ["RunLocked", "run_lock"]


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block, or raise :class:`RunLocked` at once.

    The lock primitive of :mod:`sipelangi_net.locks`: the operating system drops the lock when
    the holder dies, so a crashed run never blocks the next. Not re-entrant: a second run in the
    same process is refused like one in another process.
    """
    with open_lock(path) as handle:
        if not try_lock(handle):
            holder = read_holder(handle) or "?"
            raise RunLocked(
                f"{path}: another compliance run (pid {holder}) is still running; this run did nothing."
                " Wait for it, or check that it is not hung."
            )
        write_holder(handle, f"{os.getpid()}\n")
        try:
            yield
        finally:
            write_holder(handle, "")
            unlock(handle)
