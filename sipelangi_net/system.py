"""What this machine's operating system allows: the few parts that need Linux say so here.

Tickets, analysis, diff, deploy, documents, compliance and the server run on Linux, macOS and
Windows (portable locks and paths: :mod:`sipelangi_net.locks`, :mod:`sipelangi_net.paths`).
The lab (network namespaces, FRR, Open vSwitch, run as root) and the monitor's ICMP probe
(Linux's ICMP datagram socket, or a raw one as root) need Linux: they call :func:`require_linux`
first, so elsewhere they stop with a :class:`~sipelangi_net.errors.NotLinuxError` (exit 3) that
says so, instead of failing half-way.
"""

from __future__ import annotations

import platform
import sys

from sipelangi_net.errors import NotLinuxError


def is_linux(system: str | None = None) -> bool:
    return (system or sys.platform).startswith("linux")


def require_linux(what: str, *, system: str | None = None) -> None:
    """NotLinuxError naming ``what`` (``the lab``) unless this is Linux (``system``: a ``sys.platform``)."""
    if not is_linux(system):
        name = {"darwin": "macOS", "win32": "Windows"}.get(system or sys.platform, platform.system())
        raise NotLinuxError(
            f"{what} needs Linux, and this is {name}; run it on a Linux machine (or a Linux virtual"
            " machine) as root. Tickets, analysis, diff, deploy, documents, compliance and the server"
            " work here."
        )
