"""From an inventory to the lab's topology: a pure function, no I/O.

The lab turns every managed device into network namespaces running the real
software of its platform (FRR for routers, Open vSwitch for switches), the
server segment and the OPD user PCs into plain hosts, and every link into a
veth pair whose capacity is applied with ``tc``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sipelangi_net.errors import InventoryError
from sipelangi_net.inventory import Inventory, Link, relays_dhcp
from sipelangi_net.platforms import LAB_PLATFORMS, Platform, spec_for

NodeKind = Literal["router", "switch", "host"]
IFNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$")


@dataclass(frozen=True, slots=True)
class Interface:
    name: str
    description: str
    address: ipaddress.IPv4Interface | None = None
    vlan: int | None = None
    """Switch ports: the access VLAN (``None``: trunk)."""
    wired: bool = True
    """``False``: a switch port with nothing plugged in."""


@dataclass(frozen=True, slots=True)
class Route:
    prefix: ipaddress.IPv4Network
    nexthop: ipaddress.IPv4Address


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    kind: NodeKind
    platform: Platform | None = None
    mgmt_host: str | None = None
    mgmt_port: int | None = None
    loopback: ipaddress.IPv4Interface | None = None
    interfaces: tuple[Interface, ...] = ()
    routes: tuple[Route, ...] = ()
    services: tuple[tuple[str, str, int], ...] = ()
    """Hosts: (service name, protocol, port) the host serves."""
    description: str = ""
    relay_ports: tuple[str, ...] = ()
    """Routers whose platform relays DHCP: the OPD ports whose DHCP goes to :attr:`relay_to`."""
    relay_to: ipaddress.IPv4Address | None = None
    """The central DHCP server (``servers.yaml`` ``dhcp``) the router's host relays to."""

    @property
    def managed(self) -> bool:
        return self.kind != "host"


@dataclass(frozen=True, slots=True)
class Wire:
    a_node: str
    a_port: str
    b_node: str
    b_port: str
    capacity_mbit: int


@dataclass(frozen=True, slots=True)
class LabTopology:
    nodes: Mapping[str, Node]
    wires: tuple[Wire, ...]

    @property
    def devices(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.managed]

    @property
    def hosts(self) -> list[Node]:
        return [n for n in self.nodes.values() if not n.managed]


@dataclass
class _Builder:
    inventory: Inventory
    interfaces: dict[str, list[Interface]] = field(default_factory=dict)
    routes: dict[str, list[Route]] = field(default_factory=dict)
    wires: list[Wire] = field(default_factory=list)
    relay_ports: dict[str, list[str]] = field(default_factory=dict)

    def add_if(self, node: str, iface: Interface, where: str) -> None:
        if not IFNAME.match(iface.name):
            raise InventoryError(
                f"{where}: port {iface.name!r} of {node} is not a valid lab interface name"
                " (at most 15 characters: letters, digits, '.', '_', '-')"
            )
        self.interfaces.setdefault(node, []).append(iface)

    def wire(self, a: tuple[str, str], b: tuple[str, str], capacity: int) -> None:
        self.wires.append(Wire(a[0], a[1], b[0], b[1], capacity))


def _links(b: _Builder) -> None:
    for i, link in enumerate(b.inventory.links):
        where = f"{b.inventory.path / 'links.yaml'}: [{i}]"
        for here, there in ((link.a, link.b), (link.b, link.a)):
            b.add_if(
                here.device,
                Interface(here.port, _link_desc(link, there.device), here.address),
                where,
            )
        b.wire((link.a.device, link.a.port), (link.b.device, link.b.port), link.capacity_mbit)


def _link_desc(link: Link, peer: str) -> str:
    return f"ke {peer} ({link.medium} {link.capacity_mbit} Mbps)"


def _default_route_via_core(b: _Builder) -> None:
    """Each distribution router's default route points at its backbone neighbour."""
    core = {d.name for d in b.inventory.devices.values() if "core" in d.groups}
    for link in b.inventory.links:
        for here, there in ((link.a, link.b), (link.b, link.a)):
            if there.device in core and here.device not in core and there.address is not None:
                b.routes.setdefault(here.device, []).append(
                    Route(ipaddress.IPv4Network("0.0.0.0/0"), there.address.ip)
                )


def _server_segment(b: _Builder) -> list[Node]:
    cat = b.inventory.servers
    seg = cat.segment
    where = str(b.inventory.path / "servers.yaml")
    b.add_if(
        seg.gateway.device,
        Interface(seg.gateway.port, f"ke {seg.name}", seg.gateway.address),
        where,
    )
    b.add_if(
        seg.switch.device,
        Interface(seg.switch.port, f"ke {seg.gateway.device}", vlan=seg.vlan),
        where,
    )
    b.wire(
        (seg.gateway.device, seg.gateway.port),
        (seg.switch.device, seg.switch.port),
        seg.capacity_mbit,
    )
    assert seg.gateway.address is not None  # checked by the inventory loader
    hosts = []
    for name, server in cat.servers.items():
        b.add_if(seg.switch.device, Interface(server.switch_port, f"ke {name}", vlan=seg.vlan), where)
        b.wire((seg.switch.device, server.switch_port), (name, "eth0"), seg.capacity_mbit)
        hosts.append(
            Node(
                name=name,
                kind="host",
                interfaces=(
                    Interface(
                        "eth0",
                        seg.name,
                        ipaddress.IPv4Interface(f"{server.address}/{seg.subnet.prefixlen}"),
                    ),
                ),
                routes=(Route(ipaddress.IPv4Network("0.0.0.0/0"), seg.gateway.address.ip),),
                services=tuple((s.name, s.protocol, s.port) for s in server.services),
                description=server.description,
            )
        )
    return hosts


def _sites(b: _Builder) -> list[Node]:
    hosts = []
    for key, site in b.inventory.sites.items():
        where = f"{b.inventory.path / 'sites.yaml'}: {key}"
        sw = site.access_switch
        b.add_if(site.distribution.device, Interface(site.distribution.port, f"ke {site.opd}"), where)
        if relays_dhcp(b.inventory, site.distribution.device):
            b.relay_ports.setdefault(site.distribution.device, []).append(site.distribution.port)
        b.add_if(sw.device, Interface(sw.uplink, f"ke {site.distribution.device}"), where)
        b.wire(
            (site.distribution.device, site.distribution.port),
            (sw.device, sw.uplink),
            site.uplink.capacity_mbit,
        )
        used = {h.port: h for h in site.lab.user_hosts}
        ports = [f"eth{n}" for n in range(1, sw.ports + 1)]
        for port in [*ports, *(p for p in used if p not in ports)]:
            host = used.get(port)
            desc = f"ke {host.name}" if host else "tidak terpakai"
            b.add_if(
                sw.device,
                Interface(port, desc, vlan=sw.parking_vlan, wired=host is not None),
                where,
            )
        for host in site.lab.user_hosts:
            b.wire((sw.device, host.port), (host.name, "eth0"), site.uplink.capacity_mbit)
            hosts.append(
                Node(
                    name=host.name,
                    kind="host",
                    interfaces=(Interface("eth0", site.opd),),
                    description=f"PC pengguna {site.opd}",
                )
            )
    return hosts


def build_topology(inventory: Inventory, *, lab_only: bool = True) -> LabTopology:
    """The lab that stands in for the network ``inventory`` describes.

    ``lab_only=False``: the same nodes for an inventory with platforms the lab cannot run (the
    compliance baselines read the node of every device; nothing is started from it).
    """
    for dev in inventory.devices.values():
        if lab_only and dev.platform not in LAB_PLATFORMS:
            raise InventoryError(
                f"{inventory.path / 'hosts.yaml'}: {dev.name}.platform: {dev.platform} cannot run in the lab"
                f" (lab platforms: {', '.join(sorted(LAB_PLATFORMS))})"
            )
    b = _Builder(inventory)
    _links(b)
    _default_route_via_core(b)
    hosts = _server_segment(b) + _sites(b)
    dhcp = inventory.servers.dhcp
    relay_to = inventory.servers.servers[dhcp.server].address if dhcp is not None else None
    nodes: dict[str, Node] = {}
    for dev in inventory.devices.values():
        nodes[dev.name] = Node(
            name=dev.name,
            kind=spec_for(dev.platform).kind,
            platform=dev.platform,
            mgmt_host=dev.hostname,
            mgmt_port=dev.port,
            loopback=dev.data.loopback,
            interfaces=tuple(sorted(b.interfaces.get(dev.name, []), key=lambda i: _port_key(i.name))),
            routes=tuple(b.routes.get(dev.name, [])),
            description=dev.data.description or "",
            relay_ports=tuple(b.relay_ports.get(dev.name, ())),
            relay_to=relay_to if dev.name in b.relay_ports else None,
        )
    for host in hosts:
        nodes[host.name] = host
    return LabTopology(nodes=nodes, wires=tuple(b.wires))


def _port_key(name: str) -> tuple[str, int]:
    m = re.match(r"^(.*?)(\d+)$", name)
    return (m.group(1), int(m.group(2))) if m else (name, -1)
