"""SOP steps 4-6 on the lab: the analysis reads the live devices and records its plan on the ticket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.lab.conftest import REQUEST, lab_exec, ok_json, run


def approved_ticket(env: dict[str, str], tmp_path: Path, **changes: Any) -> str:
    path = tmp_path / f"req-{len(list(tmp_path.glob('req-*')))}.yaml"
    path.write_text(yaml.safe_dump({**REQUEST, **changes}))
    tid = str(ok_json(env, "ticket", "new", "--file", str(path))["id"])
    ok_json(env, "ticket", "approve", tid)
    return tid


@pytest.fixture
def vlan_100_on_dinkes_eth1() -> Iterator[None]:
    lab_exec("sw-dinkes", "ovs-vsctl", "set", "port", "eth1", "tag=100")
    try:
        yield
    finally:
        lab_exec("sw-dinkes", "ovs-vsctl", "set", "port", "eth1", "tag=999")


def test_analyze_prepare_schedule_on_live_devices(env: dict[str, str], tmp_path: Path) -> None:
    tid = approved_ticket(env, tmp_path)
    plan = ok_json(env, "analyze", tid)
    assert plan["available"] is True, plan["problems"]
    assert plan["vlan"] == 100 and plan["addressing"]["subnet"] == "10.20.0.0/25"
    assert {"reachable sw-dinkes", "reachable dist-gerunggang"} <= {c["name"] for c in plan["checks"]}
    access = [p["port"] for p in plan["ports"] if p["role"] == "access"]
    assert access[0] == "eth1"
    ticket = ok_json(env, "ticket", "show", tid)
    step4 = ticket["events"][-1]
    assert (step4["step"], step4["outcome"], step4["role"]) == (4, "done", "Tim Kerja")
    assert step4["outputs"]["plan"] == plan

    prepared = ok_json(env, "prepare", tid)
    assert prepared["step"] == 5 and prepared["outputs"]["equipment"] and prepared["outputs"]["schedule"]
    sunday = run(env, "schedule", tid, "--agreed", "2026-12-06T09:00+07:00")
    assert sunday.returncode == 2 and "not a working day" in sunday.stderr
    scheduled = ok_json(env, "schedule", tid)
    assert scheduled["status"] == "scheduled"
    assert scheduled["events"][-1]["outputs"]["start"] == prepared["outputs"]["start"]


def test_a_vlan_set_by_hand_on_the_switch_is_seen(
    env: dict[str, str], tmp_path: Path, vlan_100_on_dinkes_eth1: None
) -> None:
    plan = ok_json(env, "analyze", approved_ticket(env, tmp_path))
    assert plan["vlan"] == 101
    assert "eth1" not in [p["port"] for p in plan["ports"] if p["role"] == "access"]


def test_not_enough_capacity_fails_step_4_and_blocks_preparation(env: dict[str, str], tmp_path: Path) -> None:
    tid = approved_ticket(
        env,
        tmp_path,
        site="kec-bukitintan",
        opd="Kantor Kecamatan Bukit Intan",
        users=60,
        applications=["simpeg", "eoffice", "vicon"],
    )
    proc = run(env, "analyze", tid, "--json")
    assert proc.returncode == 1
    plan = json.loads(proc.stdout)
    problem = next(p for p in plan["problems"] if p.startswith("uplink dist-bukitintan eth1"))
    assert "Mbit/s free of 10" in problem and problem.endswith("Mbit/s needed")
    event = ok_json(env, "ticket", "show", tid)["events"][-1]
    assert (event["step"], event["outcome"]) == (4, "failed") and problem in event["note"]
    refused = run(env, "prepare", tid)
    assert refused.returncode == 6 and "step 4 (needs analysis)" in refused.stderr


def test_unverifiable_devices_make_the_plan_unavailable(env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    tid = approved_ticket(env, tmp_path)
    proc = run({**env, "SIPELANGI_KNOWN_HOSTS": str(empty)}, "analyze", tid, "--json")
    assert proc.returncode == 1
    problems = json.loads(proc.stdout)["problems"]
    assert any(p.startswith("cannot check sw-dinkes: host key is not in known_hosts") for p in problems), (
        problems
    )
