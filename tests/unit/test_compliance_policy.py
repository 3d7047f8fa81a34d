"""The city policy file and the baselines of every platform (compliance/policy.py, baseline.j2).

The vendor running configs are public device configs (tests/fixtures/<platform>/compliance/
SOURCE.md): one with the city policy put in (compliant), one as published (drifted).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hier_config import get_hconfig

from sipelangi_net.change.diff import HIER_RULES
from sipelangi_net.change.render import render
from sipelangi_net.compliance.compare import POLICY_ONLY, check_device
from sipelangi_net.compliance.features import feature_of
from sipelangi_net.compliance.intended import BASELINES
from sipelangi_net.compliance.policy import Policy, load_policy, parse_policy
from sipelangi_net.errors import InventoryError
from sipelangi_net.platforms import Platform

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
POLICY = load_policy(ROOT / "inventory")
CASES = {  # platform: (compliant device, drifted device)
    Platform.CISCO_IOS: ("dist-gerunggang", "dist-tamansari"),
    Platform.ARISTA_EOS: ("sw-bappeda", "sw-disdukcapil"),
    Platform.JUNIPER_JUNOS: ("dist-bukitintan", "sw-kec-bukitintan"),
    Platform.MIKROTIK_ROUTEROS: ("sw-kec-gerunggang", "sw-dc-diskominfo"),
}
FRR_BEFORE = "log syslog informational\nlog facility local7\nlog timestamp precision 3\nno ipv6 forwarding\n"
"""templates/frr/baseline.j2 as it rendered before the policy file existed."""


class Node:
    def __init__(self, name: str) -> None:
        self.name = name


def baseline(platform: Platform, device: str, policy: Policy = POLICY) -> str:
    return render(f"{platform.value}/baseline.j2", node=Node(device), policy=policy)


def running(platform: Platform, device: str) -> str:
    return (FIXTURES / platform.value / "compliance" / f"{device}.running.txt").read_text()


# --- the policy file --------------------------------------------------------------------------


def test_the_shipped_policy_holds_every_item_and_no_secret() -> None:
    assert POLICY.ntp.servers and POLICY.dns.resolvers and POLICY.syslog.servers
    assert POLICY.snmp.user and POLICY.snmp.group and POLICY.aaa.servers and POLICY.banner
    data = [ln for ln in (ROOT / "inventory" / "policy.yaml").read_text().splitlines() if ln[:1] != "#"]
    assert not [ln for ln in data if any(w in ln.lower() for w in ("community", "key", "secret", "password"))]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"ntp": {"servers": ["time.example"]}}, "ntp.servers.0"),
        ({"snmp": {"community": "public"}}, "snmp.community"),
        ({"syslog": {"severity": "debugging"}}, "syslog.severity"),
        ({"banner": "Akses? terbatas!"}, "banner"),
        ({"aaa": {"protocol": "radius"}}, "aaa.servers"),
        ({"snmp": {"trap_hosts": ["10.0.0.1"]}}, "snmp.user"),
    ],
)
def test_a_bad_policy_names_the_file_and_the_field(raw: object, field: str) -> None:
    path = Path("inventory/policy.yaml")
    with pytest.raises(InventoryError) as err:
        parse_policy(raw, path)
    assert str(err.value).startswith(f"{path}: {field}")


def test_a_policy_file_that_is_not_yaml_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("ntp:\n  servers: [10.0.0.1\n")
    with pytest.raises(InventoryError, match=r"policy\.yaml:\d+: YAML error"):
        load_policy(tmp_path)


def test_without_a_policy_file_the_policy_is_empty(tmp_path: Path) -> None:
    assert load_policy(tmp_path) == Policy()


def test_the_frr_baseline_is_unchanged_by_the_shipped_policy_and_follows_its_syslog() -> None:
    assert render("frr/baseline.j2", policy=POLICY) == FRR_BEFORE
    assert render("frr/baseline.j2") == FRR_BEFORE  # the lab renders base.j2 without a policy
    louder = POLICY.model_copy(update={"syslog": POLICY.syslog.model_copy(update={"severity": "warnings"})})
    assert render("frr/baseline.j2", policy=louder).startswith("log syslog warnings\n")


# --- the vendor baselines ---------------------------------------------------------------------


def test_every_platform_has_a_baseline_template() -> None:
    assert set(BASELINES) == set(Platform)
    assert set(Platform) - {Platform.FRR, Platform.OVS} == POLICY_ONLY


@pytest.mark.parametrize("platform", sorted(POLICY_ONLY))
def test_the_vendor_baseline_carries_every_policy_item_in_its_feature(platform: Platform) -> None:
    blocks: list[list[str]] = []  # each top-level line with the lines of its section
    routeros = platform is Platform.MIKROTIK_ROUTEROS
    for line in baseline(platform, "dist-x").splitlines():
        opens = line.startswith("/") if routeros else not line[:1].isspace()
        if blocks and not opens:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    values = {
        "ntp": str(POLICY.ntp.servers[0]),
        "dns": str(POLICY.dns.resolvers[0]),
        "logging": str(POLICY.syslog.servers[0]),
        "snmp": str(POLICY.snmp.user),
        "aaa": str(POLICY.aaa.servers[0]),
        "hostname": "dist-x",
    }
    for feature, value in values.items():
        owners = [b for b in blocks if value in "\n".join(b) and feature_of(platform, b[0]) == feature]
        assert owners, f"{platform}: no {feature} line holds {value}"
    assert POLICY.banner is not None
    assert POLICY.banner in baseline(platform, "dist-x")


def test_tacacs_and_a_syslog_severity_render_in_each_vendor_syntax() -> None:
    policy = POLICY.model_copy(
        update={
            "aaa": POLICY.aaa.model_copy(update={"protocol": "tacacs"}),
            "syslog": POLICY.syslog.model_copy(update={"severity": "warnings"}),
        }
    )
    ios = baseline(Platform.CISCO_IOS, "r1", policy)
    assert "aaa authentication login default group tacacs+ local" in ios
    assert "tacacs server SIPELANGI-1\n address ipv4 10.10.10.49\n" in ios
    assert "logging trap warnings\n" in ios
    junos = baseline(Platform.JUNIPER_JUNOS, "r1", policy)
    assert "set system tacplus-server 10.10.10.49\n" in junos
    assert "set system syslog host 10.10.10.50 any warning\n" in junos
    routeros = baseline(Platform.MIKROTIK_ROUTEROS, "r1", policy)
    assert "set use-radius=no\n" in routeros and "/radius\n" not in routeros  # no TACACS+ on RouterOS
    assert "add action=sipelangi1 topics=warning\n" in routeros


# --- compared on public device configs --------------------------------------------------------


@pytest.mark.parametrize("platform", sorted(CASES))
def test_a_public_config_with_the_city_policy_is_compliant(platform: Platform) -> None:
    device = CASES[platform][0]
    result = check_device(device, platform, running(platform, device), baseline(platform, device))
    assert (result.status, result.error) == ("compliant", "")
    assert {f.name for f in result.features} >= {"hostname", "ntp", "dns", "logging", "snmp", "aaa"}


@pytest.mark.parametrize("platform", sorted(CASES))
def test_a_public_config_without_it_drifts_on_every_policy_feature(platform: Platform) -> None:
    device = CASES[platform][1]
    result = check_device(device, platform, running(platform, device), baseline(platform, device))
    assert result.status == "drift"
    drifted = {f.name: f for f in result.drifted}
    assert set(drifted) >= {"hostname", "banner", "ntp", "dns", "logging", "snmp", "aaa"}
    ntp = drifted["ntp"]
    assert any("10.10.10.123" in line for line in ntp.missing)
    assert not {f.name for f in result.drifted} & {"interfaces", "routing", "static_routes", "other"}


@pytest.mark.parametrize(
    ("platform", "secret", "other"),
    [
        (Platform.CISCO_IOS, " key 7 0822455D0A16544541", " key 7 1511021F07257A767B"),
        (Platform.ARISTA_EOS, "key 7 0207165218120E", "key 7 0A1F1A0B0C1E"),
        (Platform.JUNIPER_JUNOS, '"$9$dGbgoZUjqP5Hqfz6CtO1cSre"', '"$9$Other.Secret"'),
    ],
)
def test_secrets_are_never_compared_nor_reported(platform: Platform, secret: str, other: str) -> None:
    device = CASES[platform][0]
    text = running(platform, device)
    assert secret in text
    result = check_device(device, platform, text.replace(secret, other), baseline(platform, device))
    assert result.status == "compliant"
    drifted = check_device(device, platform, text, baseline(platform, "another-name"))
    reported = repr(drifted)
    assert secret.strip().split()[-1] not in reported and "$1$" not in reported


def test_lines_a_ticket_installed_must_be_present_but_the_rest_of_a_section_is_not_judged() -> None:
    platform, device = Platform.CISCO_IOS, "dist-gerunggang"
    ticket = "interface GigabitEthernet2\n description SPL-2026-00001 OPD Dinkes\n"
    result = check_device(device, platform, running(platform, device), baseline(platform, device) + ticket)
    assert result.status == "drift"
    [interfaces] = result.drifted
    assert interfaces.name == "interfaces"
    assert interfaces.missing == ("interface GigabitEthernet2", "  description SPL-2026-00001 OPD Dinkes")
    assert interfaces.extra == ()  # its ip address and negotiation lines are not the city's
    assert "  description SPL-2026-00001 OPD Dinkes" in interfaces.remediation


def _apply(platform: Platform, text: str, commands: tuple[str, ...]) -> str:
    """A small model of the device taking ``commands`` (IOS/EOS: sections, ``no``; Junos: set/delete)."""
    config = get_hconfig(HIER_RULES[platform].driver(), text)
    section = config
    for command in commands:
        line = command.strip()
        where = section if command[:1].isspace() else config
        if line == "exit":
            section = config
        elif line.startswith(("no ", "delete ")):
            gone = (
                line.removeprefix("no ") if line.startswith("no ") else "set " + line.removeprefix("delete ")
            )
            where.children.get(gone).delete()  # type: ignore[union-attr]
        else:
            child = where.children.get(line) or where.add_child(line)
            old = config.driver.idempotent_for(child, [c for c in where.children if c is not child])
            if old is not None:
                old.delete()
            if not command[:1].isspace():
                section = child
    body = "\n".join(c.cisco_style_text() for c in config.all_children())
    return body + ("\nend\n" if HIER_RULES[platform].ends_with_end else "\n")


@pytest.mark.parametrize("platform", [Platform.CISCO_IOS, Platform.ARISTA_EOS, Platform.JUNIPER_JUNOS])
def test_the_remediation_of_a_drifted_public_config_makes_it_compliant(platform: Platform) -> None:
    device = CASES[platform][1]
    intended = baseline(platform, device)
    drifted = check_device(device, platform, running(platform, device), intended)
    commands = tuple(line for f in drifted.features for line in f.remediation)
    fixed = _apply(platform, running(platform, device), commands)
    again = check_device(device, platform, fixed, intended)
    assert (again.status, [f.name for f in again.drifted]) == ("compliant", [])


class _Reads:
    """The two things the remediation reads from a driver before it pushes anything."""

    def __init__(self, platform: Platform, text: str) -> None:
        self.platform = platform.value
        self.text = text

    def get_config(self) -> str:
        return self.text


def test_a_drift_without_a_remediation_is_refused_before_anything_is_pushed() -> None:
    from typing import Any

    from sipelangi_net.change.render import Intended
    from sipelangi_net.compliance.remediate import _RemediationRun
    from sipelangi_net.errors import DeviceError

    platform, device = Platform.MIKROTIK_ROUTEROS, CASES[Platform.MIKROTIK_ROUTEROS][1]
    intended = {device: Intended(device, platform.value, baseline(platform, device))}
    # a line no export prints and no command undoes (the removal of a logging rule)
    drifted = running(platform, device) + "/system logging\nremove [find topics=info]\n"
    drivers: dict[str, Any] = {device: _Reads(platform, drifted)}
    run = _RemediationRun("compliance", drivers, intended)
    with pytest.raises(DeviceError, match="RouterOS cannot undo"):
        run.read_and_diff(device)
    assert device not in run.diffs


def test_the_shipped_policy_agrees_with_the_shared_data_the_opd_templates_read() -> None:
    from sipelangi_net.inventory import load_inventory

    data = load_inventory(ROOT / "inventory").defaults.data
    assert [str(a) for a in POLICY.dns.resolvers] == data["dns_servers"]
    assert [str(a) for a in POLICY.ntp.servers] == data["ntp_servers"]
    assert [str(a) for a in POLICY.syslog.servers] == [data["syslog_server"]]
    assert POLICY.dns.domain == data["domain"]


@pytest.mark.parametrize("platform", [Platform.CISCO_IOS, Platform.ARISTA_EOS])
def test_a_global_radius_key_line_is_a_secret_not_a_drift(platform: Platform) -> None:
    device = CASES[platform][0]
    text = running(platform, device).replace("\nend", "\nradius-server key 7 0822455D0A16\nend")
    result = check_device(device, platform, text, baseline(platform, device))
    assert result.status == "compliant"
