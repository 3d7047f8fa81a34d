"""The OPD side of the lab: a user PC that takes the plan's address, for post-checks and tests.

On the lab the OPD side is a real host in its own namespace. :func:`opd_host` finds it for a
plan; :meth:`OpdHost.attached` gives it the plan's first DHCP address and a default route
through the planned gateway, and takes them away again afterwards. :func:`lab_probe` uses it
to open a TCP connection to every application server the plan permits; the bandwidth test
(sipelangi_net.bandwidth) runs iperf3 and speedtest from it.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sipelangi_net.errors import DeviceError
from sipelangi_net.lab.runtime import LabPaths, netns_path, nsenter, run, runs_inventory

PROBE_WINDOW_S = 8.0
"""How long an application may take to answer after the push before the post-check fails."""
CONNECT = (
    "import socket,sys\ns=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=3)\ns.close()\n"
)


@dataclass(frozen=True, slots=True)
class OpdHost:
    """A lab user host standing in for the OPD's PCs."""

    name: str
    address: str
    """``ADDR/PREFIX``: the plan's first DHCP address."""
    gateway: str
    paths: LabPaths

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the host's namespaces."""
        return [*nsenter(self.paths, self.name), *argv]

    def execute(self, argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in the host; 127: not installed there, 124: no answer in time."""
        from sipelangi_net.bandwidth.run import local_execute

        return local_execute(self.command(argv), timeout)

    @contextmanager
    def attached(self) -> Iterator[OpdHost]:
        """The host with the plan's address and default route, removed again on leaving."""
        enter = nsenter(self.paths, self.name)
        run([*enter, "ip", "addr", "replace", self.address, "dev", "eth0"])
        try:
            run([*enter, "ip", "route", "replace", "default", "via", self.gateway])
            yield self
        finally:
            run([*enter, "ip", "addr", "flush", "dev", "eth0"], check=False)


def opd_host(plan: Any, inventory: Any, paths: LabPaths) -> OpdHost | None:
    """The lab host of ``plan``'s site when ``inventory`` is the running lab's, else ``None``."""
    if not runs_inventory(paths, inventory.path):
        return None
    site = inventory.sites.get(plan.site)
    if site is None or not site.lab.user_hosts or plan.addressing is None:
        return None
    host = site.lab.user_hosts[0].name
    if not netns_path(host).exists():
        return None
    addressing = plan.addressing
    return OpdHost(
        name=host,
        address=f"{addressing.dhcp_first}/{addressing.subnet.prefixlen}",
        gateway=str(addressing.gateway.ip),
        paths=paths,
    )


def lab_probe(plan: Any, inventory: Any, paths: LabPaths) -> Callable[[], None] | None:
    """The application probe for ``plan`` when ``inventory`` is the running lab's, else ``None``."""
    host = opd_host(plan, inventory, paths)
    if host is None:
        return None
    targets = sorted(
        {
            (str(r.destination), r.port, r.name)
            for r in plan.access_rules
            if r.protocol == "tcp" and r.name not in ("dns", "ntp")
        }
    )

    def check() -> None:
        with host.attached():
            for dest, port, name in targets:
                if not _answers(host, dest, port):
                    why = f"{name} at {dest}:{port} does not answer from {host.address}"
                    raise DeviceError(host.name, why)

    return check


def _answers(host: OpdHost, dest: str, port: int, *, within: float = PROBE_WINDOW_S) -> bool:
    """Whether a TCP connection from ``host`` to ``dest:port`` opens, tried again for ``within``
    seconds: just after a push the routers' kernels may still be installing the route and the
    neighbours resolving, as a user's second try would find."""
    deadline = time.monotonic() + within
    while True:
        if host.execute(["python3", "-c", CONNECT, dest, str(port)], timeout=10).returncode == 0:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(1.0)
