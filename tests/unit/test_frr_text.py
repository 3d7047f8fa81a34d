"""FRR text in the form FRR prints it, safe negations and input as people write it (issue 18,
items 1-3): sipelangi_net.change.frr_text and the FRR rows of sipelangi_net.change.diff.

The per-daemon files are FRR's own topotest configs (tests/fixtures/frr_corpus/SOURCE.md);
every text goes through the real ``vtysh -m`` and frr-reload.py of the machine.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sipelangi_net.change.diff import diff_device
from sipelangi_net.change.frr_text import canonical_lines
from sipelangi_net.compliance.compare import check_device
from sipelangi_net.errors import ConfigError, DeviceError
from sipelangi_net.platforms import Platform, spec_for

CORPUS = Path(__file__).parents[1] / "fixtures" / "frr_corpus"
STARTUP = CORPUS / "all_protocol_startup"
DAEMON_FILES = "".join((STARTUP / name).read_text() for name in ("zebra.conf", "ospfd.conf", "bgpd.conf"))
TE = "".join((CORPUS / "ospf_te_topo1" / name).read_text() for name in ("zebra.conf", "ospfd.conf"))
NORMALISE = spec_for(Platform.FRR).diff.normalise
HEADER = (
    "Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\nfrr defaults traditional\n"
)


def canonical(text: str) -> list[str]:
    assert NORMALISE is not None

    def fail(why: str) -> Exception:
        return ConfigError(why)

    return canonical_lines(NORMALISE, text.split("\n"), fail)


def running(body: str) -> str:
    """``body`` as FRR's ``show running-config`` answer."""
    return f"{HEADER}{body}!\nend\n"


def section(lines: list[str], header: str) -> list[str]:
    """The lines of the section ``header`` (as written: its indentation), without indentation."""
    start = lines.index(header)
    deeper = " " * (len(header) - len(header.lstrip()) + 1)
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(deeper)), len(lines))
    return [line.strip() for line in lines[start + 1 : end]]


# --- 1. compared in the form FRR prints -------------------------------------------------------


def test_per_daemon_files_are_merged_as_frr_merges_them() -> None:
    lines = canonical(DAEMON_FILES)
    assert lines.count("interface r1-eth0") == 1
    assert section(lines, "interface r1-eth0") == [
        "description to sw0 - no routing protocol",
        "ip address 192.168.0.1/24",
        "ipv6 address fc00::1/64",  # written fc00:0:0:0::1/64, printed compressed
        "ip ospf hello-interval 1",  # from ospfd.conf
        "ip ospf dead-interval 5",
    ]
    assert lines.count("route-map LIES deny 10") == 1  # in all three files
    assert section(lines, "route-map LIES deny 10") == ["match interface notpresent"]
    assert "line vty" not in lines  # empty: FRR does not print it
    assert lines.count("hostname r1") == 1


def test_static_routes_in_the_form_staticd_prints_them() -> None:
    lines = canonical(DAEMON_FILES)
    # 'null0' and 'NULL0' are FRR's Null0 (staticd: strncasecmp)
    assert "ip route 4.5.6.13/32 Null0" in lines
    assert "ip route 4.5.6.14/32 Null0" in lines
    assert "ipv6 route 4:5::6:10/128 fc00::2" in lines
    # two tags for one path: the second replaces the first
    assert [ln for ln in lines if ln.startswith("ip route 4.5.6.17/32")] == [
        "ip route 4.5.6.17/32 192.168.0.2 tag 10000"
    ]
    # two distances are two paths: both stay
    assert "ip route 4.5.6.16/32 192.168.0.2 5" in lines and "ip route 4.5.6.16/32 192.168.0.4 10" in lines


def test_per_daemon_files_diffed_against_their_own_print_need_nothing() -> None:
    printed = "\n".join(canonical(DAEMON_FILES)) + "\n"
    diff = diff_device("r1", Platform.FRR, running(printed), DAEMON_FILES, scope="replace")
    assert diff.commands == () and diff.rollback == ()


@pytest.mark.parametrize("text", [DAEMON_FILES, TE], ids=["all_protocol_startup", "ospf_te_topo1"])
def test_the_printed_form_is_a_fixed_point(text: str) -> None:
    once = canonical(text)
    assert canonical("\n".join(once)) == once


def test_link_params_of_a_real_config_in_the_form_zebra_prints() -> None:
    lines = canonical(TE)
    assert section(lines, " link-params") == [
        "metric 20",
        "delay 10000",
        "max-bw 1e+11",
        "ava-bw 1.25e+08",
        "enable",
    ]
    printed = "\n".join(lines) + "\n"
    assert diff_device("r1", Platform.FRR, running(printed), TE, scope="replace").commands == ()


def test_link_params_dropped_from_a_real_config_are_undone_line_by_line() -> None:
    printed = "\n".join(canonical(TE)) + "\n"
    intended = TE.replace(" link-params\n  enable\n  exit-link-params\n!\nip forwarding", "!\nip forwarding")
    diff = diff_device("r1", Platform.FRR, running(printed), intended, scope="replace")
    assert diff.commands == ("interface r1-eth1", " link-params", "  no enable", " exit-link-params", "exit")


def test_a_snippets_route_tag_replaces_the_running_one_and_its_rollback_restores_it() -> None:
    device = running("ip route 10.9.0.0/16 10.0.0.2 tag 10\nip route 10.8.0.0/16 10.0.0.2\n")
    diff = diff_device("r1", Platform.FRR, device, "ip route 10.9.0.0/16 10.0.0.2 tag 20\n")
    assert diff.commands == (
        "no ip route 10.9.0.0/16 10.0.0.2 tag 10",
        "ip route 10.9.0.0/16 10.0.0.2 tag 20",
    )
    assert diff.rollback == (
        "no ip route 10.9.0.0/16 10.0.0.2 tag 20",
        "ip route 10.9.0.0/16 10.0.0.2 tag 10",
    )


def test_list_entries_get_the_seq_frr_gives_them() -> None:
    lines = canonical(
        "ip prefix-list PL permit 10.0.0.0/8\n"
        "ip prefix-list PL seq 12 permit 172.16.0.0/12\n"
        "ip prefix-list PL permit 192.168.4.4/24 le 32 ge 25\n"
        "ipv6 prefix-list PL permit 2001:DB8:0::/32\n"
        "access-list ACL permit 10.1.0.0/16\n"
        "access-list ACL remark no number for a remark\n"
    )
    assert lines == [
        "ip prefix-list PL seq 5 permit 10.0.0.0/8",
        "ip prefix-list PL seq 12 permit 172.16.0.0/12",
        "ip prefix-list PL seq 15 permit 192.168.4.0/24 ge 25 le 32",  # ((12 / 5) * 5) + 5
        "ipv6 prefix-list PL seq 5 permit 2001:db8::/32",  # its own list
        "access-list ACL seq 5 permit 10.1.0.0/16",
        "access-list ACL remark no number for a remark",
    ]


def test_bgp_as_path_and_community_list_entries_get_the_seq_frr_gives_them() -> None:
    lines = canonical(
        "bgp as-path access-list AP permit ^65001_\n"
        "bgp as-path access-list AP seq 12 deny _65002$\n"
        "bgp as-path access-list AP permit .*\n"
        "bgp community-list standard CL permit 65001:1\n"
        "bgp community-list standard CL deny 65001:2\n"
        "bgp community-list 10 permit 65001:3\n"
        "bgp community-list expanded CX permit ^65001:.*\n"
        "bgp extcommunity-list standard EC permit rt 65001:1\n"
        "bgp large-community-list standard LC seq 7 permit 65001:1:1\n"
        "bgp large-community-list standard LC permit 65001:1:2\n"
    )
    # what FRR 8.4.4's bgpd printed after loading these lines (its order aside: numbered
    # community-lists first)
    assert sorted(lines) == sorted(
        [
            "bgp as-path access-list AP seq 5 permit ^65001_",
            "bgp as-path access-list AP seq 12 deny _65002$",
            "bgp as-path access-list AP seq 15 permit .*",
            "bgp community-list 10 seq 5 permit 65001:3",
            "bgp community-list standard CL seq 5 permit 65001:1",
            "bgp community-list standard CL seq 10 deny 65001:2",
            "bgp community-list expanded CX seq 5 permit ^65001:.*",
            "bgp extcommunity-list standard EC seq 5 permit rt 65001:1",
            "bgp large-community-list standard LC seq 7 permit 65001:1:1",
            "bgp large-community-list standard LC seq 10 permit 65001:1:2",
        ]
    )


def test_a_community_list_without_seq_is_no_change_on_a_router_that_printed_it() -> None:
    # tests/fixtures/corpus/frr/frr-topotests-bgp_comm_list_delete-r2.conf, line 15
    device = running("bgp community-list standard r1 seq 5 permit 333:333\n")
    intended = "bgp community-list standard r1 permit 333:333\n"
    assert diff_device("r1", Platform.FRR, device, intended, scope="replace").commands == ()


def test_a_prefix_list_without_seq_is_no_change_on_a_router_that_printed_it() -> None:
    device = running(
        "ip prefix-list PL seq 5 permit 10.0.0.0/8\nip prefix-list PL seq 10 permit 192.168.4.0/24\n"
    )
    intended = "ip prefix-list PL permit 10.0.0.0/8\nip prefix-list PL permit 192.168.4.4/24\n"
    assert diff_device("r1", Platform.FRR, device, intended, scope="replace").commands == ()


def test_a_snippets_list_entry_continues_the_devices_list_never_overwrites_an_entry() -> None:
    device = running(
        "ip prefix-list PL seq 5 permit 10.0.0.0/8\nip prefix-list PL seq 12 permit 172.16.0.0/12\n"
    )
    snippet = "ip prefix-list PL permit 10.0.0.0/8\nip prefix-list PL permit 10.9.0.0/16\n"
    diff = diff_device("r1", Platform.FRR, device, snippet)
    assert diff.commands == ("ip prefix-list PL seq 15 permit 10.9.0.0/16",)  # 10.0.0.0/8 is seq 5
    assert diff.rollback == ("no ip prefix-list PL seq 15 permit 10.9.0.0/16",)


def test_numbers_are_printed_with_percent_g_in_link_params() -> None:
    lines = canonical("interface eth2\n link-params\n  max-bw 10e+10\n  unrsv-bw 0 1250000.0\n")
    assert section(lines, " link-params") == ["max-bw 1e+11", "unrsv-bw 0 1.25e+06"]


def test_a_bgp_address_family_without_safi_is_the_unicast_one_bgpd_prints() -> None:
    # tests/fixtures/corpus/frr/frr-topotests-bgp_comm_list_delete-r2.conf, line 11: FRR 8.4.4's
    # bgpd took 'address-family ipv4' and printed 'address-family ipv4 unicast'
    written = (
        "router bgp 65001\n neighbor 192.0.2.1 remote-as 65000\n"
        " address-family ipv4\n  neighbor 192.0.2.1 route-map r1-in in\n exit-address-family\n"
        " address-family ipv6\n  neighbor 192.0.2.1 activate\n exit-address-family\n"
    )
    assert section(canonical(written), "router bgp 65001") == [
        "neighbor 192.0.2.1 remote-as 65000",
        "address-family ipv4 unicast",
        "neighbor 192.0.2.1 route-map r1-in in",
        "address-family ipv6 unicast",
        "neighbor 192.0.2.1 activate",
    ]
    device = running(
        written.replace("ipv4\n", "ipv4 unicast\n").replace("ipv6\n", "ipv6 unicast\n") + "exit\n"
    )
    assert diff_device("r1", Platform.FRR, device, written, scope="replace").commands == ()


def test_ospfs_default_grace_period_is_not_printed() -> None:
    # tests/fixtures/corpus/frr/frr-topotests-ospf_gr_topo1-rt7.conf: FRR 8.4.4's ospfd took
    # 'graceful-restart grace-period 120' and printed 'graceful-restart'
    written = "router ospf\n graceful-restart grace-period 120\n"
    assert canonical(written) == ["router ospf", " graceful-restart"]
    assert (
        canonical("router ospf\n graceful-restart grace-period 300\n")[1]
        == " graceful-restart grace-period 300"
    )
    device = running("router ospf\n graceful-restart\nexit\n")
    assert diff_device("r1", Platform.FRR, device, written, scope="replace").commands == ()


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("int eth1\n no shut\n", ["interface eth1", " no shutdown"]),
        ("inter eth1\n desc uplink\n", ["interface eth1", " description uplink"]),
        ("interface eth1\n ip add 10.0.0.1/24\n", ["interface eth1", " ip address 10.0.0.1/24"]),
        ("conf t\nhost r9\n", ["hostname r9"]),
        (  # ospfd prints it under the interface (see below)
            "configure terminal\nrouter ospf\n passive-int eth1\n",
            ["router ospf", "interface eth1", " ip ospf passive"],
        ),
    ],
)
def test_abbreviations_frr_accepts_are_the_lines_they_stand_for(written: str, printed: list[str]) -> None:
    assert canonical(written) == printed


def test_abbreviations_need_no_change_on_the_router_that_printed_them() -> None:
    device = running("interface eth1\n description uplink\n ip address 10.0.0.1/24\nexit\n")
    intended = "conf t\nint eth1\n desc uplink\n ip add 10.0.0.1/24\n no shut\nend\n"
    assert diff_device("r1", Platform.FRR, device, intended, scope="replace").commands == ()


def test_empty_sections_frr_does_not_print_are_not_missing() -> None:
    device = running("interface eth1\n ip address 10.0.0.1/24\nexit\n")
    intended = "interface eth1\n ip address 10.0.0.1/24\n!\nline vty\n!\nvrf BLUE\nexit-vrf\n"
    assert diff_device("r1", Platform.FRR, device, intended, scope="replace").commands == ()


# --- 2. negations FRR takes, and none that does harm ------------------------------------------


def test_passwords_are_removed_in_the_form_frr_takes() -> None:
    device = running("password zebra\nenable password secret\n")
    diff = diff_device("r1", Platform.FRR, device, "hostname r1\n", scope="replace")
    assert "no password" in diff.commands and "no enable password" in diff.commands
    assert not any(c.startswith(("no password ", "no enable password ")) for c in diff.commands)
    assert {"password zebra", "enable password secret", "no hostname r1"} <= set(diff.rollback)


def test_link_params_are_undone_line_by_line_never_by_no_link_params() -> None:
    device = running("interface eth2\n link-params\n  enable\n  metric 10\n exit-link-params\nexit\n")
    diff = diff_device("r1", Platform.FRR, device, "interface eth2\n", scope="replace")
    link = ("interface eth2", " link-params")
    assert diff.commands == (*link, "  no enable", "  no metric 10", " exit-link-params", "exit")
    assert "no link-params" not in " ".join(diff.commands + diff.rollback)
    assert diff.rollback == (*link, "  enable", "  metric 10", " exit-link-params", "exit")


@pytest.mark.parametrize("spelling", ["interface", "interfac", "inter", "int", "in"])
def test_the_no_interface_guard_holds_for_every_spelling(spelling: str) -> None:
    refused = spec_for(Platform.FRR).diff.refused_commands
    assert any(re.search(pattern, f"no {spelling} eth1") for pattern, _ in refused)
    assert any(re.search(pattern, f" no  {spelling}  eth1") for pattern, _ in refused)
    assert not any(re.search(pattern, "no ip address 10.0.0.1/24") for pattern, _ in refused)


@pytest.mark.parametrize("spelling", ["interface", "inter", "int"])
def test_no_interface_in_a_snippet_empties_the_interface_in_every_spelling(spelling: str) -> None:
    device = running("interface eth1\n description a\n ip address 10.0.0.1/24\nexit\n")
    diff = diff_device("r1", Platform.FRR, device, f"no {spelling} eth1\n")
    assert diff.commands == ("interface eth1", " no description", " no ip address 10.0.0.1/24", "exit")


def test_no_ipv6_nd_suppress_ra_as_an_undo_is_refused_and_says_why() -> None:
    device = running("interface eth1\n ipv6 address 2001:db8::1/64\nexit\n")
    # a snippet that wants RAs suppressed: FRR's default, nothing to send (no negation needed)
    assert diff_device("r1", Platform.FRR, device, "interface eth1\n ipv6 nd suppress-ra\n").commands == ()
    # RAs turned on by the intended config: the line is sent, and its undo turns them off
    diff = diff_device("r1", Platform.FRR, device, "interface eth1\n no ipv6 nd suppress-ra\n")
    assert diff.commands == ("interface eth1", " no ipv6 nd suppress-ra", "exit")
    assert diff.rollback == ("interface eth1", " ipv6 nd suppress-ra", "exit")


def test_a_negation_that_would_turn_router_advertisements_on_is_refused() -> None:
    assert NORMALISE is not None
    spec = spec_for(Platform.FRR).diff
    _, why = spec.refused_negations[0]
    assert "router advertisements on" in why
    # a running 'ipv6 nd suppress-ra' (as an old FRR printed it) missing from the intended
    # config is FRR's default: it is left alone, never negated into 'no ipv6 nd suppress-ra'
    device = running("interface eth1\n ipv6 nd suppress-ra\n ipv6 address 2001:db8::1/64\nexit\n")
    intended = "interface eth1\n ipv6 address 2001:db8::1/64\n"
    diff = diff_device("r1", Platform.FRR, device, intended, scope="replace")
    assert all("suppress-ra" not in c for c in diff.commands)


# --- 3. input as people write it ---------------------------------------------------------------


def test_an_over_indented_line_stays_in_its_section_and_no_extra_exit_is_sent() -> None:
    intended = (
        "router ospf\n ospf router-id 10.0.0.1\n   network 10.0.0.0/24 area 0\n"
        "interface eth1\n ip address 10.0.0.1/24\n"
    )
    device = running("interface eth1\nexit\n")
    diff = diff_device("r1", Platform.FRR, device, intended)
    assert diff.commands == (
        "router ospf",
        " ospf router-id 10.0.0.1",
        " network 10.0.0.0/24 area 0",
        "exit",
        "interface eth1",
        " ip address 10.0.0.1/24",
        "exit",
    )


def test_a_line_frr_does_not_know_in_its_mode_is_refused_with_its_line_number() -> None:
    with pytest.raises(ConfigError, match=r"line 3: % Unknown command: +ip address 10.0.0.1/24"):
        intended = "router ospf\n network 10.0.0.0/24 area 0\n   ip address 10.0.0.1/24\n"
        diff_device("r1", Platform.FRR, running(""), intended)


def test_a_running_config_frr_would_not_read_is_the_devices_error() -> None:
    with pytest.raises(DeviceError, match="FRR's parser"):
        diff_device("r1", Platform.FRR, running("frobnicate everything\n"), "hostname r1\n")


def test_repeated_sections_and_lines_are_merged_not_refused() -> None:
    intended = (
        "hostname r1\ninterface eth1\n description a\ninterface eth1\n ip address 10.0.0.1/24\nhostname r1\n"
    )
    device = running("hostname r1\ninterface eth1\n description a\n ip address 10.0.0.1/24\nexit\n")
    assert diff_device("r1", Platform.FRR, device, intended, scope="replace").commands == ()


# --- lines a daemon prints on its own (FRR 8.4.4 on the lab, bgp_vty.c bgp_config_write) -----

BGP_WRITTEN = """router bgp 65002
 neighbor 10.0.0.2 remote-as 65001
 neighbor 10.0.0.2 ebgp-multihop 255
 address-family ipv4
  neighbor 10.0.0.2 activate
  neighbor 10.0.0.2 send-community extended
 exit-address-family
 address-family ipv6 unicast
  no neighbor 10.0.0.2 activate
 exit-address-family
!
"""
BGP_PRINTED = "router bgp 65002\n neighbor 10.0.0.2 remote-as 65001\n neighbor 10.0.0.2 ebgp-multihop\nexit\n"


def test_bgp_lines_that_are_bgpds_defaults_are_not_missing() -> None:
    assert canonical(BGP_WRITTEN) == canonical(BGP_PRINTED)
    assert diff_device("r1", Platform.FRR, running(BGP_PRINTED), BGP_WRITTEN, scope="replace").commands == ()


def test_an_activation_is_kept_where_the_default_is_turned_off() -> None:
    written = BGP_WRITTEN.replace(
        " neighbor 10.0.0.2 remote-as", " no bgp default ipv4-unicast\n neighbor 10.0.0.2 remote-as"
    )
    lines = canonical(written)
    assert section(lines, " address-family ipv4 unicast") == ["neighbor 10.0.0.2 activate"]


def test_an_interface_vrf_is_read_as_frr_prints_it_with_vrf_lite() -> None:
    device = running("interface r1-eth0\n ip address 10.1.2.1/24\nexit\n")
    intended = "interface r1-eth0 vrf blue\n ip address 10.1.2.1/24\nexit\n"
    assert diff_device("r1", Platform.FRR, device, intended, scope="replace").commands == ()


def test_the_route_map_delay_timer_is_printed_in_router_bgp_or_at_the_top_without_one() -> None:
    assert canonical("bgp route-map delay-timer 1\nrouter bgp 65001\nexit\n") == canonical(
        "router bgp 65001\n bgp route-map delay-timer 1\nexit\n"
    )
    assert "bgp route-map delay-timer 1" in canonical("bgp route-map delay-timer 1\n")


def test_the_delay_timer_is_set_and_unset_at_the_top_as_deleting_router_bgp_leaves_it() -> None:
    device = running("router bgp 65001\n bgp route-map delay-timer 1\n neighbor 10.0.0.2 remote-as 2\nexit\n")
    diff = diff_device("r1", Platform.FRR, device, "hostname r1\n", scope="replace")
    assert "no bgp route-map delay-timer 1" in diff.commands
    assert not any(c.startswith(" ") and "delay-timer" in c for c in diff.commands)
    back = diff_device("r1", Platform.FRR, running("hostname r1\n"), device, scope="replace")
    assert "bgp route-map delay-timer 1" in back.commands


def test_an_ospf_network_type_equal_to_the_default_is_not_missing() -> None:
    device = running("interface r6-eth0\n ip ospf cost 10\nexit\n")
    intended = "interface r6-eth0\n ip ospf network broadcast\n ip ospf cost 10\nexit\n"
    assert diff_device("r1", Platform.FRR, device, intended, scope="replace").commands == ()
    assert "ip ospf network broadcast" in section(
        canonical("interface lo\n ip ospf network broadcast\nexit\n"), "interface lo"
    )


def test_the_default_bgp_instance_is_deleted_after_its_vrf_instances() -> None:
    """bgpd refuses 'no router bgp N' while 'router bgp N vrf V' exists (seen on the lab)."""
    device = running(
        "router bgp 99\n neighbor 10.0.0.2 remote-as 1\nexit\n!\n"
        "router bgp 99 vrf ray\n neighbor 10.0.1.2 remote-as 1\nexit\n"
    )
    commands = diff_device("r1", Platform.FRR, device, "hostname r1\n", scope="replace").commands
    assert commands.index("no router bgp 99 vrf ray") < commands.index("no router bgp 99")


def test_route_target_both_is_the_import_and_export_lines_bgpd_prints() -> None:
    evpn = " address-family l2vpn evpn\n  route-target {}\n exit-address-family\nexit\n"
    written = "router bgp 65000 vrf vrf-101\n" + evpn.format("both 65000:101")
    printed = "router bgp 65000 vrf vrf-101\n" + evpn.format(
        "import 65000:101\n  route-target export 65000:101"
    )
    assert canonical(written) == canonical(printed)


def test_a_per_af_neighbor_line_under_router_bgp_is_ipv4_unicasts() -> None:
    """bgpd reads 'neighbor X route-map R out' under 'router bgp' as ipv4 unicast's and prints it
    there (seen on the lab with bgp_gr_multihop's config)."""
    device = running(
        "router bgp 65001\n neighbor 10.0.1.1 remote-as 2\n address-family ipv4 unicast\n"
        "  neighbor 10.0.1.1 route-map R2_OUT out\n exit-address-family\nexit\n"
    )
    intended = (
        "router bgp 65001\n neighbor 10.0.1.1 remote-as 2\n neighbor 10.0.1.1 route-map R2_OUT out\n!\n"
    )
    assert diff_device("r1", Platform.FRR, device, intended, scope="replace").commands == ()


def test_compliance_reads_the_intended_config_as_the_diff_does() -> None:
    """A router that runs what the diff pushed is compliant (the lab's compliance-after-one-
    remediation test found compliance reading the intended text as written)."""
    intended = "hostname r1\n!\n" + BGP_WRITTEN
    device = running("hostname r1\n!\n" + BGP_PRINTED)
    assert check_device("r1", Platform.FRR, device, intended).status == "compliant"


def test_a_passive_interface_of_router_ospf_is_the_interfaces_ip_ospf_passive() -> None:
    """ospfd 8.4 prints 'passive-interface lo' of 'router ospf' as 'ip ospf passive' under
    'interface lo' (seen on the lab with bgp_rr_lu_to_unicast's config)."""
    device = running(
        "interface lo\n ip address 10.0.0.10/32\n ip ospf passive\nexit\n!\n"
        "router ospf\n network 10.0.0.0/8 area 0\nexit\n"
    )
    intended = (
        "interface lo\n ip address 10.0.0.10/32\n!\n"
        "router ospf\n network 10.0.0.0/8 area 0\n passive-interface lo\n!\n"
    )
    assert diff_device("r1", Platform.FRR, device, intended, scope="replace").commands == ()
    assert section(canonical("router ospf\n passive-interface default\n!\n"), "router ospf") == [
        "passive-interface default"
    ]


def test_ospfs_router_id_is_read_as_the_ospf_router_id_ospfd_prints() -> None:
    device = running("router ospf\n ospf router-id 7.7.7.7\nexit\n")
    intended = "router ospf\n router-id 7.7.7.7\nexit\n"
    assert diff_device("r1", Platform.FRR, device, intended, scope="replace").commands == ()
    assert section(canonical("router bgp 1\n bgp router-id 7.7.7.7\nexit\n"), "router bgp 1") == [
        "bgp router-id 7.7.7.7"
    ]


def test_import_vrf_without_a_default_instance_is_the_default_instance_bgpd_creates() -> None:
    leak = " address-family ipv4 unicast\n  import vrf {}\n exit-address-family\nexit\n"
    intended = f"router bgp 99 vrf DONNA\n{leak.format('EVA')}router bgp 99 vrf EVA\n{leak.format('DONNA')}"
    assert "router bgp 99" in canonical(intended)
    assert "router bgp 99" not in canonical(intended.replace("import vrf", "network 10.0.0.0/8 route-map"))
    back = diff_device("r1", Platform.FRR, running(intended), "hostname r1\n", scope="replace")
    assert back.commands.index("no router bgp 99") > back.commands.index("no router bgp 99 vrf EVA")


def test_a_vrfs_own_interface_is_undone_before_the_vrf_is_deleted() -> None:
    intended = (
        "vrf vrf_a\n ip route 10.0.0.0/24 192.168.1.2\nexit-vrf\n"
        "interface vrf_a\n ip address 192.168.1.1/24\nexit\n"
    )
    back = diff_device("r1", Platform.FRR, running(intended), "hostname r1\n", scope="replace")
    assert back.commands.index("no vrf vrf_a") > back.commands.index(" no ip address 192.168.1.1/24")
