"""The monitor put together at the edge: what to watch from the inventory and the provisioned
tickets, its sessions, pinger and probes opened on the environment's side, all closed on leaving.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from sipelangi_net.faults.interfaces import Parser
from sipelangi_net.faults.monitor import DEFAULT_SETTINGS, Monitor, MonitorSettings
from sipelangi_net.faults.observe import OpdWatch, watch_of
from sipelangi_net.faults.probes import Pinger
from sipelangi_net.faults.sessions import SessionFactory, SessionPool, device_refs, ssh_sessions
from sipelangi_net.faults.topology import build_dependencies
from sipelangi_net.inventory import Inventory
from sipelangi_net.platforms import resolve, spec_for


def opd_watches(inventory: Inventory, tickets: Iterable[Any]) -> dict[str, OpdWatch]:
    """The provisioned OPDs (their latest installed ticket per site) with an address plan."""
    from sipelangi_net.compliance.intended import provisioned

    found: dict[str, OpdWatch] = {}
    for done in provisioned(tickets):
        plan, addressing = done.plan, done.plan.addressing
        if addressing is None or plan.site not in inventory.sites:
            continue
        found[plan.site] = OpdWatch(
            site=plan.site,
            gateway=str(addressing.gateway.ip),
            host=str(addressing.reserved_first),
            prefix=addressing.subnet.prefixlen,
            down_mbit=float(plan.bandwidth.down_mbit),
            ticket=done.ticket_id,
        )
    return dict(sorted(found.items()))


def parsers_of(inventory: Inventory, devices: Iterable[str]) -> dict[str, Parser]:
    out: dict[str, Parser] = {}
    for name in devices:
        interfaces = spec_for(inventory.devices[name].platform).interfaces
        if interfaces is not None:
            out[name] = resolve(interfaces.parser)
    return out


@contextlib.contextmanager
def watching(
    inventory: Inventory,
    opds: dict[str, OpdWatch],
    environment: Any,
    creds: Any,
    *,
    settings: MonitorSettings = DEFAULT_SETTINGS,
    sessions: SessionFactory | None = None,
    workers: int = 32,
) -> Iterator[Monitor]:
    """A :class:`Monitor` over ``inventory`` and ``opds``, its sessions opened (at once, before the
    first round) and closed on leaving, with the pinger and the environment's side."""
    tree = build_dependencies(inventory, opds=opds)
    watch = watch_of(inventory, tree, opds)
    side = environment.watch_side(inventory, tuple(opds.values()))
    with contextlib.ExitStack() as stack:
        stack.enter_context(side.attached)
        pinger = Pinger(factory=side.sockets)
        pinger.open()
        stack.callback(pinger.close)
        pool = stack.enter_context(
            SessionPool(
                device_refs(inventory, watch.devices),
                factory=sessions or ssh_sessions(creds, timeout=settings.read_timeout),
                workers=workers,
                read_timeout=settings.read_timeout,
            )
        )
        pool.open_all(within=settings.read_timeout + 5)
        yield Monitor(
            watch=watch,
            sessions=pool,
            pinger=pinger,
            parsers=parsers_of(inventory, watch.devices),
            throughput=side.throughput,
            settings=settings,
        )
