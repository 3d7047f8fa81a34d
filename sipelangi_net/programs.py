"""The external programs sipelangi-net runs and the Debian packages that provide them.

One list, ``programs.txt`` next to this module, read by ``dev.sh`` (what to install),
by this module (``sipelangi-net doctor`` and the lab's preflight: what is missing) and by
``tests/unit/test_programs.py`` (nothing runs a program that is not on it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sipelangi_net.errors import ConfigError

LIST_FILE = Path(__file__).with_name("programs.txt")
PURPOSES = frozenset({"lab", "bandwidth", "compliance", "documents", "setup", "tests"})
NO_PROGRAM = "-"
SYSTEM_DIRS = ("/usr/sbin", "/sbin")
DPKG_STATUS = Path("/var/lib/dpkg/status")


@dataclass(frozen=True, slots=True)
class Program:
    """One entry of the list: ``program`` is None for a package needed without a program (a library)."""

    program: str | None
    package: str
    needed_for: frozenset[str]

    @property
    def name(self) -> str:
        """The program's file name (``/usr/lib/frr/zebra`` -> ``zebra``)."""
        return os.path.basename(self.program or "")


def _entry(line: str, where: str) -> Program:
    words = line.split()
    if len(words) != 3:
        raise ConfigError(f"{where}: expected 'PROGRAM PACKAGE NEEDED-FOR', got {line.strip()!r}")
    program, package, purposes = words
    needed_for = frozenset(purposes.split(","))
    unknown = sorted(needed_for - PURPOSES)
    if unknown:
        raise ConfigError(
            f"{where}: unknown purpose {', '.join(unknown)} (one of {', '.join(sorted(PURPOSES))})"
        )
    return Program(None if program == NO_PROGRAM else program, package, needed_for)


def parse(text: str, *, source: str = str(LIST_FILE)) -> tuple[Program, ...]:
    """The entries of a program list; comments (``#``) and blank lines are skipped."""
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0]
        if line.strip():
            entries.append(_entry(line, f"{source}:{number}"))
    return tuple(entries)


def load(path: Path = LIST_FILE) -> tuple[Program, ...]:
    return parse(path.read_text(encoding="utf-8"), source=str(path))


def needed_for(purpose: str, entries: Iterable[Program] | None = None) -> tuple[Program, ...]:
    """The entries with a program needed for ``purpose`` (lab, bandwidth, ...)."""
    return tuple(e for e in (load() if entries is None else entries) if e.program and purpose in e.needed_for)


def installed(program: str, *, path: str | None = None) -> bool:
    """True when ``program`` can be run: an executable file, or found on PATH (plus /usr/sbin, /sbin)."""
    if program.startswith("/"):
        return os.access(program, os.X_OK)
    search = os.pathsep.join([path if path is not None else os.environ.get("PATH", ""), *SYSTEM_DIRS])
    return shutil.which(program, path=search) is not None


def installed_packages(status: Path = DPKG_STATUS) -> frozenset[str] | None:
    """The Debian packages installed here (from dpkg's status file); None when there is none."""
    try:
        text = status.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = set()
    for paragraph in text.split("\n\n"):
        lines = paragraph.splitlines()
        name = next((ln[len("Package: ") :] for ln in lines if ln.startswith("Package: ")), None)
        if name and "Status: install ok installed" in lines:
            found.add(name.strip())
    return frozenset(found)


def missing(
    entries: Iterable[Program], *, path: str | None = None, packages: frozenset[str] | None = None
) -> tuple[Program, ...]:
    """The entries whose program is not installed here.

    With ``packages`` (see :func:`installed_packages`), an entry without a program (a library)
    is missing when its package is not among them; without, such entries are not checked.
    """
    return tuple(e for e in entries if _absent(e, path, packages))


def _absent(entry: Program, path: str | None, packages: frozenset[str] | None) -> bool:
    if entry.program:
        return not installed(entry.program, path=path)
    return packages is not None and entry.package not in packages


def install_command(entries: Iterable[Program]) -> str:
    """The apt-get command that installs the packages of ``entries``."""
    return "apt-get install " + " ".join(sorted({e.package for e in entries}))


def missing_message(entries: Iterable[Program]) -> str:
    """``missing ping (iputils-ping), ...; install with: apt-get install ... (or ./dev.sh setup)``."""
    found = list(entries)
    names = ", ".join(f"{e.program or 'package'} ({e.package})" for e in sorted(found, key=lambda e: e.name))
    return f"missing {names}; install with: {install_command(found)} (or ./dev.sh setup)"
