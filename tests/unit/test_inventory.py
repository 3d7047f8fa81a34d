"""The inventory loader: the shipped inventory loads, and each kind of breakage is named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from inventory_edit import INVENTORY_FILES, SHIPPED_INVENTORY, edit_yaml, read_yaml

from sipelangi_net.errors import ConfigError, InventoryError
from sipelangi_net.inventory import load_inventory
from sipelangi_net.platforms import Platform

# --------------------------------------------------------------------------- the shipped inventory


def test_shipped_inventory_loads() -> None:
    inv = load_inventory(SHIPPED_INVENTORY)
    raw_hosts = read_yaml(SHIPPED_INVENTORY / "hosts.yaml")
    raw_sites = read_yaml(SHIPPED_INVENTORY / "sites.yaml")
    assert len(inv.devices) == 10
    assert len(inv.sites) == 5
    assert set(inv.devices) == set(raw_hosts)
    assert set(inv.sites) == set(raw_sites)
    assert len(inv.links) == len(read_yaml(SHIPPED_INVENTORY / "links.yaml"))
    assert set(inv.servers.servers) == set(read_yaml(SHIPPED_INVENTORY / "servers.yaml")["servers"])


def test_shipped_platforms_come_from_groups() -> None:
    inv = load_inventory(SHIPPED_INVENTORY)
    raw_hosts = read_yaml(SHIPPED_INVENTORY / "hosts.yaml")
    raw_groups = read_yaml(SHIPPED_INVENTORY / "groups.yaml")
    for name, device in inv.devices.items():
        assert "platform" not in raw_hosts[name], "the shipped hosts get their platform from a group"
        from_groups = [raw_groups[g]["platform"] for g in device.groups if "platform" in raw_groups[g]]
        assert from_groups, f"{name}: no group carries a platform"
        assert device.platform == Platform(from_groups[0])
    assert {d.platform for d in inv.devices.values()} == {Platform.FRR, Platform.OVS}


def test_shipped_management_addresses() -> None:
    inv = load_inventory(SHIPPED_INVENTORY)
    raw_hosts = read_yaml(SHIPPED_INVENTORY / "hosts.yaml")
    for name, device in inv.devices.items():
        assert device.hostname == raw_hosts[name]["hostname"]
        assert device.port == raw_hosts[name]["port"]
    addresses = [(d.hostname, d.port) for d in inv.devices.values()]
    assert len(addresses) == len(set(addresses))


def test_default_port_applies(inv_dir: Path) -> None:
    def drop_ports(hosts: dict[str, Any]) -> None:
        for entry in hosts.values():
            entry.pop("port")

    edit_yaml(inv_dir / "hosts.yaml", drop_ports)
    inv = load_inventory(inv_dir)
    default_port = read_yaml(inv_dir / "defaults.yaml")["port"]
    assert {d.port for d in inv.devices.values()} == {default_port}


def test_host_platform_overrides_group(inv_dir: Path) -> None:
    edit_yaml(inv_dir / "hosts.yaml", lambda h: h["dist-bukitintan"].update(platform="cisco_ios"))
    inv = load_inventory(inv_dir)
    assert inv.devices["dist-bukitintan"].platform is Platform.CISCO_IOS
    assert inv.devices["dist-tamansari"].platform is Platform.FRR


def test_a_deploy_api_on_another_port_than_ssh_is_the_drivers_port(inv_dir: Path) -> None:
    """An Arista switch: SSH (live facts, compliance) on ``port``, eAPI (deploy) on ``data.api_port``."""
    from sipelangi_net.credentials import Credentials
    from sipelangi_net.drivers.registry import open_driver

    def eos(hosts: dict[str, Any]) -> None:
        hosts["sw-dinkes"].update(platform="arista_eos", port=22)
        hosts["sw-dinkes"]["data"]["api_port"] = 443

    edit_yaml(inv_dir / "hosts.yaml", eos)
    inv = load_inventory(inv_dir)
    creds = Credentials(username="netops", password="x", source="test")
    assert inv.devices["sw-dinkes"].port == 22
    assert open_driver(inv.devices["sw-dinkes"], creds).port == 443
    assert open_driver(inv.devices["sw-bappeda"], creds).port == inv.devices["sw-bappeda"].port
    edit_yaml(inv_dir / "hosts.yaml", lambda h: h["sw-dinkes"]["data"].update(api_port=70000))
    with pytest.raises(InventoryError, match="api_port"):
        load_inventory(inv_dir)


def test_same_hostname_other_port_is_fine(inv_dir: Path) -> None:
    def share_hostname(hosts: dict[str, Any]) -> None:
        hosts["sw-dinkes"]["hostname"] = hosts["core-diskominfo"]["hostname"]
        hosts["sw-dinkes"]["port"] = hosts["core-diskominfo"]["port"] + 1

    edit_yaml(inv_dir / "hosts.yaml", share_hostname)
    inv = load_inventory(inv_dir)
    assert inv.devices["sw-dinkes"].hostname == inv.devices["core-diskominfo"].hostname


def test_inventory_error_is_a_config_error() -> None:
    assert issubclass(InventoryError, ConfigError)
    assert InventoryError.exit_code == 2


def test_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(InventoryError, match="inventory directory not found") as info:
        load_inventory(missing)
    assert str(missing) in str(info.value)


# --------------------------------------------------------------------------- broken inventories


def _insert_line(path: Path, after: int, line: str) -> int:
    """Insert ``line`` after line number ``after``; return the new line's number (1-based)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(after, line + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return after + 1


def _load_error(root: Path) -> str:
    with pytest.raises(InventoryError) as info:
        load_inventory(root)
    return str(info.value)


@pytest.mark.parametrize("name", ["hosts.yaml", "links.yaml", "sites.yaml", "servers.yaml"])
def test_yaml_syntax_error_names_file_and_line(inv_dir: Path, name: str) -> None:
    path = inv_dir / name
    n_lines = len(path.read_text(encoding="utf-8").splitlines())
    lineno = _insert_line(path, n_lines // 2, "broken: key: value: [")
    message = _load_error(inv_dir)
    assert f"{path}:{lineno}:" in message
    assert "YAML error" in message


def test_yaml_reader_error_names_file(inv_dir: Path) -> None:
    path = inv_dir / "hosts.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\x00\n", encoding="utf-8")
    message = _load_error(inv_dir)
    assert str(path) in message


def test_deeply_nested_yaml_is_an_inventory_error(inv_dir: Path) -> None:
    path = inv_dir / "sites.yaml"
    path.write_text("[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    message = _load_error(inv_dir)
    assert str(path) in message


def test_undecodable_file(inv_dir: Path) -> None:
    path = inv_dir / "links.yaml"
    path.write_bytes(b"- a: \xff\xfe\n")
    message = _load_error(inv_dir)
    assert str(path) in message
    assert "cannot read" in message


@pytest.mark.parametrize("name", INVENTORY_FILES)
def test_missing_file(inv_dir: Path, name: str) -> None:
    (inv_dir / name).unlink()
    message = _load_error(inv_dir)
    assert str(inv_dir / name) in message
    assert "not found" in message


@pytest.mark.parametrize("text", ["- core\n- dist\n", "just a string\n", "42\n", ""])
def test_hosts_must_be_a_mapping(inv_dir: Path, text: str) -> None:
    path = inv_dir / "hosts.yaml"
    path.write_text(text, encoding="utf-8")
    message = _load_error(inv_dir)
    assert str(path) in message
    assert "expected a mapping" in message


def test_links_must_be_a_list(inv_dir: Path) -> None:
    edit_yaml(inv_dir / "links.yaml", lambda links: {"backbone": links})
    message = _load_error(inv_dir)
    assert str(inv_dir / "links.yaml") in message
    assert "expected a list" in message


# Each case: (file to edit, the change, substrings the message must contain besides the path).
Change = Callable[[Any], Any]
CASES: dict[str, tuple[str, Change, tuple[str, ...]]] = {
    "unknown platform on a group": (
        "groups.yaml",
        lambda g: g["frr"].update(platform="vyos"),
        ("frr.platform",),
    ),
    "unknown platform on a host": (
        "hosts.yaml",
        lambda h: h["core-diskominfo"].update(platform="vyos"),
        ("core-diskominfo.platform",),
    ),
    "no platform anywhere": (
        "hosts.yaml",
        lambda h: h["sw-dinkes"].update(groups=["access"]),
        ("sw-dinkes.platform", "no platform"),
    ),
    "duplicate management address": (
        "hosts.yaml",
        lambda h: h["sw-dinkes"].update(hostname=h["core-diskominfo"]["hostname"]),
        ("sw-dinkes", "duplicate management address", "core-diskominfo"),
    ),
    "unknown group on a host": (
        "hosts.yaml",
        lambda h: h["core-diskominfo"].update(groups=["frr", "kore"]),
        ("core-diskominfo.groups", "'kore'"),
    ),
    "unknown parent group": (
        "groups.yaml",
        lambda g: g["core"].update(groups=["backbone"]),
        ("core.groups", "'backbone'"),
    ),
    "password in hosts.yaml": (
        "hosts.yaml",
        lambda h: h["dist-gerunggang"].update(password="rahasia123"),
        ("dist-gerunggang.password", "must not be kept"),
    ),
    "extra field on a host": (
        "hosts.yaml",
        lambda h: h["dist-gerunggang"].update(secret_sauce=1),
        ("dist-gerunggang.secret_sauce",),
    ),
    "bad management port": (
        "hosts.yaml",
        lambda h: h["dist-gerunggang"].update(port=70000),
        ("dist-gerunggang.port",),
    ),
    "bad loopback": (
        "hosts.yaml",
        lambda h: h["dist-gerunggang"]["data"].update(loopback="10.255.255.300/32"),
        ("dist-gerunggang.data.loopback",),
    ),
    "invalid host name": (
        "hosts.yaml",
        lambda h: h.update({"Core_Router": {"hostname": "127.9.9.9"}}),
        ("'Core_Router'", "not a valid name"),
    ),
    "host name with a trailing newline": (
        "hosts.yaml",
        lambda h: h.update({"core-extra\n": {"hostname": "127.9.9.9", "groups": ["frr"]}}),
        ("'core-extra\\n'", "not a valid name"),
    ),
    "site name with a trailing newline": (
        "sites.yaml",
        lambda s: s.update({"bappeda\n": s.pop("bappeda")}),
        ("'bappeda\\n'", "not a valid name"),
    ),
    "duplicate interface address across links": (
        "links.yaml",
        lambda links: links[2]["b"].update(address=links[0]["a"]["address"]),
        ("[2].b", "duplicate address", "[0].a"),
    ),
    "link address equal to the server gateway": (
        "links.yaml",
        lambda links: links[1]["a"].update(address="10.10.10.1/30"),
        ("servers.yaml: segment.gateway", "duplicate address", "links.yaml: [1].a"),
    ),
    "unknown device in a link": (
        "links.yaml",
        lambda links: links[1]["b"].update(device="dist-nowhere"),
        ("[1].b", "unknown device 'dist-nowhere'"),
    ),
    "port used twice by links": (
        "links.yaml",
        lambda links: links[1]["a"].update(port=links[0]["a"]["port"]),
        ("[1].a", "already used by", "[0].a"),
    ),
    "bad link capacity": (
        "links.yaml",
        lambda links: links[0].update(capacity_mbit=0),
        ("[0].capacity_mbit",),
    ),
    "unknown device referenced by a site": (
        "sites.yaml",
        lambda s: s["bappeda"]["distribution"].update(device="dist-nowhere"),
        ("bappeda.distribution", "unknown device 'dist-nowhere'"),
    ),
    "unknown access switch of a site": (
        "sites.yaml",
        lambda s: s["dinkes"]["access_switch"].update(device="sw-nowhere"),
        ("dinkes.access_switch", "unknown device 'sw-nowhere'"),
    ),
    "port used twice by sites": (
        "sites.yaml",
        lambda s: s["disdukcapil"]["distribution"].update(port=s["bappeda"]["distribution"]["port"]),
        ("disdukcapil.distribution", "already used by", "bappeda.distribution"),
    ),
    "site port that a link uses": (
        "sites.yaml",
        lambda s: s["bappeda"]["distribution"].update(port="eth0"),
        ("bappeda.distribution", "dist-tamansari eth0", "links.yaml: [0].b"),
    ),
    "user host on the uplink port": (
        "sites.yaml",
        lambda s: s["bappeda"]["lab"]["user_hosts"][0].update(port="eth0"),
        ("bappeda.lab.user_hosts.pc-bappeda", "already used by", "bappeda.access_switch"),
    ),
    "user host named like a device": (
        "sites.yaml",
        lambda s: s["bappeda"]["lab"]["user_hosts"][0].update(name="sw-bappeda"),
        ("bappeda.lab.user_hosts", "duplicate host name 'sw-bappeda'"),
    ),
    "newline in opd": (
        "sites.yaml",
        lambda s: s["dinkes"].update(opd="Dinas Kesehatan\nhostname evil"),
        ("dinkes.opd",),
    ),
    "trailing newline in opd": (
        "sites.yaml",
        lambda s: s["dinkes"].update(opd="Dinas Kesehatan\n"),
        ("dinkes.opd",),
    ),
    "bell character in opd": (
        "sites.yaml",
        lambda s: s["dinkes"].update(opd="Dinas \x07Kesehatan"),
        ("dinkes.opd",),
    ),
    "DEL character in kecamatan": (
        "sites.yaml",
        lambda s: s["dinkes"].update(kecamatan="Gerunggang\x7f"),
        ("dinkes.kecamatan",),
    ),
    "missing site field": (
        "sites.yaml",
        lambda s: s["dinkes"].__delitem__("uplink"),
        ("dinkes.uplink",),
    ),
    "server address outside the segment": (
        "servers.yaml",
        lambda c: c["servers"]["srv-iperf"].update(address="10.10.11.20"),
        ("servers.srv-iperf.address", "10.10.11.20", "outside 10.10.10.0/24"),
    ),
    "gateway outside the segment": (
        "servers.yaml",
        lambda c: c["segment"]["gateway"].update(address="10.10.20.1/24"),
        ("segment.gateway.address",),
    ),
    "server address used twice": (
        "servers.yaml",
        lambda c: c["servers"]["srv-iperf"].update(address=c["servers"]["srv-apps"]["address"]),
        ("servers.srv-iperf", "duplicate address", "servers.srv-apps"),
    ),
    "server switch port used twice": (
        "servers.yaml",
        lambda c: c["servers"]["srv-iperf"].update(switch_port=c["servers"]["srv-apps"]["switch_port"]),
        ("servers.srv-iperf", "already used by", "servers.srv-apps"),
    ),
    "server named like a device": (
        "servers.yaml",
        lambda c: c["servers"].update({"sw-dinkes": c["servers"].pop("srv-iperf")}),
        ("servers.sw-dinkes", "clashes"),
    ),
    "bad service protocol": (
        "servers.yaml",
        lambda c: c["servers"]["srv-iperf"]["services"][0].update(protocol="sctp"),
        ("servers.srv-iperf.services.0.protocol",),
    ),
    "application on an unknown server": (
        "applications.yaml",
        lambda a: a["simpeg"]["endpoints"][0].update(server="srv-nowhere"),
        ("simpeg.endpoints[0].server", "srv-nowhere"),
    ),
    "application on an unknown service": (
        "applications.yaml",
        lambda a: a["sipd"]["endpoints"][0].update(service="ftp"),
        ("sipd.endpoints[0].service", "ftp"),
    ),
    "application concurrency above 1": (
        "applications.yaml",
        lambda a: a["vicon"].update(concurrency=1.5),
        ("vicon.concurrency",),
    ),
    "application negative rate": (
        "applications.yaml",
        lambda a: a["email"]["per_user_kbit"].update(down=-1),
        ("email.per_user_kbit.down",),
    ),
}


@pytest.mark.parametrize(("name", "change", "expected"), CASES.values(), ids=CASES.keys())
def test_broken_inventory_names_file_and_field(
    inv_dir: Path, name: str, change: Change, expected: tuple[str, ...]
) -> None:
    edit_yaml(inv_dir / name, change)
    message = _load_error(inv_dir)
    assert str(inv_dir / name) in message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert "\n" not in message, "error messages are one line"


def test_error_message_lists_at_most_five_problems(inv_dir: Path) -> None:
    broken = {"opd": "bad\ttext", "kecamatan": 7, "distribution": "x", "access_switch": "x"}
    broken |= {"uplink": "x", "lab": "x", "colour": "red"}
    edit_yaml(inv_dir / "sites.yaml", lambda s: s["bappeda"].update(broken))
    message = _load_error(inv_dir)
    assert str(inv_dir / "sites.yaml") in message
    problems = message.split("; ")
    assert len(problems) == 6
    assert problems[-1] == f"... and {len(broken) - 5} more"
    assert "bappeda.opd" in problems[0]
