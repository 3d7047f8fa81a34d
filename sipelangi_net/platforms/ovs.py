"""Open vSwitch (switches): ovs-vsctl over SSH, real Open vSwitch 3.1 in the lab."""

from __future__ import annotations

from sipelangi_net.platforms.spec import (
    ComplianceSpec,
    ConfigSpec,
    DeploySpec,
    DiffSpec,
    FactsSpec,
    InterfacesSpec,
    LabSpec,
    Platform,
    PlatformSpec,
)

INTERFACE_TABLE = "ovs-vsctl --format=json --columns=name,admin_state,link_state,statistics list Interface"
"""Every interface's state and ovs-vswitchd's counters (updated every 5 s): the monitor's and
``fault diagnose``'s read."""
PORT_TABLE = "ovs-vsctl --format=json --columns=name,tag,external_ids list Port"
"""The config the pipeline reads: the port table (access VLAN tag, description) as JSON."""

SPEC = PlatformSpec(
    platform=Platform.OVS,
    kind="switch",
    display_name="Switch (Open vSwitch)",
    netmiko_device_type="ovs_linux",
    napalm_driver=None,
    verified_on="lab",
    verified=(
        "real Open vSwitch 3.1 in the lab: facts, render, diff, deploy, rollback,"
        " compliance, the whole SOP from the pages"
    ),
    config=ConfigSpec(
        command=PORT_TABLE,
        format="ovs-json",
        extension="json",
        normaliser="sipelangi_net.change.push:normalise_ovs",
    ),
    deploy=DeploySpec(driver="lab", driven_by="Netmiko `ovs_linux` (ovs-vsctl); device-side commit-confirm"),
    facts=FactsSpec(commands=(PORT_TABLE,), parser="sipelangi_net.analysis.facts:ovs_facts"),
    diff=DiffSpec(differ="sipelangi_net.change.diff:diff_ovs"),
    compliance=ComplianceSpec(
        baseline="ovs/baseline.j2",
        features=(
            ("vlans", r"^(port \S+ |ovs-vsctl .* )'?tag="),
            ("port_descriptions", r"^(port \S+ |ovs-vsctl .* )(external_ids:)?description"),
        ),
    ),
    lab=LabSpec(probe="hostname", show_command="ovs-vsctl show", push="shell"),
    interfaces=InterfacesSpec(
        command=INTERFACE_TABLE, parser="sipelangi_net.faults.interfaces:ovs_interfaces"
    ),
)
