"""Device configurations rendered from the shipped templates."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import pytest
from inventory_edit import SHIPPED_INVENTORY, TEMPLATES

import tests.replay.test_render_golden as golden
from sipelangi_net.change.render import render, render_plan
from sipelangi_net.errors import ConfigError
from sipelangi_net.inventory import load_inventory
from sipelangi_net.lab.topology import Interface, LabTopology, Node, build_topology
from sipelangi_net.platforms import PLATFORMS, Platform


@pytest.fixture(scope="module")
def topo() -> LabTopology:
    return build_topology(load_inventory(SHIPPED_INVENTORY))


def _frr_blocks(text: str) -> list[list[str]]:
    """The config split at ``!`` lines, blank lines dropped."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line == "!":
            blocks.append([])
        elif line.strip():
            blocks[-1].append(line)
    return [b for b in blocks if b]


def _frr_nodes(topo: LabTopology) -> list[Node]:
    return [n for n in topo.devices if n.platform is Platform.FRR]


def _ovs_nodes(topo: LabTopology) -> list[Node]:
    return [n for n in topo.devices if n.platform is Platform.OVS]


def test_frr_renders_every_router(topo: LabTopology) -> None:
    nodes = _frr_nodes(topo)
    assert nodes
    for node in nodes:
        text = render("frr/base.j2", root=TEMPLATES, node=node)
        lines = text.splitlines()
        assert f"hostname {node.name}" in lines
        blocks = {b[0]: b[1:] for b in _frr_blocks(text) if b[0].startswith("interface ")}
        assert list(blocks) == [
            *(["interface lo"] if node.loopback else []),
            *(f"interface {i.name}" for i in node.interfaces),
        ]
        if node.loopback:
            assert blocks["interface lo"] == [f" ip address {node.loopback}", "exit"]
        for iface in node.interfaces:
            body = blocks[f"interface {iface.name}"]
            assert body[0] == f" description {iface.description}"
            if iface.address:
                assert body[1] == f" ip address {iface.address}"
            else:
                assert not any("ip address" in line for line in body)
            assert body[-1] == "exit"
        routes = [line for line in lines if line.startswith("ip route ")]
        assert routes == [f"ip route {r.prefix} {r.nexthop}" for r in node.routes]


def test_frr_distribution_router_has_its_default_route(topo: LabTopology) -> None:
    routed = [n for n in _frr_nodes(topo) if n.routes]
    assert routed, "the shipped distribution routers have a default route"
    for node in routed:
        text = render("frr/base.j2", node=node)  # default root: the project's templates
        for route in node.routes:
            assert f"ip route {route.prefix} {route.nexthop}\n" in text
        for iface in node.interfaces:
            if iface.address:
                assert f"interface {iface.name}\n description {iface.description}\n" in text
                assert f" ip address {iface.address}\n" in text


def test_undefined_variable_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("hostname {{ node.name }}\nbanner {{ banner_text }}\n")
    with pytest.raises(ConfigError) as info:
        render("t.j2", root=tmp_path, node={"name": "r1"})
    assert "t.j2" in str(info.value)
    assert "banner_text" in str(info.value)


def test_undefined_attribute_is_a_config_error(tmp_path: Path, topo: LabTopology) -> None:
    (tmp_path / "attr.j2").write_text("{{ node.name }} {{ node.serial_number }}\n")
    with pytest.raises(ConfigError, match="serial_number"):
        render("attr.j2", root=tmp_path, node=_frr_nodes(topo)[0])


def test_defined_variables_render(tmp_path: Path) -> None:
    (tmp_path / "ok.j2").write_text("hostname {{ name }}\n{% for p in ports %}port {{ p }}\n{% endfor %}")
    assert render("ok.j2", root=tmp_path, name="r1", ports=["a", "b"]) == "hostname r1\nport a\nport b\n"


def test_missing_template_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="template not found") as info:
        render("nope/base.j2", root=tmp_path)
    assert str(tmp_path) in str(info.value)


def test_template_syntax_error_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "bad.j2").write_text("line one\n{% for x in %}\n{% endfor %}\n")
    with pytest.raises(ConfigError, match="template syntax error") as info:
        render("bad.j2", root=tmp_path)
    assert "bad.j2:2:" in str(info.value)


def _ovs_commands(text: str) -> list[list[str]]:
    return [shlex.split(line) for line in text.splitlines() if line.strip()]


def test_ovs_lines_are_shell_words(topo: LabTopology) -> None:
    nodes = _ovs_nodes(topo)
    assert nodes
    for node in nodes:
        text = render("ovs/base.j2", root=TEMPLATES, node=node)
        commands = _ovs_commands(text)
        assert ["set", "Open_vSwitch", ".", f"external_ids:hostname={node.name}"] in commands
        assert ["set", "bridge", "br0", f"external_ids:description={node.description}"] in commands
        for iface in node.interfaces:
            assert ["--may-exist", "add-port", "br0", iface.name] in commands
            expected = ["set", "port", iface.name, f"external_ids:description={iface.description}"]
            if iface.vlan:
                expected.append(f"tag={iface.vlan}")
            assert expected in commands, f"{node.name} {iface.name}"


def test_ovs_quotes_descriptions_with_spaces(topo: LabTopology) -> None:
    node = _ovs_nodes(topo)[0]
    text = render("ovs/base.j2", node=node)
    described = [i for i in node.interfaces if " " in i.description]
    assert described
    for iface in described:
        assert f"external_ids:description={shlex.quote(iface.description)}" in text
        assert f"external_ids:description={iface.description}" not in text
    assert " " in node.description
    assert f"external_ids:description={shlex.quote(node.description)}" in text


@pytest.mark.parametrize(
    "description",
    ["Ruang 'server' lantai 2", 'kabel "UTP" cat6', "a; rm -rf / # $(id) `id`", "  spaced  out  ", ""],
)
def test_ovs_description_round_trips(topo: LabTopology, description: str) -> None:
    node = _ovs_nodes(topo)[0]
    iface = Interface("eth7", description, vlan=20)
    node = dataclasses.replace(node, description=description, interfaces=(iface,))
    commands = _ovs_commands(render("ovs/base.j2", node=node))
    assert ["set", "bridge", "br0", f"external_ids:description={description}"] in commands
    assert ["set", "port", "eth7", f"external_ids:description={description}", "tag=20"] in commands


def test_each_device_template_gets_the_port_names_of_its_platforms_spec(tmp_path: Path) -> None:
    """``port_names`` is the rendering device's ``templates.port_names`` (IOS and EOS print port 53
    as ``domain``); a platform whose spec names no port gets an empty table."""
    line = '{{ port_names.get(("udp", 53), 53) }} {{ port_names | length }}\n'
    for platform in Platform:
        (tmp_path / platform.value).mkdir()
        (tmp_path / platform.value / "opd.j2").write_text(line)
    for router, switch in [(Platform.CISCO_IOS, Platform.OVS), (Platform.FRR, Platform.ARISTA_EOS)]:
        out = render_plan(golden.PLAN, golden.inventory_as(router, switch), root=tmp_path)
        for device, platform in [("dist-gerunggang", router), ("sw-dinkes", switch)]:
            names = PLATFORMS[platform].templates.port_names
            assert out[device].text == f"{names.get(('udp', 53), 53)} {len(names)}\n"
    assert PLATFORMS[Platform.CISCO_IOS].templates.port_names[("udp", 53)] == "domain"
    assert not PLATFORMS[Platform.OVS].templates.port_names
