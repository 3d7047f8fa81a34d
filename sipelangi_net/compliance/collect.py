"""Collect the running configs over SSH in parallel (Nornir's threaded runner; I/O edge).

One device failing (unreachable, refused host key, timeout) is data: its
:class:`Collected` carries the reason and the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sipelangi_net.credentials import Credentials
from sipelangi_net.errors import InventoryError
from sipelangi_net.platforms import PLATFORMS, Platform

CONFIG_COMMANDS: Mapping[Platform, str] = MappingProxyType(
    {p: s.config.command for p, s in PLATFORMS.items()}
)
"""Per platform: the command whose answer is the config the diff stage reads."""


@dataclass(frozen=True, slots=True)
class Collected:
    """One device's running config, or why it could not be read."""

    device: str
    platform: Platform
    running: str | None
    error: str = ""


def _read_config(task: Any) -> Any:
    from nornir.core.task import Result
    from nornir_netmiko.tasks import netmiko_send_command

    command = CONFIG_COMMANDS[Platform(str(task.host.platform))]
    answer = task.run(task=netmiko_send_command, command_string=command, read_timeout=30).result
    return Result(host=task.host, result=str(answer))


def collect(
    inventory_dir: Path, creds: Credentials, devices: Iterable[str] | None = None, *, workers: int = 20
) -> Mapping[str, Collected]:
    """Read the running config of ``devices`` (default: every inventory host) in parallel."""
    from sipelangi_net.drivers.nornir import describe_failure, open_nornir

    nr = open_nornir(inventory_dir, creds, workers=workers)
    if devices is not None:
        wanted = frozenset(devices)
        unknown = sorted(wanted - set(nr.inventory.hosts))
        if unknown:
            raise InventoryError(f"{inventory_dir / 'hosts.yaml'}: no device named {', '.join(unknown)}")
        nr = nr.filter(filter_func=lambda host: host.name in wanted)
    try:
        results = nr.run(task=_read_config, name="compliance: running config")
    finally:
        nr.close_connections()
    out: dict[str, Collected] = {}
    for name in sorted(nr.inventory.hosts):
        platform = Platform(str(nr.inventory.hosts[name].platform))
        multi = results[name]
        if multi.failed:
            out[name] = Collected(name, platform, None, describe_failure(name, multi))
        else:
            out[name] = Collected(name, platform, multi[0].result)
    return MappingProxyType(out)
