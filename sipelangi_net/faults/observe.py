"""One round's facts → an observation of every target (pure, no I/O).

What the monitor saw in a round (each device's interfaces or its silence, the addresses that
answered a ping, the uplinks measured below their plan) becomes one
:class:`~sipelangi_net.faults.correlate.Observation` per target of the dependency tree:

* a **device** is up when it answered its read over its session, down when it did not;
* a **link** or **uplink** is down when the port at either end is down (as the device at that
  end reports it), degraded when an end's error counters rose by ``error_rise`` or more since the
  round before (or, for an uplink, its throughput probe is below the plan), else up; when
  neither end's device answered nothing is said (the devices' own faults stand for it);
* an OPD's **gateway** and **host** are up when they answered the ping from the Diskominfo side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sipelangi_net.faults.correlate import Observation, Status
from sipelangi_net.faults.interfaces import InterfaceState
from sipelangi_net.faults.topology import DependencyTree, Target
from sipelangi_net.inventory import Inventory

End = tuple[str, str]
"""(device, port)."""


@dataclass(frozen=True, slots=True)
class OpdWatch:
    """A provisioned OPD as the monitor watches it (from its installation ticket's plan)."""

    site: str
    gateway: str
    """The OPD's gateway address (on the distribution router's port)."""
    host: str
    """A host behind the gateway: the plan's first reserved address (the OPD's switch or a
    server the city keeps there)."""
    prefix: int
    down_mbit: float
    """The plan's download rate: the throughput probe's reference."""
    ticket: str = ""


@dataclass(frozen=True, slots=True)
class Watch:
    """Everything the monitor watches: the tree, the ends of each link, the OPDs' addresses."""

    tree: DependencyTree
    ends: Mapping[Target, tuple[End, ...]]
    opds: Mapping[str, OpdWatch]

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tree.nodes if t.kind == "device")


@dataclass(frozen=True, slots=True)
class Seen:
    """What one round saw."""

    ports: Mapping[str, Mapping[str, InterfaceState] | None]
    """Per device: its interfaces; ``None``: it did not answer. A device absent was not read."""
    answered: frozenset[str] | None = frozenset()
    """Addresses that answered the ping; ``None``: no ping this round (the pinger failed)."""
    slow: frozenset[str] = frozenset()
    """Sites whose uplink throughput is below the plan (confirmed by the probe)."""


def watch_of(inventory: Inventory, tree: DependencyTree, opds: Mapping[str, OpdWatch]) -> Watch:
    """The ends of every link and uplink of ``tree`` from the inventory."""
    ends: dict[Target, tuple[End, ...]] = {}
    for link in inventory.links:
        name = f"{link.a.device}:{link.a.port}--{link.b.device}:{link.b.port}"
        ends[Target("link", name)] = ((link.a.device, link.a.port), (link.b.device, link.b.port))
    for key, site in inventory.sites.items():
        ends[Target("uplink", key)] = (
            (site.distribution.device, site.distribution.port),
            (site.access_switch.device, site.access_switch.uplink),
        )
    return Watch(tree=tree, ends={t: e for t, e in ends.items() if t in tree.nodes}, opds=opds)


def _errors(ports: Mapping[str, Mapping[str, InterfaceState] | None]) -> dict[End, int]:
    return {
        (device, port): state.errors
        for device, table in ports.items()
        if table is not None
        for port, state in table.items()
    }


def _link_status(
    ends: tuple[End, ...],
    seen: Seen,
    before: Mapping[End, int],
    error_rise: int,
    slow: bool,
) -> Status | None:
    states = []
    for device, port in ends:
        table = seen.ports.get(device)
        if table is not None and port in table:
            states.append((table[port], before.get((device, port))))
    if not states:
        return None
    if any(not state.up for state, _ in states):
        return "down"
    rising = any(old is not None and state.errors - old >= error_rise for state, old in states)
    return "degraded" if rising or slow else "up"


def observe(
    watch: Watch, seen: Seen, errors_before: Mapping[End, int], *, error_rise: int = 10
) -> tuple[tuple[Observation, ...], dict[End, int]]:
    """Every target's observation this round, and the error counters to compare with next round."""
    out: list[Observation] = []
    for target, dep in watch.tree.nodes.items():
        status: Status | None
        if target.kind == "device":
            if target.name not in seen.ports:
                continue
            status = "up" if seen.ports[target.name] is not None else "down"
        elif target.kind in ("link", "uplink"):
            slow = target.kind == "uplink" and target.name in seen.slow
            status = _link_status(watch.ends.get(target, ()), seen, errors_before, error_rise, slow)
        else:
            opd = watch.opds.get(dep.site or target.name)
            if opd is None or seen.answered is None:
                continue
            address = opd.gateway if target.kind == "gateway" else opd.host
            status = "up" if address in seen.answered else "down"
        if status is not None:
            out.append(Observation(target, status))
    errors = dict(errors_before)
    errors.update(_errors(seen.ports))
    return tuple(out), errors
