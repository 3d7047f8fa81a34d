"""Typed results of the bandwidth test (SOP step 8), stored on the ticket as ``outputs["bwtest"]``.

The verdict compares the measured TCP goodput with the plan's target less a documented
tolerance (docs/bandwidth.md): on Ethernet, TCP/IP headers take 1 - 1448/1514 = 4.4 %
of a shaped link, so a link shaped exactly at the target measures about 95.6 % of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

DEFAULT_TOLERANCE = 0.06
"""Share of the target a TCP measurement may fall short of and still pass (headers + 1.6 % margin)."""
MAX_LOSS_PCT = 1.0
"""UDP loss above this (at the target rate) fails the test."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IperfFigures(_Frozen):
    """iperf3 toward the Diskominfo test server: TCP both ways with several streams, UDP at the target."""

    download_mbps: float
    """Server → OPD (``-R``), received goodput."""
    upload_mbps: float
    """OPD → server, received goodput."""
    retransmits_down: int
    retransmits_up: int
    jitter_ms: float | None
    """``None`` when the UDP test could not be made (its error is in the result)."""
    loss_pct: float | None
    udp_mbps: float
    """The UDP test's offered rate (the plan's download target)."""
    streams: int
    seconds: int
    """Measured seconds per direction (after the omitted slow-start second)."""


class SpeedtestFigures(_Frozen):
    """speedtest-cli against the configured (Speedtest-Mini) server."""

    download_mbps: float
    upload_mbps: float
    ping_ms: float
    server: str


class BwResult(_Frozen):
    """One bandwidth test of a ticket: figures, target and verdict."""

    ticket_id: str
    verdict: Literal["pass", "fail"]
    reason: str
    """Why it passed or failed, in one line (for the ticket and the berita acara)."""
    target_down_mbps: float
    target_up_mbps: float
    tolerance: float
    client: str
    """Where the test ran from (the OPD host)."""
    server: str
    """``name address:port`` of the iperf3 server."""
    started_at: dt.datetime
    duration_s: float
    iperf: IperfFigures | None = None
    speedtest: SpeedtestFigures | None = None
    errors: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"
