"""Post-check on the lab: from an OPD user PC, the plan's applications answer.

On the lab the OPD side is a real host in its own namespace: the probe gives it
the first DHCP address of the plan, routes it through the planned gateway and
opens a TCP connection to every application server the plan permits. The PC
is left without an address again afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sipelangi_net.errors import DeviceError
from sipelangi_net.lab.runtime import LabPaths, netns_path, nsenter, read_json, run

CONNECT = (
    "import socket,sys\ns=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=3)\ns.close()\n"
)


def lab_probe(plan: Any, inventory: Any, paths: LabPaths) -> Callable[[], None] | None:
    """The probe for ``plan`` when ``inventory`` is the running lab's, else ``None``."""
    manifest = read_json(paths.manifest)
    if not manifest or manifest.get("inventory") != str(inventory.path.resolve()):
        return None
    site = inventory.sites.get(plan.site)
    if site is None or not site.lab.user_hosts or plan.addressing is None:
        return None
    host = site.lab.user_hosts[0].name
    if not netns_path(host).exists():
        return None
    addressing = plan.addressing
    address = f"{addressing.dhcp_first}/{addressing.subnet.prefixlen}"
    targets = sorted(
        {
            (str(r.destination), r.port, r.name)
            for r in plan.access_rules
            if r.protocol == "tcp" and r.name not in ("dns", "ntp")
        }
    )

    def check() -> None:
        enter = nsenter(paths, host)
        run([*enter, "ip", "addr", "replace", address, "dev", "eth0"])
        try:
            run([*enter, "ip", "route", "replace", "default", "via", str(addressing.gateway.ip)])
            for dest, port, name in targets:
                proc = run([*enter, "python3", "-c", CONNECT, dest, str(port)], check=False, timeout=10)
                if proc.returncode != 0:
                    raise DeviceError(host, f"{name} at {dest}:{port} does not answer from {address}")
        finally:
            run([*enter, "ip", "addr", "flush", "dev", "eth0"], check=False)

    return check
