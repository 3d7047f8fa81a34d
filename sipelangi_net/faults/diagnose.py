"""Where an OPD's path breaks: the hops of a fault's OPDs, each judged from its evidence (pure).

``fault diagnose GGN-N`` walks the path of every OPD the fault names, from the Diskominfo side
outward (the dependency tree of :mod:`sipelangi_net.faults.topology`, root first): the segment
switch, the core, the backbone link, the distribution router, the OPD's gateway, its uplink, the
access switch and a host behind it. Each hop is ``ok``, ``broken`` or ``unknown`` from its
evidence:

- **reach**: a ping from the Diskominfo side to the hop's address (a router's address facing
  the monitor, a link's far end, the OPD's gateway address from its installation plan);
- **session**: the device's management session (SSH, host key verified) answered;
- **interface**: the state of each port of the path on the device (down is broken) and its
  error counters;
- **config**: the running config against the intended config, per feature (compliance's
  compare): drift in a feature that carries traffic (:data:`PATH_FEATURES`) is broken, in
  another (NTP, banner, ...) it is reported and the hop stays ok.

The first broken hop, root first, is where the path breaks. The readings come in as data
(:class:`DeviceReading`, :class:`Ping`); gathering them is :mod:`sipelangi_net.faults.path_checks`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sipelangi_net.compliance.models import DeviceCompliance
from sipelangi_net.errors import IncompleteTicketError
from sipelangi_net.faults.interfaces import InterfaceState
from sipelangi_net.faults.models import FaultActor, FaultRecord, FaultTicket
from sipelangi_net.faults.topology import DependencyTree, Target
from sipelangi_net.inventory import Inventory

HopStatus = Literal["ok", "broken", "unknown"]
Check = Literal["reach", "session", "interface", "config"]
SUMMARY_MAX = 200
"""A fault record's summary is one short line (the whole result is in its outputs)."""
PATH_FEATURES = frozenset(
    {"interfaces", "static_routes", "routing", "access_lists", "services", "vlans", "other"}
)
"""Config features whose drift can cut a path (addresses, routes, filters, forwarding, VLANs)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    check: Check
    status: HopStatus
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Hop:
    target: str
    """``kind:name`` as in the dependency tree (``link:core-diskominfo:eth2--dist-gerunggang:eth0``)."""
    status: HopStatus
    evidence: tuple[Evidence, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "status": self.status,
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class Ping:
    """One ping from the Diskominfo side: answered, not answered, or not made (``error``)."""

    address: str
    answered: bool
    error: str = ""

    def evidence(self, what: str) -> Evidence:
        if self.error:
            return Evidence("reach", "unknown", f"ping {self.address} ({what}) not made: {self.error}")
        if self.answered:
            return Evidence("reach", "ok", f"{self.address} ({what}) answers ping")
        return Evidence("reach", "broken", f"{self.address} ({what}) does not answer ping")


@dataclass(frozen=True, slots=True)
class DeviceReading:
    """What one device told us (read-only): its interfaces and its compliance, or why it could not."""

    device: str
    error: str = ""
    """The session could not be opened or a command not answered (the device named)."""
    interfaces: Mapping[str, InterfaceState] | None = None
    """None: this platform's interfaces are not read (no reader) or the read failed."""
    interfaces_error: str = ""
    compliance: DeviceCompliance | None = None


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """The result of ``fault diagnose``: every hop of the path, root first, and where it breaks."""

    fault: str
    opds: tuple[str, ...]
    environment: str
    at: dt.datetime
    hops: tuple[Hop, ...]

    @property
    def broken(self) -> Hop | None:
        """The first broken hop from the Diskominfo side, or None."""
        return next((h for h in self.hops if h.status == "broken"), None)

    @property
    def summary(self) -> str:
        hop = self.broken
        opds = ", ".join(self.opds)
        if hop is None:
            unknown = sum(1 for h in self.hops if h.status == "unknown")
            also = f", {unknown} unknown" if unknown else ""
            return f"{self.fault}: no broken hop on the path of {opds} ({len(self.hops)} hops{also})"
        why = next(e.detail for e in hop.evidence if e.status == "broken")
        return f"{self.fault}: the path of {opds} breaks at {hop.target}: {why}"

    def to_json(self) -> dict[str, Any]:
        hop = self.broken
        return {
            "fault": self.fault,
            "opds": list(self.opds),
            "environment": self.environment,
            "at": self.at.isoformat(),
            "broken": hop.target if hop else None,
            "summary": self.summary,
            "hops": [h.to_json() for h in self.hops],
        }

    def record(self, actor: FaultActor) -> FaultRecord:
        return FaultRecord(
            kind="diagnosis", at=self.at, actor=actor, summary=shorten(self.summary), outputs=self.to_json()
        )


def shorten(text: str, limit: int = SUMMARY_MAX) -> str:
    """``text`` cut to ``limit`` characters, ``...`` marking the cut."""
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def path_of(tree: DependencyTree, opds: Sequence[str]) -> tuple[Target, ...]:
    """Every target on the paths of ``opds`` (to their gateways and hosts), each once: nearer the
    root first (by depth, then in the tree's breadth-first order)."""
    order = {t: i for i, t in enumerate(tree.nodes)}
    depth: dict[Target, int] = {}
    for opd in opds:
        for end in (Target("gateway", opd), Target("host", opd)):
            chain = tree.ancestors(end)
            depth[end] = len(chain)
            for i, t in enumerate(chain):
                depth[t] = len(chain) - 1 - i
    return tuple(sorted(depth, key=lambda t: (depth[t], order[t])))


@dataclass(frozen=True, slots=True)
class PathPlaces:
    """Where each hop is looked at: the ports of a target on its devices, and the address to ping."""

    ports: Mapping[Target, tuple[tuple[str, str], ...]]
    """Target → ``(device, port)`` of the path on it."""
    address: Mapping[Target, tuple[str, str]]
    """Target → ``(address, what)`` pinged from the Diskominfo side."""


def places(inventory: Inventory, gateways: Mapping[str, str]) -> PathPlaces:
    """Ports and addresses of the inventory's targets; ``gateways``: OPD → its gateway address
    (from its installation plan; an OPD without one has its gateway hop judged by the port only)."""
    ports: dict[Target, tuple[tuple[str, str], ...]] = {}
    address: dict[Target, tuple[str, str]] = {}
    seg = inventory.servers.segment
    core = Target("device", seg.gateway.device)
    ports[core] = ((seg.gateway.device, seg.gateway.port),)
    ports[Target("device", seg.switch.device)] = ((seg.switch.device, seg.switch.port),)
    if seg.gateway.address is not None:
        address[core] = (str(seg.gateway.address.ip), f"{seg.gateway.device} {seg.gateway.port}")
    for link in inventory.links:
        target = Target("link", f"{link.a.device}:{link.a.port}--{link.b.device}:{link.b.port}")
        ports[target] = ((link.a.device, link.a.port), (link.b.device, link.b.port))
        if link.b.address is not None:
            here = (str(link.b.address.ip), f"{link.b.device} {link.b.port}")
            address[target] = here
            address.setdefault(Target("device", link.b.device), here)
    for key, site in inventory.sites.items():
        dist, sw = site.distribution, site.access_switch
        ports[Target("uplink", key)] = ((dist.device, dist.port), (sw.device, sw.uplink))
        ports[Target("gateway", key)] = ((dist.device, dist.port),)
        if key in gateways:
            address[Target("gateway", key)] = (gateways[key], f"gateway OPD {key}")
    return PathPlaces(ports, address)


def _status(evidence: Iterable[Evidence]) -> HopStatus:
    seen = {e.status for e in evidence}
    if "broken" in seen:
        return "broken"
    return "ok" if "ok" in seen else "unknown"


def _port_evidence(device: str, port: str, reading: DeviceReading | None) -> Evidence:
    where = f"{device} {port}"
    if reading is None or reading.error:
        return Evidence(
            "interface", "unknown", f"{where}: not read ({reading.error if reading else 'no reading'})"
        )
    if reading.interfaces is None:
        return Evidence(
            "interface", "unknown", f"{where}: not read ({reading.interfaces_error or 'no reader'})"
        )
    state = reading.interfaces.get(port)
    if state is None:
        return Evidence("interface", "broken", f"{where}: no such interface on the device")
    return Evidence("interface", "ok" if state.up else "broken", f"{device} {state.describe()}")


def _session_evidence(device: str, reading: DeviceReading | None) -> Evidence:
    if reading is None:
        return Evidence("session", "unknown", f"{device}: not read")
    if reading.error:
        return Evidence("session", "broken", f"{device}: {reading.error}")
    return Evidence("session", "ok", f"{device}: management session answered")


def _config_evidence(device: str, reading: DeviceReading | None) -> Evidence | None:
    result = reading.compliance if reading is not None else None
    if result is None:
        return None
    if result.status in ("error", "unreachable"):
        return Evidence("config", "unknown", f"{device}: config not compared ({result.error})")
    drifted = [f.name for f in result.drifted]
    if not drifted:
        return Evidence("config", "ok", f"{device}: running config as intended")
    cutting = [name for name in drifted if name in PATH_FEATURES]
    status: HopStatus = "broken" if cutting else "ok"
    return Evidence("config", status, f"{device}: config drift in {', '.join(drifted)}")


def _evidence(
    target: Target, where: PathPlaces, readings: Mapping[str, DeviceReading], pings: Mapping[str, Ping]
) -> tuple[Evidence, ...]:
    out: list[Evidence] = []
    spot = where.address.get(target)
    if spot is not None and spot[0] in pings:
        out.append(pings[spot[0]].evidence(spot[1]))
    if target.kind == "device":
        out.append(_session_evidence(target.name, readings.get(target.name)))
    for device, port in where.ports.get(target, ()):
        out.append(_port_evidence(device, port, readings.get(device)))
    if target.kind == "device":
        config = _config_evidence(target.name, readings.get(target.name))
        if config is not None:
            out.append(config)
    if target.kind == "host":
        out.append(
            Evidence("reach", "unknown", f"host {target.name}: no fixed address; 'fault retest' measures it")
        )
    return tuple(out)


def assess(
    fault: FaultTicket,
    tree: DependencyTree,
    where: PathPlaces,
    *,
    readings: Mapping[str, DeviceReading],
    pings: Mapping[str, Ping],
    environment: str,
    at: dt.datetime,
) -> Diagnosis:
    """Judge every hop of the fault's OPDs' paths from the readings and pings (pure)."""
    if not fault.opds:
        raise IncompleteTicketError(
            f"{fault.label}: names no OPD: diagnose walks an OPD's path (see: fault show {fault.label})"
        )
    hops = []
    for target in path_of(tree, fault.opds):
        evidence = _evidence(target, where, readings, pings)
        hops.append(Hop(str(target), _status(evidence), evidence))
    return Diagnosis(fault.label, fault.opds, environment, at, tuple(hops))


def devices_on(path: Iterable[Target], where: PathPlaces) -> tuple[str, ...]:
    """The devices to read for ``path``: its device hops and the devices of its ports."""
    names = {t.name for t in path if t.kind == "device"}
    for target in path:
        names.update(device for device, _ in where.ports.get(target, ()))
    return tuple(sorted(names))


def addresses_on(path: Iterable[Target], where: PathPlaces) -> tuple[str, ...]:
    return tuple(dict.fromkeys(where.address[t][0] for t in path if t in where.address))
