"""The agreed slot as a change window: before it a run waits, inside it pushes, after it needs --now --reason.

The check (analysis.window) is pure; the playbook's ``window`` step runs on the run's clock and
sleeper (injected here: nothing sleeps); ``provision`` and ``deploy`` stop before any device.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_documents_data import T0, deploy_json, ticket_upto
from ticket_data import cli_env, request, valid

from sipelangi_net.analysis.window import check_window
from sipelangi_net.change.push import DeployReport, DeviceResult
from sipelangi_net.change.record import record_installation
from sipelangi_net.errors import OutputsError
from sipelangi_net.playbook.actions import ACTIONS
from sipelangi_net.playbook.context import Outcome, RunContext, RunOptions
from sipelangi_net.playbook.model import load_playbook
from sipelangi_net.playbook.runner import EXIT_PAUSED, run_playbook
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.outputs import Installed, check_outputs, outputs_of
from sipelangi_net.tickets.sqlite import SqliteStore

START = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)  # Wednesday 09:00 WIB
END = START + dt.timedelta(hours=3, minutes=15)
SLOT = {
    "start": START.isoformat(),
    "end": END.isoformat(),
    "schedule": "Rabu, 2 Desember 2026",
    "agreed_with": "Budi",
}
SCRIPT = Path(sys.executable).parent / "sipelangi-net"


def scheduled(slot: dict[str, Any] | None = None) -> Ticket:
    return ticket_upto(6, outputs={6: slot if slot is not None else SLOT})


def test_before_the_slot_the_push_waits_and_says_when_in_wib_and_iso() -> None:
    check = check_window(scheduled(), now=START - dt.timedelta(hours=2, minutes=30))
    assert check.verdict == "wait" and check.record is None and check.start == START
    assert check.wait_s == 2.5 * 3600
    assert "starts in 2 h 30 min: nothing was pushed" in check.message
    assert "2026-12-02T09:00:00+07:00" in check.message and "02-12-2026 09.00 WIB" in check.message
    assert "Rabu, 2 Desember 2026 pukul 09.00" in check.message and "--now --reason" in check.message


def test_inside_the_slot_the_push_goes_and_is_recorded_inside() -> None:
    for now in (START, END - dt.timedelta(seconds=1)):
        check = check_window(scheduled(), now=now)
        assert check.go and check.record is not None
        assert (check.record.position, check.record.at, check.record.reason) == ("inside", now, "")


def test_after_the_slot_the_push_is_refused_unless_overridden() -> None:
    ticket = scheduled()
    check = check_window(ticket, now=END)
    assert check.verdict == "refused" and "ended 1 min ago: nothing was pushed" in check.message
    assert f"sipelangi-net schedule {ticket.id} --agreed" in check.message  # step 6 may be recorded again
    late = check_window(ticket, now=END + dt.timedelta(days=1), reason="  OPD minta dipasang besok  ")
    assert late.go and late.record is not None
    assert (late.record.position, late.record.reason) == ("late", "OPD minta dipasang besok")


def test_now_with_a_reason_pushes_early_and_keeps_why() -> None:
    check = check_window(scheduled(), now=T0, reason="jaringan darurat untuk vaksinasi")
    assert check.go and check.record is not None
    assert check.record.position == "early" and check.record.reason == "jaringan darurat untuk vaksinasi"
    assert check.record.start == START and check.record.end == END


def test_a_slot_recorded_by_hand_without_times_is_not_checked() -> None:
    check = check_window(scheduled({"schedule": "Rabu pagi"}), now=T0)
    assert check.go and check.record is not None and check.record.position == "unchecked"
    assert "recorded by hand as 'Rabu pagi'" in check.message


def test_step_7_keeps_the_slot_strictly() -> None:
    deploy = deploy_json()
    record = check_window(scheduled(), now=T0, reason="darurat").record
    assert record is not None
    kept = check_outputs(
        "SPL-2026-00001", 7, "done", {"deploy": deploy, "slot": record.model_dump(mode="json")}
    )
    assert kept["slot"]["reason"] == "darurat" and kept["slot"]["position"] == "early"
    for bad, message in [
        ({"position": "early", "reason": ""}, "outputs.slot.reason: a push early for its slot needs why"),
        ({"position": "unchecked"}, "outputs.slot: start and end are given exactly when"),
        ({"position": "someday"}, "outputs.slot.position"),
        ({"note": "x"}, "outputs.slot.note"),
    ]:
        slot = record.model_dump(mode="json") | bad
        with pytest.raises(OutputsError, match=message.replace(".", r"\.")):
            check_outputs("SPL-2026-00001", 7, "done", {"deploy": deploy, "slot": slot})


class Store:
    def __init__(self, ticket: Ticket) -> None:
        self.ticket = ticket

    def get(self, _ticket_id: str) -> Ticket:
        return self.ticket


class Clock:
    """The run's clock and sleeper: sleeping moves the clock, nothing really sleeps."""

    def __init__(self, now: dt.datetime) -> None:
        self.at = now
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.at += dt.timedelta(seconds=seconds)


class Quiet:
    def step_started(self, name: str) -> None: ...

    def step_finished(self, name: str, outcome: Outcome, seconds: float) -> None: ...

    def device(self, step: str, device: str, state: str) -> None: ...


@pytest.fixture(autouse=True)
def locks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SIPELANGI_LOCKS", str(tmp_path / "locks"))


def run_window(tmp_path: Path, clock: Clock, ticket: Ticket | None = None, **options: Any) -> Any:
    book = tmp_path / "book.yaml"
    book.write_text("name: slot\ndescription: d\nsteps:\n  - {name: agreed slot, action: window}\n")
    ctx = RunContext(
        ticket_id="SPL-2026-00001", store=Store(ticket or scheduled()), inventory_path=tmp_path,
        actor="tim-kerja", options=RunOptions(**options), reporter=Quiet(), reports=tmp_path,
        clock=clock.now, sleep=clock.sleep,
    )  # fmt: skip
    return run_playbook(load_playbook(book, ACTIONS), ctx)


def test_the_window_step_before_the_slot_pauses_the_run_with_75(tmp_path: Path) -> None:
    clock = Clock(START - dt.timedelta(hours=1))
    summary = run_window(tmp_path, clock, slot_wait=3599)  # the slot starts later than --wait allows
    assert summary.exit_code == EXIT_PAUSED and summary.steps[-1].state == "paused"
    assert "starts in 1 h" in summary.steps[-1].detail and clock.slept == []


def test_the_window_step_waits_for_the_slot_within_wait_and_goes_on(tmp_path: Path) -> None:
    clock = Clock(START - dt.timedelta(minutes=150))
    summary = run_window(tmp_path, clock, slot_wait=3 * 3600)
    assert summary.exit_code == 0 and summary.steps[-1].state == "done", summary.steps[-1].detail
    assert clock.at == START and sum(clock.slept) == 150 * 60 and max(clock.slept) <= 60
    assert summary.steps[-1].data["slot"]["position"] == "inside"
    assert summary.timings["waiting"] >= 0


def test_the_window_step_after_the_slot_fails_with_6_and_in_a_dry_run_never_waits(tmp_path: Path) -> None:
    summary = run_window(tmp_path, Clock(END + dt.timedelta(hours=1)))
    assert summary.exit_code == 6 and "ended 1 h ago" in str(summary.error)
    clock = Clock(START - dt.timedelta(hours=1))
    dry = run_window(tmp_path, clock, dry_run=True, slot_wait=7200)
    assert dry.exit_code == 0 and clock.slept == [] and "dry run, not waiting" in dry.steps[-1].detail


def test_the_window_step_with_now_and_a_reason_goes_early(tmp_path: Path) -> None:
    summary = run_window(tmp_path, Clock(T0), early_reason="uji lab")
    slot = summary.steps[-1].data["slot"]
    assert summary.exit_code == 0 and (slot["position"], slot["reason"]) == ("early", "uji lab")


def test_step_7_records_the_reason_of_an_early_push(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "t.db", webhook_url="")
    try:
        tid = store.create(request(), helpdesk="Helpdesk").id
        store.apply(tid, Move(step=3, actor="Kadis", outcome="approve"))
        for step in (4, 5):
            store.apply(tid, valid(Move(step=step, actor="Andi"), tid))
        store.apply(tid, Move(step=6, actor="Andi", outputs=SLOT))
        check = check_window(store.get(tid), now=T0, reason="darurat: layanan vaksinasi")
        report = DeployReport(
            ticket_id=tid, changed=True,
            devices=[DeviceResult(**(deploy_json(tid)["devices"][0] | {"commands": ("exit",)}))],
        )  # fmt: skip
        ticket = record_installation(store, tid, "Andi", report, None, slot=check.record)
        slot = outputs_of(ticket, ticket.events[-1], Installed).slot
        assert slot is not None and (slot.position, slot.reason) == ("early", "darurat: layanan vaksinasi")
    finally:
        store.close()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    e = cli_env()
    e.update(SIPELANGI_DB=str(tmp_path / "t.db"), SIPELANGI_REPORTS=str(tmp_path / "r"),
             SIPELANGI_LOCKS=str(tmp_path / "locks"), SIPELANGI_ACTOR="tim-kerja")  # fmt: skip
    yield e


def future_slot(env: dict[str, str]) -> str:
    """A ticket at step 6 whose agreed slot starts in two days (steps recorded as their commands do)."""
    store = SqliteStore(Path(env["SIPELANGI_DB"]), webhook_url="")
    try:
        tid = store.create(request(), helpdesk="Helpdesk").id
        store.apply(tid, Move(step=3, actor="Kadis", outcome="approve"))
        for step in (4, 5):
            store.apply(tid, valid(Move(step=step, actor="Andi"), tid))
        start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
        slot = {"start": start.isoformat(), "end": (start + dt.timedelta(hours=3)).isoformat()}
        store.apply(tid, Move(step=6, actor="Andi", outputs=slot))
    finally:
        store.close()
    return tid


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_provision_before_the_slot_stops_at_it_with_75_and_nothing_pushed(env: dict[str, str]) -> None:
    tid = future_slot(env)
    proc = cli(env, "provision", tid, "--yes", "--json")
    assert proc.returncode == EXIT_PAUSED, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert [s["state"] for s in summary["steps"]] == ["skipped", "skipped", "skipped", "paused"]
    last = summary["steps"][-1]
    assert last["name"] == "agreed slot" and re.search(r"starts in (2 d|1 d 23 h 59 min):", last["detail"])
    assert summary["status"] == "scheduled"


def test_deploy_before_the_slot_stops_with_75_before_any_device(env: dict[str, str]) -> None:
    tid = future_slot(env)
    proc = cli(env, "deploy", tid)
    assert proc.returncode == EXIT_PAUSED and "the agreed installation slot" in proc.stderr, proc.stderr
    assert "nothing was pushed" in proc.stderr and "WIB" in proc.stderr


@pytest.mark.parametrize("command", ["provision", "deploy"])
def test_now_without_a_reason_is_bad_input(env: dict[str, str], command: str) -> None:
    tid = future_slot(env)
    proc = cli(env, command, tid, "--now")
    assert proc.returncode == 2 and "--now needs --reason TEXT" in proc.stderr, proc.stderr
    proc = cli(env, command, tid, "--reason", "darurat")
    assert proc.returncode == 2 and "--reason goes with --now" in proc.stderr, proc.stderr
