"""The bandwidth test of a ticket's plan, and the gate that keeps a change only when it passes.

Where the test runs is the :class:`~sipelangi_net.environment.Environment`'s OPD side, chosen at
the edge: on the lab the site's OPD host (given the plan's address); on a real network this
machine — the engineer's laptop plugged in at the OPD.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sipelangi_net.bandwidth.run import (
    DEFAULT_SETTINGS,
    BwRun,
    Settings,
    bandwidth_servers,
    bwtest,
)
from sipelangi_net.environment import Environment
from sipelangi_net.errors import MeasurementError
from sipelangi_net.tickets.models import Move


def measure(
    plan: Any, inventory: Any, environment: Environment, settings: Settings = DEFAULT_SETTINGS
) -> BwRun:
    """Run the test for ``plan`` from the environment's OPD side toward the inventory's test servers.

    Never raises on a bad result (the result says it).
    """
    iperf_server, speed_server = bandwidth_servers(inventory)
    side = environment.opd_side(plan, inventory)
    with side.attached:
        return bwtest(
            plan.ticket_id,
            target_down=plan.bandwidth.down_mbit,
            target_up=plan.bandwidth.up_mbit,
            client=side.client,
            iperf_server=iperf_server,
            speedtest_server=speed_server,
            execute=side.execute,
            settings=settings,
        )


def outputs(run: BwRun) -> dict[str, Any]:
    """What the ticket keeps of a test: the typed result and the raw tool outputs."""
    return {"bwtest": run.result.model_dump(mode="json"), "raw": run.raw}


def step8(run: BwRun, actor: str) -> Move:
    """SOP step 8 (quality test) as recorded on the ticket."""
    r = run.result
    ended = r.started_at + dt.timedelta(seconds=r.duration_s)
    return Move(
        step=8,
        actor=actor,
        outcome="done" if r.passed else "failed",
        note="" if r.passed else r.reason[:2000],
        outputs=outputs(run),
        started_at=r.started_at,
        ended_at=ended,
    )


class BandwidthGate:
    """A deploy post-check: passes when the bandwidth test passes; keeps the run for the ticket."""

    def __init__(
        self, plan: Any, inventory: Any, environment: Environment, settings: Settings = DEFAULT_SETTINGS
    ) -> None:
        self.plan, self.inventory, self.settings = plan, inventory, settings
        self.environment = environment
        self.run: BwRun | None = None

    def __call__(self) -> None:
        self.run = measure(self.plan, self.inventory, self.environment, self.settings)
        if not self.run.result.passed:
            raise MeasurementError(f"bandwidth test failed: {self.run.result.reason}")


def summary_lines(run: BwRun) -> Iterator[str]:
    """The result for people, a line each."""
    r = run.result
    yield f"bandwidth test {r.ticket_id}: {r.client} -> {r.server}"
    if r.iperf:
        i = r.iperf
        yield (
            f"  iperf3   download {i.download_mbps:g} Mbit/s  upload {i.upload_mbps:g} Mbit/s"
            f"  retransmits {i.retransmits_down}/{i.retransmits_up}  ({i.streams} streams, {i.seconds} s)"
        )
        if i.jitter_ms is not None and i.loss_pct is not None:
            yield f"  UDP      {i.udp_mbps:g} Mbit/s  jitter {i.jitter_ms:g} ms  loss {i.loss_pct:g} %"
    if r.speedtest:
        s = r.speedtest
        yield (
            f"  speedtest download {s.download_mbps:g} Mbit/s  upload {s.upload_mbps:g} Mbit/s"
            f"  ping {s.ping_ms:g} ms"
        )
    for error in r.errors:
        yield f"  error: {error}"
    yield f"  target {r.target_down_mbps:g}/{r.target_up_mbps:g} Mbit/s, {r.duration_s:g} s"
    yield f"{r.verdict.upper()}: {r.reason}"
