"""``lab show``: log in to every device and summarise what it runs (the demo's main job)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sipelangi_net.credentials import Credentials
from sipelangi_net.platforms import Platform, spec_for


@dataclass(frozen=True, slots=True)
class DeviceSummary:
    name: str
    platform: str
    ok: bool
    identity: str = ""
    config_lines: int = 0
    interfaces: int = 0
    addresses: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    vlans: tuple[int, ...] = ()
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def summarise_frr(name: str, config: str) -> DeviceSummary:
    lines = [ln for ln in config.splitlines() if ln.strip() and not ln.startswith("!")]
    m = re.search(r"^hostname (\S+)$", config, re.M)
    return DeviceSummary(
        name=name,
        platform="frr",
        ok=True,
        identity=m.group(1) if m else "",
        config_lines=len(lines),
        interfaces=len(re.findall(r"^interface \S+", config, re.M)),
        addresses=tuple(re.findall(r"^ ip address (\S+)", config, re.M)),
        routes=tuple(re.findall(r"^ip route (.+)$", config, re.M)),
    )


def summarise_ovs(name: str, hostname: str, show: str) -> DeviceSummary:
    ports = re.findall(r"^\s+Port (\S+)", show, re.M)
    bridges = re.findall(r"^\s+Bridge (\S+)", show, re.M)
    return DeviceSummary(
        name=name,
        platform="ovs",
        ok=True,
        identity=hostname.strip(),
        config_lines=len([ln for ln in show.splitlines() if ln.strip()]),
        interfaces=len([p for p in ports if p not in bridges]),
        vlans=tuple(sorted({int(v) for v in re.findall(r"^\s+tag: (\d+)", show, re.M)})),
    )


def _collect_task(task: Any) -> Any:
    from nornir.core.task import Result
    from nornir_netmiko.tasks import netmiko_send_command

    platform = Platform(task.host.platform)
    spec = spec_for(platform)
    config = task.run(
        task=netmiko_send_command, command_string=spec.lab.show_command if spec.lab else spec.config.command
    ).result
    if platform is Platform.OVS:
        hostname = task.run(task=netmiko_send_command, command_string="hostname").result
        return Result(host=task.host, result=summarise_ovs(task.host.name, hostname, config))
    return Result(host=task.host, result=summarise_frr(task.host.name, config))


def collect(inventory: Path, creds: Credentials) -> list[DeviceSummary]:
    from sipelangi_net.drivers.nornir import describe_failure, open_nornir

    nr = open_nornir(inventory, creds)
    try:
        results = nr.run(task=_collect_task, name="lab show")
    finally:
        nr.close_connections()
    out = []
    for name in sorted(nr.inventory.hosts):
        multi = results[name]
        platform = str(nr.inventory.hosts[name].platform)
        if multi.failed:
            out.append(
                DeviceSummary(name=name, platform=platform, ok=False, error=describe_failure(name, multi))
            )
        else:
            out.append(multi[0].result)
    return out
