"""Exclusive locks for runs that change things: one change at a time per ticket and per device.

``flock`` on a file per name under :func:`~sipelangi_net.paths.lock_dir`; the kernel drops a
lock when its holder dies, so a killed run never blocks the next one. Locks are taken in
sorted order (no deadlock between two runs wanting overlapping sets). A lock that is held
makes the caller wait up to ``wait`` seconds, then raises :class:`~sipelangi_net.errors.Busy`
naming what is held and by which process.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from sipelangi_net.errors import Busy
from sipelangi_net.paths import lock_dir
from sipelangi_net.private import unwritable

SAFE = re.compile(r"[^A-Za-z0-9._-]")


def lock_path(kind: str, name: str, folder: Path | None = None) -> Path:
    return (folder or lock_dir()) / f"{kind}-{SAFE.sub('_', name)}.lock"


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    return handle.read().strip() or "another process"


def _take(path: Path, label: str, deadline: float, purpose: str) -> IO[str]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = path.open("a+", encoding="utf-8")
    except OSError as exc:
        why = f"cannot create the lock file {path.name}; nothing was done"
        raise unwritable(exc, path.parent, why) from None
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = _holder(handle)
                handle.close()
                why = f"{label} is locked by {holder}; this run changed nothing (try again later)"
                raise Busy(why) from None
            time.sleep(0.2)
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} ({purpose})\n")
    handle.flush()
    return handle


_HELD: dict[Path, int] = {}
"""Locks this process holds (a run holding a ticket's lock may call a stage that asks for it again)."""


@contextlib.contextmanager
def _once(path: Path, label: str, deadline: float, purpose: str) -> Iterator[None]:
    if path in _HELD:
        _HELD[path] += 1
        try:
            yield
        finally:
            _HELD[path] -= 1
        return
    handle = _take(path, label, deadline, purpose)
    _HELD[path] = 1
    try:
        yield
    finally:
        del _HELD[path]
        handle.truncate(0)
        handle.close()


@contextlib.contextmanager
def holding(
    names: Iterable[tuple[str, str]], *, purpose: str, wait: float = 0.0, folder: Path | None = None
) -> Iterator[None]:
    """Hold the locks of ``names`` (``(kind, name)``, e.g. ``("device", "core-diskominfo")``)."""
    deadline = time.monotonic() + wait
    with contextlib.ExitStack() as stack:
        for kind, name in sorted(set(names)):
            stack.enter_context(_once(lock_path(kind, name, folder), f"{kind} {name}", deadline, purpose))
        yield
