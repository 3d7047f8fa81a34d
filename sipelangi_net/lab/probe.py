"""The OPD side of the lab: a user PC that takes its address by DHCP, for post-checks and tests.

On the lab the OPD side is a real host in its own namespace. :func:`opd_host` finds it for a
plan; :meth:`OpdHost.attached` has it take a lease as a user's PC does (busybox ``udhcpc``,
through the gateway's relay, from the city's central DHCP server the change gave the OPD's
scope), checks the lease is in the plan's DHCP range, and takes the address away again
afterwards. An inventory without a central DHCP server (``servers.yaml`` ``dhcp``) gives the
host the plan's first DHCP address by hand instead. :func:`lab_probe` uses it to open a TCP
connection to every application server the plan permits; the bandwidth test
(sipelangi_net.bandwidth) runs iperf3 and speedtest from it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipelangi_net.errors import DeviceError
from sipelangi_net.lab.runtime import LabPaths, netns_path, nsenter, run, runs_inventory

DHCP_TRIES = 8
"""DHCP discovers the PC sends, one a second, before the post-check fails (the relay restarts
when the gateway's address appears, some milliseconds after the push)."""
DHCP_CLIENT_SCRIPT = """#!/bin/sh
# sipelangi-net lab: the OPD PC's DHCP client script (busybox udhcpc): the lease's address and
# default route on the PC's own interface, nothing else of the machine.
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    if [ -n "$router" ]; then ip route replace default via "${router%% *}" dev "$interface"; fi ;;
esac
exit 0
"""
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
    """``ADDR/PREFIX``: the plan's first DHCP address; once attached by DHCP, the lease's."""
    gateway: str
    paths: LabPaths
    dhcp: tuple[ipaddress.IPv4Address, ipaddress.IPv4Address] | None = None
    """The plan's DHCP range (first, last) when the PC takes its address by DHCP."""

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the host's namespaces."""
        return [*nsenter(self.paths, self.name), *argv]

    def execute(self, argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in the host; 127: not installed there, 124: no answer in time."""
        from sipelangi_net.bandwidth.run import local_execute

        return local_execute(self.command(argv), timeout)

    @contextmanager
    def attached(self) -> Iterator[OpdHost]:
        """The host with its address (a DHCP lease, or the plan's) and default route, removed
        again on leaving."""
        enter = nsenter(self.paths, self.name)
        try:
            if self.dhcp is not None:
                yield self._lease(enter)
            else:
                run([*enter, "ip", "addr", "replace", self.address, "dev", "eth0"])
                run([*enter, "ip", "route", "replace", "default", "via", self.gateway])
                yield self
        finally:
            run([*enter, "ip", "addr", "flush", "dev", "eth0"], check=False)

    def _lease(self, enter: list[str]) -> OpdHost:
        assert self.dhcp is not None
        script = dhcp_client_script(self.paths)
        argv = ["udhcpc", "-f", "-q", "-n", "-t", str(DHCP_TRIES), "-T", "1", "-i", "eth0", "-s", str(script)]
        got = run([*enter, *argv], check=False, timeout=DHCP_TRIES + 10)
        if got.returncode != 0:
            raise DeviceError(
                self.name,
                f"took no DHCP lease on eth0 in {DHCP_TRIES} s: neither the gateway's relay nor the"
                f" central DHCP server answered ({_tail(got.stderr)})",
            )
        shown = run([*enter, "ip", "-o", "-4", "addr", "show", "dev", "eth0"]).stdout.split()
        leased = ipaddress.IPv4Interface(shown[shown.index("inet") + 1]) if "inet" in shown else None
        first, last = self.dhcp
        if leased is None or not first <= leased.ip <= last:
            raise DeviceError(
                self.name, f"the DHCP lease {leased} is outside the plan's range {first}-{last}"
            )
        return dataclasses.replace(self, address=str(leased))


def dhcp_client_script(paths: LabPaths) -> Path:
    """Where ``lab up`` writes :data:`DHCP_CLIENT_SCRIPT` for the PCs' ``udhcpc``."""
    return paths.root / "dhcp-client.sh"


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
    by_dhcp = inventory.servers.dhcp is not None
    return OpdHost(
        name=host,
        address=f"{addressing.dhcp_first}/{addressing.subnet.prefixlen}",
        gateway=str(addressing.gateway.ip),
        paths=paths,
        dhcp=(addressing.dhcp_first, addressing.dhcp_last) if by_dhcp else None,
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
        with host.attached() as pc:
            for dest, port, name in targets:
                if not _answers(pc, dest, port):
                    why = f"{name} at {dest}:{port} does not answer from {pc.address}"
                    raise DeviceError(pc.name, why)

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


def _tail(text: str) -> str:
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1].strip()[:200] if lines else "udhcpc printed nothing"
