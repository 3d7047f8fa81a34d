"""Compliance (pure): features, intended configs, per-feature comparison, remediation round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sipelangi_net.change.diff import diff_device
from sipelangi_net.compliance.collect import Collected
from sipelangi_net.compliance.compare import check_device
from sipelangi_net.compliance.features import OTHER, feature_of
from sipelangi_net.compliance.intended import intended_configs, merge
from sipelangi_net.compliance.run import evaluate, select_devices
from sipelangi_net.errors import ConfigError
from sipelangi_net.inventory import load_inventory
from sipelangi_net.platforms import Platform

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = load_inventory(ROOT / "inventory")
INTENDED = intended_configs(INVENTORY)
DIST = "dist-bukitintan"


def as_running(intended: str) -> str:
    """What FRR shows for an intended config: its header, its lines, ``end``."""
    return "Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\n" + intended + "end\n"


def apply(platform: Platform, running: str, commands: tuple[str, ...]) -> str:
    """The running config after vtysh ran ``commands`` (a small model of vtysh: add and ``no`` lines)."""
    from hier_config import get_hconfig

    from sipelangi_net.change.diff import HIER_RULES

    cfg = get_hconfig(HIER_RULES[platform].driver(), running)
    section = None
    for i, command in enumerate(commands):
        text = command.strip()
        where = section if command[:1].isspace() else cfg
        if text == "exit":
            section = None
        elif text.startswith("no "):
            where.children.get(text.removeprefix("no ")).delete()  # type: ignore[union-attr]
        elif not command[:1].isspace() and i + 1 < len(commands) and commands[i + 1][:1].isspace():
            section = cfg.children.get(text) or cfg.add_child(text)
        else:  # a single-valued line (hostname, description) replaces its old value, as in vtysh
            old = cfg.driver.idempotent_for(where.add_child(text), list(where.children))  # type: ignore[union-attr]
            if old is not None and old.text != text:
                old.delete()
    return as_running("".join(c.cisco_style_text() + "\n" for c in cfg.all_children()))


def test_features_match_top_level_lines_and_their_negations() -> None:
    assert feature_of(Platform.FRR, "hostname core") == "hostname"
    assert feature_of(Platform.FRR, "no ip route 10.0.0.0/8 10.1.1.1") == "static_routes"
    assert feature_of(Platform.FRR, "interface eth1") == "interfaces"
    assert feature_of(Platform.FRR, "log syslog informational") == "logging"
    assert feature_of(Platform.FRR, "bgp something odd") == OTHER
    assert feature_of(Platform.OVS, "port eth1 tag=100") == "vlans"
    assert feature_of(Platform.OVS, "ovs-vsctl set port eth1 tag=100") == "vlans"
    assert feature_of(Platform.OVS, "ovs-vsctl remove port eth1 external_ids description") == (
        "port_descriptions"
    )


def test_intended_frr_is_the_lab_day0_config_with_the_city_baseline() -> None:
    text = INTENDED[DIST].text
    assert "hostname dist-bukitintan\n" in text
    assert "log syslog informational\n" in text and "log facility local7\n" in text
    assert " ip address 10.255.0.10/30\n" in text
    assert "ip route 0.0.0.0/0 10.255.0.9\n" in text


def test_a_device_running_its_intended_config_is_compliant() -> None:
    result = check_device(DIST, Platform.FRR, as_running(INTENDED[DIST].text), INTENDED[DIST].text)
    assert result.status == "compliant", result.to_json()
    assert result.remediation == ()
    assert {f.name for f in result.features} >= {
        "hostname",
        "logging",
        "services",
        "interfaces",
        "static_routes",
    }


def drifted() -> str:
    running = as_running(INTENDED[DIST].text)
    running = running.replace(" ip address 10.255.0.10/30\n", " ip address 10.255.0.14/30\n")
    running = running.replace("ip route 0.0.0.0/0 10.255.0.9\n", "ip route 10.99.0.0/24 10.255.0.9\n")
    return running.replace("log syslog informational\n", "log syslog informational\nlog record-priority\n")


def test_drift_is_found_with_the_exact_lines_per_feature() -> None:
    result = check_device(DIST, Platform.FRR, drifted(), INTENDED[DIST].text, site=None)
    assert result.status == "drift"
    by = {f.name: f for f in result.features}
    assert by["interfaces"].missing == ("interface eth0", " ip address 10.255.0.10/30")
    assert by["interfaces"].extra == ("interface eth0", " ip address 10.255.0.14/30")
    assert by["interfaces"].remediation == (
        "interface eth0",
        " no ip address 10.255.0.14/30",
        " ip address 10.255.0.10/30",
        "exit",
    )
    assert by["static_routes"].missing == ("ip route 0.0.0.0/0 10.255.0.9",)
    assert by["static_routes"].extra == ("ip route 10.99.0.0/24 10.255.0.9",)
    assert set(by["static_routes"].remediation) == {
        "no ip route 10.99.0.0/24 10.255.0.9",
        "ip route 0.0.0.0/0 10.255.0.9",
    }
    assert by["logging"].extra == ("log record-priority",)
    assert by["logging"].remediation == ("no log record-priority",)
    assert by["hostname"].compliant and by["services"].compliant
    assert [f.name for f in result.drifted] == ["logging", "interfaces", "static_routes"]


def test_remediation_round_trip_gives_a_compliant_device() -> None:
    result = check_device(DIST, Platform.FRR, drifted(), INTENDED[DIST].text)
    fixed = apply(Platform.FRR, drifted(), result.remediation)
    again = check_device(DIST, Platform.FRR, fixed, INTENDED[DIST].text)
    assert again.status == "compliant", again.to_json()


def test_a_truncated_running_config_is_an_error_not_a_verdict() -> None:
    running = as_running(INTENDED[DIST].text).removesuffix("end\n")
    result = check_device(DIST, Platform.FRR, running, INTENDED[DIST].text)
    assert result.status == "error" and "end" in result.error and result.error.startswith(DIST)


def ovs_json(rows: list[tuple[str, int | None, dict[str, str]]]) -> str:
    data = [[n, ["set", []] if t is None else t, ["map", sorted(ids.items())]] for n, t, ids in rows]
    return json.dumps({"headings": ["name", "tag", "external_ids"], "data": data})


def test_ovs_ports_compare_by_attribute_and_extra_tags_are_removed() -> None:
    intended = INTENDED["sw-bappeda"].text
    rows: list[tuple[str, int | None, dict[str, str]]] = [("br0", None, {})]
    for line in intended.splitlines():
        port, rest = line.removeprefix("port ").split(" ", 1)
        key, value = rest.split("=", 1)
        if not any(r[0] == port for r in rows):
            rows.append((port, None, {}))
        i = next(i for i, r in enumerate(rows) if r[0] == port)
        name, tag, ids = rows[i]
        rows[i] = (name, int(value), ids) if key == "tag" else (name, tag, {**ids, "description": value})
    assert check_device("sw-bappeda", Platform.OVS, ovs_json(rows), intended).status == "compliant"
    rows = [
        (n, 55, ids) if n == "eth0" else (n, 100, ids) if n == "eth1" else (n, t, ids) for n, t, ids in rows
    ]
    result = check_device("sw-bappeda", Platform.OVS, ovs_json(rows), intended)
    vlans = next(f for f in result.features if f.name == "vlans")
    assert vlans.missing == ("port eth1 tag=999",)
    assert vlans.extra == ("port eth0 tag=55", "port eth1 tag=100")
    assert vlans.remediation == ("ovs-vsctl set port eth1 tag=999", "ovs-vsctl set port eth0 'tag=[]'")


def test_merge_of_a_ticket_replaces_single_values_and_adds_lines() -> None:
    base = INTENDED["dist-gerunggang"].text
    snippet = "interface eth1\n description SPL-2026-00001 Dinkes\n ip address 10.20.1.1/24\nexit\n"
    merged = merge(Platform.FRR, base, snippet + "ip route 10.30.0.0/24 10.255.0.5\n")
    assert " description SPL-2026-00001 Dinkes\n" in merged and " ip address 10.20.1.1/24\n" in merged
    assert merged.count("interface eth1\n") == 1 and "ip route 10.30.0.0/24 10.255.0.5\n" in merged
    ovs = merge(Platform.OVS, "port eth1 tag=999\nport eth1 description=a\n", "port eth1 tag=120\n")
    assert ovs == "port eth1 tag=120\nport eth1 description=a\n"
    assert diff_device("x", Platform.OVS, ovs_json([("eth1", 120, {"description": "a"})]), ovs).commands == ()


def test_device_filters() -> None:
    assert select_devices(INVENTORY, hosts=[DIST]) == [DIST]
    assert "sw-bappeda" in select_devices(INVENTORY, sites=["bappeda"])
    assert all(
        INVENTORY.devices[d].platform is Platform.OVS for d in select_devices(INVENTORY, groups=["ovs"])
    )
    with pytest.raises(ConfigError, match="no device named nope"):
        select_devices(INVENTORY, hosts=["nope"])


def test_an_unreachable_device_is_reported_and_the_others_are_checked() -> None:
    collected = {
        DIST: Collected(DIST, "frr", as_running(INTENDED[DIST].text)),
        "sw-bappeda": Collected("sw-bappeda", "ovs", None, "no answer (timeout)"),
    }
    results = evaluate(collected, INTENDED, sites={"sw-bappeda": "bappeda"})
    assert [(r.device, r.status) for r in results] == [(DIST, "compliant"), ("sw-bappeda", "unreachable")]
    assert results[1].error == "no answer (timeout)" and results[1].site == "bappeda"


def test_a_provisioned_ticket_is_part_of_the_intended_config() -> None:
    from analysis_data import NOW, catalogues, day0_facts
    from ticket_data import request

    from sipelangi_net.analysis.analyze import Inputs, analyze
    from sipelangi_net.change.render import render_plan
    from sipelangi_net.compliance.intended import Provisioned

    cat = catalogues()
    plan = analyze(Inputs("SPL-2026-00001", request(), cat, day0_facts(cat), (), NOW))
    snippets = render_plan(plan, cat.inventory)
    intended = intended_configs(cat.inventory, [Provisioned("SPL-2026-00001", plan)])
    base = intended_configs(cat.inventory)
    for device, snippet in snippets.items():
        platform = Platform(snippet.platform)
        # the device after the ticket's deploy (day 0 + the snippet) is compliant ...
        day0 = base[device].text
        if platform is Platform.FRR:
            running = apply(
                platform,
                as_running(day0),
                diff_device(device, platform, as_running(day0), snippet.text).commands,
            )
            assert check_device(device, platform, running, intended[device].text).status == "compliant"
            # ... and a device without the ticket's lines has drifted
            assert check_device(device, platform, as_running(day0), intended[device].text).status == "drift"
    assert intended["core-diskominfo"].text != base["core-diskominfo"].text
