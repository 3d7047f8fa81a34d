"""Playbooks as data: loading with clear errors, the runner's stop/pause/resume rules, the locks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.errors import Busy, DeviceError, PlaybookError
from sipelangi_net.locks import holding
from sipelangi_net.playbook.actions import ACTIONS, Action
from sipelangi_net.playbook.context import Outcome, RunContext, RunOptions, done, paused, skipped
from sipelangi_net.playbook.model import load_playbook
from sipelangi_net.playbook.runner import EXIT_PAUSED, run_playbook

ROOT = Path(__file__).resolve().parents[2]
HEAD = "name: x\ndescription: d\nsteps:\n"


@pytest.fixture(autouse=True)
def locks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SIPELANGI_LOCKS", str(tmp_path / "locks"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "book.yaml"
    path.write_text(text)
    return path


def test_the_shipped_playbooks_load() -> None:
    book = load_playbook(ROOT / "playbooks" / "provision.yaml", ACTIONS)
    assert [s.action for s in book.steps] == [
        "analyze", "prepare", "schedule", "window", "diff", "confirm", "deploy", "handover",
        "installation_report", "close", "notify",
    ]  # fmt: skip
    assert [s.sop_step for s in book.steps if s.sop_step] == [4, 5, 6, 7, 9, 10, 11, 12]
    for other in ("compliance", "backup", "rollback"):
        assert load_playbook(ROOT / "playbooks" / f"{other}.yaml", ACTIONS).name == other


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: x\ndescription: d\nsteps:\n  - {name: a, action: fly}\n",
            "steps.0 (a): unknown action 'fly'",
        ),
        (
            "name: x\ndescription: d\nsteps:\n  - {name: a, action: deploy, with: {force: true}}\n",
            "option 'force' not accepted (accepted: bandwidth_gate, confirm_timeout)",
        ),
        (
            "name: x\ndescription: d\nsteps:\n  - {name: a, action: diff}\n  - {name: a, action: diff}\n",
            "used twice",
        ),
        ("name: x\ndescription: d\nsteps: []\n", "steps: List should have at least 1 item"),
        ("name: x\ndescription: d\nsteps:\n  - {name: a, action: diff, sop_step: 13}\n", "sop_step"),
        ("name: x\nsteps: [\n", "YAML error"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_a_bad_playbook_names_the_file_and_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PlaybookError) as exc:
        load_playbook(path, ACTIONS)
    assert str(path) in str(exc.value) and message in str(exc.value)


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []

    def step_started(self, name: str) -> None:
        self.events.append(("start", name))

    def step_finished(self, name: str, outcome: Outcome, seconds: float) -> None:
        self.events.append(("end", name, outcome.state))

    def device(self, step: str, device: str, state: str) -> None:
        self.events.append(("device", device, state))


class FakeStore:
    def get(self, _ticket_id: str) -> Any:
        return type("T", (), {"status": "tested"})()


def context(tmp_path: Path, **options: Any) -> RunContext:
    return RunContext(
        ticket_id="SPL-2026-00001", store=FakeStore(), inventory_path=tmp_path, actor="tim-kerja",
        options=RunOptions(**options), reporter=Recorder(), reports=tmp_path,
    )  # fmt: skip


def fake(*outcomes: Outcome | Exception) -> dict[str, Action]:
    made = {}
    for n, outcome in enumerate(outcomes):

        def fn(_ctx: RunContext, _opts: dict[str, Any], o: Outcome | Exception = outcome) -> Outcome:
            if isinstance(o, Exception):
                raise o
            return o

        made[f"a_{'abcdefgh'[n]}"] = Action(fn, frozenset(), "fake")
    return made


def book(tmp_path: Path, actions: dict[str, Action], stop_on_dry_run: str = "") -> Any:
    steps = "".join(
        f"  - {{name: step {n}, action: {a}{', stop_on_dry_run: true' if a == stop_on_dry_run else ''}}}\n"
        for n, a in enumerate(actions)
    )
    return load_playbook(write(tmp_path, f"name: t\ndescription: d\nsteps:\n{steps}"), actions)


def test_steps_run_in_order_and_a_pause_ends_the_run_with_75(tmp_path: Path) -> None:
    actions = fake(skipped("already"), done("ok"), paused("waiting for signatures"), done("never"))
    ctx = context(tmp_path)
    summary = run_playbook(book(tmp_path, actions), ctx, actions=actions)
    assert [s.state for s in summary.steps] == ["skipped", "done", "paused"]
    assert summary.exit_code == EXIT_PAUSED and summary.status == "tested"
    assert ctx.reporter.events[-1] == ("end", "step 2", "paused")  # type: ignore[attr-defined]


def test_an_error_in_a_step_ends_the_run_with_its_exit_code(tmp_path: Path) -> None:
    actions = fake(done("ok"), DeviceError("dist-gerunggang", "no answer"), done("never"))
    summary = run_playbook(book(tmp_path, actions), context(tmp_path), actions=actions)
    assert summary.state == "failed" and summary.exit_code == 5
    assert summary.steps[-1].detail == "dist-gerunggang: no answer"


def test_dry_run_stops_after_the_marked_step(tmp_path: Path) -> None:
    actions = fake(done("plan"), done("3 commands"), done("never"))
    summary = run_playbook(book(tmp_path, actions, "a_b"), context(tmp_path, dry_run=True), actions=actions)
    assert [s.state for s in summary.steps] == ["done", "stopped"] and summary.exit_code == 0
    assert "nothing was changed" in summary.steps[-1].detail


def test_overhead_is_what_is_left_after_io(tmp_path: Path) -> None:
    def slow(ctx: RunContext, _opts: dict[str, Any]) -> Outcome:
        with ctx.timed("device_io"):
            time.sleep(0.2)
        return done("read")

    actions = {"slow": Action(slow, frozenset(), "slow")}
    summary = run_playbook(book(tmp_path, actions), context(tmp_path), actions=actions)
    assert summary.timings["device_io"] >= 0.2
    assert 0 <= summary.overhead_s < summary.seconds - 0.19


def test_a_held_ticket_lock_refuses_a_second_run_naming_the_holder(tmp_path: Path) -> None:
    actions = fake(done("ok"))
    ctx = context(tmp_path)
    with holding([("ticket", "SPL-2026-00001")], purpose="provision SPL-2026-00001"):
        child = subprocess.run(
            [sys.executable, "-c", "from sipelangi_net.locks import holding\n"
             "with holding([('ticket', 'SPL-2026-00001')], purpose='x'): pass"],
            capture_output=True, text=True, env=os.environ.copy(), check=False,
        )  # fmt: skip
        assert child.returncode != 0
        assert (
            f"ticket SPL-2026-00001 is locked by pid {os.getpid()} (provision SPL-2026-00001)" in child.stderr
        )
        # the same process may ask again (a run's stage taking the ticket's lock it already holds)
        assert run_playbook(book(tmp_path, actions), ctx, actions=actions).exit_code == 0


def test_a_waiting_run_gets_the_lock_when_the_holder_lets_go(tmp_path: Path) -> None:
    script = (
        "import time\nfrom sipelangi_net.locks import holding\n"
        "with holding([('device', 'sw-dinkes')], purpose='deploy'):\n"
        "    print('held', flush=True)\n    time.sleep(0.6)\n"
    )
    argv = [sys.executable, "-c", script]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=os.environ.copy()) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        busy = pytest.raises(Busy, match=r"device sw-dinkes is locked by pid \d+ \(deploy\)")
        with busy, holding([("device", "sw-dinkes")], purpose="other"):
            pass
        t0 = time.monotonic()
        with holding([("device", "sw-dinkes")], purpose="other", wait=10):
            assert time.monotonic() - t0 < 5
        holder.wait(timeout=10)


def test_a_run_without_handover_signers_waits_for_the_signed_berita_acara(tmp_path: Path) -> None:
    from test_policy import at_status

    from sipelangi_net.tickets.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "tickets.db")
    try:
        ticket = at_status(store, "tested")
        ctx = RunContext(
            ticket_id=ticket.id, store=store, inventory_path=tmp_path, actor="tim-kerja",
            options=RunOptions(), reporter=Recorder(), reports=tmp_path,
        )  # fmt: skip
        outcome = ACTIONS["handover"].fn(ctx, {})
        assert outcome.state == "paused", outcome
        assert f"ticket sign {ticket.id}" in outcome.detail and "work page" in outcome.detail
        assert store.get(ticket.id).status == "tested", "nothing recorded while it waits"
    finally:
        store.close()
