"""The lab as the :class:`~sipelangi_net.environment.Environment` of a change.

The OPD side is the site's user host in its own namespace (sipelangi_net.lab.probe), given the
plan's first address for the test; the post-check opens a connection from it to every
application the plan permits. The Diskominfo side (:meth:`LabEnvironment.diskominfo_side`) is the
first server of the segment (``servers.yaml``) in its namespace; the monitor's side
(:meth:`LabEnvironment.watch_side`) pings from there too, and each watched OPD's PC, given the
watched host address while the monitor runs, takes the throughput probe.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Sequence
from typing import Any

from sipelangi_net.environment import DriverFactory, Execute, OpdSide, PostCheck, WatchSide
from sipelangi_net.errors import LabError
from sipelangi_net.lab.probe import OpdHost, lab_probe, opd_host
from sipelangi_net.lab.runtime import LabPaths, netns_path, nsenter, run, runs_inventory


class LabEnvironment:
    name = "lab"

    def __init__(self, paths: LabPaths) -> None:
        self.paths = paths

    def _host(self, plan: Any, inventory: Any) -> OpdHost:
        host = opd_host(plan, inventory, self.paths)
        if host is None:
            raise LabError(
                f"ticket {plan.ticket_id}: the lab has no OPD host for site {plan.site!r}"
                f" (is the lab up on {inventory.path}? 'sipelangi-net lab status')"
            )
        return host

    def opd_side(self, plan: Any, inventory: Any) -> OpdSide:
        host = self._host(plan, inventory)
        return OpdSide(host.name, host.execute, host.attached())

    def post_check(
        self, plan: Any, inventory: Any, factory: DriverFactory
    ) -> tuple[DriverFactory, PostCheck | None]:
        self._host(plan, inventory)
        return factory, lab_probe(plan, inventory, self.paths)

    def diskominfo_side(self, inventory: Any) -> Execute:
        from sipelangi_net.bandwidth.run import local_execute

        enter = nsenter(self.paths, _segment_server(inventory), mount=False, uts=False)

        def execute(argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
            return local_execute([*enter, *argv], timeout)

        return execute

    def watch_side(self, inventory: Any, opds: Sequence[Any]) -> WatchSide:
        """Pings from the first server of the segment's namespace; each watched OPD's PC holds the
        watched host address (and its default route) while the monitor runs and measures its
        download from the segment's iperf3 server."""
        from sipelangi_net.bandwidth.run import bandwidth_servers, local_execute
        from sipelangi_net.faults.probes import ThroughputRoute, socket_in_netns

        if not runs_inventory(self.paths, inventory.path):
            raise LabError(f"the lab is not up on {inventory.path}: 'sipelangi-net lab up' first")
        server = _segment_server(inventory)
        iperf, _speed = bandwidth_servers(inventory)
        pcs = {o.site: pc for o in opds if (pc := _pc(inventory, o.site)) is not None}
        paths = self.paths

        def route(opd: Any) -> Any:
            pc = pcs.get(opd.site)
            if pc is None:
                return None
            enter = nsenter(paths, pc)
            return ThroughputRoute(
                lambda argv, timeout: local_execute([*enter, *argv], timeout), iperf.address, iperf.port, True
            )

        @contextlib.contextmanager
        def attached() -> Iterator[None]:
            placed: list[str] = []
            try:
                for o in opds:
                    if o.site in pcs:
                        enter = nsenter(paths, pcs[o.site])
                        placed.append(pcs[o.site])
                        run([*enter, "ip", "addr", "replace", f"{o.host}/{o.prefix}", "dev", "eth0"])
                        run([*enter, "ip", "route", "replace", "default", "via", o.gateway])
                yield
            finally:
                for pc in placed:
                    run([*nsenter(paths, pc), "ip", "addr", "flush", "dev", "eth0"], check=False)

        return WatchSide(socket_in_netns(netns_path(server)), route, attached())


def _segment_server(inventory: Any) -> str:
    """The Diskominfo side on the lab, for diagnosis and the monitor alike: the first server of
    the segment (``servers.yaml``), in its namespace."""
    servers = list(inventory.servers.servers)
    if not servers:
        raise LabError(f"{inventory.path / 'servers.yaml'}: no server on the Diskominfo segment to test from")
    return str(servers[0])


def _pc(inventory: Any, site: str) -> str | None:
    hosts = inventory.sites[site].lab.user_hosts
    return hosts[0].name if hosts and netns_path(hosts[0].name).exists() else None
