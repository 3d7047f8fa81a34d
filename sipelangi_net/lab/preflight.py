"""Checks that this machine can run the lab, before anything is touched.

The programs checked are the "lab" entries of the one program list
(``sipelangi_net/programs.txt``), the same list ``dev.sh`` installs from.
"""

from __future__ import annotations

import os
from pathlib import Path

from sipelangi_net import programs
from sipelangi_net.errors import MissingPackageError, NotRootError
from sipelangi_net.system import require_linux

LAB_PROGRAMS = programs.needed_for("lab")

# program -> Debian package that provides it
REQUIRED: dict[str, str] = {e.program: e.package for e in LAB_PROGRAMS if e.program}


def missing_programs() -> dict[str, str]:
    return {e.program: e.package for e in programs.missing(LAB_PROGRAMS) if e.program}


def check_system(*, root: bool = True) -> None:
    """NotLinuxError off Linux; NotRootError when ``root`` and this user is not root. Changes nothing."""
    require_linux("the lab")
    if root and os.geteuid() != 0:
        raise NotRootError(
            "the lab needs Linux and root (it creates network namespaces and starts FRR, Open vSwitch"
            " and sshd); run it with sudo or as root"
        )


def check_machine() -> None:
    """Raise a clear error when the lab cannot run here; change nothing."""
    check_system()
    missing = programs.missing(LAB_PROGRAMS)
    if missing:
        raise MissingPackageError(programs.missing_message(missing))
    if not Path("/proc/self/ns/net").exists():
        raise MissingPackageError("this kernel has no network namespaces")
