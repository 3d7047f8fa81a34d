"""A real ISC Kea DHCPv4 server and Control Agent on 127.0.0.1 for the unit tier (no DHCP interface).

Started through the lab's own :mod:`sipelangi_net.lab.kea`, stopped by the PIDs it wrote, also
when the test fails.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sipelangi_net.lab import kea

USER = "sipelangi"
PASSWORD = "kea-test-Pw-4b7e1c"  # looked for in every message and file


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_kea(directory: Path) -> Iterator[kea.KeaServer]:
    # no prefix: kea-dhcp4 runs here, with no interface to serve (the lab passes its nsenter)
    server = kea.start(
        directory, port=free_port(), username=USER, password=PASSWORD, interfaces=[], prefix=()
    )
    try:
        yield server
    finally:
        left = kea.stop(directory)
        assert not left, f"Kea PIDs {left} did not stop"
