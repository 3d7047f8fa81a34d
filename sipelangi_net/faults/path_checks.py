"""Gather the readings of a diagnosis (the I/O edge of :mod:`sipelangi_net.faults.diagnose`).

Read-only: each device on the path is asked for its running config and its interfaces (its
platform spec's ``interfaces`` command, :func:`~sipelangi_net.faults.interfaces.reader`) over one
SSH session with its host key verified (:func:`~sipelangi_net.drivers.cli.open_netmiko`), all
devices at once on
the change engine (:class:`~sipelangi_net.change.engine.Engine`); a device that does not answer
is data on its hop, never a failed run. Pings go from the Diskominfo side, whatever runs them
(``execute``: the environment's, chosen at the edge).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sipelangi_net.change.render import Intended
from sipelangi_net.compliance.compare import check_device
from sipelangi_net.compliance.models import DeviceCompliance
from sipelangi_net.credentials import Credentials
from sipelangi_net.environment import Execute
from sipelangi_net.errors import DeviceError
from sipelangi_net.faults.diagnose import (
    DeviceReading,
    Diagnosis,
    Ping,
    addresses_on,
    assess,
    devices_on,
    path_of,
    places,
)
from sipelangi_net.faults.interfaces import reader as interface_reader
from sipelangi_net.faults.models import FaultTicket
from sipelangi_net.faults.topology import build_dependencies
from sipelangi_net.inventory import Inventory
from sipelangi_net.platforms import Platform, spec_for

log = logging.getLogger(__name__)
PING_TIMEOUT_S = 8.0
Reader = Callable[[str], DeviceReading]


def ping(execute: Execute, address: str) -> Ping:
    """Two echo requests, one second each: answered (exit 0), not answered (1), or not made."""
    proc = execute(["ping", "-n", "-q", "-c", "2", "-W", "1", address], PING_TIMEOUT_S)
    if proc.returncode == 0:
        return Ping(address, True)
    if proc.returncode == 1:
        return Ping(address, False)
    why = next((ln for ln in (proc.stderr or "").splitlines() if ln.strip()), f"exit {proc.returncode}")
    return Ping(address, False, error=why.strip()[:200])


def ping_all(execute: Execute, addresses: Sequence[str]) -> dict[str, Ping]:
    if not addresses:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(addresses))) as pool:
        return dict(zip(addresses, pool.map(lambda a: ping(execute, a), addresses), strict=True))


def _send(conn: object, device: str, command: str) -> str:
    try:
        return str(conn.send_command(command, read_timeout=30))  # type: ignore[attr-defined]
    except Exception as exc:  # netmiko: ReadTimeout, OSError, EOFError, ... all mean "no answer"
        from sipelangi_net.drivers.cli import first_line

        raise DeviceError(device, f"no answer to {command[:80]!r}: {first_line(exc)}") from None


@dataclass(frozen=True, slots=True)
class DeviceReader:
    """Reads one device (the operation the engine runs on every device at once)."""

    inventory: Inventory
    creds: Credentials
    intended: Mapping[str, Intended]

    def __call__(self, name: str) -> DeviceReading:
        from sipelangi_net.drivers.cli import close_netmiko, open_netmiko

        dev = self.inventory.devices[name]
        spec = spec_for(dev.platform)
        conn = open_netmiko(name, spec.netmiko_device_type, dev.hostname, dev.port, self.creds)
        try:
            running = _send(conn, name, spec.config.command)
            interfaces, why = None, f"interface state is not read on {dev.platform.value} yet"
            reads = interface_reader(dev.platform)
            if reads is not None:
                try:
                    interfaces, why = reads.parse(_send(conn, name, reads.command)), ""
                except (DeviceError, ValueError) as exc:
                    interfaces, why = None, str(exc)
        finally:
            close_netmiko(conn)
        return DeviceReading(
            name,
            interfaces=interfaces,
            interfaces_error=why,
            compliance=self._compare(name, dev.platform, running),
        )

    def _compare(self, name: str, platform: Platform, running: str) -> DeviceCompliance | None:
        want = self.intended.get(name)
        if want is None:
            return None
        return check_device(name, platform, running, want.text, site=self.inventory.devices[name].data.site)


def read_devices(names: Sequence[str], reader: Reader) -> dict[str, DeviceReading]:
    """Every device of ``names`` read at once on the change engine; a failure is its reading's error."""
    from sipelangi_net.change.engine import Engine

    results = Engine(names).run(reader, names, name="fault diagnose: read")
    out: dict[str, DeviceReading] = {}
    for name, result in results.hosts.items():
        if result.value is not None:
            out[name] = result.value
        else:
            log.info("%s: not read: %s", name, result.error)
            out[name] = DeviceReading(name, error=str(result.error).removeprefix(f"{name}: "))
    return out


def diagnose(
    fault: FaultTicket,
    inventory: Inventory,
    *,
    reader_for: Callable[[Sequence[str]], Reader],
    execute: Execute,
    gateways: Mapping[str, str],
    environment: str,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Diagnosis:
    """Read the devices and ping the addresses on the fault's OPDs' paths, then judge each hop.

    ``reader_for(devices)``: the reader of those devices (it needs their intended configs)."""
    tree = build_dependencies(inventory, opds=fault.opds)
    where = places(inventory, gateways)
    path = path_of(tree, fault.opds) if fault.opds else ()
    names = devices_on(path, where)
    readings = read_devices(names, reader_for(names)) if names else {}
    pings = ping_all(execute, addresses_on(path, where))
    return assess(fault, tree, where, readings=readings, pings=pings, environment=environment, at=now())
