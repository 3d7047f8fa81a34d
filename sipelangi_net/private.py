"""Files with personal data or device configs: 0600 files in 0700 folders, written atomically.

Berita acara and reports carry names and NIP, scans carry signatures, backups and intended
configs carry device settings: like the ticket database (``tickets/sqlite.py``), they are
readable by their owner only. :func:`private_dir` makes the folder it is given (and any parent it
creates) 0700, whatever the umask; :func:`write_private` writes a file 0600 through a temporary
file and a rename, so a reader never sees half a file and the file is never world-readable,
not even for a moment.

They are the one way the change path (deploy, install, uninstall, compliance backups,
documents) writes files, so a failed write is always the same ordinary error: an
:class:`OSError` (disk full, read-only file system, a folder that is a file, no permission)
becomes :class:`~sipelangi_net.errors.StorageError` naming the folder, the file and why,
never an internal error.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from sipelangi_net.errors import StorageError

DIR_MODE = 0o700
FILE_MODE = 0o600
BINARY = getattr(os, "O_BINARY", 0)
"""``os.open``'s binary flag: Windows opens in text mode (CRLF translated) without it; 0 elsewhere."""


def open_to_others(st: os.stat_result) -> bool:
    """Whether a file's mode lets group or others in (a secret file that is must be refused).

    Only POSIX (Linux, macOS) has these bits: on Windows every file shows 0o666 or 0o444 and this is
    False; there a file in the user's profile (``config_dir()``) is private by the profile's ACL.
    """
    return os.name == "posix" and bool(st.st_mode & (stat.S_IRWXG | stat.S_IRWXO))


ADVICE = {
    errno.ENOSPC: "the disk holding this folder is full: free space on it",
    errno.EDQUOT: "the disk quota of this user is used up: free space",
    errno.EROFS: "the file system is mounted read-only: remount it read-write",
    errno.ENOTDIR: "a part of the path is a file, not a folder: move that file away",
    errno.EACCES: "this user may not write there: fix the folder's owner or mode",
    errno.EPERM: "this user may not write there: fix the folder's owner or mode",
    errno.EFBIG: "the file is larger than this process may write (ulimit -f)",
}
"""What to do about the usual reasons a write fails; others are named by their strerror."""


def unwritable(exc: OSError, folder: Path, what: str) -> StorageError:
    """The :class:`StorageError` for ``exc``, raised while ``what`` (``cannot write x.cfg``) in ``folder``."""
    code = exc.errno or 0
    name = errno.errorcode.get(code, "")
    why = exc.strerror or str(exc)
    advice = ADVICE.get(code, "check the folder and the disk")
    return StorageError(str(folder), f"{what}: {why}{f' ({name})' if name else ''}; {advice}")


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents 0700; an existing ``path`` is made 0700 (parents
    that already existed are left as they are). StorageError when it cannot."""
    try:
        return _private_dir(path)
    except OSError as exc:
        raise unwritable(exc, path, "cannot create the folder or make it private (0700)") from None


def _private_dir(path: Path) -> Path:
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
    if not path.is_dir():  # a file where the folder should be
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
    os.chmod(path, DIR_MODE)  # mkdir's mode is masked by the umask; an old folder may be 0755
    for folder in missing:
        os.chmod(folder, DIR_MODE)
    return path


def write_private(path: Path, data: str | bytes) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` with mode 0600, atomically; return ``path``.

    StorageError (naming the folder and the file) when it cannot; ``path`` is then unchanged.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        return _write(path, raw)
    except OSError as exc:
        raise unwritable(exc, path.parent, f"cannot write {path.name} (the file was not written)") from None


def _write(path: Path, raw: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | BINARY
    fd = os.open(tmp, flags, FILE_MODE)
    try:
        if hasattr(os, "fchmod"):  # not on Windows (no mode bits there but read-only)
            os.fchmod(fd, FILE_MODE)  # a left-over temporary file keeps its old mode otherwise
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return path
