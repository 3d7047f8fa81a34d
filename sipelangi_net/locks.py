"""Locks on files: the one lock primitive of the toolkit, and the run locks built on it.

**The primitive** (:func:`open_lock`, :func:`try_lock`, :func:`wait_lock`, :func:`unlock`):
a lock on a file we open ourselves, taken through ``portalocker`` (``flock`` on Linux and macOS,
``LockFileEx`` / ``msvcrt.locking`` on Windows), exclusive or shared. The operating system drops
a lock when its holder dies, so a killed run never blocks the next one. Because the handle is
ours (the file is opened for appending, never truncated on open), the holder writes what it is
doing into the lock file (:func:`write_holder`) and a refused run names it (:func:`read_holder`).
On Windows a locked file's bytes cannot be read by others, so there a refused run says
"another process" instead of naming the holder. Every lock of the toolkit is this one:
the runs' locks below, the compliance run lock (:mod:`sipelangi_net.compliance.lock`), the
audit checkpoint file (:mod:`sipelangi_net.tickets.anchor`) and the server's job folders.

**Run locks** (:func:`holding`): one change at a time per ticket and per device, a file per
name under :func:`~sipelangi_net.paths.lock_dir`. Locks are taken in sorted order (no deadlock
between two runs wanting overlapping sets). A lock that is held makes the caller wait up to
``wait`` seconds, then raises :class:`~sipelangi_net.errors.Busy` naming what is held and by
which process. A run may ask again for a lock it holds (re-entrant within the process).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import portalocker

from sipelangi_net.errors import Busy
from sipelangi_net.paths import lock_dir
from sipelangi_net.private import unwritable

SAFE = re.compile(r"[^A-Za-z0-9._-]")
POLL_S = 0.1
"""How often a run waiting for a held lock asks again."""


def open_lock(path: Path) -> IO[str]:
    """Open (create, 0600) the lock file ``path``, its folder made 0700 if missing; OSError if it cannot."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    return os.fdopen(fd, "a+", encoding="utf-8")


def try_lock(handle: IO[Any], *, shared: bool = False) -> bool:
    """Lock ``handle`` now (exclusive, or shared); False when another holds a conflicting lock.

    A failure that is not a held lock (a file system without locks) is the OSError behind it.
    """
    kind = portalocker.LockFlags.SHARED if shared else portalocker.LockFlags.EXCLUSIVE
    try:
        portalocker.lock(handle, kind | portalocker.LockFlags.NON_BLOCKING)
    except portalocker.AlreadyLocked:
        return False
    except ImportError:  # a shared lock on Windows without pywin32 (the win32 extra): take it exclusive
        if not shared:
            raise
        return try_lock(handle)
    except portalocker.LockException as exc:
        cause = exc.__cause__
        raise cause if isinstance(cause, OSError) else OSError(str(exc)) from None
    return True


def wait_lock(handle: IO[Any], *, shared: bool = False, deadline: float | None = None) -> bool:
    """Lock ``handle``, asking again every :data:`POLL_S` until ``deadline`` (``time.monotonic()``);
    ``None`` waits as long as it takes. False when it is still held at the deadline."""
    while not try_lock(handle, shared=shared):
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
    return True


def unlock(handle: IO[Any]) -> None:
    """Release the lock on ``handle`` (closing the handle releases it too)."""
    with contextlib.suppress(portalocker.LockException, OSError):
        portalocker.unlock(handle)


def read_holder(handle: IO[str]) -> str:
    """What the holder wrote into the lock file; empty when nothing, or when it cannot be read
    (Windows keeps a locked file's bytes from other processes)."""
    try:
        handle.seek(0)
        return handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return ""


def write_holder(handle: IO[str], text: str) -> None:
    """Replace the lock file's text by ``text`` (its holder's description); only the holder writes."""
    handle.seek(0)
    handle.truncate()
    handle.write(text)
    handle.flush()


def lock_path(kind: str, name: str, folder: Path | None = None) -> Path:
    return (folder or lock_dir()) / f"{kind}-{SAFE.sub('_', name)}.lock"


def _take(path: Path, label: str, deadline: float, purpose: str) -> IO[str]:
    try:
        handle = open_lock(path)
    except OSError as exc:
        why = f"cannot create the lock file {path.name}; nothing was done"
        raise unwritable(exc, path.parent, why) from None
    try:
        taken = wait_lock(handle, deadline=deadline)
    except OSError as exc:
        handle.close()
        raise unwritable(exc, path.parent, f"cannot lock {path.name}; nothing was done") from None
    if not taken:
        holder = read_holder(handle) or "another process"
        handle.close()
        raise Busy(f"{label} is locked by {holder}; this run changed nothing (try again later)")
    write_holder(handle, f"pid {os.getpid()} ({purpose})\n")
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
        unlock(handle)
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
