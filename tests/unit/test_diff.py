"""The dry-run diff (sipelangi_net.change.diff) against recorded running configs.

Circular tests in the style of hier_config's ``tests/circular``: for every
platform, applying ``commands`` to running gives the intended state, and
applying ``rollback`` to that gives running back. FRR and OVS are applied by
small device simulators written here (independent of hier_config: they model
what vtysh and ovs-vsctl do with each line); Cisco IOS by hier_config's own
``HConfig.future``.
"""

from __future__ import annotations

import json
import shlex
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

import pytest
from hier_config import HConfig, get_hconfig, get_hconfig_driver
from hier_config.models import Platform as HPlatform
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipelangi_net.change.diff import DeviceDiff, diff_device
from sipelangi_net.change.routeros_text import Earlier
from sipelangi_net.errors import ConfigError, DeviceError
from sipelangi_net.platforms import Platform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GERUNGGANG = (FIXTURES / "frr/facts_dist-gerunggang/running-config.txt").read_text()
CORE = (FIXTURES / "frr/show_core-diskominfo/show_running-config.txt").read_text()
DINKES = (FIXTURES / "ovs/facts_sw-dinkes/ports.json").read_text()
IOS = (FIXTURES / "diff/cisco_ios/running-config.txt").read_text()
ROUTEROS = (FIXTURES / "diff/mikrotik_routeros/export.txt").read_text()

OPD_GATEWAY = """\
interface eth1
 description SPL-2026-00001 Dinas Kesehatan
 ip address 10.20.0.1/25
exit
"""


# --- an FRR (vtysh) simulator -----------------------------------------------------------------
# State: top-level line -> its lines (a section) or None (a plain line). Modes follow vtysh:
# a section header enters the section, "exit" leaves it; indentation means nothing to vtysh.

SECTIONS = ("interface ", "router ", "vrf ")
SINGLE_VALUED = ("description ", "hostname ", "bandwidth ")
TOP_LEVEL_ONLY = ("interface ", "ip route ", "no ip route ", "hostname ", "router ")
TOGGLES = ("ip forwarding", "ipv6 forwarding")
"""Shown as "no ..." when off: "no ipv6 forwarding" is a config line, "ipv6 forwarding" the default."""
NOT_CONFIG = ("!", "end", "frr version", "frr defaults", "Building configuration", "Current configuration")

FrrState = dict[str, list[str] | None]


def frr_parse(text: str) -> FrrState:
    state: FrrState = {}
    section: str | None = None
    for line in text.splitlines():
        words = line.strip()
        if words == "exit":
            section = None
        elif not words or words.startswith(NOT_CONFIG):
            continue
        elif line[0].isspace():
            assert section is not None, f"{line!r} outside a section"
            lines = state[section]
            assert lines is not None
            lines.append(words)
        else:
            section = words if words.startswith(SECTIONS) else None
            state[words] = [] if section else None
    return state


def _frr_set(lines: list[str], command: str) -> None:
    """One command on a list of lines (a section's, or the top level's plain lines)."""
    if command.startswith("no ") and command[3:] in TOGGLES:
        lines[:] = [ln for ln in lines if ln != command[3:]] + [command]
        return
    if command.startswith("no "):
        gone = [ln for ln in lines if ln == command[3:] or ln.startswith(command[3:] + " ")]
        assert gone, f"FRR would refuse {command!r}: nothing to remove in {lines}"
        lines[:] = [ln for ln in lines if ln not in gone]
        return
    single = next((key for key in SINGLE_VALUED if command.startswith(key)), None)
    if single:
        lines[:] = [ln for ln in lines if not ln.startswith(single)]
    if f"no {command}" in lines:
        lines.remove(f"no {command}")
    elif command not in lines:
        lines.append(command)


def frr_apply(state: FrrState, commands: tuple[str, ...]) -> FrrState:
    new: FrrState = {k: (list(v) if v is not None else None) for k, v in state.items()}
    section: str | None = None
    for raw in commands:
        command = raw.strip()
        assert command and not command.startswith(NOT_CONFIG), f"{raw!r} is not a config command"
        if command == "exit":
            assert section is not None, "exit outside a section"
            section = None
        elif section is not None:
            assert not command.startswith(TOP_LEVEL_ONLY), f"{command!r} sent inside {section!r}: no exit"
            lines = new[section]
            assert lines is not None
            _frr_set(lines, command)
        elif command.startswith(SECTIONS):
            section = command
            new.setdefault(command, [])
        else:
            assert not command.startswith("no interface "), f"FRR refuses {command!r} (kernel interface)"
            plain = [k for k, v in new.items() if v is None]
            _frr_set(plain, command)
            new = {k: v for k, v in new.items() if v is not None or k in plain}
            new.update(dict.fromkeys((k for k in plain if k not in new), None))
    assert section is None, "the last section is not closed by exit"
    return new


def frr_norm(state: FrrState) -> dict[str, frozenset[str] | None]:
    """Comparable state: line order aside, and an empty interface is no configuration."""
    return {k: (frozenset(v) if v is not None else None) for k, v in state.items() if v is None or v}


def frr_text(state: FrrState) -> str:
    """The state as FRR's ``show running-config`` prints it."""
    out = ["Building configuration...", "", "Current configuration:", "!", "frr version 8.4.4"]
    for top, lines in state.items():
        out += [top] if lines is None else [top, *(f" {ln}" for ln in lines), "exit", "!"]
    return "\n".join([*out, "end", ""])


def assert_frr_circular(running: str, diff: DeviceDiff, expected: FrrState) -> FrrState:
    before = frr_parse(running)
    after = frr_apply(before, diff.commands)
    assert frr_norm(after) == frr_norm(expected)
    assert frr_norm(frr_apply(after, diff.rollback)) == frr_norm(before)
    return after


# --- an OVS (ovs-vsctl) simulator -------------------------------------------------------------

OvsTable = dict[str, tuple[int | None, dict[str, str]]]


def ovs_table(ports_json: str) -> OvsTable:
    doc = json.loads(ports_json)
    table: OvsTable = {}
    for name, tag, ids in doc["data"]:
        table[name] = (tag if isinstance(tag, int) else None, dict(ids[1]))
    return table


def ovs_apply(table: OvsTable, commands: tuple[str, ...]) -> OvsTable:
    new = {name: (tag, dict(ids)) for name, (tag, ids) in table.items()}
    for command in commands:
        match shlex.split(command):
            case ["ovs-vsctl", "set", "port", name, assignment]:
                column, value = assignment.split("=", 1)
                ids = new[name][1]
                if column == "tag":
                    new[name] = (None if value == "[]" else int(value), ids)
                else:
                    assert column.startswith("external_ids:"), command
                    ids[column.removeprefix("external_ids:")] = (
                        json.loads(value) if value[:1] == '"' else value
                    )
            case ["ovs-vsctl", "remove", "port", name, "external_ids", key]:
                del new[name][1][key]
            case _:
                raise AssertionError(f"not an ovs-vsctl command of the diff: {command!r}")
    return new


# --- FRR --------------------------------------------------------------------------------------


def test_opd_gateway_on_dist_gerunggang_gives_exactly_these_lines() -> None:
    diff = diff_device("dist-gerunggang", Platform.FRR, GERUNGGANG, OPD_GATEWAY)
    assert diff == DeviceDiff(
        device="dist-gerunggang",
        platform="frr",
        commands=(
            "interface eth1",
            " description SPL-2026-00001 Dinas Kesehatan",
            " ip address 10.20.0.1/25",
            "exit",
        ),
        rollback=(
            "interface eth1",
            " no ip address 10.20.0.1/25",
            " description ke Dinas Kesehatan (Dinkes)",
            "exit",
        ),
    )
    assert diff.changed
    expected = frr_parse(
        GERUNGGANG.replace(
            " description ke Dinas Kesehatan (Dinkes)\n",
            " description SPL-2026-00001 Dinas Kesehatan\n ip address 10.20.0.1/25\n",
        )
    )
    after = assert_frr_circular(GERUNGGANG, diff, expected)
    again = diff_device("dist-gerunggang", Platform.FRR, frr_text(after), OPD_GATEWAY)
    assert again.commands == () and again.rollback == () and not again.changed


def test_static_route_on_core() -> None:
    snippet = "ip route 10.20.0.0/25 10.255.0.6\n"
    diff = diff_device("core-diskominfo", Platform.FRR, CORE, snippet)
    assert diff.commands == ("ip route 10.20.0.0/25 10.255.0.6",)
    assert diff.rollback == ("no ip route 10.20.0.0/25 10.255.0.6",)
    after = assert_frr_circular(CORE, diff, frr_parse(CORE.replace("!\nend", f"!\n{snippet}end")))
    assert diff_device("core-diskominfo", Platform.FRR, frr_text(after), snippet).commands == ()


def test_the_applied_running_config_needs_nothing_more() -> None:
    snippet = OPD_GATEWAY + "ip route 10.30.0.0/24 10.255.0.5\n"
    first = diff_device("dist-gerunggang", Platform.FRR, GERUNGGANG, snippet)
    applied = GERUNGGANG.replace(
        " description ke Dinas Kesehatan (Dinkes)\n",
        " description SPL-2026-00001 Dinas Kesehatan\n ip address 10.20.0.1/25\n",
    ).replace(
        "ip route 0.0.0.0/0 10.255.0.5\n", "ip route 0.0.0.0/0 10.255.0.5\nip route 10.30.0.0/24 10.255.0.5\n"
    )
    assert first.changed
    assert diff_device("dist-gerunggang", Platform.FRR, applied, snippet) == DeviceDiff(
        "dist-gerunggang", "frr", (), ()
    )


def test_a_different_address_is_removed_before_the_new_one_is_added() -> None:
    snippet = "interface eth0\n ip address 10.255.0.10/30\nexit\n"
    diff = diff_device("dist-gerunggang", Platform.FRR, GERUNGGANG, snippet)
    assert diff.commands == (
        "interface eth0",
        " no ip address 10.255.0.6/30",
        " ip address 10.255.0.10/30",
        "exit",
    )
    assert diff.rollback == (
        "interface eth0",
        " no ip address 10.255.0.10/30",
        " ip address 10.255.0.6/30",
        "exit",
    )
    expected = frr_parse(GERUNGGANG.replace("10.255.0.6/30", "10.255.0.10/30"))
    assert_frr_circular(GERUNGGANG, diff, expected)


def test_merge_replaces_every_address_of_a_redefined_interface_and_touches_nothing_else() -> None:
    running = GERUNGGANG.replace(
        " ip address 10.255.0.6/30\n", " ip address 10.255.0.6/30\n ip address 10.9.9.1/24\n"
    )
    snippet = "interface eth0\n ip address 10.255.0.6/30\n"
    diff = diff_device("dist-gerunggang", Platform.FRR, running, snippet)
    assert diff.commands == ("interface eth0", " no ip address 10.9.9.1/24", "exit")
    assert_frr_circular(running, diff, frr_parse(GERUNGGANG))


def test_replace_removes_extras_but_never_an_interface() -> None:
    intended = (
        GERUNGGANG.replace("ip route 0.0.0.0/0 10.255.0.5\n", "")
        .replace(" description ke Dinas Kesehatan (Dinkes)\n", "")
        .replace("interface eth2\n description ke Kantor Kecamatan Gerunggang\nexit\n", "")
    )
    diff = diff_device("dist-gerunggang", Platform.FRR, GERUNGGANG, intended, scope="replace")
    assert diff.commands == (
        "no ip route 0.0.0.0/0 10.255.0.5",
        "interface eth1",
        " no description",
        "exit",
        "interface eth2",
        " no description",
        "exit",
    )
    assert not any(c.startswith("no interface") for c in diff.commands + diff.rollback)
    assert_frr_circular(GERUNGGANG, diff, frr_parse(intended))


def test_replace_ignores_the_lines_frr_prints_around_the_config() -> None:
    bare = "\n".join(
        ln
        for ln in GERUNGGANG.splitlines()
        if ln.strip() not in ("!", "end", "exit") and not ln.startswith(("frr ", "Building", "Current"))
    )
    assert diff_device("dist-gerunggang", Platform.FRR, GERUNGGANG, bare, scope="replace").commands == ()
    assert (
        diff_device("dist-gerunggang", Platform.FRR, GERUNGGANG, GERUNGGANG, scope="replace").commands == ()
    )


def test_replace_changes_a_description_in_place_and_adds_a_route() -> None:
    intended = GERUNGGANG.replace("(Dinkes)", "(SPL-2026-00002)").replace(
        "!\nend", "!\nip route 10.20.0.0/25 10.255.0.5\nend"
    )
    diff = diff_device("dist-gerunggang", Platform.FRR, GERUNGGANG, intended, scope="replace")
    assert diff.commands == (
        "interface eth1",
        " description ke Dinas Kesehatan (SPL-2026-00002)",
        "exit",
        "ip route 10.20.0.0/25 10.255.0.5",
    )
    assert_frr_circular(GERUNGGANG, diff, frr_parse(intended))


def test_an_empty_interface_section_is_no_change() -> None:
    assert diff_device("dist-gerunggang", Platform.FRR, GERUNGGANG, "interface eth7\nexit\n").commands == ()


def test_a_new_interface_is_filled_and_emptied_never_created_or_deleted() -> None:
    diff = diff_device(
        "dist-gerunggang", Platform.FRR, GERUNGGANG, "interface eth3\n ip address 10.20.3.1/24\n"
    )
    assert diff.commands == ("interface eth3", " ip address 10.20.3.1/24", "exit")
    assert diff.rollback == ("interface eth3", " no ip address 10.20.3.1/24", "exit")


def test_no_interface_in_a_snippet_empties_the_interface() -> None:
    diff = diff_device("dist-gerunggang", Platform.FRR, GERUNGGANG, "no interface eth2\n")
    assert diff.commands == ("interface eth2", " no description", "exit")


def test_hidden_defaults_are_neither_sent_again_nor_removed() -> None:
    intended = GERUNGGANG.replace("no ipv6 forwarding\n", "no ipv6 forwarding\nip forwarding\n").replace(
        " ip address 10.255.0.6/30\n", " ip address 10.255.0.6/30\n no shutdown\n"
    )
    assert diff_device("d", Platform.FRR, GERUNGGANG, intended, scope="replace").commands == ()
    assert diff_device("d", Platform.FRR, intended, GERUNGGANG, scope="replace").commands == ()
    off = GERUNGGANG.replace("no ipv6 forwarding\n", "no ip forwarding\nno ipv6 forwarding\n")
    diff = diff_device("d", Platform.FRR, off, "ip forwarding\n")
    assert diff.commands == ("ip forwarding",)
    assert diff.rollback == ("no ip forwarding",)
    assert_frr_circular(off, diff, frr_parse(GERUNGGANG))


def test_only_section_headers_are_closed_by_exit() -> None:
    snippet = "router-id 10.255.255.3\nrouter bgp 65001\nip route 10.1.0.0/16 10.255.0.5\n"
    diff = diff_device("dist-gerunggang", Platform.FRR, GERUNGGANG, snippet)
    assert diff.commands == (
        "router-id 10.255.255.3",
        "router bgp 65001",
        "exit",
        "ip route 10.1.0.0/16 10.255.0.5",
    )


def test_the_diff_is_deterministic() -> None:
    snippet = OPD_GATEWAY + "ip route 10.30.0.0/24 10.255.0.5\nip route 10.31.0.0/24 10.255.0.5\n"
    runs = {diff_device("d", Platform.FRR, GERUNGGANG, snippet) for _ in range(3)}
    assert len(runs) == 1


# --- FRR: property-based circular test --------------------------------------------------------

DESCRIPTION_WORD = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-().,", min_size=1, max_size=10
)
DESCRIPTION = st.lists(DESCRIPTION_WORD, min_size=1, max_size=4).map(" ".join)


@st.composite
def addresses(draw: st.DrawFn) -> str:
    prefixlen = draw(st.integers(24, 30))
    network = IPv4Network((draw(st.integers(0x0A000000, 0x0AFFFFFF)), prefixlen), strict=False)
    host = draw(st.integers(1, network.num_addresses - 2))
    return str(IPv4Interface((int(network.network_address) + host, prefixlen)))


@st.composite
def routes(draw: st.DrawFn) -> str:
    network = IPv4Network((draw(st.integers(0x0A000000, 0x0AFFFFFF)), draw(st.integers(8, 30))), strict=False)
    nexthop = IPv4Address(draw(st.integers(0x0A000001, 0x0AFFFFFE)))
    return f"ip route {network} {nexthop}"


SnippetModel = tuple[dict[str, tuple[str | None, list[str]]], list[str]]


@st.composite
def snippets(draw: st.DrawFn) -> SnippetModel:
    names = draw(st.lists(st.sampled_from(["eth1", "eth2", "eth3", "eth4"]), unique=True, max_size=4))
    interfaces = {
        name: (draw(st.none() | DESCRIPTION), draw(st.lists(addresses(), unique=True, max_size=2)))
        for name in names
    }
    return interfaces, draw(st.lists(routes(), unique=True, max_size=3))


def snippet_text(model: SnippetModel) -> str:
    interfaces, static = model
    out: list[str] = []
    for name, (description, addrs) in interfaces.items():
        out += [f"interface {name}"]
        out += [f" description {description}"] if description else []
        out += [f" ip address {a}" for a in addrs]
        out += ["exit"]
    return "\n".join([*out, *static, ""])


def merged(running: str, model: SnippetModel) -> FrrState:
    """What the device must run after the merge, computed without hier_config."""
    state = frr_parse(running)
    interfaces, static = model
    for name, (description, addrs) in interfaces.items():
        lines = state.setdefault(f"interface {name}", [])
        assert lines is not None
        if description:
            lines[:] = [ln for ln in lines if not ln.startswith("description ")] + [
                f"description {description}"
            ]
        if addrs:
            lines[:] = [ln for ln in lines if not ln.startswith("ip address ")] + [
                f"ip address {a}" for a in addrs
            ]
    state.update(dict.fromkeys(static, None))
    return state


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(running=st.sampled_from([GERUNGGANG, CORE]), model=snippets())
def test_frr_merge_is_circular_and_idempotent(running: str, model: SnippetModel) -> None:
    snippet = snippet_text(model)
    diff = diff_device("r", Platform.FRR, running, snippet)
    after = assert_frr_circular(running, diff, merged(running, model))
    assert diff_device("r", Platform.FRR, frr_text(after), snippet).commands == ()


@settings(max_examples=100, deadline=None)
@given(model=snippets())
def test_frr_replace_is_circular(model: SnippetModel) -> None:
    intended = frr_text(merged("hostname r\n", model))
    diff = diff_device("r", Platform.FRR, GERUNGGANG, intended, scope="replace")
    expected = frr_parse(intended)
    expected.update({k: [] for k, v in frr_parse(GERUNGGANG).items() if v is not None and k not in expected})
    after = assert_frr_circular(GERUNGGANG, diff, expected)
    assert diff_device("r", Platform.FRR, frr_text(after), intended, scope="replace").commands == ()


# --- OVS --------------------------------------------------------------------------------------


def test_ovs_tag_and_description() -> None:
    intended = "port eth1 tag=100\nport eth1 description=SPL-2026-00001 akses OPD\n"
    diff = diff_device("sw-dinkes", Platform.OVS, DINKES, intended)
    assert diff.commands == (
        "ovs-vsctl set port eth1 tag=100",
        "ovs-vsctl set port eth1 external_ids:description='SPL-2026-00001 akses OPD'",
    )
    assert diff.rollback == (
        "ovs-vsctl set port eth1 external_ids:description='ke pc-dinkes'",
        "ovs-vsctl set port eth1 tag=999",
    )
    before = ovs_table(DINKES)
    after = ovs_apply(before, diff.commands)
    assert after["eth1"] == (100, {"description": "SPL-2026-00001 akses OPD"})
    assert {k: v for k, v in after.items() if k != "eth1"} == {k: v for k, v in before.items() if k != "eth1"}
    assert ovs_apply(after, diff.rollback) == before


def test_ovs_rollback_clears_what_was_not_there() -> None:
    intended = "# uplink to the new OPD\n\nport br0 tag=100\nport br0 description=bridge OPD\n"
    diff = diff_device("sw-dinkes", Platform.OVS, DINKES, intended)
    assert diff.rollback == (
        "ovs-vsctl remove port br0 external_ids description",
        "ovs-vsctl set port br0 'tag=[]'",
    )
    before = ovs_table(DINKES)
    after = ovs_apply(before, diff.commands)
    assert after["br0"] == (100, {"description": "bridge OPD"})
    assert ovs_apply(after, diff.rollback) == before


def test_ovs_second_run_and_unchanged_values_give_no_commands() -> None:
    assert diff_device(
        "sw-dinkes", Platform.OVS, DINKES, "port eth2 tag=999\nport eth2 description=tidak terpakai\n"
    ) == (DeviceDiff("sw-dinkes", "ovs", (), ()))


def test_ovs_replace_is_merge() -> None:
    intended = "port eth3 tag=30\n"
    assert diff_device("s", Platform.OVS, DINKES, intended, scope="replace") == diff_device(
        "s", Platform.OVS, DINKES, intended
    )


OVS_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
)


@settings(max_examples=150, deadline=None)
@given(
    changes=st.dictionaries(
        st.sampled_from(["eth0", "eth1", "eth2", "eth3", "eth4", "br0"]),
        st.tuples(st.none() | st.integers(1, 4094), st.none() | OVS_TEXT.filter(lambda t: t.strip() != "")),
    )
)
def test_ovs_is_circular(changes: dict[str, tuple[int | None, str | None]]) -> None:
    lines = []
    for port, (tag, description) in changes.items():
        lines += [f"port {port} tag={tag}"] if tag is not None else []
        lines += [f"port {port} description={description}"] if description is not None else []
    diff = diff_device("sw-dinkes", Platform.OVS, DINKES, "\n".join(lines))
    before = ovs_table(DINKES)
    after = ovs_apply(before, diff.commands)
    for port, (tag, description) in changes.items():
        old_tag, ids = before[port]
        wanted_ids = {**ids, "description": description.strip()} if description is not None else ids
        assert after[port] == (tag if tag is not None else old_tag, wanted_ids)
    assert ovs_apply(after, diff.rollback) == before
    assert (
        diff_device("sw-dinkes", Platform.OVS, json.dumps(ovs_json(after)), "\n".join(lines)).commands == ()
    )


def ovs_json(table: OvsTable) -> dict[str, object]:
    rows = [
        [n, tag if tag is not None else ["set", []], ["map", sorted(ids.items())]]
        for n, (tag, ids) in table.items()
    ]
    return {"data": rows, "headings": ["name", "tag", "external_ids"]}


def test_ovs_quotes_what_ovsdb_would_misread() -> None:
    diff = diff_device("s", Platform.OVS, DINKES, 'port eth4 description="ruang" server\n')
    assert diff.commands == ('ovs-vsctl set port eth4 external_ids:description=\'"\\"ruang\\" server"\'',)
    assert ovs_apply(ovs_table(DINKES), diff.commands)["eth4"][1] == {"description": '"ruang" server'}


# --- Cisco IOS through hier_config's own driver (apply = HConfig.future) ------------------------

IOS_SNIPPET = """\
ip access-list extended OPD-RANGKUI
 permit udp any any eq bootps
 permit tcp 10.20.1.0 0.0.0.127 host 10.10.10.20 eq 443
 deny ip any any log
interface GigabitEthernet0/1
 description SPL-2026-00003 Kantor Kecamatan Rangkui
 ip address 10.20.1.1 255.255.255.128
 ip access-group OPD-RANGKUI in
 no shutdown
ip route 10.20.1.0 255.255.255.128 10.255.0.13 name SPL-2026-00003
"""


def ios_lines(config: HConfig) -> set[tuple[str, ...]]:
    return {tuple(child.path()) for child in config.all_children()}


def ios_apply(config: HConfig, commands: tuple[str, ...]) -> HConfig:
    return config.future(get_hconfig(config.driver, "\n".join(commands)))


def test_cisco_ios_merge_is_circular() -> None:
    driver = get_hconfig_driver(HPlatform.CISCO_IOS)
    diff = diff_device("dist-rangkui", Platform.CISCO_IOS, IOS, IOS_SNIPPET)
    assert diff.commands[:5] == (
        "ip access-list extended OPD-RANGKUI",
        "  10 permit udp any any eq bootps",
        "  20 permit tcp 10.20.1.0 0.0.0.127 host 10.10.10.20 eq 443",
        "  30 deny ip any any log",
        "  exit",
    )
    assert "  no shutdown" in diff.commands
    running = get_hconfig(driver, IOS)
    after = ios_apply(running, diff.commands)
    assert ios_lines(after) == ios_lines(running.future(get_hconfig(driver, IOS_SNIPPET)))
    assert ios_lines(ios_apply(after, diff.rollback)) == ios_lines(running)
    applied_text = "\n".join([*(c.cisco_style_text() for c in after.all_children_sorted()), "end"])
    assert diff_device("dist-rangkui", Platform.CISCO_IOS, applied_text, IOS_SNIPPET).commands == ()


def test_cisco_ios_replace_is_circular() -> None:
    driver = get_hconfig_driver(HPlatform.CISCO_IOS)
    intended = IOS.replace("ip route 0.0.0.0 0.0.0.0 10.255.0.13\n", "").replace("tidak terpakai", "cadangan")
    diff = diff_device("dist-rangkui", Platform.CISCO_IOS, IOS, intended, scope="replace")
    assert "no ip route 0.0.0.0 0.0.0.0 10.255.0.13" in diff.commands
    running = get_hconfig(driver, IOS)
    after = ios_apply(running, diff.commands)
    assert ios_lines(after) == ios_lines(get_hconfig(driver, intended))
    assert ios_lines(ios_apply(after, diff.rollback)) == ios_lines(running)


# --- other platforms ----------------------------------------------------------------------------


def test_arista_and_junos_restore_a_replaced_description() -> None:
    eos = "hostname e1\ninterface Ethernet1\n   description lama\n   no switchport\nend\n"
    diff = diff_device("e1", Platform.ARISTA_EOS, eos, "interface Ethernet1\n   description baru\n")
    assert diff.commands == ("interface Ethernet1", "  description baru", "  exit")
    assert diff.rollback == ("interface Ethernet1", "  description lama", "  exit")
    junos = 'set system host-name j1\nset interfaces ge-0/0/1 description "lama"\n'
    diff = diff_device("j1", Platform.JUNIPER_JUNOS, junos, 'set interfaces ge-0/0/1 description "baru"\n')
    assert diff.commands == ('set interfaces ge-0/0/1 description "baru"',)
    assert diff.rollback == ('set interfaces ge-0/0/1 description "lama"',)


JUNOS_SWITCH = """set system host-name sw-dinkes
set vlans vlan10 vlan-id 10
set vlans vlan300 vlan-id 300
set interfaces ge-0/0/2 unit 0 family ethernet-switching interface-mode access
set interfaces ge-0/0/2 unit 0 family ethernet-switching vlan members vlan300
set interfaces ge-0/0/3 unit 0 family ethernet-switching interface-mode trunk
set interfaces ge-0/0/3 unit 0 family ethernet-switching vlan members vlan10
set interfaces ge-0/0/4 unit 0 family ethernet-switching interface-mode access
set interfaces ge-0/0/4 unit 0 family ethernet-switching vlan members vlan300
"""
SWITCHING = "set interfaces {} unit 0 family ethernet-switching "


def test_junos_access_port_leaves_the_parking_vlan_and_the_trunk_keeps_its_vlans() -> None:
    snippet = (
        "set vlans OPD-DINKES vlan-id 100\n"
        + "".join(SWITCHING.format(p) + f"{line}\n" for p in ("ge-0/0/2", "ge-0/0/4") for line in (
            "interface-mode access", "vlan members OPD-DINKES"))
        + SWITCHING.format("ge-0/0/3") + "interface-mode trunk\n"
        + SWITCHING.format("ge-0/0/3") + "vlan members OPD-DINKES\n"
    )  # fmt: skip
    diff = diff_device("sw-dinkes", Platform.JUNIPER_JUNOS, JUNOS_SWITCH, snippet)
    assert sorted(diff.commands) == sorted(
        [
            "set vlans OPD-DINKES vlan-id 100",
            "delete " + SWITCHING.format("ge-0/0/2")[4:] + "vlan members vlan300",
            SWITCHING.format("ge-0/0/2") + "vlan members OPD-DINKES",
            "delete " + SWITCHING.format("ge-0/0/4")[4:] + "vlan members vlan300",
            SWITCHING.format("ge-0/0/4") + "vlan members OPD-DINKES",
            SWITCHING.format("ge-0/0/3") + "vlan members OPD-DINKES",  # added to vlan10, not replacing it
        ]
    )
    assert SWITCHING.format("ge-0/0/2") + "vlan members vlan300" in diff.rollback


def test_junos_interface_mode_is_single_valued() -> None:
    snippet = SWITCHING.format("ge-0/0/4") + "interface-mode trunk\n"
    diff = diff_device("sw-dinkes", Platform.JUNIPER_JUNOS, JUNOS_SWITCH, snippet)
    assert diff.commands == (SWITCHING.format("ge-0/0/4") + "interface-mode trunk",)
    assert diff.rollback == (SWITCHING.format("ge-0/0/4") + "interface-mode access",)


EOS_UPLINK = "interface Ethernet48\n   description ke router\n   switchport mode trunk\nend\n"
EOS_ACCESS_UPLINK = (
    "interface Ethernet48\n   description ke router\n"
    "   switchport mode access\n   switchport access vlan 100\n"
)


def test_eos_port_made_an_access_port_leaves_trunk_mode() -> None:
    """EOS never prints ``switchport mode access`` (the default): a trunk port made an access port
    must still lose its trunk mode, and the access port the device then prints has nothing left."""
    diff = diff_device("sw-bappeda", Platform.ARISTA_EOS, EOS_UPLINK, EOS_ACCESS_UPLINK)
    assert diff.commands == (
        "interface Ethernet48",
        "  no switchport mode trunk",
        "  switchport access vlan 100",
        "  exit",
    )
    assert diff.rollback == (
        "interface Ethernet48",
        "  no switchport access vlan 100",
        "  switchport mode trunk",
        "  exit",
    )
    printed = "interface Ethernet48\n   description ke router\n   switchport access vlan 100\nend\n"
    assert diff_device("sw-bappeda", Platform.ARISTA_EOS, printed, EOS_ACCESS_UPLINK).commands == ()


def test_routeros_reads_export_and_one_line_commands_alike() -> None:
    snippet = (
        '/ip address add address=10.20.2.1/25 interface=ether2 comment="SPL-2026-00004"\n'
        "/ip route add dst-address=0.0.0.0/0 gateway=10.255.0.17\n"
        "/system identity set name=dist-girimaya-2\n"
    )
    diff = diff_device("dist-girimaya", Platform.MIKROTIK_ROUTEROS, ROUTEROS, snippet)
    assert diff.commands == (  # as /export prints them: attributes sorted, quotes only where needed
        "/ip address add address=10.20.2.1/25 comment=SPL-2026-00004 interface=ether2",
        "/system identity set name=dist-girimaya-2",
    )
    assert diff.rollback == (
        "/ip address remove [find address=10.20.2.1/25 comment=SPL-2026-00004 interface=ether2]",
        "/system identity set name=dist-girimaya",
    )
    intended = ROUTEROS.replace("add interface=ether2 name=opd-lama vlan-id=20\n", "")
    diff = diff_device("dist-girimaya", Platform.MIKROTIK_ROUTEROS, ROUTEROS, intended, scope="replace")
    assert diff.commands == ("/interface vlan remove [find interface=ether2 name=opd-lama vlan-id=20]",)
    assert diff.rollback == ("/interface vlan add interface=ether2 name=opd-lama vlan-id=20",)


def test_routeros_joins_wrapped_export_lines() -> None:
    snippet = (
        '/ip firewall filter add action=accept chain=forward comment="SPL-2025-00099 akses SIMPEG"'
        " dst-address=10.10.10.20 in-interface=opd-lama\n"
    )
    assert diff_device("dist-girimaya", Platform.MIKROTIK_ROUTEROS, ROUTEROS, snippet).commands == ()


def test_routeros_set_of_a_value_the_export_does_not_show_is_undone_by_the_routers_own_value() -> None:
    diff = diff_device("r", Platform.MIKROTIK_ROUTEROS, ROUTEROS, "/ip dns set servers=10.10.10.53\n")
    assert diff.commands == ("/ip dns set servers=10.10.10.53",)
    assert diff.rollback == ()
    assert diff.earlier == (Earlier("/ip dns", "", "servers"),)


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("running", "intended", "error", "message"),
    [
        (GERUNGGANG, "interface eth1\n description a\x1b[2Jb\n", ConfigError, r"U\+001B .*a\\x1b\[2Jb'"),
        (
            GERUNGGANG,
            "interface eth1\n description a\rno ip route 0.0.0.0/0 10.255.0.5\n",
            ConfigError,
            r"line 2: .*U\+000D",
        ),
        (GERUNGGANG, " ip address 10.0.0.1/24\n", ConfigError, "follows no section header"),
        (GERUNGGANG, "interface eth1\n ip address 10.0.0.1 255.255.255.0\n", ConfigError, "not a netmask"),
        (GERUNGGANG, "interface eth1\n ip address 10.0.0.1/24 secondary\n", ConfigError, "no 'secondary'"),
        (
            GERUNGGANG,
            "ip route 10.0.0.0/8 10.255.0.5\nrouter ospf\n network 10.0.0.0/8 area 0\n no shut\n",
            ConfigError,
            r"FRR's parser .*line 4: % Unknown command: no shut",
        ),
        (GERUNGGANG, b"ip route 10.0.0.0/8 10.255.0.5", ConfigError, "not text"),
        (GERUNGGANG.replace("end\n", ""), OPD_GATEWAY, DeviceError, "no final 'end'"),
        ("% Unknown command: show running-config\nend\n", OPD_GATEWAY, DeviceError, "the device said"),
        ("\x00\x01garbage\x7f", OPD_GATEWAY, DeviceError, "forbidden character"),
        (None, OPD_GATEWAY, DeviceError, "not text"),
    ],
)
def test_frr_bad_input(running: object, intended: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        diff_device("dist-gerunggang", Platform.FRR, running, intended)  # type: ignore[arg-type]


def test_replace_with_an_empty_config_is_refused() -> None:
    with pytest.raises(ConfigError, match="would then remove the whole config"):
        diff_device("d", Platform.FRR, GERUNGGANG, "!\nend\n", scope="replace")


@pytest.mark.parametrize(
    ("intended", "message"),
    [
        ("port eth1 vlan=100\n", "unknown key 'vlan'"),
        ("port eth9 tag=100\n", "no port 'eth9'"),
        ("port eth1 tag=5000\n", "not a VLAN id"),
        ("port eth1 tag=10a\n", "not a VLAN id"),
        ("port eth1 description=   \n", "empty"),
        ("port eth1 tag=100\nport eth1 tag=200\n", "already given on line 1"),
        ("set port eth1 tag=100\n", "is not 'port NAME KEY=VALUE'"),
        ("port eth1 description=a\x1b]0;x\x07\n", r"U\+001B"),
    ],
)
def test_ovs_bad_intended(intended: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        diff_device("sw-dinkes", Platform.OVS, DINKES, intended)


@pytest.mark.parametrize(
    "running",
    ["", "not json", '{"data": [["eth1", "x", ["map", []]]], "headings": ["name", "tag", "external_ids"]}'],
)
def test_ovs_bad_running(running: str) -> None:
    with pytest.raises(DeviceError, match="unexpected answer"):
        diff_device("sw-dinkes", Platform.OVS, running, "port eth1 tag=100\n")


def test_ovs_refuses_a_rollback_that_cannot_carry_the_old_description() -> None:
    running = DINKES.replace("ke pc-dinkes", "ke pc\\u001b[2J")
    with pytest.raises(DeviceError, match="cannot be restored"):
        diff_device("sw-dinkes", Platform.OVS, running, "port eth1 description=baru\n")


def test_bad_platform_and_scope() -> None:
    with pytest.raises(ConfigError, match="no diff for platform"):
        diff_device("d", "vyos", GERUNGGANG, OPD_GATEWAY)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="scope must be one of merge, replace"):
        diff_device("d", Platform.FRR, GERUNGGANG, OPD_GATEWAY, scope="everything")  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    platform=st.sampled_from(list(Platform)),
    text=st.text(max_size=300) | st.sampled_from([GERUNGGANG, DINKES, IOS, ROUTEROS]),
    garbage=st.text(max_size=300),
    scope=st.sampled_from(["merge", "replace"]),
)
def test_garbage_gives_only_our_errors(platform: Platform, text: str, garbage: str, scope: str) -> None:
    for running, intended in ((text, garbage), (garbage, text)):
        try:
            diff = diff_device("d", platform, running, intended, scope=scope)  # type: ignore[arg-type]
        except (ConfigError, DeviceError):
            continue
        assert all(
            isinstance(c, str) and "\n" not in c and "\r" not in c for c in diff.commands + diff.rollback
        )
