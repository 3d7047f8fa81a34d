"""The dependency tree the monitor sees, from the inventory (sipelangi_net/faults/topology.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from inventory_edit import SHIPPED_INVENTORY, copy_inventory, edit_yaml

from sipelangi_net.errors import InventoryError
from sipelangi_net.faults.topology import DependencyTree, Target, build_dependencies
from sipelangi_net.inventory import Endpoint, Inventory, Link, load_inventory
from sipelangi_net.lab.generate import SITES_PER_DIST, generate_inventory


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return load_inventory(SHIPPED_INVENTORY)


@pytest.fixture(scope="module")
def tree(inventory: Inventory) -> DependencyTree:
    return build_dependencies(inventory)


def dev(name: str) -> Target:
    return Target("device", name)


def test_the_root_is_the_server_segment_switch_and_the_core_hangs_below_it(
    tree: DependencyTree, inventory: Inventory
) -> None:
    assert tree.root == dev(inventory.servers.segment.switch.device)
    assert tree.parent(dev("core-diskominfo")) == tree.root
    assert tree.parent(tree.root) is None


def test_an_opd_host_depends_on_its_switch_uplink_router_backbone_link_and_core(tree: DependencyTree) -> None:
    assert tree.ancestors(Target("host", "dinkes")) == (
        dev("sw-dinkes"),
        Target("uplink", "dinkes"),
        dev("dist-gerunggang"),
        Target("link", "core-diskominfo:eth2--dist-gerunggang:eth0"),
        dev("core-diskominfo"),
        dev("sw-dc-diskominfo"),
    )
    assert tree.parent(Target("gateway", "dinkes")) == Target("uplink", "dinkes")  # on the uplink's port


def test_every_device_link_uplink_gateway_and_host_is_a_target(
    tree: DependencyTree, inventory: Inventory
) -> None:
    kinds = {kind: {t.name for t in tree.nodes if t.kind == kind} for kind in ("device", "link", "uplink")}
    assert kinds["device"] == set(inventory.devices)
    assert len(kinds["link"]) == len(inventory.links)
    assert kinds["uplink"] == set(inventory.sites)
    for site in inventory.sites:
        assert Target("gateway", site) in tree.nodes
        assert Target("host", site) in tree.nodes


def test_the_opds_behind_a_router_or_link_are_the_sites_it_serves(
    tree: DependencyTree, inventory: Inventory
) -> None:
    for name in ("dist-tamansari", "dist-gerunggang", "dist-bukitintan"):
        served = tuple(k for k, s in inventory.sites.items() if s.distribution.device == name)
        assert tree.opds_behind(dev(name)) == served
        (link,) = (t for t in tree.nodes if t.kind == "link" and t.name.endswith(f"--{name}:eth0"))
        assert tree.opds_behind(link) == served
    assert tree.opds_behind(dev("core-diskominfo")) == tuple(inventory.sites)
    assert tree.opds_behind(dev("sw-dinkes")) == ("dinkes",)
    assert tree.opds_behind(Target("gateway", "dinkes")) == ("dinkes",)
    assert set(tree.children(dev("dist-gerunggang"))) == {
        Target("uplink", "dinkes"),
        Target("uplink", "kec-gerunggang"),
    }
    # the gateway is an address on the uplink's router port: the port down takes it too (one fault)
    assert set(tree.children(Target("uplink", "dinkes"))) == {Target("gateway", "dinkes"), dev("sw-dinkes")}


def test_only_the_opds_watched_get_gateway_and_host_targets(inventory: Inventory) -> None:
    tree = build_dependencies(inventory, opds=["dinkes"])
    assert tree.opds == ("dinkes",)
    assert Target("host", "bappeda") not in tree.nodes
    assert tree.opds_behind(dev("core-diskominfo")) == ("dinkes",)
    with pytest.raises(InventoryError, match=r"sites\.yaml: nowhere: unknown OPD site"):
        build_dependencies(inventory, opds=["nowhere"])


def test_an_unknown_target_is_refused_by_name(tree: DependencyTree) -> None:
    with pytest.raises(KeyError, match="device:ghost"):
        tree.ancestors(dev("ghost"))


def test_a_link_naming_an_unknown_device_names_the_file_and_field(inventory: Inventory) -> None:
    ghost = Link(
        a=Endpoint(device="core-diskominfo", port="eth9"),
        b=Endpoint(device="ghost", port="eth0"),
        capacity_mbit=10,
    )
    bad = dataclasses.replace(inventory, links=(*inventory.links, ghost))
    with pytest.raises(InventoryError, match=r"links\.yaml: \[3\]\.b\.device: unknown device 'ghost'"):
        build_dependencies(bad)


def test_a_link_from_a_device_to_itself_is_a_cycle(inventory: Inventory) -> None:
    loop = Link(
        a=Endpoint(device="dist-tamansari", port="eth8"),
        b=Endpoint(device="dist-tamansari", port="eth9"),
        capacity_mbit=10,
    )
    with pytest.raises(InventoryError, match=r"links\.yaml: \[3\]\.b\.device: 'dist-tamansari' .*cycle"):
        build_dependencies(dataclasses.replace(inventory, links=(*inventory.links, loop)))


def test_a_ring_of_links_is_refused_naming_the_link_that_closes_it(tmp_path: Path) -> None:
    root = copy_inventory(tmp_path / "inv")
    edit_yaml(
        root / "links.yaml",
        lambda links: [
            *links,
            {
                "a": {"device": "dist-tamansari", "port": "eth9", "address": "10.255.1.1/30"},
                "b": {"device": "dist-gerunggang", "port": "eth9", "address": "10.255.1.2/30"},
                "capacity_mbit": 100,
            },
        ],
    )
    inventory = load_inventory(root)  # the loader has nothing against a ring
    with pytest.raises(
        InventoryError, match=r"links\.yaml: \[3\]\.b\.device: dist-tamansari and dist-gerunggang"
    ):
        build_dependencies(inventory)


def test_a_device_joined_to_nothing_is_refused(tmp_path: Path) -> None:
    root = copy_inventory(tmp_path / "inv")
    edit_yaml(
        root / "hosts.yaml",
        lambda hosts: {**hosts, "dist-lost": {"hostname": "127.2.0.99", "port": 2022, "groups": ["frr"]}},
    )
    with pytest.raises(InventoryError, match=r"hosts\.yaml: dist-lost: not connected to sw-dc-diskominfo"):
        build_dependencies(load_inventory(root))


def test_a_generated_city_of_100_devices(tmp_path: Path) -> None:
    sites = 87  # 11 distribution routers, the core and the server switch: 100 devices
    inventory = load_inventory(generate_inventory(tmp_path / "city", sites=sites, source=SHIPPED_INVENTORY))
    assert len(inventory.devices) == 100
    tree = build_dependencies(inventory)
    assert len(tree.nodes) == 100 + len(inventory.links) + 3 * sites
    assert tree.opds_behind(dev("core-diskominfo")) == tuple(inventory.sites)
    dists = sorted({s.distribution.device for s in inventory.sites.values()})
    assert len(dists) == 11
    for name in dists:
        behind = tree.opds_behind(dev(name))
        assert behind == tuple(k for k, s in inventory.sites.items() if s.distribution.device == name)
        assert 1 <= len(behind) <= SITES_PER_DIST
    for site in inventory.sites:
        chain = tree.ancestors(Target("host", site))
        assert len(chain) == 6
        assert chain[-1] == tree.root


def test_a_site_naming_an_unknown_device_names_the_file_and_field(inventory: Inventory) -> None:
    site = inventory.sites["dinkes"]
    lost = site.model_copy(
        update={"access_switch": site.access_switch.model_copy(update={"device": "sw-lost"})}
    )
    bad = dataclasses.replace(inventory, sites={**inventory.sites, "dinkes": lost})
    with pytest.raises(
        InventoryError, match=r"sites\.yaml: dinkes\.access_switch\.device: unknown device 'sw-lost'"
    ):
        build_dependencies(bad)
