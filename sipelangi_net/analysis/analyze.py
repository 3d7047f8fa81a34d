"""The needs analysis (SOP step 4) as a pure function of typed inputs.

Inputs: the request, the catalogues, the live facts gathered from the devices
and the allocations of earlier plans. Output: a :class:`Plan` with an
availability verdict that names exactly what is missing.

Bandwidth target (docs/analysis.md)::

    demand_down = sum over requested apps of  users x concurrency x per_user_down_kbit
    target_down = max(minimum_mbit, ceil(demand_down x headroom / 1000))   (likewise up)
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sipelangi_net.analysis.catalogues import Catalogues, Ipam
from sipelangi_net.analysis.facts import LiveFacts
from sipelangi_net.analysis.plan import (
    AccessRule,
    Addressing,
    Allocation,
    AppDemand,
    Bandwidth,
    Check,
    EquipmentItem,
    Plan,
    PortAssignment,
    Route,
    Schedule,
)
from sipelangi_net.analysis.schedule import SchedulingError, earliest_slot
from sipelangi_net.inventory import Inventory, Site
from sipelangi_net.tickets.models import Request
from sipelangi_net.tickets.sop import step

INSTALL_STEPS = (7, 8, 9)  # installation, bandwidth test, handover: one visit
INSTALL_DURATION = dt.timedelta(minutes=sum(step(n).standard_min for n in INSTALL_STEPS))


def busy(existing: Iterable[Allocation]) -> list[tuple[dt.datetime, dt.datetime]]:
    """The installation slots other tickets hold: the team is busy then."""
    return [(a.schedule.start, a.schedule.end) for a in existing if a.schedule is not None]


@dataclass(frozen=True, slots=True)
class Inputs:
    ticket_id: str
    request: Request
    catalogues: Catalogues
    facts: LiveFacts
    existing: Sequence[Allocation]
    now: dt.datetime


def bandwidth(request: Request, cat: Catalogues) -> Bandwidth:
    apps = cat.inventory.applications
    per_app = []
    for key in request.applications:
        app = apps[key]
        active = request.users * app.concurrency
        per_app.append(
            AppDemand(
                app=key,
                name=app.name,
                active_users=round(active, 2),
                down_kbit=active * app.per_user_kbit.down,
                up_kbit=active * app.per_user_kbit.up,
                qos=app.qos,
            )
        )
    policy = cat.equipment.bandwidth
    down = sum(a.down_kbit for a in per_app)
    up = sum(a.up_kbit for a in per_app)
    return Bandwidth(
        down_mbit=max(policy.minimum_mbit, math.ceil(down * policy.headroom / 1000)),
        up_mbit=max(policy.minimum_mbit, math.ceil(up * policy.headroom / 1000)),
        demand_down_kbit=round(down, 1),
        demand_up_kbit=round(up, 1),
        headroom=policy.headroom,
        per_app=tuple(per_app),
    )


def hosts_needed(users: int, ipam: Ipam) -> int:
    """Users with growth, plus the gateway and the reserved addresses."""
    return math.ceil(users * (1 + ipam.growth)) + 1 + ipam.reserved_hosts


def prefix_for(hosts: int, ipam: Ipam) -> int | None:
    for prefix in range(ipam.smallest_prefix, ipam.largest_prefix - 1, -1):
        if 2 ** (32 - prefix) - 2 >= hosts:
            return prefix
    return None


def allocate_subnet(
    pool: ipaddress.IPv4Network, prefix: int, used: Iterable[ipaddress.IPv4Network]
) -> ipaddress.IPv4Network | None:
    """The first block of ``prefix`` in ``pool`` overlapping nothing in ``used``."""
    candidate = int(pool.network_address)
    end = int(pool.broadcast_address)
    # Plain integers: thousands of earlier plans are compared for every new one.
    taken = sorted(
        (first, first + 2 ** (32 - net.prefixlen) - 1)
        for net in used
        if (first := int(net.network_address)) <= end and first + 2 ** (32 - net.prefixlen) - 1 >= candidate
    )
    size = 2 ** (32 - prefix)
    for first, last in taken:
        if candidate + size - 1 < first:
            break
        if last >= candidate:
            candidate = (last // size + 1) * size
    if candidate + size - 1 > end:
        return None
    return ipaddress.IPv4Network((candidate, prefix))


def addressing(
    users: int, ipam: Ipam, used: Iterable[ipaddress.IPv4Network]
) -> tuple[Addressing | None, str]:
    needed = hosts_needed(users, ipam)
    prefix = prefix_for(needed, ipam)
    if prefix is None:
        return None, f"{users} users need {needed} addresses: more than a /{ipam.largest_prefix} holds"
    subnet = allocate_subnet(ipam.opd_pool, prefix, used)
    if subnet is None:
        return None, f"address pool {ipam.opd_pool} has no free /{prefix} left"
    base = int(subnet.network_address)
    return (
        Addressing(
            subnet=subnet,
            gateway=ipaddress.IPv4Interface((base + 1, prefix)),
            reserved_first=ipaddress.IPv4Address(base + 2),
            reserved_last=ipaddress.IPv4Address(base + 1 + ipam.reserved_hosts),
            dhcp_first=ipaddress.IPv4Address(base + 2 + ipam.reserved_hosts),
            dhcp_last=ipaddress.IPv4Address(int(subnet.broadcast_address) - 1),
            hosts_needed=needed,
            hosts_available=2 ** (32 - prefix) - 2,
        ),
        "",
    )


def free_vlan(
    site_key: str, site: Site, ipam: Ipam, facts: LiveFacts, existing: Sequence[Allocation]
) -> int | None:
    switch = facts.devices.get(site.access_switch.device)
    used = set(switch.vlans()) if switch else set()
    used |= {a.vlan for a in existing if a.site == site_key and a.vlan is not None}
    used.add(site.access_switch.parking_vlan)
    return next((v for v in range(ipam.vlans.first, ipam.vlans.last + 1) if v not in used), None)


class _Verdict:
    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.problems: list[str] = []

    def check(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name=name, ok=ok, detail=detail))
        if not ok:
            self.problems.append(detail)
        return ok


def _devices_reachable(inp: Inputs, site: Site, v: _Verdict) -> None:
    for name in (site.distribution.device, site.access_switch.device):
        facts = inp.facts.devices.get(name)
        reason = "no facts gathered" if facts is None else facts.error
        ok = facts is not None and facts.reachable
        v.check(f"reachable {name}", ok, f"{name} answers" if ok else f"cannot check {name}: {reason}")


def _gateway_port_free(inp: Inputs, site: Site, v: _Verdict) -> None:
    dist = inp.facts.devices.get(site.distribution.device)
    port = site.distribution.port
    addrs = dist.addresses.get(port, ()) if dist else ()
    v.check(
        f"gateway port {site.distribution.device} {port}",
        not addrs,
        f"{site.distribution.device} {port} is free for the OPD gateway"
        if not addrs
        else f"{site.distribution.device} {port} already carries {', '.join(map(str, addrs))}",
    )


def _capacity(inp: Inputs, site_key: str, site: Site, bw: Bandwidth, v: _Verdict) -> None:
    need = max(bw.down_mbit, bw.up_mbit)
    others = [a for a in inp.existing if a.site == site_key]
    used = sum(max(a.down_mbit, a.up_mbit) for a in others)
    cap = site.uplink.capacity_mbit
    label = f"uplink {site.distribution.device} {site.distribution.port}"
    held = f" ({', '.join(a.ticket_id for a in others)})" if others else ""
    v.check(
        label, cap - used >= need, f"{label}: {cap - used} Mbit/s free of {cap}{held}, {need} Mbit/s needed"
    )
    for link in inp.catalogues.inventory.links:
        ends = {link.a.device, link.b.device}
        if site.distribution.device not in ends:
            continue
        sharing = [a for a in inp.existing if a.distribution_device == site.distribution.device]
        free = link.capacity_mbit - sum(max(a.down_mbit, a.up_mbit) for a in sharing)
        name = f"backbone {link.a.device} {link.a.port} - {link.b.device} {link.b.port}"
        v.check(
            name, free >= need, f"{name}: {free} Mbit/s free of {link.capacity_mbit}, {need} Mbit/s needed"
        )


def _access_ports(
    inp: Inputs, site: Site, wanted: int, vlan: int | None, v: _Verdict
) -> list[PortAssignment]:
    sw = site.access_switch
    facts = inp.facts.devices.get(sw.device)
    tags = facts.port_vlans if facts else {}
    free = sorted((p for p, tag in tags.items() if tag == sw.parking_vlan and p != sw.uplink), key=_natural)
    v.check(
        f"access ports {sw.device}",
        bool(free),
        f"{sw.device}: {len(free)} free access ports (VLAN {sw.parking_vlan})"
        if free
        else f"{sw.device}: no free access port (none left in parking VLAN {sw.parking_vlan})",
    )
    return [
        PortAssignment(
            device=sw.device, port=p, role="access", vlan=vlan, description=f"{inp.ticket_id} akses OPD"
        )
        for p in free[: max(1, wanted)]
    ]


def _natural(name: str) -> tuple[str, int]:
    digits = "".join(ch for ch in name if ch.isdigit())
    return (name.rstrip("0123456789"), int(digits) if digits else -1)


def _routes(inp: Inputs, site: Site, subnet: ipaddress.IPv4Network | None) -> list[Route]:
    if subnet is None:
        return []
    inv = inp.catalogues.inventory
    dist = site.distribution.device
    out = []
    for link in inv.links:
        for here, there in ((link.a, link.b), (link.b, link.a)):
            if there.device == dist and "core" in inv.devices[here.device].groups and there.address:
                out.append(
                    Route(
                        device=here.device,
                        prefix=subnet,
                        nexthop=there.address.ip,
                        description=f"{inp.ticket_id} {inp.request.opd}"[:80],
                    )
                )
    return out


def access_rules(request: Request, inv: Inventory) -> list[AccessRule]:
    rules = []
    for key in request.applications:
        app = inv.applications[key]
        for ep in app.endpoints:
            server = inv.servers.servers[ep.server]
            svc = next(s for s in server.services if s.name == ep.service)
            rules.append(
                AccessRule(
                    name=key, destination=server.address, protocol=svc.protocol, port=svc.port, qos=app.qos
                )
            )
    data = inv.defaults.data
    for dns in data.get("dns_servers", []):
        for proto in ("udp", "tcp"):
            rules.append(
                AccessRule(
                    name="dns",
                    destination=ipaddress.IPv4Address(dns),
                    protocol=proto,
                    port=53,
                    qos="business",
                )
            )
    for ntp in data.get("ntp_servers", []):
        rules.append(
            AccessRule(
                name="ntp", destination=ipaddress.IPv4Address(ntp), protocol="udp", port=123, qos="business"
            )
        )
    return rules


def equipment(users: int, free_ports: int, cat: Catalogues) -> tuple[list[EquipmentItem], int]:
    """The equipment list and the number of access ports the office needs."""
    eq = cat.equipment
    ap = eq.access_points[eq.planning.access_point]
    sw = eq.switches[eq.planning.default_switch]
    wired = math.ceil(users * eq.planning.wired_share)
    aps = math.ceil(users * (1 - eq.planning.wired_share) / ap.users)
    ports = wired + aps
    new_switches = math.ceil(max(0, ports - free_ports) / sw.ports)
    poe_budget = eq.planning.existing_switch_poe_budget_w + new_switches * sw.poe_budget_w
    injectors = max(0, aps - poe_budget // ap.poe_w) if ap.poe_w else 0
    utp = eq.cabling["utp"]
    items = [
        EquipmentItem(
            item="Switch akses",
            model=sw.name,
            count=new_switches,
            unit="unit",
            note=f"{ports} port dibutuhkan, {free_ports} port kosong di switch yang ada",
        ),
        EquipmentItem(
            item="Access point", model=ap.name, count=aps, unit="unit", note=f"{ap.users} pengguna per AP"
        ),
        EquipmentItem(
            item="PoE injector",
            model="Injector PoE 802.3af",
            count=injectors,
            unit="unit",
            note="untuk AP yang tidak mendapat daya dari switch",
        ),
        EquipmentItem(
            item="Kabel UTP",
            model=utp.name,
            count=ports * utp.average_run_m,
            unit="meter",
            note=f"{ports} titik x {utp.average_run_m} m",
        ),
        EquipmentItem(item="Konektor RJ45", model="RJ45 Cat6", count=ports * 2, unit="buah"),
        EquipmentItem(item="Patch cord", model="Patch cord UTP Cat6 1 m", count=ports, unit="buah"),
    ]
    return [i for i in items if i.count > 0], ports


def _schedule(inp: Inputs, v: _Verdict) -> Schedule | None:
    try:
        slot = earliest_slot(
            inp.catalogues.calendar, duration=INSTALL_DURATION, now=inp.now, busy=busy(inp.existing)
        )
    except SchedulingError as exc:
        v.check("schedule", False, f"no installation slot: {exc}")
        return None
    label = slot.label_id()
    v.check("schedule", True, f"earliest slot {label}")
    return Schedule(start=slot.start, end=slot.end, label=label)


def analyze(inp: Inputs) -> Plan:
    """The plan for ``inp.request`` (pure: same inputs, same plan)."""
    inv = inp.catalogues.inventory
    req = inp.request
    site = inv.sites[req.site]
    v = _Verdict()
    bw = bandwidth(req, inp.catalogues)
    _devices_reachable(inp, site, v)
    used = [*inp.facts.subnets_in_use(), *(a.subnet for a in inp.existing if a.subnet is not None)]
    addr, why = addressing(req.users, inp.catalogues.ipam, used)
    v.check(
        "subnet",
        addr is not None,
        f"subnet {addr.subnet} ({addr.hosts_available} addresses for {addr.hosts_needed} needed)"
        if addr
        else why,
    )
    vlan = free_vlan(req.site, site, inp.catalogues.ipam, inp.facts, inp.existing)
    rng = inp.catalogues.ipam.vlans
    v.check(
        "vlan",
        vlan is not None,
        f"VLAN {vlan} is free at {req.site}"
        if vlan is not None
        else f"no free VLAN in {rng.first}-{rng.last} at {req.site}",
    )
    _gateway_port_free(inp, site, v)
    _capacity(inp, req.site, site, bw, v)
    facts = inp.facts.devices.get(site.access_switch.device)
    n_free = sum(
        1 for t in (facts.port_vlans.values() if facts else ()) if t == site.access_switch.parking_vlan
    )
    items, ports_needed = equipment(req.users, n_free, inp.catalogues)
    access = _access_ports(inp, site, ports_needed, vlan, v)
    ports = [
        PortAssignment(
            device=site.distribution.device,
            port=site.distribution.port,
            role="gateway",
            vlan=vlan,
            description=f"{inp.ticket_id} {req.opd}"[:80],
        ),
        PortAssignment(
            device=site.access_switch.device,
            port=site.access_switch.uplink,
            role="uplink",
            vlan=vlan,
            description=f"{inp.ticket_id} ke {site.distribution.device}",
        ),
        *access,
    ]
    # Only an available plan reserves team time; one that is not leaves the calendar alone.
    schedule = _schedule(inp, v) if not v.problems else None
    return Plan(
        ticket_id=inp.ticket_id,
        site=req.site,
        opd=req.opd,
        users=req.users,
        applications=tuple(req.applications),
        bandwidth=bw,
        vlan=vlan,
        addressing=addr,
        ports=tuple(ports),
        routes=tuple(_routes(inp, site, addr.subnet if addr else None)),
        access_rules=tuple(access_rules(req, inv)),
        equipment=tuple(items),
        checks=tuple(v.checks),
        available=not v.problems,
        problems=tuple(v.problems),
        schedule=schedule,
        analysed_at=inp.now,
        facts_gathered_at=inp.facts.gathered_at,
    )
