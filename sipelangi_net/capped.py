"""Reading a file the user names (``--file``, ``--token-file``, ``--handover``, ...) with a size cap.

Every option that names a file to read goes through :func:`read_capped`, so
that ``--file /dev/zero`` (or a FIFO, or a huge file) is refused after at most
``limit + 1`` bytes instead of filling memory or hanging. Opening does not
block on a FIFO without a writer; a directory is refused by name.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from sipelangi_net.errors import ConfigError
from sipelangi_net.validate import printable

NONBLOCK = getattr(os, "O_NONBLOCK", 0)
"""Opening a FIFO without a writer returns at once (POSIX); Windows has no FIFOs in the file system."""
KIB = 1024
MIB = 1024 * KIB


def _size(limit: int) -> str:
    if limit >= MIB and limit % MIB == 0:
        return f"{limit // MIB} MiB"
    return f"{limit // KIB} KiB" if limit >= KIB and limit % KIB == 0 else f"{limit} bytes"


def read_capped(path: Path, *, limit: int, error: type[ConfigError] = ConfigError, what: str = "") -> bytes:
    """The bytes of ``path``, at most ``limit``; ``error`` (naming ``what`` and the file) otherwise."""
    where = f"{what} {printable(str(path))}".strip()
    try:
        fd = os.open(path, os.O_RDONLY | NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise error(f"{where}: file not found") from None
    except OSError as exc:
        raise error(f"{where}: cannot read: {exc.strerror or exc}") from None
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise error(f"{where}: is a directory, not a file")
        if NONBLOCK and hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # non-blocking only so that opening a FIFO cannot hang
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"{where}: cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise error(f"{where}: too large ({_size(limit)} at most)")
    return data


def read_capped_text(
    path: Path, *, limit: int, error: type[ConfigError] = ConfigError, what: str = ""
) -> str:
    """:func:`read_capped`, decoded as UTF-8 (``error`` when it is not)."""
    data = read_capped(path, limit=limit, error=error, what=what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        where = f"{what} {printable(str(path))}".strip()
        raise error(f"{where}: cannot read: not UTF-8 text") from None


def read_yaml_mapping(
    path: Path, *, limit: int, error: type[ConfigError], what: str, keys: tuple[str, ...]
) -> dict[Any, Any]:
    """The YAML mapping in ``path`` (empty: ``{}``), read with a cap; ``error`` names the file and
    says ``what`` could not be read, or that a mapping with ``keys`` was expected."""
    try:
        data = yaml.safe_load(read_capped_text(path, limit=limit, error=error)) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise error(f"{path}: cannot read {what}: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: expected a mapping with keys {', '.join(keys)}")
    return data
