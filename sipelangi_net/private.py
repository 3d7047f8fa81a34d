"""Files with personal data or device configs: 0600 files in 0700 folders, written atomically.

Berita acara and reports carry names and NIP, scans carry signatures, backups and intended
configs carry device settings: like the ticket database (``tickets/sqlite.py``), they are
readable by their owner only. :func:`private_dir` makes the folder it is given (and any parent it
creates) 0700, whatever the umask; :func:`write_private` writes a file 0600 through a temporary
file and a rename, so a reader never sees half a file and the file is never world-readable,
not even for a moment.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents 0700; an existing ``path`` is made 0700 (parents
    that already existed are left as they are)."""
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
    os.chmod(path, DIR_MODE)  # mkdir's mode is masked by the umask; an old folder may be 0755
    for folder in missing:
        os.chmod(folder, DIR_MODE)
    return path


def write_private(path: Path, data: str | bytes) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` with mode 0600, atomically; return ``path``."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # a left-over temporary file keeps its old mode otherwise
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return path
