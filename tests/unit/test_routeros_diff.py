"""RouterOS: the rendered templates diffed against real ``/export`` output, round trips through a
model of the router, and the undo a router runs by itself.

The running configs are real exports (tests/fixtures/diff/mikrotik_routeros/SOURCE.md); the
intended texts are rendered from templates/mikrotik_routeros/opd.j2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.change.diff import diff_device
from sipelangi_net.change.opd_context import opd_context
from sipelangi_net.change.push import config_digest
from sipelangi_net.change.render import render
from sipelangi_net.change.routeros_text import (
    Earlier,
    apply_commands,
    canonical_item,
    canonical_lines,
    earlier_values,
    menu_order,
    undo_commands,
    unshown,
    with_earlier,
)
from sipelangi_net.errors import ConfigError
from sipelangi_net.platforms import Platform

ROS = Platform.MIKROTIK_ROUTEROS
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REAL = FIXTURES / "diff" / "mikrotik_routeros"
GATEWAY = (
    FIXTURES / "mikrotik_routeros" / "render_opd_mikrotik_routeros" / "dist-gerunggang.txt"
).read_text()
SWITCH_EXPORT = (REAL / "real-7.5-switch.export.txt").read_text()
BRIDGE_PORT = (
    '/interface bridge port add bridge=bridge1 comment="SPL-2026-00001 akses OPD" interface=ether4 pvid=100'
)
BRIDGE_VLAN = (
    "/interface bridge vlan add bridge=bridge1 comment=SPL-2026-00001 tagged=ether1 untagged=ether4"
    " vlan-ids=100"
)
ROUTERS = ("real-7.16-chr.export.txt", "real-6.49-rb941.export.txt", "export.txt")


def model(text: str) -> str:
    """What a router runs, as the model prints it (empty menus left out)."""
    return apply_commands(text, [])


def switch_snippet() -> str:
    """The access-switch part of opd.j2 for the real switch: OPD VLAN 100 on its free port ether4
    (a bridge member without pvid), uplink ether1, on its bridge ``bridge1``."""
    import tests.replay.test_render_golden as golden  # the Dinkes plan (needs tests/unit on sys.path)

    ports: list[Any] = [
        p.model_copy(update={"port": name})
        for p, name in zip(
            (p for p in golden.PLAN.ports if p.device == "sw-dinkes"), ("ether1", "ether4"), strict=False
        )
    ]
    return render(
        "mikrotik_routeros/opd.j2",
        plan=golden.PLAN,
        device="sw-dinkes",
        ports=ports,
        routes=[],
        dns_servers=[],
        ntp_servers=[],
        bridge="bridge1",
        **opd_context(golden.PLAN, golden.inventory_as(ROS, ROS)),  # a RouterOS pair: tagged uplink
    )


# --- reading ------------------------------------------------------------------------------------


def test_export_and_command_forms_of_one_item_read_alike() -> None:
    export = '/ip firewall filter\nadd action=accept chain=forward comment="SPL-1 dns" \\\n    dst-port=53\n'
    command = (
        '/ip/firewall/filter add dst-port=53 comment="SPL-1 dns" chain=forward action=accept disabled=no\n'
    )
    assert canonical_lines(export) == canonical_lines(command)
    assert canonical_item('add comment="SPL-1" name=x') == "add comment=SPL-1 name=x"
    assert (
        canonical_item("set [find  default-name=ether1] b=2 a=1")
        == "set [ find default-name=ether1 ] a=1 b=2"
    )


def test_a_value_wrapped_inside_its_quotes_is_joined() -> None:
    lines = canonical_lines((REAL / "real-6.49-rb941.export.txt").read_text())
    assert (
        "    add name=helpdesk-l3 policy=local,telnet,ssh,reboot,read,write,test,winbox,password,web,"
        "sniff,sensitive,api,romon,tikapp,!ftp,!policy,!dude"  # quotes only where needed
    ) in lines


def test_lines_of_one_menu_given_twice_are_one_menu() -> None:
    text = (
        "/ip route add dst-address=10.1.0.0/24 gateway=10.0.0.1\n"
        "/ip route add dst-address=10.2.0.0/24 gateway=10.0.0.1\n"
    )
    assert canonical_lines(text) == [
        "/ip route",
        "    add dst-address=10.1.0.0/24 gateway=10.0.0.1",
        "    add dst-address=10.2.0.0/24 gateway=10.0.0.1",
    ]


def test_a_named_item_printed_twice_is_the_one_item_the_router_holds() -> None:
    """RouterOS 7.6 and 7.11 exported ``/routing id add ... name=OSPF_ID`` twice; its name is the
    reference other menus use (``router-id=OSPF_ID``), so the router holds one item of it."""
    item = 'add id=172.16.0.1 name=OSPF_ID select-dynamic-id=""'
    twice = f"/routing id\n{item}\n{item}\n/routing ospf instance\nadd name=ospf-1 router-id=OSPF_ID\n"
    once = f"/routing id\n{item}\n/routing ospf instance\nadd name=ospf-1 router-id=OSPF_ID\n"
    assert canonical_lines(twice) == canonical_lines(once)
    assert diff_device("r", ROS, twice, once, scope="replace").commands == ()
    assert diff_device("r", ROS, once, twice, scope="replace").commands == ()
    other = twice.replace("id=172.16.0.1 name", "id=172.16.0.2 name", 1)
    with pytest.raises(ConfigError, match="two items named OSPF_ID"):
        diff_device("r", ROS, once, other, scope="replace")
    # an item without a name stays an item each time it is given (two identical firewall rules)
    rule = "/ip firewall filter\nadd action=accept chain=input\nadd action=accept chain=input\n"
    assert len(canonical_lines(rule)) == 3


def test_menu_order_keeps_dependencies_first() -> None:
    # the template's order leads: a menu only the router has stays before what follows it there
    order = menu_order(["/interface vlan", "/ip address", "/ip pool"], ["/ip pool", "/port", "/ip address"])
    assert order.index("/interface vlan") < order.index("/ip address")
    assert order.index("/port") < order.index("/ip address")


# --- the gateway template against real routers ---------------------------------------------------


@pytest.mark.parametrize("export", ROUTERS)
def test_gateway_round_trip_on_real_exports(export: str) -> None:
    running = (REAL / export).read_text()
    diff = diff_device("dist-gerunggang", ROS, running, GATEWAY)
    assert diff.commands[0].startswith("/interface vlan add ")  # the VLAN interface before its address
    after = apply_commands(running, diff.commands)
    assert diff_device("dist-gerunggang", ROS, after, GATEWAY).commands == ()  # the post-push check passes
    assert model(apply_commands(after, diff.rollback)) == model(running)  # the rollback restores it
    assert undo_commands(running, diff.commands) == list(diff.rollback)  # the router's own undo agrees
    assert diff.rollback[-1].startswith("/interface vlan remove ")  # the VLAN interface removed last


def test_what_export_prints_after_the_push_passes_the_check() -> None:
    """/export prints an item in its own order and quoting; the diff reads it as the template's line."""
    running = (REAL / "real-7.16-chr.export.txt").read_text()
    printed = running + (
        "/ip firewall filter\n"
        'add action=accept chain=forward comment="SPL-2026-00001 simpeg" dst-address=\\\n'
        "    10.10.10.10 dst-port=8001 in-interface=opd-dinkes protocol=tcp\n"
    )
    rule = next(ln for ln in GATEWAY.splitlines() if "simpeg" in ln)
    assert diff_device("r", ROS, printed, rule).commands == ()
    wrong = printed.replace("dst-port=8001", "dst-port=8009")
    menu, item = canonical_lines(rule)
    assert diff_device("r", ROS, wrong, rule).commands == (f"{menu} {item.strip()}",)


def test_disabled_no_is_the_default_not_a_difference() -> None:
    running = (REAL / "real-6.49-rb941.export.txt").read_text()
    snippet = (
        "/ip dhcp-server add address-pool=pool-dhcp-lan interface=bridge-lan lease-time=1d name=server-lan\n"
    )
    assert diff_device("gw", ROS, running, snippet).commands == ()


def test_compliance_replace_of_a_real_export_by_itself_is_empty() -> None:
    for export in ROUTERS:
        running = (REAL / export).read_text()
        assert diff_device("r", ROS, running, running, scope="replace").commands == ()


# --- the access-switch template against a real switch -------------------------------------------


def test_access_switch_template_renders_bridge_vlan_filtering() -> None:
    text = switch_snippet()
    assert text.splitlines() == [BRIDGE_PORT, BRIDGE_VLAN]


def test_access_switch_round_trip_on_a_real_switch() -> None:
    diff = diff_device("sw", ROS, SWITCH_EXPORT, switch_snippet())
    # the free port is a bridge member already: removed and added again with its pvid
    removed = "/interface bridge port remove [find bridge=bridge1 interface=ether4]"
    assert diff.commands == (removed, BRIDGE_PORT, BRIDGE_VLAN)
    after = apply_commands(SWITCH_EXPORT, diff.commands)
    assert diff_device("sw", ROS, after, switch_snippet()).commands == ()
    assert model(apply_commands(after, diff.rollback)) == model(SWITCH_EXPORT)
    assert undo_commands(SWITCH_EXPORT, diff.commands) == list(diff.rollback)


# --- undo ---------------------------------------------------------------------------------------


def test_undo_of_a_set_restores_the_earlier_value() -> None:
    running = (REAL / "real-7.16-chr.export.txt").read_text()
    commands = ["/ip dns set servers=10.10.10.53"]
    undo = undo_commands(running, commands)
    assert undo == ["/ip dns set servers=1.1.1.1"]
    assert model(apply_commands(apply_commands(running, commands), undo)) == model(running)


def test_undo_of_a_set_without_earlier_value_is_refused() -> None:
    running = (REAL / "real-7.16-chr.export.txt").read_text()
    with pytest.raises(ValueError, match="no earlier value"):
        undo_commands(running, ["/ip dns set allow-remote-requests=yes"])
    with pytest.raises(ValueError, match="no model for the command"):
        undo_commands(running, ["/ip route move 1 0"])
    with pytest.raises(ValueError, match="is not '/menu verb"):
        undo_commands(running, ["/system reboot"])


def test_a_set_is_compared_per_property_and_its_unshown_earlier_value_named() -> None:
    """A ``set`` changes the properties it names: the undo gives the earlier values back, those
    the export shows by command, the others as the router's own value (:class:`Earlier`)."""
    running = "/ip dns\nset allow-remote-requests=yes servers=1.1.1.1\n"
    intended = "/ip dns\nset allow-remote-requests=yes cache-size=4096KiB servers=10.10.10.53\n"
    diff = diff_device("r", ROS, running, intended, scope="replace")
    assert diff.commands == ("/ip dns set cache-size=4096KiB servers=10.10.10.53",)
    assert diff.rollback == ("/ip dns set servers=1.1.1.1",)
    assert diff.earlier == (Earlier("/ip dns", "", "cache-size"),)
    after = apply_commands(running, diff.commands)
    assert model(after) == model(intended)
    assert model(apply_commands(after, [*diff.rollback, *diff.earlier])) == model(running)
    merged = diff_device("r", ROS, running, "/ip dns set servers=10.10.10.53\n", scope="merge")
    assert merged.commands == ("/ip dns set servers=10.10.10.53",)


def test_a_property_left_to_its_unshown_default_is_unset_and_its_undo_is_the_running_value() -> None:
    """The running export sets a property the intended (whole) config does not show (its default):
    the diff unsets it (``!key``, MikroTik's manual), the undo gives the running value back, and
    the model's export no longer shows it."""
    running = "/ip dns\nset allow-remote-requests=yes servers=1.1.1.1\n"
    intended = "/ip dns\nset servers=1.1.1.1\n"
    diff = diff_device("r", ROS, running, intended, scope="replace")
    assert diff.commands == ("/ip dns set !allow-remote-requests",)
    assert diff.rollback == ("/ip dns set allow-remote-requests=yes",)
    assert diff.earlier == ()
    after = apply_commands(running, diff.commands)
    assert model(after) == model(intended)
    assert diff_device("r", ROS, after, intended, scope="replace").commands == ()
    assert model(apply_commands(after, diff.rollback)) == model(running)
    assert undo_commands(running, diff.commands) == ["/ip dns set allow-remote-requests=yes"]


def test_an_unset_and_a_new_value_of_one_item_are_one_set() -> None:
    running = "/ip dns\nset allow-remote-requests=yes servers=1.1.1.1\n"
    diff = diff_device("r", ROS, running, "/ip dns\nset servers=9.9.9.9\n", scope="replace")
    assert diff.commands == ("/ip dns set servers=9.9.9.9 !allow-remote-requests",)
    assert diff.rollback == ("/ip dns set allow-remote-requests=yes servers=1.1.1.1",)
    assert canonical_lines("/ip dns set !b a=1")[1].strip() == "set a=1 !b"


def test_an_ethernet_name_goes_back_to_its_default_name() -> None:
    """An ethernet's unshown name is its ``default-name`` (the item says it): set by value."""
    item = "[ find default-name=ether1 ]"
    running = f"/ip dns\nset servers=1.1.1.1\n/interface ethernet\nset {item} name=ether1-wan\n"
    diff = diff_device("r", ROS, running, "/ip dns\nset servers=1.1.1.1\n", scope="replace")
    assert f"/interface ethernet set {item} name=ether1" in diff.commands
    after = apply_commands(running, diff.commands)
    assert "/interface ethernet" not in after
    assert model(apply_commands(after, diff.rollback)) == model(running)


def test_a_property_that_cannot_be_unset_is_refused_naming_it() -> None:
    """A wireless interface needs its ssid (community.routeros marks it required): not unset."""
    running = "/interface wireless\nset [ find default-name=wlan1 ] ssid=GW-2\n/ip dns\nset servers=1.1.1.1\n"
    with pytest.raises(ConfigError, match=r"wlan1 \] ssid' back to its default.*the interface needs one"):
        diff_device("r", ROS, running, "/ip dns\nset servers=1.1.1.1\n", scope="replace")


TEMPLATE = "/routing ospf interface-template\nadd area=backbone interfaces=ether1\n"
TWICE = TEMPLATE + "add area=backbone interfaces=ether1\n"
OTHER = "/ip dns\nset servers=1.1.1.1\n"


def test_an_unnamed_item_printed_twice_is_two_items() -> None:
    """An export prints each item once: two identical lines of an unnamed item are two items.
    Added twice; removed all by one ``remove [find ...]``; the undo the same way."""
    added = diff_device("r", ROS, OTHER, OTHER + TWICE, scope="replace")
    line = "/routing ospf interface-template add area=backbone interfaces=ether1"
    assert added.commands == (line, line)
    after = apply_commands(OTHER, added.commands)
    assert model(after) == model(OTHER + TWICE)
    assert diff_device("r", ROS, after, OTHER + TWICE, scope="replace").commands == ()
    gone = "/routing ospf interface-template remove [find area=backbone interfaces=ether1]"
    assert added.rollback == (gone,)
    assert model(apply_commands(after, added.rollback)) == model(OTHER)
    removed = diff_device("r", ROS, OTHER + TWICE, OTHER, scope="replace")
    assert removed.commands == (gone,)
    assert removed.rollback == (line, line)
    one_more = diff_device("r", ROS, OTHER + TEMPLATE, OTHER + TWICE, scope="replace")
    assert one_more.commands == (line,)


def test_removing_some_of_identical_items_removes_them_all_and_adds_back_the_rest() -> None:
    """No command selects one of identical items: keeping one of two is removing both and adding
    one back; the undo of adding a second copy is the same."""
    line = "/routing ospf interface-template add area=backbone interfaces=ether1"
    gone = "/routing ospf interface-template remove [find area=backbone interfaces=ether1]"
    fewer = diff_device("r", ROS, OTHER + TWICE, OTHER + TEMPLATE, scope="replace")
    assert fewer.commands == (gone, line)
    assert fewer.rollback == (line,)
    after = apply_commands(OTHER + TWICE, fewer.commands)
    assert model(after) == model(OTHER + TEMPLATE)
    assert model(apply_commands(after, fewer.rollback)) == model(OTHER + TWICE)
    more = diff_device("r", ROS, OTHER + TEMPLATE, OTHER + TWICE, scope="replace")
    assert more.rollback == (gone, line)


def test_a_removal_that_also_selects_a_kept_item_adds_it_back() -> None:
    """``remove [find area=backbone interfaces=ether1]`` removes ``... type=ptp`` too (RouterOS's
    ``find`` selects every item with those values): the kept item is added back after it."""
    kept = "add area=backbone interfaces=ether1 type=ptp\n"
    running = OTHER + "/routing ospf interface-template\nadd area=backbone interfaces=ether1\n" + kept
    intended = OTHER + "/routing ospf interface-template\n" + kept
    diff = diff_device("r", ROS, running, intended, scope="replace")
    assert diff.commands == (
        "/routing ospf interface-template remove [find area=backbone interfaces=ether1]",
        "/routing ospf interface-template add area=backbone interfaces=ether1 type=ptp",
    )
    after = apply_commands(running, diff.commands)
    assert model(after) == model(intended)
    restored = apply_commands(after, diff.rollback)  # the item order is not modelled
    assert sorted(model(restored).splitlines()) == sorted(model(running).splitlines())


def test_the_earlier_value_is_read_from_the_menus_verbose_export() -> None:
    """``/interface ethernet export verbose`` prints every property (wrapped lines), defaults included."""
    item = "[ find default-name=ether1 ]"
    verbose = (
        "# by RouterOS 7.14.3\n/interface ethernet\n"
        f"set {item} advertise=10M-baseT-half,10M-baseT-full \\\n"
        "    arp=enabled disable-running-check=yes \\\n"
        "    l2mtu=1514 mtu=1500 name=ether1\n"
        "set [ find default-name=ether2 ] disable-running-check=yes name=ether2\n"
    )
    wanted = Earlier("/interface ethernet", item, "disable-running-check")
    assert wanted.read_command() == "/interface ethernet export verbose"
    assert earlier_values([wanted], {"/interface ethernet": verbose}) == {wanted: "yes"}
    assert wanted.restore("yes") == f"/interface ethernet set {item} disable-running-check=yes"
    with pytest.raises(KeyError, match="rx-flow-control"):
        earlier_values(
            [Earlier("/interface ethernet", item, "rx-flow-control")], {"/interface ethernet": verbose}
        )


def test_an_earlier_value_restored_in_the_model_is_no_longer_shown() -> None:
    item = "[ find default-name=ether1 ]"
    running = f"/interface ethernet\nset {item} name=wan\n"
    after = apply_commands(running, [f"/interface ethernet set {item} disable-running-check=no"])
    assert "disable-running-check=no" in after
    assert unshown(running, [f"/interface ethernet set {item} disable-running-check=no name=lan"]) == [
        Earlier("/interface ethernet", item, "disable-running-check")
    ]
    restored = apply_commands(after, [Earlier("/interface ethernet", item, "disable-running-check")])
    assert model(restored) == model(running)
    known = with_earlier(running, {Earlier("/interface ethernet", item, "disable-running-check"): "yes"})
    undo = undo_commands(known, [f"/interface ethernet set {item} disable-running-check=no"])
    assert undo == [f"/interface ethernet set {item} disable-running-check=yes"]


def test_an_export_read_again_has_the_same_digest() -> None:
    """/export's first line carries the time it was taken: a rollback compared with its backup,
    and an approved change set with the router, must not differ by it."""
    first = (REAL / "real-7.16-chr.export.txt").read_text()
    again = first.replace("# 2025-05-06 06:34:50 by", "# 2025-05-06 06:41:07 by")
    assert config_digest(ROS, first) == config_digest(ROS, again)
    changed = first.replace("servers=1.1.1.1", "servers=10.10.10.53")
    assert config_digest(ROS, first) != config_digest(ROS, changed)
