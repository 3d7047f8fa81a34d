"""From the inventory to the lab topology (pure: no namespaces are made here)."""

from __future__ import annotations

import ipaddress
from collections import Counter
from pathlib import Path

import pytest
from inventory_edit import SHIPPED_INVENTORY, edit_yaml

from sipelangi_net.errors import InventoryError
from sipelangi_net.inventory import Inventory, load_inventory
from sipelangi_net.lab.topology import LabTopology, build_topology
from sipelangi_net.platforms import LAB_PLATFORMS, spec_for

DEFAULT = ipaddress.IPv4Network("0.0.0.0/0")


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return load_inventory(SHIPPED_INVENTORY)


@pytest.fixture(scope="module")
def topo(inventory: Inventory) -> LabTopology:
    return build_topology(inventory)


def _wire_ends(topo: LabTopology) -> Counter[tuple[str, str]]:
    ends: Counter[tuple[str, str]] = Counter()
    for w in topo.wires:
        ends[(w.a_node, w.a_port)] += 1
        ends[(w.b_node, w.b_port)] += 1
    return ends


def test_every_device_and_host_is_a_node(inventory: Inventory, topo: LabTopology) -> None:
    user_hosts = {h.name for s in inventory.sites.values() for h in s.lab.user_hosts}
    assert {n.name for n in topo.devices} == set(inventory.devices)
    assert {n.name for n in topo.hosts} == set(inventory.servers.servers) | user_hosts
    for dev in inventory.devices.values():
        node = topo.nodes[dev.name]
        assert node.kind == spec_for(dev.platform).kind
        assert (node.mgmt_host, node.mgmt_port) == (dev.hostname, dev.port)
        assert node.loopback == dev.data.loopback


def test_wire_ends_exist(topo: LabTopology) -> None:
    assert topo.wires
    for w in topo.wires:
        for node, port in ((w.a_node, w.a_port), (w.b_node, w.b_port)):
            assert node in topo.nodes, f"{w}: no node {node}"
            names = [i.name for i in topo.nodes[node].interfaces]
            assert port in names, f"{w}: {node} has no interface {port}"
        assert w.a_node != w.b_node
        assert w.capacity_mbit > 0


def test_each_wired_interface_is_on_exactly_one_wire(topo: LabTopology) -> None:
    ends = _wire_ends(topo)
    for node in topo.nodes.values():
        names = [i.name for i in node.interfaces]
        assert len(names) == len(set(names)), f"{node.name}: duplicate interface names"
        for iface in node.interfaces:
            expected = 1 if iface.wired else 0
            assert ends[(node.name, iface.name)] == expected, f"{node.name} {iface.name}"


def test_link_capacities_follow_the_inventory(inventory: Inventory, topo: LabTopology) -> None:
    by_ends = {frozenset({(w.a_node, w.a_port), (w.b_node, w.b_port)}): w for w in topo.wires}
    for link in inventory.links:
        wire = by_ends[frozenset({(link.a.device, link.a.port), (link.b.device, link.b.port)})]
        assert wire.capacity_mbit == link.capacity_mbit
    for site in inventory.sites.values():
        ends = {(site.distribution.device, site.distribution.port)}
        ends.add((site.access_switch.device, site.access_switch.uplink))
        assert by_ends[frozenset(ends)].capacity_mbit == site.uplink.capacity_mbit


def test_unused_access_ports_are_not_wired(inventory: Inventory, topo: LabTopology) -> None:
    for site in inventory.sites.values():
        sw = site.access_switch
        node = topo.nodes[sw.device]
        used = {h.port for h in site.lab.user_hosts}
        ifaces = {i.name: i for i in node.interfaces}
        access = [f"eth{n}" for n in range(1, sw.ports + 1)]
        assert set(access) | used | {sw.uplink} == set(ifaces)
        assert any(p not in used for p in access), "the shipped sites leave ports free"
        for port in access:
            iface = ifaces[port]
            assert iface.wired == (port in used), f"{sw.device} {port}"
            assert iface.vlan == sw.parking_vlan
        assert ifaces[sw.uplink].wired
        assert ifaces[sw.uplink].vlan is None, "the uplink is a trunk"


def test_distribution_routers_default_to_their_core_neighbour(
    inventory: Inventory, topo: LabTopology
) -> None:
    core = {d.name for d in inventory.devices.values() if "core" in d.groups}
    distribution = [d.name for d in inventory.devices.values() if "distribution" in d.groups]
    assert core
    assert distribution
    for name in distribution:
        neighbours = [
            there.address.ip
            for link in inventory.links
            for here, there in ((link.a, link.b), (link.b, link.a))
            if here.device == name and there.device in core and there.address is not None
        ]
        assert len(neighbours) == 1
        defaults = [r for r in topo.nodes[name].routes if r.prefix == DEFAULT]
        assert [r.nexthop for r in defaults] == neighbours
        own = next(i.address for i in topo.nodes[name].interfaces if i.address is not None)
        assert defaults[0].nexthop in own.network, "the next hop is on a connected subnet"
    for name in core:
        assert not [r for r in topo.nodes[name].routes if r.prefix == DEFAULT]


def test_server_hosts_sit_in_the_segment(inventory: Inventory, topo: LabTopology) -> None:
    seg = inventory.servers.segment
    assert seg.gateway.address is not None
    for name, server in inventory.servers.servers.items():
        node = topo.nodes[name]
        assert node.kind == "host"
        assert not node.managed
        (eth0,) = node.interfaces
        assert eth0.address is not None
        assert eth0.address.ip == server.address
        assert eth0.address.network == seg.subnet
        assert [(r.prefix, r.nexthop) for r in node.routes] == [(DEFAULT, seg.gateway.address.ip)]
        assert node.services == tuple((s.name, s.protocol, s.port) for s in server.services)
        switch_if = {i.name: i for i in topo.nodes[seg.switch.device].interfaces}[server.switch_port]
        assert switch_if.vlan == seg.vlan


def test_interfaces_are_sorted_naturally(topo: LabTopology) -> None:
    for node in topo.devices:
        numbers = [int(i.name.removeprefix("eth")) for i in node.interfaces if i.name.startswith("eth")]
        assert numbers == sorted(numbers)


def test_non_lab_platform_is_refused(inv_dir: Path) -> None:
    assert "cisco_ios" not in LAB_PLATFORMS
    edit_yaml(inv_dir / "hosts.yaml", lambda h: h["dist-bukitintan"].update(platform="cisco_ios"))
    inv = load_inventory(inv_dir)  # a valid inventory ...
    with pytest.raises(InventoryError) as info:
        build_topology(inv)  # ... that the lab cannot run
    message = str(info.value)
    assert str(inv_dir / "hosts.yaml") in message
    assert "dist-bukitintan.platform" in message
    assert "cisco_ios" in message


@pytest.mark.parametrize(
    ("name", "port", "ok"),
    [
        ("eth-to-dist-tsr", 15, True),
        ("eth-to-dist-tsr1", 16, False),
        ("backbone-to-tamansari0", 22, False),
    ],
)
def test_interface_name_length(inv_dir: Path, name: str, port: int, ok: bool) -> None:
    assert len(name) == port
    edit_yaml(inv_dir / "links.yaml", lambda links: links[0]["a"].update(port=name))
    inv = load_inventory(inv_dir)
    if ok:
        node = build_topology(inv).nodes["core-diskominfo"]
        assert name in [i.name for i in node.interfaces]
        return
    with pytest.raises(InventoryError) as info:
        build_topology(inv)
    message = str(info.value)
    assert str(inv_dir / "links.yaml") in message
    assert repr(name) in message
    assert "core-diskominfo" in message


def test_user_host_port_name_too_long(inv_dir: Path) -> None:
    long_port = "user-port-number-1"
    edit_yaml(inv_dir / "sites.yaml", lambda s: s["dinkes"]["lab"]["user_hosts"][0].update(port=long_port))
    inv = load_inventory(inv_dir)
    with pytest.raises(InventoryError) as info:
        build_topology(inv)
    assert str(inv_dir / "sites.yaml") in str(info.value)
    assert "dinkes" in str(info.value)
    assert repr(long_port) in str(info.value)


def test_user_host_beyond_the_counted_ports(inv_dir: Path) -> None:
    edit_yaml(inv_dir / "sites.yaml", lambda s: s["dinkes"]["lab"]["user_hosts"][0].update(port="eth9"))
    topo = build_topology(load_inventory(inv_dir))
    switch = topo.nodes["sw-dinkes"]
    ifaces = {i.name: i for i in switch.interfaces}
    assert ifaces["eth9"].wired
    assert not ifaces["eth1"].wired
    assert _wire_ends(topo)[("sw-dinkes", "eth9")] == 1
