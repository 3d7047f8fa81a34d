"""Where a change is checked from — the lab or a real network — chosen once, at the edge.

A stage never looks for the lab itself. The CLI (or a test) picks an :class:`Environment`
once and hands it down; the stages ask it for the things that differ:

- the OPD side (:class:`OpdSide`): where the bandwidth test and the post-check run from —
  on the lab a real host in the OPD subnet (sipelangi_net.lab.environment), on a real
  network this machine, the engineer's laptop plugged in at the OPD;
- the post-check of a push: on the lab that host reaches every permitted application; on a
  real network the gateway device pings them from the OPD gateway address;
- the Diskominfo side (:meth:`Environment.diskominfo_side`): where a fault's diagnosis pings the
  path from, as the monitor sees it: on the lab a server of the Diskominfo segment (its
  namespace), on a real network this machine (the Diskominfo server it runs on);
- the monitor's side (:class:`WatchSide`): where it pings the OPDs from and runs its throughput
  probe — on the lab the Diskominfo server segment's namespace and the OPDs' PCs, on a real
  network this machine (on the Diskominfo segment) and an iperf3 server at the OPD's host.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Execute = Callable[[Sequence[str], float], "subprocess.CompletedProcess[str]"]
DriverFactory = Callable[[Any, Any], Any]
PostCheck = Callable[[], None]
FIELD_IPERF_PORT = 5201


@dataclass(frozen=True, slots=True)
class OpdSide:
    """The host a test runs from: its name, how to run a program there, and its attachment."""

    client: str
    execute: Execute
    attached: contextlib.AbstractContextManager[Any]
    """Entered for the test: gives the host the plan's address (lab) or nothing (this machine)."""


@dataclass(frozen=True, slots=True)
class WatchSide:
    """Where the monitor probes from (sipelangi_net.faults.monitor)."""

    sockets: Callable[[int, int, int], Any]
    """``(family, type, proto) -> socket``: the pinger's socket, made where the probes stand."""
    throughput: Callable[[Any], Any]
    """An OPD's watch (``faults.observe.OpdWatch``) → its ``faults.probes.ThroughputRoute``, or
    ``None`` when it has none."""
    attached: contextlib.AbstractContextManager[Any]
    """Entered while the monitor runs (the lab gives its OPD PCs the watched host addresses)."""


class Environment(Protocol):
    name: str

    def watch_side(self, inventory: Any, opds: Sequence[Any]) -> WatchSide:
        """Where the monitor watching ``opds`` (``faults.observe.OpdWatch``) probes from."""
        ...

    def opd_side(self, plan: Any, inventory: Any) -> OpdSide:
        """Where the OPD's tests of ``plan`` run from."""
        ...

    def post_check(
        self, plan: Any, inventory: Any, factory: DriverFactory
    ) -> tuple[DriverFactory, PostCheck | None]:
        """The driver factory to deploy with and the check that must pass before confirming."""
        ...

    def diskominfo_side(self, inventory: Any) -> Execute:
        """How to run a program (``ping``) on the Diskominfo server segment."""
        ...


class Field:
    """A real network: tests run from this machine; the gateway device pings the applications."""

    name = "field"

    def opd_side(self, plan: Any, inventory: Any) -> OpdSide:
        from sipelangi_net.bandwidth.run import local_execute

        return OpdSide(socket.gethostname(), local_execute, contextlib.nullcontext())

    def post_check(
        self, plan: Any, inventory: Any, factory: DriverFactory
    ) -> tuple[DriverFactory, PostCheck | None]:
        from sipelangi_net.drivers.registry import reachability

        return reachability(plan, factory)

    def diskominfo_side(self, inventory: Any) -> Execute:
        from sipelangi_net.bandwidth.run import local_execute

        return local_execute

    def watch_side(self, inventory: Any, opds: Sequence[Any]) -> WatchSide:
        """This machine on the Diskominfo segment: its own sockets; the throughput probe sends to
        an iperf3 server (``iperf3 -s``, port 5201) kept at the OPD's watched host, when there is one."""
        from sipelangi_net.bandwidth.run import local_execute
        from sipelangi_net.faults.probes import ThroughputRoute

        def route(opd: Any) -> Any:
            return ThroughputRoute(local_execute, opd.host, FIELD_IPERF_PORT, reverse=False)

        return WatchSide(socket.socket, route, contextlib.nullcontext())
