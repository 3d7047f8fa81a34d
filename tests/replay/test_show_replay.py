"""`lab show` summaries of recorded FRR and Open vSwitch sessions match their golden files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sipelangi_net.lab.show import DeviceSummary, summarise_frr, summarise_ovs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = sorted(p for platform in ("frr", "ovs") for p in (FIXTURES / platform).glob("show_*") if p.is_dir())


def summarise(case: Path) -> DeviceSummary:
    name = case.name.removeprefix("show_")
    if case.parent.name == "frr":
        return summarise_frr(name, (case / "show_running-config.txt").read_text())
    return summarise_ovs(name, (case / "hostname.txt").read_text(), (case / "ovs-vsctl_show.txt").read_text())


def record(case: Path) -> None:
    """Fetch the device's output from the running lab over SSH (host keys verified)."""
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.drivers.ssh import exec_command
    from sipelangi_net.inventory import load_inventory

    name = case.name.removeprefix("show_")
    dev = load_inventory(Path(__file__).resolve().parents[2] / "inventory").devices[name]
    creds = load_credentials()
    commands = (
        {"show_running-config.txt": "show running-config"}
        if case.parent.name == "frr"
        else {"hostname.txt": "hostname", "ovs-vsctl_show.txt": "ovs-vsctl show"}
    )
    for fname, command in commands.items():
        (case / fname).write_text(exec_command(name, dev.hostname, dev.port, creds, command))


def test_there_are_cases_for_both_lab_platforms() -> None:
    assert {c.parent.name for c in CASES} == {"frr", "ovs"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.parent.name}/{c.name}")
def test_summary_matches_golden(case: Path, update: bool) -> None:
    golden = case / "summary.json"
    if update:
        record(case)
    got = json.loads(json.dumps(summarise(case).to_json()))
    if update:
        golden.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    assert got == json.loads(golden.read_text())
