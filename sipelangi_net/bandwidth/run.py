"""Run the bandwidth test (SOP step 8) from the OPD side toward the Diskominfo test servers.

Where commands run is injected (``execute``): inside the lab's OPD host namespace, or on
the engineer's laptop at the OPD. iperf3 runs TCP download (``-R``) and upload with several
streams, then UDP at the download target for jitter and loss; speedtest-cli measures the
breakout against the configured Speedtest-Mini server. A busy or restarting iperf3 server
is retried with backoff; every other failure is an error in the result and fails the verdict.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sipelangi_net.bandwidth import iperf
from sipelangi_net.bandwidth.models import (
    DEFAULT_TOLERANCE,
    BwResult,
    IperfFigures,
    SpeedtestFigures,
)
from sipelangi_net.bandwidth.verdict import judge
from sipelangi_net.errors import ConfigError, MeasurementError

log = logging.getLogger(__name__)
Execute = Callable[[Sequence[str], float], "subprocess.CompletedProcess[str]"]
NOT_FOUND = 127


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    address: str
    port: int

    def __str__(self) -> str:
        return f"{self.name} {self.address}:{self.port}"


@dataclass(frozen=True, slots=True)
class Settings:
    seconds: int = 3
    """Measured seconds per TCP direction (one more is omitted for slow start)."""
    streams: int = 4
    udp_seconds: int = 2
    tolerance: float = DEFAULT_TOLERANCE
    attempts: int = 3
    backoff_s: float = 1.0
    speedtest: bool = True
    speedtest_seconds: int = 3


DEFAULT_SETTINGS = Settings()


@dataclass(frozen=True, slots=True)
class BwRun:
    """The typed result and the raw outputs it was read from (both go on the ticket)."""

    result: BwResult
    raw: dict[str, Any] = field(default_factory=dict)


def bandwidth_servers(inventory: Any) -> tuple[Endpoint, Endpoint | None]:
    """The iperf3 and speedtest servers of the Diskominfo server segment (servers.yaml)."""
    found: dict[str, Endpoint] = {}
    for name, server in inventory.servers.servers.items():
        for svc in server.services:
            if svc.name in ("iperf3", "speedtest") and svc.name not in found:
                found[svc.name] = Endpoint(name, str(server.address), svc.port)
    if "iperf3" not in found:
        raise ConfigError(
            f"{inventory.path / 'servers.yaml'}: no server offers the 'iperf3' service;"
            " add one (e.g. services: [{name: iperf3, protocol: tcp, port: 5201}])"
        )
    return found["iperf3"], found.get("speedtest")


def local_execute(argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run on this machine (the engineer's laptop at the OPD); 127: not installed, 124: timeout."""
    try:
        return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        return subprocess.CompletedProcess(list(argv), NOT_FOUND, "", f"{argv[0]}: not found")
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return subprocess.CompletedProcess(list(argv), 124, out, f"no answer after {timeout:.0f} s")


class _Session:
    def __init__(self, execute: Execute, settings: Settings, sleep: Callable[[float], None]) -> None:
        self.execute, self.settings, self.sleep = execute, settings, sleep
        self.raw: dict[str, Any] = {}
        self.errors: list[str] = []

    def command(self, key: str, argv: list[str], timeout: float) -> str:
        proc = self.execute(argv, timeout)
        out = proc.stdout or ""
        try:
            self.raw[key] = json.loads(out)
        except ValueError:
            self.raw[key] = out[-2000:]
        if proc.returncode == NOT_FOUND:
            where = "where the test runs (./dev.sh setup installs it)"
            raise MeasurementError(f"{argv[0]} is not installed {where}")
        if proc.returncode == 124 and not out.strip():
            raise MeasurementError(f"{argv[0]}: no answer after {timeout:.0f} s")
        return out

    def iperf(self, key: str, argv: list[str], parse: Callable[[str], Any]) -> Any:
        timeout = self.settings.seconds + self.settings.udp_seconds + 20
        for attempt in range(1, self.settings.attempts + 1):
            try:
                return parse(self.command(key, argv, timeout))
            except MeasurementError as exc:
                if attempt == self.settings.attempts or not iperf.retryable(exc):
                    raise
                wait = self.settings.backoff_s * 2 ** (attempt - 1)
                log.warning("%s: %s; trying again in %.0f s", key, exc, wait)
                self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def step(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except MeasurementError as exc:
            self.errors.append(str(exc))
            return None


def _iperf_figures(s: _Session, server: Endpoint, down_mbps: float) -> IperfFigures | None:
    st = s.settings

    def tcp(reverse: bool) -> iperf.TcpRun:
        what = "TCP download" if reverse else "TCP upload"
        argv = iperf.tcp_argv(
            server.address, server.port, seconds=st.seconds, streams=st.streams, reverse=reverse
        )
        return s.iperf(what, argv, lambda text: iperf.parse_tcp(text, what=what))  # type: ignore[no-any-return]

    down = s.step(lambda: tcp(True))
    up = s.step(lambda: tcp(False)) if down else None
    argv = iperf.udp_argv(server.address, server.port, seconds=st.udp_seconds, mbps=down_mbps)
    udp = s.step(lambda: s.iperf("UDP", argv, iperf.parse_udp)) if up else None
    if not (down and up):
        return None
    return IperfFigures(
        download_mbps=down.mbps,
        upload_mbps=up.mbps,
        retransmits_down=down.retransmits,
        retransmits_up=up.retransmits,
        jitter_ms=udp.jitter_ms if udp else None,
        loss_pct=udp.loss_pct if udp else None,
        udp_mbps=down_mbps,
        streams=st.streams,
        seconds=st.seconds,
    )


def _speedtest(s: _Session, server: Endpoint) -> SpeedtestFigures:
    url = f"http://{server.address}:{server.port}/"
    argv = [
        sys.executable, "-m", "sipelangi_net.bandwidth.speedtest_probe", url,
        "--seconds", str(s.settings.speedtest_seconds),
    ]  # fmt: skip
    out = s.command("speedtest", argv, timeout=4 * s.settings.speedtest_seconds + 20)
    data = s.raw.get("speedtest")
    if not isinstance(data, dict):
        raise MeasurementError(f"speedtest: output is not a result ({out.strip()[:120] or 'empty'})")
    if "error" in data:
        raise MeasurementError(f"speedtest against {url}: {str(data['error'])[:200]}")
    try:
        return SpeedtestFigures(
            download_mbps=data["download_mbps"],
            upload_mbps=data["upload_mbps"],
            ping_ms=data["ping_ms"],
            server=str(server),
        )
    except (KeyError, ValueError) as exc:
        raise MeasurementError(f"speedtest: incomplete result ({exc})") from None


def bwtest(
    ticket_id: str,
    *,
    target_down: float,
    target_up: float,
    client: str,
    iperf_server: Endpoint,
    speedtest_server: Endpoint | None,
    execute: Execute,
    settings: Settings = DEFAULT_SETTINGS,
    sleep: Callable[[float], None] = time.sleep,
) -> BwRun:
    """Measure and judge; never raises for a failed measurement (the result says why)."""
    started = dt.datetime.now(dt.UTC)
    t0 = time.monotonic()
    s = _Session(execute, settings, sleep)
    figures = _iperf_figures(s, iperf_server, target_down)
    speed = None
    if settings.speedtest:
        if speedtest_server is None:
            s.errors.append("speedtest: no server offers the 'speedtest' service (servers.yaml)")
        else:
            speed = s.step(lambda: _speedtest(s, speedtest_server))
    errors = tuple(s.errors)
    passed, reason = judge(
        down=target_down, up=target_up, tolerance=settings.tolerance, iperf=figures, errors=errors
    )
    result = BwResult(
        ticket_id=ticket_id,
        verdict="pass" if passed else "fail",
        reason=reason,
        target_down_mbps=target_down,
        target_up_mbps=target_up,
        tolerance=settings.tolerance,
        client=client,
        server=str(iperf_server),
        started_at=started,
        duration_s=round(time.monotonic() - t0, 2),
        iperf=figures,
        speedtest=speed,
        errors=errors,
    )
    return BwRun(result, s.raw)
