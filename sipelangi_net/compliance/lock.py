"""A lock so two compliance runs never overlap (timer, cron and a person at the console)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sipelangi_net.errors import RunLocked

__all__ = ["RunLocked", "run_lock"]


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` for the block, or raise :class:`RunLocked` at once.

    The kernel drops the lock when the holder dies, so a crashed run never blocks the next.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise RunLocked(
                f"{path}: another compliance run (pid {holder}) is still running; this run did nothing."
                " Wait for it, or check that it is not hung."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
