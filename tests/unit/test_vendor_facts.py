"""Live facts of Cisco IOS, Arista EOS, Juniper Junos and MikroTik RouterOS, read from real device output.

The answers are ntc-templates' own test fixtures (captured from real devices; see
``tests/fixtures/<platform>/facts/README.md``); the expected values below are read off those files.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sipelangi_net.analysis.facts import MAX_ANSWER, SOURCES, DeviceFacts
from sipelangi_net.analysis.vendor_facts import JUNOS_NO_SWITCHING, TEMPLATES, records, terse_records
from sipelangi_net.errors import DeviceError
from sipelangi_net.platforms import Platform, spec_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VENDORS = (Platform.CISCO_IOS, Platform.ARISTA_EOS, Platform.JUNIPER_JUNOS, Platform.MIKROTIK_ROUTEROS)


def folder(command: str) -> str:
    return command.lstrip("/").replace(" ", "_")


def raw(platform: Platform, command: str, name: str) -> str:
    return (FIXTURES / platform.value / "facts" / folder(command) / name).read_text()


def first_answers(platform: Platform) -> dict[str, str]:
    """Per command, the first fixture of its folder (each folder holds one command's answers)."""
    base = FIXTURES / platform.value / "facts"
    return {c: sorted((base / folder(c)).glob("*.raw"))[0].read_text() for c in SOURCES[platform].commands}


def facts_of(platform: Platform, **files: str) -> DeviceFacts:
    """The facts from the first fixtures, with some commands' answers taken from the named files."""
    answers = first_answers(platform)
    for command in SOURCES[platform].commands:
        name = files.get(folder(command).replace("-", "_"))
        if name is not None:
            answers[command] = raw(platform, command, name)
    return SOURCES[platform].parse("dev-1", answers)


ALL_RAW = sorted((FIXTURES).glob("*/facts/*/*.raw"))


def test_every_platform_has_a_facts_source() -> None:
    assert set(SOURCES) == set(Platform)
    for platform in VENDORS:
        assert SOURCES[platform].commands, platform
        untemplated = spec_for(platform).facts.untemplated
        assert all((platform, c) in TEMPLATES or c in untemplated for c in SOURCES[platform].commands)


def test_fixtures_cover_every_command() -> None:
    for platform in VENDORS:
        for command in SOURCES[platform].commands:
            assert list((FIXTURES / platform.value / "facts" / folder(command)).glob("*.raw")), command


@pytest.mark.parametrize("path", ALL_RAW, ids=lambda p: f"{p.parts[-4]}/{p.parent.name}/{p.name}")
def test_every_public_fixture_is_read(path: Path) -> None:
    platform = Platform(path.parts[-4])
    command = next(c for c in SOURCES[platform].commands if folder(c) == path.parent.name)
    if (platform, command) in TEMPLATES:
        assert records("dev-1", platform, command, path.read_text())
    else:
        assert terse_records("dev-1", command, path.read_text())


# --- Cisco IOS --------------------------------------------------------------------------------


def test_ios_addresses_with_secondaries_and_interfaces_without() -> None:
    facts = facts_of(Platform.CISCO_IOS)
    assert facts.platform == "cisco_ios" and facts.reachable
    assert facts.addresses["GigabitEthernet2/25"] == (IPv4Interface("192.168.102.45/30"),)
    assert facts.addresses["Vlan1"] == (IPv4Interface("192.168.1.1/24"), IPv4Interface("192.168.1.3/24"))
    assert facts.addresses["Tunnel0"] == ()


def test_ios_switchports_access_vlan_or_trunk_with_full_names() -> None:
    facts = facts_of(Platform.CISCO_IOS)
    assert facts.port_vlans["GigabitEthernet0/1"] is None  # trunk
    assert facts.port_vlans["GigabitEthernet0/2"] == 100
    assert facts.port_vlans["GigabitEthernet0/3"] == 101
    assert "Gi0/2" not in facts.port_vlans


def test_ios_descriptions_by_full_name() -> None:
    facts = facts_of(Platform.CISCO_IOS)
    assert facts.descriptions["GigabitEthernet0/1"] == "D3 USER"
    assert facts.descriptions["GigabitEthernet0/10.20"] == "Carrier VLAN"
    assert "GigabitEthernet0/10.10" not in facts.descriptions  # listed without a description


def test_ios_short_names_follow_the_names_the_device_listed() -> None:
    answers = first_answers(Platform.CISCO_IOS)
    answers["show interfaces description"] = (
        "Interface                      Status         Protocol Description\n"
        "Vl1                            up             up       gestion\n"
    )
    facts = SOURCES[Platform.CISCO_IOS].parse("dev-1", answers)
    assert facts.descriptions == {"Vlan1": "gestion"}


def test_ios_static_routes_only() -> None:
    facts = facts_of(Platform.CISCO_IOS)
    assert facts.routes == tuple(map(IPv4Network, ["1.1.1.1/32", "2.2.2.0/24", "12.0.0.0/16"]))
    assert IPv4Network("4.4.0.0/16") not in facts.routes  # OSPF
    assert IPv4Network("10.0.1.0/24") not in facts.routes  # connected ('C'): read from the addresses


# --- Arista EOS -------------------------------------------------------------------------------


def test_eos_addresses_and_descriptions() -> None:
    facts = facts_of(Platform.ARISTA_EOS)
    assert facts.addresses["Ethernet1"] == (IPv4Interface("172.16.1.1/24"),)
    assert facts.addresses["Loopback0"] == (IPv4Interface("1.1.1.1/32"),)
    assert facts.addresses["Ethernet49/1"] == ()
    assert facts.descriptions == {"Ethernet2": "Connects to Ethernet1 on localhost"}


def test_eos_status_access_trunk_routed() -> None:
    facts = facts_of(Platform.ARISTA_EOS)
    assert facts.port_vlans == {
        "Ethernet3/1/1": None,
        "Ethernet3/1/4": 1,
        "Ethernet3/2/1": None,
        "Ethernet3/2/2": 10,
    }  # Et3/2/4 and Et3/2/5 are routed ports


def test_eos_port_channel_members_are_left_to_the_port_channel() -> None:
    facts = facts_of(
        Platform.ARISTA_EOS, show_interfaces_status="arista_eos_show_interfaces_status_port_channel.raw"
    )
    assert "Ethernet49" not in facts.port_vlans
    assert facts.port_vlans["Port-channel49"] is None  # 'Po49', not listed by 'show interfaces' here


def test_eos_static_routes() -> None:
    facts = facts_of(Platform.ARISTA_EOS, show_ip_route="arista_eos_show_ip_route6.raw")
    assert facts.routes == (IPv4Network("0.0.0.0/0"),)
    facts = facts_of(Platform.ARISTA_EOS, show_ip_route="arista_eos_show_ip_route3.raw")
    assert IPv4Network("10.1.26.0/24") in facts.routes


# --- Juniper Junos ----------------------------------------------------------------------------


def test_junos_logical_unit_addresses_and_descriptions() -> None:
    facts = facts_of(Platform.JUNIPER_JUNOS)
    assert facts.addresses["ge-0/0/0.2036"] == (IPv4Interface("10.10.199.180/29"),)
    assert facts.addresses["ge-0/0/0"] == ()
    assert facts.descriptions["ge-0/0/0"] == "Test"


def test_junos_switching_unit_0_is_the_port() -> None:
    facts = facts_of(Platform.JUNIPER_JUNOS)
    assert facts.port_vlans["ge-0/0/2"] == 300  # untagged vlan300
    assert facts.port_vlans["ge-0/0/14"] is None  # tagged vlan100 + vlan200: a trunk
    assert facts.port_vlans["ge-0/0/13"] is None  # 'default' VLAN, no tag shown
    assert facts.vlans() == frozenset({300})


def test_junos_router_without_switching_has_no_switch_ports() -> None:
    answers = first_answers(Platform.JUNIPER_JUNOS)
    answers["show ethernet-switching interfaces"] = f"\n{JUNOS_NO_SWITCHING}\n"
    facts = SOURCES[Platform.JUNIPER_JUNOS].parse("dev-1", answers)
    assert facts.port_vlans == {} and facts.addresses["ge-0/0/0.2036"]


def test_junos_sanitised_addresses_are_refused() -> None:
    with pytest.raises(DeviceError, match="unexpected answer to 'show interfaces': bad interface address"):
        facts_of(Platform.JUNIPER_JUNOS, show_interfaces="juniper_junos_show_interfaces_irb.raw")


# --- MikroTik RouterOS ------------------------------------------------------------------------


def test_routeros_interfaces_addresses_and_names_with_spaces() -> None:
    facts = facts_of(Platform.MIKROTIK_ROUTEROS)
    assert facts.addresses["ether1"] == (IPv4Interface("1.2.3.6/30"),)
    assert facts.addresses["eth2_vlan1"] == (IPv4Interface("192.167.1.5/27"),)
    assert facts.addresses["ether3 UniFi1"] == ()
    assert facts.port_vlans == {"ether1": None}  # its one ethernet bridge port: tagged in VLAN 2 and 12


def test_routeros_bridge_ports_are_the_switch_ports() -> None:
    """A RouterBOARD 2011iL's bridge ports (ig-rudenko/ecstasy) with the bridge VLAN table of
    MikroTik's manual: every enabled ethernet bridge port by its pvid, a tagged one a trunk."""
    facts = facts_of(
        Platform.MIKROTIK_ROUTEROS,
        interface_print_terse_without_paging="routeros_2011iL_ecstasy.raw",
        interface_bridge_port_print_terse_without_paging="ecstasy_2011iL.raw",
    )
    assert facts.port_vlans == {
        "ether1": None,  # tagged in VLANs 2 and 12: the uplink trunk
        **{f"ether{n}": 1 for n in (2, 3, 4, 5, 7, 9, 10)},  # ether7 and ether2: inactive, still free
        "ether6_to_CAM_PZK": 1,
        "ether8_to_pzk5ghz": 1,
    }  # not 'mgmt' (disabled), nor the bridged VLAN interfaces 'inet', 'vlan1233', nor '*14'
    assert facts.descriptions["ether1"] == "Uplink"
    assert facts.descriptions["ether4"] == "L2VPN|Miranda| Arhipelag|1G|"  # unquoted, with a space
    assert facts.vlans() == {1}


def test_routeros_terse_items_flags_and_quoted_values() -> None:
    rows = terse_records(
        "dev-1",
        "/interface bridge port print terse",
        raw(
            Platform.MIKROTIK_ROUTEROS,
            "/interface bridge port print terse without-paging",
            "ecstasy_2011iL.raw",
        ),
    )
    assert len(rows) == 15
    assert rows[1]["flags"] == "XI" and rows[1]["interface"] == "mgmt"
    assert rows[5]["flags"] == "IH" and rows[5]["frame-types"] == "admit-all"
    vlans = terse_records(
        "dev-1",
        "/interface bridge vlan print terse",
        raw(
            Platform.MIKROTIK_ROUTEROS,
            "/interface bridge vlan print terse without-paging",
            "mikrotik_manual_dot1x.raw",
        ),
    )
    assert [(r["flags"], r["vlan-ids"], r["tagged"]) for r in vlans] == [
        ("D", "1", ""),
        ("", "2", "ether1"),
        ("", "12", "ether1"),
    ]


def parse_routeros_with(files: Mapping[str, str], command: str, answer: str) -> DeviceFacts:
    """RouterOS facts from the fixtures (``files``: as in :func:`facts_of`), ``command`` saying ``answer``."""
    answers = first_answers(Platform.MIKROTIK_ROUTEROS)
    for name, file in files.items():
        cmd = next(c for c in answers if folder(c).replace("-", "_") == name)
        answers[cmd] = raw(Platform.MIKROTIK_ROUTEROS, cmd, file)
    return SOURCES[Platform.MIKROTIK_ROUTEROS].parse("dev-1", {**answers, command: answer})


def edit_line(text: str, marker: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced by ``new`` in the one line holding ``marker``."""
    lines = text.splitlines()
    (at,) = [n for n, line in enumerate(lines) if marker in line]
    lines[at] = lines[at].replace(old, new)
    return "\n".join(lines) + "\n"


def test_routeros_tagged_only_bridge_port_is_a_trunk_and_bad_pvids_are_refused() -> None:
    command = "/interface bridge port print terse without-paging"
    answer = raw(Platform.MIKROTIK_ROUTEROS, command, "ecstasy_2011iL.raw")
    files = {"interface_print_terse_without_paging": "routeros_2011iL_ecstasy.raw"}
    trunk = edit_line(
        answer, "interface=ether10 ", "frame-types=admit-all", "frame-types=admit-only-vlan-tagged"
    )
    assert parse_routeros_with(files, command, trunk).port_vlans["ether10"] is None
    bad = edit_line(answer, "interface=ether9 ", "pvid=1", "pvid=0")
    with pytest.raises(DeviceError, match=f"unexpected answer to '{command}': port 'ether9': bad VLAN '0'"):
        parse_routeros_with(files, command, bad)
    with pytest.raises(DeviceError, match=f"unexpected answer to '{command}': line 2 is not a RouterOS"):
        parse_routeros_with(files, command, answer.replace(" 1 XI ", " 1 xi ", 1))


def test_routeros_bad_vlan_list_is_refused() -> None:
    command = "/interface bridge vlan print terse without-paging"
    with pytest.raises(DeviceError, match=f"unexpected answer to '{command}': bad VLAN list '1-5000'"):
        parse_routeros_with({}, command, " 0   bridge=bridge1 vlan-ids=1-5000 tagged=ether1\n")


def test_routeros_vlan_on_its_parent_is_the_vlan_interface() -> None:
    facts = facts_of(Platform.MIKROTIK_ROUTEROS, ip_address_print="mikrotik_routeros_ip_address_print_3.raw")
    assert facts.addresses["vlan11"] == (IPv4Interface("1.1.1.26/30"),)
    assert not any("@" in name for name in facts.addresses)


def test_routeros_static_routes_not_dynamic_nor_ipv6() -> None:
    facts = facts_of(Platform.MIKROTIK_ROUTEROS)
    assert facts.routes == (IPv4Network("0.0.0.0/0"), IPv4Network("10.199.199.75/32"))
    assert IPv4Network("192.168.1.0/24") not in facts.routes  # 'ADC': connected
    facts = facts_of(
        Platform.MIKROTIK_ROUTEROS, ip_route_print_terse="mikrotik_routeros_ip_route_print_terseIPv6.raw"
    )
    assert facts.routes == ()


# --- odd and hostile answers ------------------------------------------------------------------

ERRORS = {
    Platform.CISCO_IOS: "% Invalid input detected at '^' marker.",
    Platform.ARISTA_EOS: "% Invalid input",
    Platform.JUNIPER_JUNOS: "error: syntax error, expecting <command>: interfacez",
    Platform.MIKROTIK_ROUTEROS: "bad command name print (line 1 column 12)",
}
CASES = [(p, c) for p in VENDORS for c in SOURCES[p].commands]


def parse_with(platform: Platform, command: str, answer: object) -> DeviceFacts:
    answers: Mapping[str, object] = {**first_answers(platform), command: answer}
    return SOURCES[platform].parse("dist-gerunggang", answers)  # type: ignore[arg-type]


@pytest.mark.parametrize(("platform", "command"), CASES, ids=str)
def test_the_device_refusing_a_command_is_a_device_error(platform: Platform, command: str) -> None:
    with pytest.raises(
        DeviceError, match=f"unexpected answer to '{command}': line 2: the device said"
    ) as info:
        parse_with(platform, command, f"\n{ERRORS[platform]}\n")
    assert info.value.host == "dist-gerunggang"


@pytest.mark.parametrize(("platform", "command"), CASES, ids=str)
@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            "\x1b[31m\x00garbage \xff\n" * 3,
            "not readable by ntc-templates|no 'Codes:'|not a RouterOS terse item",
        ),
        (b"bytes", "not text but bytes"),
        ("x" * (MAX_ANSWER + 1), "more than"),
    ],
    ids=["garbage", "bytes", "oversize"],
)
def test_garbage_is_a_device_error(platform: Platform, command: str, answer: object, reason: str) -> None:
    with pytest.raises(DeviceError, match=f"unexpected answer to '{command}'") as info:
        parse_with(platform, command, answer)
    assert re.search(reason, str(info.value))
    assert "\x00" not in str(info.value) and "\x1b" not in str(info.value)
    assert len(str(info.value)) < 300


def test_ios_route_answer_without_its_header_is_refused() -> None:
    """The IOS route template skips lines it does not know: the answer must hold the RIB's header."""
    with pytest.raises(DeviceError, match="no 'Codes:' or 'Gateway of last resort' line"):
        parse_with(Platform.CISCO_IOS, "show ip route", "garbage\x00\n" * 3)
    assert parse_with(Platform.CISCO_IOS, "show ip route", "\n").routes == ()


@pytest.mark.parametrize(
    ("platform", "command", "answer", "reason"),
    [
        (
            Platform.CISCO_IOS,
            "show interfaces switchport",
            "Name: Gi0/9\nSwitchport: Enabled\nAdministrative Mode: static access\n"
            "Operational Mode: static access\nAccess Mode VLAN: 5000 (VLAN5000)\n",
            "port 'GigabitEthernet0/9': bad VLAN '5000'",
        ),
        (
            Platform.ARISTA_EOS,
            "show interfaces status",
            "Port       Name   Status       Vlan     Duplex Speed  Type\n"
            "Et9               connected    4095     full   10G    10GBASE-T\n",
            "port 'Ethernet9': bad VLAN '4095'",
        ),
        (
            Platform.MIKROTIK_ROUTEROS,
            "/ip address print",
            "Flags: X - disabled, I - invalid, D - dynamic\n"
            " #   ADDRESS            NETWORK         INTERFACE\n"
            " 0   10.0.0.300/24      10.0.0.0        ether1\n",
            "bad interface address",
        ),
    ],
)
def test_bad_values_are_device_errors(platform: Platform, command: str, answer: str, reason: str) -> None:
    with pytest.raises(DeviceError, match=f"unexpected answer to '{command}'") as info:
        parse_with(platform, command, answer)
    assert reason in str(info.value)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(CASES),
    st.text(
        alphabet=st.sampled_from(list(" \n\r%/.:=;#-abcdeilnoprstuvxyzSDAGE0123456789\x00\x1b")), max_size=200
    ),
)
def test_parsers_only_raise_device_error(case: tuple[Platform, str], text: str) -> None:
    platform, command = case
    with contextlib.suppress(DeviceError):
        parse_with(platform, command, text)
