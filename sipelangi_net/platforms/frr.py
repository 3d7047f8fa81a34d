"""FRR (routers): vtysh over SSH, real FRR 8.4 in the lab."""

from __future__ import annotations

from sipelangi_net.platforms.common import CISCO_LIKE_REDACT, CLI_FEATURES
from sipelangi_net.platforms.spec import (
    ComplianceSpec,
    ConfigSpec,
    DeploySpec,
    DiffSpec,
    FactsSpec,
    LabSpec,
    Platform,
    PlatformSpec,
    RedactSpec,
    TemplateSpec,
    interface,
)

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
        ),
        kept_sections=("interface ",),
        section_headers=r"^(interface|router|vrf|route-map|key chain|line|segment-routing|bfd)( |$)",
        refused_intended=(
            (r"^\s*ip address \S+ \d+\.\d+\.\d+\.\d+", "FRR takes 'ip address A.B.C.D/LEN', not a netmask"),
            (r"^\s*ip address \S+/\d+ .*\bsecondary\b", "FRR has no 'secondary': give each address a line"),
        ),
        refused_commands=(
            (r"^no interface ", "FRR cannot delete an interface that exists in the kernel; remove its lines"),
        ),
        exit_at_parent_level=True,
    ),
    compliance=ComplianceSpec(baseline="frr/base.j2", features=CLI_FEATURES),
    redact=RedactSpec(napalm="CISCO_SANITIZE_FILTERS", own=CISCO_LIKE_REDACT),
    lab=LabSpec(probe="show version", show_command="show running-config", push="vtysh"),
    # vtysh has no DHCP server or relay: the router's host relays (ISC dhcrelay on every OPD port,
    # as on other Linux routers) to the city's central DHCP server, which the change gives the scope.
    templates=TemplateSpec(dhcp="relays"),
)
