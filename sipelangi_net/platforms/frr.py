"""FRR (routers): vtysh over SSH, real FRR 8.4 in the lab."""

from __future__ import annotations

from sipelangi_net.platforms.common import CISCO_LIKE_REDACT, CLI_FEATURES
from sipelangi_net.platforms.spec import (
    ComplianceSpec,
    ConfigSpec,
    DeploySpec,
    DiffSpec,
    FactsSpec,
    InterfacesSpec,
    LabSpec,
    NormaliseSpec,
    Platform,
    PlatformSpec,
    RedactSpec,
    TemplateSpec,
    interface,
)

_INTERFACE = r"in(t(e(r(f(a(c(e)?)?)?)?)?)?)?"
"""``interface`` in every spelling vtysh takes (``in``, ``int``, ``inter``, ...)."""

NORMALISE = NormaliseSpec(
    normaliser="sipelangi_net.change.frr_text:canonical_lines",
    # show running-config's header, and a script's mode changes: no config lines for vtysh
    dropped=(
        r"^(Building configuration\.\.\.|Current configuration:"
        r"|conf(i(g(u(r(e)?)?)?)?)?( t(e(r(m(i(n(a(l)?)?)?)?)?)?)?)?)\s*$"
    ),
    # command words written in full when given as a prefix (vtysh accepted the prefix, and
    # accepts the expanded text: checked by vtysh -m on both)
    commands=(
        "interface",
        "no interface",
        "shutdown",
        "no shutdown",
        "description",
        "ip address",
        "ipv6 address",
        "ip route",
        "ipv6 route",
        "ip prefix-list",
        "ipv6 prefix-list",
        "access-list",
        "hostname",
        "router ospf",
        "router ospf6",
        "router bgp",
        "router rip",
        "neighbor",
        "network",
        "passive-interface",
        "redistribute",
        "address-family",
        "exit-address-family",
        "exit",
        "line vty",
        "password",
        "enable password",
        "log syslog",
        "log file",
    ),
    # lib/plist.c prefix_new_seq_get, lib/filter.c filter_new_seq_get, bgpd/bgp_filter.c
    # as_list_new_seq_get, bgpd/bgp_clist.c bgp_clist_new_seq_get: ((max / 5) * 5) + 5
    numbered_lists=(
        r"^(?P<list>(?:ip |ipv6 )?(?:prefix-list|access-list) \S+|bgp as-path access-list \S+"
        r"|bgp (?:community|extcommunity|large-community)-list (?:(?:standard|expanded) )?\S+) "
        r"(?:seq (?P<seq>\d+) )?(?P<rest>(?:permit|deny)\b.*)$"
    ),
    line_forms=(
        # staticd: a next hop 'Null0' in any case (strncasecmp) is stored as the flag "Null0"
        (r"^(ip(?:v6)? route \S+ )(?i:null0)(?=\s|$)", r"\1Null0"),
        # lib/if.c if_vty_config_start: ' vrf X' is printed only with the netns VRF backend
        # (FRR's default is VRF-lite: an interface's VRF is the kernel's, not the config's)
        (r"^(interface \S+) vrf \S+$", r"\1"),
        # bgpd: 'address-family ipv4|ipv6' without a SAFI enters the unicast node, printed with it
        (r"^address-family (ipv4|ipv6)$", r"address-family \1 unicast"),
        # bgp_vty.c bgp_config_write_peer: an ebgp-multihop of MAXTTL (255) is printed bare
        (r"^(neighbor \S+ ebgp-multihop) 255$", r"\1"),
        # bgp_evpn_vty.c: the route targets are printed per list, import then export
        (r"^route-target both (.*)$", r"route-target import \1\nroute-target export \1"),
        # ospfd (ospf_config_write_one): the default grace period (120 s) is not printed
        (r"^graceful-restart grace-period 120$", "graceful-restart"),
    ),
    # zebra prints an interface's IPv6 address with inet_ntop (compressed, host bits kept)
    address_lines=r"^ipv6 address ",
    # zebra/interface.c link_params_config_write prints the bandwidths with %g
    float_lines=r"^(max-bw|max-rsv-bw|unrsv-bw|ava-bw|res-bw|use-bw) ",
    replacing=(
        # staticd: a path is its prefix, next hop, interface, distance; a second 'tag' replaces
        (r"^(ip(?:v6)? route .*?) tag \d+(.*)$", r"\1\2"),
        (r"^hostname .*$", "hostname"),
        (r"^password .*$", "password"),
        (r"^enable password .*$", "enable password"),
        (r"^description .*$", "description"),
        (r"^(bgp|ospf) router-id .*$", r"\1 router-id"),
        (r"^bgp route-map delay-timer .*$", "bgp route-map delay-timer"),
    ),
    # vty_frame: a 'vrf' or 'line vty' with nothing in it is not printed
    unprinted_empty=("vrf ", "line vty", "address-family "),
    unprinted_defaults=(
        # bgp_vty.c bgp_config_write_peer_af: with 'bgp default ipv4-unicast' (on unless turned
        # off) every neighbor is active in ipv4 unicast; elsewhere none is until activated
        (r"^address-family ipv4 unicast$", r"^neighbor \S+ activate$", "no bgp default ipv4-unicast"),
        (r"^address-family ipv6 unicast$", r"^no neighbor \S+ activate$", "bgp default ipv6-unicast"),
        (r"^address-family (?!ipv[46] unicast$)", r"^no neighbor \S+ activate$", ""),
        # send-community (standard, extended, large) is on for every peer: only 'no' is printed
        (r"^address-family ", r"^neighbor \S+ send-community( (standard|extended|large|all|both))?$", ""),
        # ospf_config_write_one_interface: a network type equal to the interface's default
        # (ospf_default_iftype: broadcast for Ethernet and for interfaces not in the kernel)
        (r"^interface (?!lo$)\S+$", r"^ip ospf network broadcast$", ""),
    ),
    # bgp_vty.c: the per-address-family commands are installed in the BGP node too (hidden, for
    # old configs) and act on ipv4 unicast, where bgp_config_write_family prints them
    moved_into=(
        (
            r"^router bgp ",
            r"^(neighbor \S+ (route-map|prefix-list|filter-list|distribute-list|next-hop-self"
            r"|soft-reconfiguration|maximum-prefix|allowas-in|remove-private-AS|route-reflector-client"
            r"|default-originate|weight|unsuppress-map|attribute-unchanged|route-server-client"
            r"|as-override|addpath-tx)\b"
            r"|network |aggregate-address |redistribute |maximum-paths |table-map )",
            "address-family ipv4 unicast",
        ),
    ),
    # bgp_vty.c 'import vrf': without a default BGP instance bgpd creates one with the importing
    # instance's AS (the leak goes through it), printed as 'router bgp N'
    implied=((r"^router bgp (\d+) vrf \S+$", r"^import vrf \S+$", r"router bgp \1", r"^router bgp \d+$"),),
    # ospf_vty.c: 'router-id A.B.C.D' (hidden, for old configs) is 'ospf router-id', printed so
    section_forms=((r"^router ospf( vrf \S+)?$", r"^router-id (\S+)$", r"ospf router-id \1"),),
    # ospf_vty.c (8.x): 'passive-interface IFNAME' is kept for old configs and sets the
    # interface's parameter, printed by ospf_config_write_one_interface as 'ip ospf passive'
    relocated=(
        (r"^router ospf$", r"^passive-interface (?!default$)(\S+)$", r"interface \1", "ip ospf passive"),
    ),
    # bgp_vty.c bgp_config_write: the global delay-timer (CONFIG_NODE) is printed in each
    # 'router bgp', at the top without one; 'no router bgp' leaves it set
    printed_in=((r"^bgp route-map delay-timer \d+$", "router bgp "),),
)
"""How FRR text is put in the form FRR prints (sipelangi_net.change.frr_text)."""

SPEC = PlatformSpec(
    platform=Platform.FRR,
    kind="router",
    display_name="Router (FRR)",
    netmiko_device_type="cisco_ios",
    napalm_driver=None,
    verified_on="lab",
    verified=(
        "real FRR 8.4 in the lab: facts, render, diff, deploy, rollback, compliance,"
        " the whole SOP from the pages; the OPD PC's DHCP lease relayed by the router's host"
        " (ISC dhcrelay) from the central Kea server the change gives the scope"
    ),
    config=ConfigSpec(command="show running-config", format="cli"),
    deploy=DeploySpec(
        driver="lab", driven_by="Netmiko `cisco_ios` over SSH into vtysh; device-side commit-confirm"
    ),
    facts=FactsSpec(commands=("show running-config",), parser="sipelangi_net.analysis.facts:frr_facts"),
    diff=DiffSpec(
        differ="sipelangi_net.change.diff:diff_hier",
        driver="sipelangi_net.change.diff:HConfigDriverFRR",
        ends_with_end=True,
        replace_sets=(interface("ip address "),),
        hidden_defaults=(
            (("equals", "ip forwarding"),),
            (("equals", "ipv6 forwarding"),),
            interface("no shutdown"),
            interface("ipv6 nd suppress-ra"),
        ),
        kept_sections=("interface ",),
        section_headers=r"^(interface|router|vrf|route-map|key chain|line|segment-routing|bfd)( |$)",
        refused_intended=(
            (r"^\s*ip address \S+ \d+\.\d+\.\d+\.\d+", "FRR takes 'ip address A.B.C.D/LEN', not a netmask"),
            (r"^\s*ip address \S+/\d+ .*\bsecondary\b", "FRR has no 'secondary': give each address a line"),
        ),
        refused_commands=(
            (
                rf"^\s*no\s+{_INTERFACE}\s",
                "FRR cannot delete an interface that exists in the kernel; remove its lines",
            ),
        ),
        refused_negations=(
            (
                r"^\s*no ipv6 nd suppress-ra$",
                "it turns router advertisements on (FRR suppresses them by default);"
                " write 'no ipv6 nd suppress-ra' in the intended config only to enable them",
            ),
        ),
        negation_forms=(
            (r"^(\s*)no password .*$", r"\1no password"),
            (r"^(\s*)no enable password .*$", r"\1no enable password"),
            (r"^(\s*)no banner motd .*$", r"\1no banner motd"),
        ),
        undone_by_lines=("link-params",),
        normalise=NORMALISE,
        exit_at_parent_level=True,
    ),
    compliance=ComplianceSpec(baseline="frr/base.j2", features=CLI_FEATURES),
    redact=RedactSpec(napalm="CISCO_SANITIZE_FILTERS", own=CISCO_LIKE_REDACT),
    lab=LabSpec(probe="show version", show_command="show running-config", push="vtysh"),
    # vtysh has no DHCP server or relay: the router's host relays (ISC dhcrelay on every OPD port,
    # as on other Linux routers) to the city's central DHCP server, which the change gives the scope.
    templates=TemplateSpec(dhcp="relays"),
    # zebra's interface table: administrative and operational status, link downs (read-only)
    interfaces=InterfacesSpec(
        command="show interface json", parser="sipelangi_net.faults.interfaces:frr_interfaces"
    ),
)
