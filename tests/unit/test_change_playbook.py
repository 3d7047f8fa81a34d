"""The provisioning playbook's diff → confirm → deploy on a fake network: the approved change set
is what is pushed, the devices stay locked from the diff to the confirm, and a device changed in
between stops the push everywhere."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_network import FakeNetwork
from kea_server import LocalKea
from test_change_record import Bench
from ticket_data import scheduled as scheduled_ticket

from sipelangi_net.analysis.steps import stored_plan
from sipelangi_net.change.render import render_plan
from sipelangi_net.inventory import load_inventory
from sipelangi_net.playbook.actions import ACTIONS
from sipelangi_net.playbook.context import RunContext, RunOptions
from sipelangi_net.playbook.model import load_playbook
from sipelangi_net.playbook.progress import JsonLinesReporter
from sipelangi_net.playbook.runner import run_playbook
from sipelangi_net.tickets.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
DIST = "dist-gerunggang"
BOOK = """name: change
description: diff, confirm and push
steps:
  - {name: dry-run diff, action: diff}
  - {name: confirmation, action: confirm}
  - {name: deploy, action: deploy, sop_step: 7, with: {bandwidth_gate: false}}
"""


@pytest.fixture
def scheduled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SqliteStore, str]]:
    monkeypatch.setenv("SIPELANGI_LOCKS", str(tmp_path / "locks"))
    monkeypatch.setenv("SIPELANGI_USERNAME", "netops")  # the fake devices take any credentials
    monkeypatch.setenv("SIPELANGI_PASSWORD", "unit-test")
    st = SqliteStore(tmp_path / "tickets.db")
    try:
        tid = scheduled_ticket(st)
        yield st, tid
    finally:
        st.close()


def run(st: SqliteStore, tid: str, net: FakeNetwork, tmp_path: Path) -> Any:
    (tmp_path / "change.yaml").write_text(BOOK)
    ctx = RunContext(
        ticket_id=tid, store=st, inventory_path=ROOT / "inventory", actor="Andi",
        options=RunOptions(yes=True, early_reason="unit test: pushed before the agreed slot"),
        reporter=JsonLinesReporter(io.StringIO()), reports=tmp_path / "reports",
    )  # fmt: skip
    ctx.environment, ctx.drivers = Bench(net), net.driver
    return run_playbook(load_playbook(tmp_path / "change.yaml", ACTIONS), ctx)


def network(st: SqliteStore, tid: str, kea: LocalKea) -> FakeNetwork:
    plan = stored_plan(st.get(tid), "x")
    return FakeNetwork.blank(render_plan(plan, load_inventory(ROOT / "inventory")), kea=kea.server)


def test_the_confirmed_change_set_is_the_one_pushed(
    scheduled: tuple[SqliteStore, str], tmp_path: Path, local_kea: LocalKea
) -> None:
    st, tid = scheduled
    net = network(st, tid, local_kea)
    summary = run(st, tid, net, tmp_path)
    assert summary.state == "done", summary.to_json()
    diff, confirm, deploy = summary.steps
    digest = diff.data["change_set"]
    assert digest[:12] in confirm.detail
    assert deploy.data["deploy"]["change_set"] == digest
    assert {d["state"] for d in deploy.data["deploy"]["devices"]} == {"confirmed"}


def test_a_device_changed_after_the_diff_stops_the_push_everywhere(
    scheduled: tuple[SqliteStore, str], tmp_path: Path, local_kea: LocalKea
) -> None:
    st, tid = scheduled
    net = network(st, tid, local_kea)
    net.after(DIST, "get_config", lambda: net.devices[DIST].apply(["ip route 192.0.2.0/24 10.255.0.9"]))
    summary = run(st, tid, net, tmp_path)
    assert summary.state == "failed"
    deploy = summary.steps[-1]
    assert deploy.state == "failed" and f"{DIST}: the running config changed since the diff" in deploy.detail
    assert not net.carried_out("arm") and not net.carried_out("push")
    last = st.get(tid).events[-1]
    assert (last.step, last.outcome) == (7, "failed")


def test_the_devices_are_locked_from_the_diff_to_the_confirm(
    scheduled: tuple[SqliteStore, str], tmp_path: Path, local_kea: LocalKea
) -> None:
    """Another change on a device of this one, while the run is between its diff and its push, is refused."""
    st, tid = scheduled
    net = network(st, tid, local_kea)
    refused: list[str] = []

    def another_change() -> None:  # another process: this one's own locks are re-entrant
        code = (
            "from sipelangi_net.locks import holding\n"
            f"with holding([('device', {DIST!r})], purpose='another change'):\n"
            "    print('taken')\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
        )
        refused.append(proc.stdout + proc.stderr.strip().splitlines()[-1])

    net.after(DIST, "arm", another_change)
    summary = run(st, tid, net, tmp_path)
    assert summary.state == "done"
    assert refused and f"Busy: device {DIST} is locked by pid" in refused[0] and "taken" not in refused[0]
