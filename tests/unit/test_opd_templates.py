"""The OPD change templates work together: the router-switch handoff of every platform pair, the
filter lets through what the SOP needs, every vendor gateway serves DHCP, and the QoS classes
of the requested applications are marked where the platform can."""

from __future__ import annotations

import re

import pytest
from analysis_data import NOW, catalogues, day0_facts
from ticket_data import request

import tests.replay.test_render_golden as golden
from sipelangi_net.analysis.analyze import Inputs, analyze
from sipelangi_net.change.opd_context import QOS_DSCP, TAGGED_GATEWAY, TRUNK_UPLINK, handoff
from sipelangi_net.change.render import render_plan
from sipelangi_net.platforms import Platform

P = Platform
GATEWAYS = (P.CISCO_IOS, P.ARISTA_EOS, P.JUNIPER_JUNOS, P.MIKROTIK_ROUTEROS)
"""The platforms whose gateway filters and serves DHCP (FRR does neither)."""
SWITCHES = (P.CISCO_IOS, P.ARISTA_EOS, P.JUNIPER_JUNOS, P.MIKROTIK_ROUTEROS, P.OVS)
INV = golden.CAT.inventory
ADDR = golden.PLAN.addressing
assert ADDR is not None


def texts(router: Platform, switch: Platform, plan=golden.PLAN) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    out = render_plan(plan, golden.inventory_as(router, switch))
    return out["dist-gerunggang"].text, out["sw-dinkes"].text


# --- 1. the handoff --------------------------------------------------------------------------

TAGGED_GATEWAY_LINES = {
    P.CISCO_IOS: ["interface eth1.100", " encapsulation dot1Q 100"],
    P.ARISTA_EOS: [
        "interface Vlan100",
        "   switchport mode trunk",
        "   switchport trunk allowed vlan add 100",
    ],
    P.JUNIPER_JUNOS: ["set interfaces eth1 vlan-tagging", "set interfaces eth1 unit 100 vlan-id 100"],
    P.MIKROTIK_ROUTEROS: ["/interface vlan add "],
}
TRUNK_UPLINK_LINES = {
    P.CISCO_IOS: [" switchport mode trunk", " switchport trunk allowed vlan add 100"],
    P.ARISTA_EOS: ["   switchport mode trunk", "   switchport trunk allowed vlan add 100"],
    P.JUNIPER_JUNOS: [
        "set interfaces eth0 unit 0 family ethernet-switching interface-mode trunk\n"
        "set interfaces eth0 unit 0 family ethernet-switching vlan members OPD-DINKES\n"
    ],
    P.MIKROTIK_ROUTEROS: ["tagged=eth0 "],
}


@pytest.mark.parametrize("switch", SWITCHES)
@pytest.mark.parametrize("router", [*GATEWAYS, P.FRR])
def test_the_gateway_and_the_uplink_agree_on_every_platform_pair(router: Platform, switch: Platform) -> None:
    gateway, access = texts(router, switch)
    tagged = router in TAGGED_GATEWAY and switch in TRUNK_UPLINK
    assert handoff(golden.PLAN, golden.inventory_as(router, switch)) == ("tagged" if tagged else "untagged")
    for line in TAGGED_GATEWAY_LINES.get(router, ["vlan"]):
        assert (line in gateway) is tagged, f"{router} gateway facing {switch}: {line!r}"
    for line in TRUNK_UPLINK_LINES.get(switch, ["trunk"]):
        assert (line in access) is tagged, f"{switch} uplink facing {router}: {line!r}"
    if not tagged:  # the uplink an access port in the OPD VLAN, the gateway a routed port
        uplink = {
            P.CISCO_IOS: "interface eth0\n description SPL-2026-00001 ke dist-gerunggang\n"
            " switchport mode access\n switchport access vlan 100\n",
            P.ARISTA_EOS: "interface eth0\n   description SPL-2026-00001 ke dist-gerunggang\n"
            "   switchport mode access\n   switchport access vlan 100\n",
            P.JUNIPER_JUNOS: 'set interfaces eth0 description "SPL-2026-00001 ke dist-gerunggang"\n'
            "set interfaces eth0 unit 0 family ethernet-switching interface-mode access\n"
            "set interfaces eth0 unit 0 family ethernet-switching vlan members OPD-DINKES\n",
            P.MIKROTIK_ROUTEROS: "interface=eth0 pvid=100",
            P.OVS: "port eth0 tag=100\n",
        }[switch]
        assert uplink in access
        assert re.search(r"(ip address |address=|family inet address )10\.20\.0\.1", gateway)


def test_a_junos_access_switch_puts_the_plans_access_ports_in_the_opd_vlan() -> None:
    _, access = texts(P.JUNIPER_JUNOS, P.JUNIPER_JUNOS)
    assert access.startswith(f"set vlans OPD-DINKES vlan-id {golden.PLAN.vlan}\n")
    chosen = [p for p in golden.PLAN.ports if p.device == "sw-dinkes" and p.role == "access"]
    assert chosen
    for port in chosen:
        switching = f"set interfaces {port.port} unit 0 family ethernet-switching "
        assert f"{switching}interface-mode access\n{switching}vlan members OPD-DINKES\n" in access
    assert access.count("vlan members ") == len(chosen) + 1  # and the uplink


def test_the_labs_frr_and_ovs_pair_stays_untagged() -> None:
    gateway, access = texts(P.FRR, P.OVS)
    assert "interface eth1\n" in gateway and "port eth0 tag=100" in access


# --- 3. the filter lets through what the SOP needs ------------------------------------------


def sop_needs() -> list[tuple[str, str, int]]:
    """(address, protocol, port) of the bandwidth-test servers and DNS, from the inventory."""
    needs = []
    for server in INV.servers.servers.values():
        for svc in server.services:
            if svc.name == "iperf3":
                needs += [(str(server.address), "tcp", svc.port), (str(server.address), "udp", svc.port)]
            if svc.name == "speedtest":
                needs.append((str(server.address), "tcp", svc.port))
    needs += [(dns, proto, 53) for dns in INV.defaults.data["dns_servers"] for proto in ("udp", "tcp")]
    assert len(needs) == 5
    return needs


def permits(platform: Platform, text: str, address: str, protocol: str, port: int) -> bool:
    name = {53: "domain"}.get(port, str(port)) if platform in (P.CISCO_IOS, P.ARISTA_EOS) else str(port)
    if platform is P.JUNIPER_JUNOS:
        term = f"term \\S+ from destination-address {re.escape(address)}/32\n"
        return bool(re.search(term, text)) and f"-{protocol}-{port} from destination-port {port}" in text
    if platform is P.MIKROTIK_ROUTEROS:
        return bool(
            re.search(
                f"action=accept .*dst-address={re.escape(address)} dst-port={port} .*protocol={protocol}",
                text,
            )
        )
    return bool(re.search(f"permit {protocol} .* host {re.escape(address)} eq {name}\n", text))


@pytest.mark.parametrize("platform", GATEWAYS)
def test_the_filter_lets_through_the_bandwidth_test_dns_dhcp_and_icmp_with_diskominfo(
    platform: Platform,
) -> None:
    gateway, _ = texts(platform, platform if platform in TRUNK_UPLINK else P.ARISTA_EOS)
    for address, protocol, port in sop_needs():
        assert permits(platform, gateway, address, protocol, port), (
            f"{platform}: {protocol}/{port} to {address}"
        )
    segment = INV.servers.segment.subnet
    icmp = {
        P.CISCO_IOS: f"permit icmp {ADDR.subnet.network_address} {ADDR.subnet.hostmask}"
        f" {segment.network_address} {segment.hostmask}",
        P.ARISTA_EOS: f"permit icmp {ADDR.subnet} {segment}",
        P.JUNIPER_JUNOS: f"term icmp-diskominfo from destination-address {segment}",
        P.MIKROTIK_ROUTEROS: f"dst-address={segment} in-interface=opd-dinkes protocol=icmp",
    }[platform]
    assert icmp in gateway
    dhcp = {  # RouterOS filters the forward chain only: DHCP to the router itself is never dropped
        P.CISCO_IOS: "permit udp any any eq bootps",
        P.ARISTA_EOS: "permit udp any any eq bootps",
        P.JUNIPER_JUNOS: "term dhcp from destination-port 67",
        P.MIKROTIK_ROUTEROS: "chain=forward",
    }[platform]
    assert dhcp in gateway
    deny = {P.CISCO_IOS: "deny ip any any", P.ARISTA_EOS: "deny ip any any", P.JUNIPER_JUNOS: "then discard"}
    last_permit = max(gateway.find(str(a)) for a, _, _ in sop_needs())
    assert last_permit < gateway.find(deny.get(platform, "action=drop"))  # permitted before the deny


# --- 4. DHCP on every vendor gateway ---------------------------------------------------------


@pytest.mark.parametrize("platform", GATEWAYS)
def test_every_vendor_gateway_serves_the_opd_lan_by_dhcp(platform: Platform) -> None:
    gateway, _ = texts(platform, P.ARISTA_EOS)
    first, last, gw, dns = (
        ADDR.dhcp_first,
        ADDR.dhcp_last,
        ADDR.gateway.ip,
        INV.defaults.data["dns_servers"][0],
    )
    expected = {
        P.CISCO_IOS: [  # the pool is the subnet less the excluded gateway and reserved addresses
            f"ip dhcp excluded-address {gw} {ADDR.reserved_last}",
            f"ip dhcp pool OPD-DINKES\n network {ADDR.subnet.network_address} {ADDR.subnet.netmask}\n"
            f" default-router {gw}\n dns-server {dns}\n",
        ],
        P.ARISTA_EOS: [
            f"dhcp server\n   subnet {ADDR.subnet}\n      range {first} {last}\n      default-gateway {gw}\n"
            f"      dns server {dns}\n",
            "   dhcp server ipv4\n",
        ],
        P.JUNIPER_JUNOS: [
            "set system services dhcp-local-server group OPD-DINKES interface eth1.0\n",
            f"pool OPD-DINKES family inet network {ADDR.subnet}\n",
            f"range opd low {first}\n",
            f"range opd high {last}\n",
            f"dhcp-attributes router {gw}\n",
            f"dhcp-attributes name-server {dns}\n",
        ],
        P.MIKROTIK_ROUTEROS: [
            f"/ip pool add name=opd-dinkes ranges={first}-{last}\n",
            "/ip dhcp-server add address-pool=opd-dinkes interface=opd-dinkes name=opd-dinkes\n",
            f"/ip dhcp-server network add address={ADDR.subnet} dns-server={dns} gateway={gw}\n",
        ],
    }[platform]
    for part in expected:
        assert part in gateway.replace("eth1.100", "eth1.0"), f"{platform}: {part!r}"


def test_frr_says_it_serves_no_dhcp() -> None:
    frr = (golden.FIXTURES.parent.parent / "templates" / "frr" / "opd.j2").read_text()
    assert "no DHCP server" in frr


# --- 5. QoS classes ---------------------------------------------------------------------------

VICON_PLAN = analyze(
    Inputs(
        "SPL-2026-00001",
        request(applications=["simpeg", "email", "vicon", "cctv"]),
        golden.CAT,
        day0_facts(golden.CAT),
        (),
        NOW,
    )
)


@pytest.mark.parametrize("platform", GATEWAYS)
def test_each_applications_qos_class_is_marked_with_its_dscp(platform: Platform) -> None:
    gateway, _ = texts(platform, P.ARISTA_EOS, VICON_PLAN)
    apps = INV.applications
    for key in VICON_PLAN.applications:
        dscp, value = QOS_DSCP[apps[key].qos]
        port = next(r.port for r in VICON_PLAN.access_rules if r.name == key)
        klass = f"OPD-DINKES-{apps[key].qos.upper()}"
        expected = {
            P.CISCO_IOS: (f"ip access-list extended {klass}\n", f" class {klass}\n  set dscp {dscp}\n"),
            P.ARISTA_EOS: (f"ip access-list {klass}\n", f"   class {klass}\n      set dscp {value}\n"),
            P.JUNIPER_JUNOS: (f"term {key}-tcp-{port} then dscp {dscp}\n",),
            P.MIKROTIK_ROUTEROS: (f"dst-port={port} in-interface=opd-dinkes new-dscp={value} protocol=tcp",),
        }[platform]
        for part in expected:
            assert part in gateway, f"{platform} {key}: {part!r}"
    assert (" eq 8004" in gateway or "8004" in gateway) and "ef" in str(QOS_DSCP["realtime"])


def test_the_classes_follow_the_inventorys_qos_names() -> None:
    qos_names = {app.qos for app in catalogues().inventory.applications.values()}
    assert qos_names <= set(QOS_DSCP)
