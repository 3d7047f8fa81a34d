"""The monitor: rounds of reads and probes → observations → :func:`~.correlate.advance` → a callback.

Each round, at a fixed rate (``interval``; a round that overruns starts the next at once):

1. every device on the tree is read over its kept-open session (sipelangi_net.faults.sessions:
   parallel, a deadline per round, reconnect with backoff; the platform spec's ``monitor``
   command and parser give its interfaces' state and error counters);
2. at the same time every watched OPD's gateway and host are pinged from the Diskominfo side
   (sipelangi_net.faults.probes.Pinger, on the environment's socket);
3. every ``throughput_every`` rounds one OPD's uplink (in turn) is measured with a short iperf3 run;
   below ``throughput_fraction`` of the plan ``throughput_confirm`` times in a row, its uplink
   is ``degraded`` until a probe finds it at the plan again;
4. the facts become observations (sipelangi_net.faults.observe) and the correlation decides what
   opens, stays open, closes or folds; the callback gets the :class:`RoundResult` and a
   :class:`RoundReport` of what was seen.

The loop stops when its ``stop`` event is set (the CLI sets it on SIGTERM and SIGINT), between
rounds or while waiting; the caller closes the sessions.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from sipelangi_net.errors import MeasurementError
from sipelangi_net.faults.correlate import (
    CorrelationConfig,
    CorrelationState,
    Observation,
    Round,
    RoundResult,
    advance,
)
from sipelangi_net.faults.interfaces import InterfaceState, Parser
from sipelangi_net.faults.observe import End, OpdWatch, Seen, Watch, observe
from sipelangi_net.faults.probes import ThroughputRoute, measure
from sipelangi_net.faults.sessions import Reading, SessionPool

log = logging.getLogger(__name__)


class Pings(Protocol):
    """What the monitor needs of a pinger (sipelangi_net.faults.probes.Pinger)."""

    def ping(self, addresses: Iterable[str], *, timeout: float = 1.0) -> frozenset[str]: ...


@dataclass(frozen=True, slots=True)
class MonitorSettings:
    interval: float = 60.0
    """Seconds from the start of one round to the start of the next."""
    read_timeout: float = 5.0
    """A device's read; the round waits at most this long for its devices."""
    ping_timeout: float = 1.0
    error_rise: int = 10
    """Errors counted on a port between two rounds that make its link degraded."""
    throughput_every: int = 5
    """Rounds between two throughput probes (0: none)."""
    throughput_seconds: int = 1
    throughput_fraction: float = 0.5
    """Below this share of the plan's download rate a probe is low."""
    throughput_confirm: int = 2
    """Low probes in a row before the uplink counts as degraded."""
    correlation: CorrelationConfig = field(default_factory=CorrelationConfig)

    def __post_init__(self) -> None:
        if self.interval <= 0 or self.read_timeout <= 0 or self.ping_timeout <= 0:
            raise ValueError("interval, read_timeout and ping_timeout must be positive")
        if self.throughput_every < 0 or self.throughput_confirm < 1 or not 0 < self.throughput_fraction <= 1:
            raise ValueError("throughput_every >= 0, throughput_confirm >= 1, 0 < throughput_fraction <= 1")


DEFAULT_SETTINGS = MonitorSettings()


@dataclass(frozen=True, slots=True)
class Probe:
    site: str
    mbps: float | None
    """``None``: no figure (``error`` says why; the uplink keeps its last verdict)."""
    low: bool
    error: str = ""


@dataclass(frozen=True, slots=True)
class RoundReport:
    number: int
    at: dt.datetime
    seconds: float
    observations: tuple[Observation, ...]
    silent: Mapping[str, str]
    """Devices that did not answer, and why."""
    probe: Probe | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Monitor:
    """One monitor over ``watch``: its sessions, pinger and throughput routes are given opened
    by the caller (the CLI or a test), who also closes them."""

    def __init__(
        self,
        *,
        watch: Watch,
        sessions: SessionPool,
        pinger: Pings,
        parsers: Mapping[str, Parser],
        throughput: Callable[[OpdWatch], ThroughputRoute | None],
        settings: MonitorSettings = DEFAULT_SETTINGS,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self.watch = watch
        self.settings = settings
        self._sessions = sessions
        self._pinger = pinger
        self._parsers = parsers
        self._throughput = throughput
        self._clock = clock
        self.state = CorrelationState()
        self._errors: dict[End, int] = {}
        self._low: dict[str, int] = {}
        self._rounds = 0
        self._next_probe = 0

    def round(self) -> tuple[RoundResult, RoundReport]:
        """One round now: read, ping, maybe probe, observe, correlate."""
        started = time.monotonic()
        self._rounds += 1
        addresses = [a for o in self.watch.opds.values() for a in (o.gateway, o.host)]
        pinged: list[frozenset[str]] = []
        pinging = threading.Thread(target=self._ping, args=(addresses, pinged), name="monitor-ping")
        pinging.start()
        probe_site = self._probe_site()
        probing: list[Probe] = []
        prober = None
        if probe_site is not None:
            prober = threading.Thread(
                target=lambda: probing.append(self._probe(probe_site)), name="monitor-probe"
            )
            prober.start()
        readings = self._sessions.read_round(deadline=self.settings.read_timeout)
        pinging.join()
        if prober is not None:
            prober.join()
        ports = {name: self._ports(r) for name, r in readings.items()}
        probe = probing[0] if probing else None
        slow = frozenset(site for site, n in self._low.items() if n >= self.settings.throughput_confirm)
        seen = Seen(ports=ports, answered=pinged[0] if pinged else None, slow=slow)
        observations, self._errors = observe(
            self.watch, seen, self._errors, error_rise=self.settings.error_rise
        )
        at = self._clock()
        result = advance(
            self.state, Round(at, observations), tree=self.watch.tree, config=self.settings.correlation
        )
        self.state = result.state
        silent = {name: r.error for name, r in readings.items() if ports[name] is None}
        report = RoundReport(self._rounds, at, time.monotonic() - started, observations, silent, probe)
        return result, report

    def _ping(self, addresses: list[str], out: list[frozenset[str]]) -> None:
        try:
            out.append(self._pinger.ping(addresses, timeout=self.settings.ping_timeout))
        except OSError as exc:  # the pinger's own failure says nothing of the OPDs: no observation
            log.error("pinger: %s; no gateway or host observed this round", exc)

    def _ports(self, reading: Reading) -> Mapping[str, InterfaceState] | None:
        if reading.answer is None:
            return None
        parser = self._parsers.get(reading.device)
        if parser is None:
            return {}
        try:
            return parser(reading.answer)
        except ValueError as exc:  # the device answered, but not with its interface table
            log.warning("%s: unreadable interface table: %s", reading.device, exc)
            return {}

    def _probe_site(self) -> str | None:
        every = self.settings.throughput_every
        sites = sorted(self.watch.opds)
        if not every or not sites or (self._rounds - 1) % every:
            return None
        site = sites[self._next_probe % len(sites)]
        self._next_probe += 1
        return site

    def _probe(self, site: str) -> Probe:
        opd = self.watch.opds[site]
        route = self._throughput(opd)
        if route is None:
            return Probe(site, None, False, "no throughput probe for this OPD")
        try:
            mbps = measure(route, seconds=self.settings.throughput_seconds)
        except MeasurementError as exc:
            return Probe(site, None, False, str(exc))
        low = mbps < self.settings.throughput_fraction * opd.down_mbit
        self._low[site] = self._low.get(site, 0) + 1 if low else 0
        return Probe(site, mbps, low)

    def run(
        self,
        on_round: Callable[[RoundResult, RoundReport], None],
        *,
        stop: threading.Event,
        rounds: int | None = None,
    ) -> int:
        """Rounds every ``interval`` until ``stop`` is set (or ``rounds`` are done): how many ran."""
        done = 0
        next_at = time.monotonic()
        while not stop.is_set() and (rounds is None or done < rounds):
            result, report = self.round()
            done += 1
            on_round(result, report)
            next_at = max(next_at + self.settings.interval, time.monotonic())
            if rounds is not None and done >= rounds:
                break
            stop.wait(max(0.0, next_at - time.monotonic()))
        return done
