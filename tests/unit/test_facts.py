"""Live-facts parsers: FRR running config and OVS Port table → DeviceFacts; odd answers → DeviceError."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
from datetime import UTC, datetime
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inventory_edit import edit_yaml

from sipelangi_net.analysis.facts import (
    MAX_ANSWER,
    DeviceFacts,
    LiveFacts,
    gather,
    parse_frr,
    parse_ovs,
)
from sipelangi_net.credentials import Credentials
from sipelangi_net.errors import DeviceError, InventoryError

FRR_CONFIG = """\
Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname dist-gerunggang
no ipv6 forwarding
service integrated-vtysh-config
!
ip route 0.0.0.0/0 10.255.0.5
ip route 10.20.0.0/16 10.255.0.5 200
ip route 10.30.0.0 255.255.255.0 Null0
ipv6 route ::/0 fe80::1 eth0
!
interface eth0
 description ke core-diskominfo (fibre 1000 Mbps)
 ip address 10.255.0.6/30
exit
!
interface eth1
 description ke Dinas Kesehatan (Dinkes)
 ip address 10.20.5.1/24
 ip address 10.20.6.1/24
 ipv6 address 2001:db8::1/64
 link-detect
exit
!
interface eth2
 description ke Kantor Kecamatan Gerunggang
exit
!
interface lo
 ip address 10.255.255.3/32
exit
!
vrf mgmt
 ip route 192.168.50.0/24 10.255.0.5
exit-vrf
!
router ospf
 network 10.255.0.4/30 area 0
 ip address 9.9.9.9/32
exit
!
line vty
!
end
"""

OLD_STYLE_FRR = """\
hostname r1
!
interface eth0
 ip address 192.0.2.1/24
!
interface eth1
!
ip route 198.51.100.0/24 192.0.2.254
!
line vty
!
end
"""


def ovs_json(rows: list[list[object]]) -> str:
    return json.dumps({"data": rows, "headings": ["name", "tag", "external_ids"]}, separators=(",", ":"))


OVS_PORTS = ovs_json(
    [
        ["eth0", ["set", []], ["map", [["description", "ke dist-gerunggang"]]]],
        ["br0", ["set", []], ["map", []]],
        ["eth2", 130, ["map", [["description", "ke printer Dinkes"], ["owner", "dinkes"]]]],
        ["eth4", 999, ["map", [["description", "tidak terpakai"]]]],
        ["eth3", ["set", [999]], ["map", []]],
        ["eth1", 120, ["map", [["description", "ke pc-dinkes"]]]],
    ]
)


# --- FRR --------------------------------------------------------------------------------------


def test_frr_interfaces_addresses_descriptions() -> None:
    facts = parse_frr("dist-gerunggang", FRR_CONFIG)
    assert facts.device == "dist-gerunggang" and facts.platform == "frr"
    assert facts.reachable and facts.error == ""
    assert dict(facts.addresses) == {
        "eth0": (IPv4Interface("10.255.0.6/30"),),
        "eth1": (IPv4Interface("10.20.5.1/24"), IPv4Interface("10.20.6.1/24")),
        "eth2": (),
        "lo": (IPv4Interface("10.255.255.3/32"),),
    }
    assert facts.descriptions == {
        "eth0": "ke core-diskominfo (fibre 1000 Mbps)",
        "eth1": "ke Dinas Kesehatan (Dinkes)",
        "eth2": "ke Kantor Kecamatan Gerunggang",
    }
    assert facts.port_vlans == {}


def test_frr_static_routes_including_mask_form_and_vrf() -> None:
    facts = parse_frr("dist-gerunggang", FRR_CONFIG)
    assert facts.routes == tuple(
        map(IPv4Network, ["0.0.0.0/0", "10.20.0.0/16", "10.30.0.0/24", "192.168.50.0/24"])
    )


def test_frr_address_outside_an_interface_block_is_not_an_interface_address() -> None:
    """'ip address' under 'router ospf' (an unknown block) must not land on the last interface."""
    facts = parse_frr("r", FRR_CONFIG)
    assert all(IPv4Interface("9.9.9.9/32") not in addrs for addrs in facts.addresses.values())


def test_frr_old_style_blocks_ended_by_bang() -> None:
    facts = parse_frr("r1", OLD_STYLE_FRR)
    assert dict(facts.addresses) == {"eth0": (IPv4Interface("192.0.2.1/24"),), "eth1": ()}
    assert facts.routes == (IPv4Network("198.51.100.0/24"),)


def test_frr_crlf_and_repeated_interface_blocks_merge() -> None:
    text = (
        "interface eth0\r\n ip address 10.0.0.1/24\r\nexit\r\ninterface eth0\r\n ip address 10.0.0.1/24\r\n"
    )
    text += " ip address 10.0.1.1/24\r\nexit\r\nend\r\n"
    facts = parse_frr("r", text)
    assert facts.addresses["eth0"] == (IPv4Interface("10.0.0.1/24"), IPv4Interface("10.0.1.1/24"))


def test_frr_control_characters_in_a_description_are_escaped() -> None:
    facts = parse_frr("r", "interface eth0\n description ke \x1b[31mOPD\x07\nexit\nend\n")
    assert facts.descriptions["eth0"] == "ke \\x1b[31mOPD\\x07"


def test_frr_empty_config_is_valid() -> None:
    facts = parse_frr("r", "!\nend\n")
    assert facts.addresses == {} and facts.routes == () and facts.subnets() == frozenset()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no final 'end'"),
        ("garbage \x00\xff\n\n", "no final 'end'"),
        (FRR_CONFIG[: len(FRR_CONFIG) // 2], "no final 'end'"),
        ("% Unknown command: show running-config\n", "the device said '% Unknown command"),
        ("hostname r\n% Connection refused\nend\n", "line 2: the device said"),
        ("interface eth0\n ip address 10.0.0.300/24\nexit\nend\n", "line 2: bad interface address"),
        ("interface eth0\n ip address\nexit\nend\n", "bad interface address"),
        ("interface eth0\n ip address dhcp\nexit\nend\n", "bad interface address"),
        ("ip route banana 10.0.0.1\nend\n", "line 1: bad static route"),
        ("ip route\nend\n", "bad static route"),
        ("interface\nend\n", "interface without a name"),
        ("interface eth\x1b0\nend\n", "bad port name"),
    ],
)
def test_frr_odd_answers_raise_device_error(text: str, reason: str) -> None:
    with pytest.raises(DeviceError, match="unexpected answer to 'show running-config'") as info:
        parse_frr("dist-gerunggang", text)
    assert info.value.host == "dist-gerunggang"
    assert reason in str(info.value)
    assert "\x00" not in str(info.value) and "\x1b" not in str(info.value)


def test_frr_answer_too_long_is_refused() -> None:
    with pytest.raises(DeviceError, match="more than"):
        parse_frr("r", "!\n" * (MAX_ANSWER // 2 + 1) + "end\n")


def test_frr_not_text_is_refused() -> None:
    with pytest.raises(DeviceError, match="not text but bytes"):
        parse_frr("r", b"end\n")  # type: ignore[arg-type]


# --- OVS --------------------------------------------------------------------------------------


def test_ovs_tags_empty_tags_and_descriptions() -> None:
    facts = parse_ovs("sw-dinkes", OVS_PORTS)
    assert facts.device == "sw-dinkes" and facts.platform == "ovs" and facts.reachable
    assert dict(facts.port_vlans) == {
        "br0": None,
        "eth0": None,
        "eth1": 120,
        "eth2": 130,
        "eth3": 999,
        "eth4": 999,
    }
    assert list(facts.port_vlans) == sorted(facts.port_vlans)
    assert facts.descriptions == {
        "eth0": "ke dist-gerunggang",
        "eth1": "ke pc-dinkes",
        "eth2": "ke printer Dinkes",
        "eth4": "tidak terpakai",
    }
    assert facts.addresses == {} and facts.routes == ()


def test_ovs_columns_are_found_by_heading() -> None:
    text = json.dumps({"headings": ["external_ids", "name", "tag"], "data": [[["map", []], "eth1", 20]]})
    assert parse_ovs("sw", text).port_vlans == {"eth1": 20}


def test_ovs_no_ports() -> None:
    assert parse_ovs("sw", ovs_json([])).port_vlans == {}


def test_ovs_description_control_characters_are_escaped() -> None:
    facts = parse_ovs("sw", ovs_json([["eth1", 10, ["map", [["description", "a\nb\u202e"]]]]]))
    assert facts.descriptions["eth1"] == "a\\nb\\u202e"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "not JSON"),
        ("ovs-vsctl: unix:/run/db.sock: database connection failed", "not JSON"),
        (OVS_PORTS[:-20], "not JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"data": [[1' + "0" * 5000 + "]]}", "not JSON"),
        ("[]", "no 'data' list"),
        ('{"data": {}}', "no 'data' list"),
        ('{"data": []}', "'headings' lacks"),
        ('{"data": [], "headings": ["name", "tag"]}', "'headings' lacks"),
        ('{"data": [], "headings": [["name"], "tag", "external_ids"]}', "'headings' lacks"),
        (ovs_json([["eth1", 10]]), "row 1 is not a list of 3 cells"),
        (ovs_json(["eth1"]), "row 1 is not a list"),
        (ovs_json([[7, 10, ["map", []]]]), "bad port name '7'"),
        (ovs_json([["", 10, ["map", []]]]), "bad port name"),
        (ovs_json([["eth\u00001", 10, ["map", []]]]), "bad port name"),
        (ovs_json([["eth1", 4096, ["map", []]]]), "port 'eth1': bad VLAN tag '4096'"),
        (ovs_json([["eth1", -1, ["map", []]]]), "bad VLAN tag"),
        (ovs_json([["eth1", True, ["map", []]]]), "bad VLAN tag"),
        (ovs_json([["eth1", "10", ["map", []]]]), "bad VLAN tag"),
        (ovs_json([["eth1", 1.5, ["map", []]]]), "bad VLAN tag"),
        (ovs_json([["eth1", ["set", [1, 2]], ["map", []]]]), "bad VLAN tag"),
        (ovs_json([["eth1", ["map", []], ["map", []]]]), "bad VLAN tag"),
        (ovs_json([["eth1", 10, ["set", []]]]), "bad external_ids"),
        (ovs_json([["eth1", 10, ["map", [["description"]]]]]), "bad external_ids"),
        (ovs_json([["eth1", 10, ["map", [["description", 5]]]]]), "bad external_ids"),
        (ovs_json([["eth1", 10, ["map", {}]]]), "bad external_ids"),
        (ovs_json([["eth1", 10, ["map", []]], ["eth1", 20, ["map", []]]]), "'eth1' listed twice"),
    ],
)
def test_ovs_odd_answers_raise_device_error(text: str, reason: str) -> None:
    with pytest.raises(DeviceError, match="unexpected answer to 'ovs-vsctl --format=json") as info:
        parse_ovs("sw-dinkes", text)
    assert info.value.host == "sw-dinkes"
    assert reason in str(info.value)
    assert len(str(info.value)) < 250


# --- hostile input never raises anything but DeviceError ------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list(" \n\r!%/.:abcdefiloprstuvxyz0123456789\x00\x1b")), max_size=300)
)
def test_frr_parser_only_raises_device_error(text: str) -> None:
    for candidate in (text, text + "\nend\n", "interface eth0\n" + text + "\nend\n"):
        with contextlib.suppress(DeviceError):
            parse_frr("r", candidate)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5000) | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)
cells = st.one_of(
    json_values,
    st.just(["set", []]),
    st.lists(st.integers(-1, 5000), max_size=2).map(lambda v: ["set", v]),
    st.lists(st.lists(st.text(max_size=3), min_size=1, max_size=3), max_size=3).map(lambda v: ["map", v]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(cells, min_size=2, max_size=4), max_size=4), st.integers(0, 40))
def test_ovs_parser_only_raises_device_error(rows: list[list[object]], cut: int) -> None:
    text = ovs_json(rows)
    for candidate in (text, text[: len(text) - cut]):
        with contextlib.suppress(DeviceError):
            parse_ovs("sw", candidate)


# --- subnets(), vlans(), subnets_in_use(), unreachable() ----------------------------------


def test_subnets_are_connected_networks_and_routes_without_the_default() -> None:
    facts = parse_frr("dist-gerunggang", FRR_CONFIG)
    assert facts.subnets() == frozenset(
        map(
            IPv4Network,
            [
                "10.255.0.4/30",
                "10.20.5.0/24",
                "10.20.6.0/24",
                "10.255.255.3/32",
                "10.20.0.0/16",
                "10.30.0.0/24",
                "192.168.50.0/24",
            ],
        )
    )
    assert IPv4Network("0.0.0.0/0") not in facts.subnets()


def test_vlans_are_the_tags_in_use() -> None:
    assert parse_ovs("sw-dinkes", OVS_PORTS).vlans() == frozenset({120, 130, 999})
    assert parse_frr("r", FRR_CONFIG).vlans() == frozenset()


def test_live_facts_union_over_reachable_devices_and_unreachable_reasons() -> None:
    router = parse_frr("dist-gerunggang", FRR_CONFIG)
    other = DeviceFacts(
        device="core-diskominfo",
        platform="frr",
        reachable=True,
        addresses={"eth0": (IPv4Interface("10.10.10.1/24"),), "eth2": (IPv4Interface("10.255.0.5/30"),)},
    )
    down = DeviceFacts(
        device="dist-tamansari",
        platform="frr",
        reachable=False,
        error="no answer (timeout)",
        addresses={"eth9": (IPv4Interface("172.16.0.1/24"),)},
    )
    switch = parse_ovs("sw-dinkes", OVS_PORTS)
    live = LiveFacts(
        devices={d.device: d for d in (switch, down, router, other)},
        gathered_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert live.subnets_in_use() == router.subnets() | {IPv4Network("10.10.10.0/24")}
    assert IPv4Network("172.16.0.0/24") not in live.subnets_in_use()
    assert live.unreachable() == ["dist-tamansari: no answer (timeout)"]
    assert LiveFacts(devices={}, gathered_at=live.gathered_at).subnets_in_use() == frozenset()
    doc = live.to_json()
    assert doc["gathered_at"] == "2025-01-02T03:04:05+00:00"
    assert list(doc["devices"]) == sorted(doc["devices"])
    assert json.loads(json.dumps(doc)) == doc


def test_facts_are_frozen() -> None:
    facts = parse_ovs("sw-dinkes", OVS_PORTS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.reachable = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        facts.port_vlans["eth1"] = 5  # type: ignore[index]
    with pytest.raises(TypeError):
        parse_frr("r", FRR_CONFIG).addresses["eth0"] = ()  # type: ignore[index]


def test_default_mappings_are_empty_and_not_shared() -> None:
    a = DeviceFacts(device="a", platform="ovs", reachable=False, error="x")
    assert a.addresses == {} and a.port_vlans == {} and a.descriptions == {} and a.routes == ()
    assert a.subnets() == frozenset() and a.vlans() == frozenset()


# --- gather() without devices: names, unsupported platforms, refused connections ------------


def test_gather_unknown_device_name_is_an_inventory_error(inv_dir: Path) -> None:
    creds = Credentials(username="u", password="p")
    with pytest.raises(InventoryError, match="no device named no-such-router"):
        gather(inv_dir, creds, ["sw-dinkes", "no-such-router"])


def test_gather_nothing_contacts_no_device(inv_dir: Path) -> None:
    live = gather(inv_dir, Credentials(username="u", password="p"), [])
    assert live.devices == {} and live.unreachable() == []
    assert live.gathered_at.tzinfo is UTC


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_gather_failures_are_data(inv_dir: Path, tmp_path: Path) -> None:
    """Devices that refuse the connection (a vendor platform and OVS): no exception, a reason each."""

    def add_hosts(hosts: dict[str, Any]) -> None:
        hosts["rtr-cisco"] = {"hostname": "127.0.0.1", "port": free_loopback_port(), "platform": "cisco_ios"}
        hosts["sw-gone"] = {"hostname": "127.0.0.1", "port": free_loopback_port(), "groups": ["ovs"]}

    edit_yaml(inv_dir / "hosts.yaml", add_hosts)
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    creds = Credentials(username="u", password="p", known_hosts=known_hosts)
    live = gather(inv_dir, creds, ["rtr-cisco", "sw-gone"], workers=2)
    assert set(live.devices) == {"rtr-cisco", "sw-gone"}
    cisco, gone = live.devices["rtr-cisco"], live.devices["sw-gone"]
    assert (cisco.reachable, cisco.platform) == (False, "cisco_ios") and cisco.error
    assert "no live facts" not in cisco.error
    assert (gone.reachable, gone.platform) == (False, "ovs") and gone.error
    assert live.unreachable() == [f"rtr-cisco: {cisco.error}", f"sw-gone: {gone.error}"]
