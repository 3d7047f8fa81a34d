"""The monitor's probes from the Diskominfo side: ICMP echo to many addresses at once, and a short
iperf3 run against an OPD's plan.

:class:`Pinger` keeps one ICMP socket open (a datagram ICMP socket where the machine allows it,
``net.ipv4.ping_group_range``; a raw one as root) and pings every address of a round at once:
one echo each, a second to those still silent at half time; what has not answered by the
deadline is unreachable. Linux only (its ICMP datagram socket; macOS's returns the IP header,
Windows has none): :meth:`Pinger.open` says so elsewhere. The socket may be made inside another
network namespace (:func:`socket_in_netns`: the lab's server segment), chosen at the edge
(sipelangi_net.environment ``WatchSide``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sipelangi_net.errors import MeasurementError, NotRootError
from sipelangi_net.system import require_linux

CLONE_NEWNET = 0x40000000
ECHO_REQUEST = 8
ECHO_REPLY = 0
SocketFactory = Callable[[int, int, int], socket.socket]


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def socket_in_netns(netns: Path) -> SocketFactory:
    """Sockets made inside the network namespace ``netns`` (a socket keeps its namespace for
    its life): a short-lived thread enters it, makes the socket and ends, so no other thread of
    the process ever changes namespace."""

    def make(family: int, kind: int, proto: int) -> socket.socket:
        made: list[socket.socket | BaseException] = []

        def inside() -> None:
            try:
                with open(netns, "rb") as target:
                    _setns(target.fileno())
                made.append(socket.socket(family, kind, proto))
            except BaseException as exc:  # handed to the caller below
                made.append(exc)

        worker = threading.Thread(target=inside, name="monitor-netns")
        worker.start()
        worker.join()
        got = made[0]
        if isinstance(got, BaseException):
            raise got
        return got

    return make


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int) -> bytes:
    payload = b"sipelangi-net monitor"
    header = struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, ident, seq)
    return struct.pack("!BBHHH", ECHO_REQUEST, 0, _checksum(header + payload), ident, seq) + payload


class Pinger:
    """ICMP echo to many IPv4 addresses at once over one socket, kept open. No I/O before
    :meth:`open`."""

    def __init__(self, *, factory: SocketFactory = socket.socket) -> None:
        self._factory = factory
        self._sock: socket.socket | None = None
        self._raw = False
        self._ident = os.getpid() & 0xFFFF
        self._seq = 0

    def open(self) -> None:
        """Open the ICMP socket: Linux only (NotLinuxError elsewhere); NotRootError when this user
        may open neither a datagram ICMP socket nor a raw one."""
        require_linux("the monitor (its ICMP probe)")
        try:
            self._sock = self._factory(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
        except PermissionError:
            try:
                self._sock = self._factory(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            except PermissionError:
                raise NotRootError(
                    "the monitor needs an ICMP socket: run it as root, or let this user's group open"
                    " ICMP datagram sockets (sysctl net.ipv4.ping_group_range)"
                ) from None
            self._raw = True
        self._sock.setblocking(False)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def ping(self, addresses: Iterable[str], *, timeout: float = 1.0) -> frozenset[str]:
        """The addresses that answered within ``timeout`` seconds."""
        if self._sock is None:
            raise MeasurementError("the pinger is not open (call open first)")
        wanted = {a: self._next_seq() for a in dict.fromkeys(addresses)}
        by_seq = {seq: a for a, seq in wanted.items()}
        answered: set[str] = set()
        self._send(wanted)
        start = time.monotonic()
        resent = False
        while len(answered) < len(wanted):
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                break
            if not resent and left <= timeout / 2:
                self._send({a: s for a, s in wanted.items() if a not in answered})
                resent = True
            ready, _, _ = select.select([self._sock], [], [], min(left, timeout / 2) if not resent else left)
            if ready:
                self._receive(by_seq, answered)
        return frozenset(answered)

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) % 0x10000
        return self._seq

    def _send(self, targets: dict[str, int]) -> None:
        assert self._sock is not None
        for address, seq in targets.items():
            try:
                self._sock.sendto(echo_request(self._ident, seq), (address, 0))
            except OSError:  # no route, unreachable network: no answer
                continue

    def _receive(self, by_seq: dict[int, str], answered: set[str]) -> None:
        assert self._sock is not None
        while True:
            try:
                data, (source, _) = self._sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # an ICMP error queued for an earlier send
                continue
            if self._raw:
                data = data[(data[0] & 0x0F) * 4 :]
            if len(data) < 8:
                continue
            kind, _code, _sum, ident, seq = struct.unpack("!BBHHH", data[:8])
            if kind != ECHO_REPLY or (self._raw and ident != self._ident):
                continue
            if by_seq.get(seq) == source:
                answered.add(source)


@dataclass(frozen=True, slots=True)
class ThroughputRoute:
    """Where an OPD's throughput probe runs and what it measures against."""

    execute: Callable[[Sequence[str], float], object]
    """How to run a program there (``(argv, timeout) -> CompletedProcess``)."""
    address: str
    port: int
    reverse: bool
    """``True``: the far end sends (the client stands at the OPD and measures its download)."""


def measure(route: ThroughputRoute, *, seconds: int = 1, what: str = "throughput probe") -> float:
    """One short TCP run (one stream, ``seconds`` measured after one omitted): Mbit/s received."""
    from sipelangi_net.bandwidth.iperf import parse_tcp, tcp_argv

    argv = tcp_argv(route.address, route.port, seconds=seconds, streams=1, reverse=route.reverse)
    done = route.execute(argv, float(seconds + 8))
    stdout = getattr(done, "stdout", "") or ""
    return parse_tcp(str(stdout), what=what).mbps
