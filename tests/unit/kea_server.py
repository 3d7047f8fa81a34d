"""A real ISC Kea DHCPv4 server and Control Agent on 127.0.0.1 for the unit tier.

Started through the lab's own :mod:`sipelangi_net.lab.kea`, stopped by the PIDs it wrote, also
when the test fails. kea-dhcp4 listens on ``lo`` (127.0.0.1) on free UDP ports instead of 67/68,
so a test can be the relay (:func:`relay_discover`), as a gateway's dhcrelay is in the lab.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

from sipelangi_net.lab import kea

USER = "sipelangi"
PASSWORD = "kea-test-Pw-4b7e1c"  # looked for in every message and file
MAGIC = b"\x63\x82\x53\x63"


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class LocalKea:
    server: kea.KeaServer
    dhcp_port: int  # kea-dhcp4's (67 on a real server)
    relay_port: int  # where it answers a relay (its -P)


@contextmanager
def running_kea(directory: Path) -> Iterator[LocalKea]:
    ports = (free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM))
    # no prefix: kea-dhcp4 runs here, on lo only (the lab passes its nsenter and the server's port)
    server = kea.start(
        directory, port=free_port(), username=USER, password=PASSWORD, interfaces=["lo/127.0.0.1"],
        prefix=(), dhcp_ports=ports,
    )  # fmt: skip
    try:
        yield LocalKea(server, *ports)
    finally:
        left = kea.stop(directory)
        assert not left, f"Kea PIDs {left} did not stop"


@dataclass(frozen=True, slots=True)
class Offer:
    address: IPv4Address
    routers: tuple[IPv4Address, ...]
    dns: tuple[IPv4Address, ...]


def relay_discover(
    local_kea: LocalKea, giaddr: IPv4Address, mac: bytes, timeout: float = 1.0
) -> Offer | None:
    """Relay one DHCPDISCOVER from ``giaddr`` (a 127/8 address, so the answer comes back here);
    the server's DHCPOFFER, or None when it offers nothing."""
    header = struct.pack(
        "!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 1, int.from_bytes(mac[-4:], "big"), 0, 0,
        bytes(4), bytes(4), bytes(4), giaddr.packed, mac.ljust(16, b"\0"), bytes(64), bytes(128),
    )  # fmt: skip
    options = bytes([53, 1, 1, 55, 2, 3, 6, 255])  # DISCOVER; asks for routers and DNS
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as relay:
        relay.bind((str(giaddr), local_kea.relay_port))
        relay.settimeout(timeout)
        relay.sendto(header + MAGIC + options, ("127.0.0.1", local_kea.dhcp_port))
        try:
            answer = relay.recv(4096)
        except TimeoutError:
            return None
    found = _options(answer[240:]) if answer[236:240] == MAGIC else {}
    assert found.get(53) == b"\x02", f"not a DHCPOFFER: {answer[:64].hex()}"
    return Offer(IPv4Address(answer[16:20]), _addresses(found.get(3, b"")), _addresses(found.get(6, b"")))


def _options(data: bytes) -> dict[int, bytes]:
    found, i = {}, 0
    while i < len(data) and data[i] != 255:
        if data[i] == 0:
            i += 1
            continue
        code, length = data[i], data[i + 1]
        found[code] = data[i + 2 : i + 2 + length]
        i += 2 + length
    return found


def _addresses(raw: bytes) -> tuple[IPv4Address, ...]:
    return tuple(ipaddress.IPv4Address(raw[i : i + 4]) for i in range(0, len(raw), 4))
