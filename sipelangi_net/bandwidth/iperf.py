"""iperf3 (``-J``) commands and their results, read strictly (pure).

A result counts only when iperf3 says it finished: a JSON ``error``, a missing ``end``
section, zero bytes or zero seconds, or text that is not JSON raise
:class:`~sipelangi_net.errors.MeasurementError` — never a figure of 0 that a verdict might
misread, never a pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sipelangi_net.errors import MeasurementError

BUSY = "busy"
"""iperf3 serves one test at a time: 'the server is busy running a test. try again later'."""
RETRYABLE = (
    BUSY,
    "unable to connect",
    "connection refused",
    "control socket has closed",
    "unable to receive control message",  # the server still tearing down the previous test
)


@dataclass(frozen=True, slots=True)
class TcpRun:
    mbps: float
    retransmits: int
    seconds: float


@dataclass(frozen=True, slots=True)
class UdpRun:
    mbps: float
    jitter_ms: float
    loss_pct: float
    seconds: float


def tcp_argv(address: str, port: int, *, seconds: int, streams: int, reverse: bool) -> list[str]:
    """TCP with ``streams`` parallel streams; ``reverse``: the server sends (the OPD's download)."""
    return [
        "iperf3", "-c", address, "-p", str(port), "-J", "-P", str(streams),
        "-t", str(seconds), "-O", "1", "--connect-timeout", "3000",
        *(["-R"] if reverse else []),
    ]  # fmt: skip


UDP_BUFFER = "2M"
"""Socket buffer of the UDP test (``-w``): loss is the network's, not a receiving laptop's that
was busy for some tens of milliseconds (the kernel's default buffer holds about 90 datagrams,
50 ms at 18 Mbit/s). The kernel caps it at ``net.core.rmem_max``."""


def udp_argv(address: str, port: int, *, seconds: int, mbps: float) -> list[str]:
    """UDP from the server at ``mbps`` (the download target): jitter and loss as the OPD receives them."""
    return [
        "iperf3", "-c", address, "-p", str(port), "-J", "-u", "-R", "-b", f"{mbps:g}M",
        "-l", "1400", "-w", UDP_BUFFER, "-t", str(seconds), "--connect-timeout", "3000",
    ]  # fmt: skip


def _document(text: str, what: str) -> dict[str, Any]:
    if not text.strip():
        raise MeasurementError(f"iperf3 {what}: no output (killed or not run)")
    try:
        data = json.loads(text)
    except ValueError:
        raise MeasurementError(f"iperf3 {what}: output is not complete JSON (truncated?)") from None
    if not isinstance(data, dict):
        raise MeasurementError(f"iperf3 {what}: output is not an iperf3 JSON document")
    error = data.get("error")
    if error:
        raise MeasurementError(f"iperf3 {what}: {str(error)[:200]}")
    end = data.get("end")
    if not isinstance(end, dict) or not end:
        raise MeasurementError(f"iperf3 {what}: the result has no 'end' section (the test did not finish)")
    return end


def _number(section: dict[str, Any], key: str, what: str) -> float:
    value = section.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise MeasurementError(f"iperf3 {what}: {key} missing or invalid in the result")
    return float(value)


def _section(end: dict[str, Any], key: str, what: str) -> dict[str, Any]:
    section = end.get(key)
    if not isinstance(section, dict):
        raise MeasurementError(f"iperf3 {what}: the result has no end.{key}")
    return section


def parse_tcp(text: str, *, what: str) -> TcpRun:
    """Goodput as the receiver counted it (``end.sum_received``), retransmits from the sender."""
    end = _document(text, what)
    received = _section(end, "sum_received", what)
    sent = _section(end, "sum_sent", what)
    seconds = _number(received, "seconds", what)
    nbytes = _number(received, "bytes", what)
    if seconds <= 0 or nbytes <= 0:
        raise MeasurementError(f"iperf3 {what}: no data received ({nbytes:.0f} bytes in {seconds:.1f} s)")
    return TcpRun(
        mbps=round(_number(received, "bits_per_second", what) / 1e6, 2),
        retransmits=int(sent.get("retransmits", 0) or 0),
        seconds=round(seconds, 2),
    )


def parse_udp(text: str, *, what: str = "UDP") -> UdpRun:
    end = _document(text, what)
    total = _section(end, "sum", what)
    seconds = _number(total, "seconds", what)
    packets = _number(total, "packets", what)
    if seconds <= 0 or packets <= 0:
        raise MeasurementError(f"iperf3 {what}: no datagrams ({packets:.0f} in {seconds:.1f} s)")
    return UdpRun(
        mbps=round(_number(total, "bits_per_second", what) / 1e6, 2),
        jitter_ms=round(_number(total, "jitter_ms", what), 3),
        loss_pct=round(_number(total, "lost_percent", what), 3),
        seconds=round(seconds, 2),
    )


def retryable(error: MeasurementError) -> bool:
    """Whether waiting and trying again may help (a busy or restarting server)."""
    text = str(error).lower()
    return any(marker in text for marker in RETRYABLE)
