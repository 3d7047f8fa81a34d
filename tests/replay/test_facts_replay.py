"""Live facts parsed from recorded FRR and Open vSwitch answers match their golden files.

``pytest tests/replay --update`` re-records the answers from the running lab
(the same commands :func:`sipelangi_net.analysis.facts.gather` sends) and
rewrites ``facts.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.analysis.facts import SOURCES, DeviceFacts
from sipelangi_net.platforms import Platform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ANSWER_FILE = {Platform.FRR: "running-config.txt", Platform.OVS: "ports.json"}
CASES = sorted(
    p for platform in ANSWER_FILE for p in (FIXTURES / platform.value).glob("facts_*") if p.is_dir()
)


def platform_of(case: Path) -> Platform:
    return Platform(case.parent.name)


def parse(case: Path) -> DeviceFacts:
    platform = platform_of(case)
    (command,) = SOURCES[platform].commands
    answers = {command: (case / ANSWER_FILE[platform]).read_text()}
    return SOURCES[platform].parse(case.name.removeprefix("facts_"), answers)


def as_json(facts: DeviceFacts) -> dict[str, Any]:
    """The facts plus the derived sets the needs analysis uses."""
    doc = facts.to_json()
    doc["subnets"] = sorted(map(str, facts.subnets()))
    doc["vlans"] = sorted(facts.vlans())
    return doc


def record(case: Path) -> None:
    """Fetch the device's answer from the running lab over SSH (host keys verified)."""
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.drivers.ssh import exec_command
    from sipelangi_net.inventory import load_inventory

    name = case.name.removeprefix("facts_")
    dev = load_inventory(Path(__file__).resolve().parents[2] / "inventory").devices[name]
    platform = platform_of(case)
    (command,) = SOURCES[platform].commands
    answer = exec_command(name, dev.hostname, dev.port, load_credentials(), command)
    (case / ANSWER_FILE[platform]).write_text(answer)


def test_there_are_facts_cases_for_both_lab_platforms() -> None:
    assert {platform_of(c) for c in CASES} == {Platform.FRR, Platform.OVS}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.parent.name}/{c.name}")
def test_facts_match_golden(case: Path, update: bool) -> None:
    golden = case / "facts.json"
    if update:
        record(case)
    got = json.loads(json.dumps(as_json(parse(case))))
    if update:
        golden.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    assert got == json.loads(golden.read_text())


# --- gather() over replayed SSH sessions on the vendor platforms --------------------------------

VENDOR_CASES = sorted(FIXTURES.glob("*/facts/replay/*.yaml"))


@pytest.mark.parametrize("cassette", VENDOR_CASES, ids=lambda p: f"{p.parts[-4]}/{p.stem}")
def test_gather_reads_vendor_facts_over_replayed_ssh(cassette: Path, tmp_path: Path) -> None:
    """Netmiko logs in (host key verified), sends the platform's commands, the parser reads them."""
    import yaml

    from sipelangi_net.analysis.facts import gather
    from tests.replay.replay_ssh import ReplayDevice, load_cassette, replay_credentials
    from tests.replay.replaying import new_host_key

    platform, name = Platform(cassette.parts[-4]), cassette.stem
    device = ReplayDevice(name, load_cassette(cassette), new_host_key(tmp_path / "host_key"))
    device.start()
    try:
        hosts = {name: {"hostname": "127.0.0.1", "port": device.port, "platform": platform.value}}
        (tmp_path / "hosts.yaml").write_text(yaml.safe_dump(hosts))
        (tmp_path / "groups.yaml").write_text("{}\n")
        (tmp_path / "defaults.yaml").write_text("{}\n")
        (tmp_path / "known_hosts").write_text(device.known_hosts_line())
        live = gather(tmp_path, replay_credentials(tmp_path / "known_hosts"), [name], workers=1)
    finally:
        device.stop()
    assert device.errors == [], (device.errors, device.played)
    assert device.remaining == []
    got = live.devices[name]
    assert got.reachable, got.error
    steps = yaml.safe_load(cassette.read_text())["steps"]
    answers = {s["cmd"]: (cassette.parent / s["out_file"]).read_text() for s in steps if "out_file" in s}
    assert list(answers) == list(SOURCES[platform].commands)
    assert got == SOURCES[platform].parse(name, answers)
