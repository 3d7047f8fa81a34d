"""Nothing a device went through is lost from the ticket (sipelangi_net.change.journal / reconcile).

A ticket's deploy on a fake network (tests/unit/fake_network.py) with a real SQLite ticket
store: the store locked by a second connection while the devices are confirmed, the process
"killed" between confirms, journals cut short or edited. The record that ends on the ticket
holds what happened — the backups taken before the change and the run id — and a rerun
never pushes the same change twice.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_network import FakeNetwork
from kea_server import LocalKea
from ticket_data import scheduled, valid

from sipelangi_net.analysis.steps import stored_plan
from sipelangi_net.change.dhcp import ticket_of
from sipelangi_net.change.install import install_ticket
from sipelangi_net.change.journal import RUNS, Journal, pending, read
from sipelangi_net.change.render import render_plan
from sipelangi_net.environment import OpdSide
from sipelangi_net.errors import ConfigError, StoreError
from sipelangi_net.inventory import load_inventory
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.outputs import Installed, outputs_of
from sipelangi_net.tickets.sqlite import SqliteStore, utcnow
from sipelangi_net.tickets.workflow import completed

CORE, DIST, SW = "core-diskominfo", "dist-gerunggang", "sw-dinkes"
INVENTORY = load_inventory(Path(__file__).resolve().parents[2] / "inventory")


class Killed(Exception):
    """Stands for the process being killed: not a device's answer, so nothing handles it."""


class Bench:
    """The fake network as the edge would choose it: its drivers, no OPD-side checks."""

    name = "fake"

    def __init__(self, net: FakeNetwork) -> None:
        self.net = net

    def opd_side(self, plan: Any, inventory: Any) -> OpdSide:
        raise AssertionError("no bandwidth test here")

    def post_check(self, plan: Any, inventory: Any, factory: Any) -> tuple[Any, None]:
        return factory, None

    def diskominfo_side(self, inventory: Any) -> Any:
        raise AssertionError("no diagnosis here")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteStore]:
    monkeypatch.setenv("SIPELANGI_LOCKS", str(tmp_path / "locks"))
    monkeypatch.setenv("SIPELANGI_STORE_WAIT", "0.2")
    st = SqliteStore(tmp_path / "tickets.db", busy_timeout_ms=300)
    try:
        scheduled(st)
        yield st
    finally:
        st.close()


@pytest.fixture
def net(store: SqliteStore, local_kea: LocalKea) -> FakeNetwork:
    (ticket,) = store.tickets()
    return FakeNetwork.blank(render_plan(stored_plan(ticket, "deploy"), INVENTORY), kea=local_kea.server)


def tid_of(st: SqliteStore) -> str:
    (ticket,) = st.tickets()
    return str(ticket.id)


def install(st: SqliteStore, net: FakeNetwork, reports: Path, **kwargs: Any) -> Any:
    return install_ticket(
        st, tid_of(st), INVENTORY, actor="Andi", creds=None, reports=reports, environment=Bench(net),
        driver_factory=net.driver, confirm_seconds=60, **kwargs,
    )  # fmt: skip


def killed_after_confirming(device: str, st: SqliteStore, net: FakeNetwork, reports: Path) -> Path:
    """A deploy killed right after ``device`` confirmed (before its journal says so): its open journal."""

    def kill() -> None:
        raise Killed

    net.after(device, "confirm", kill)
    with pytest.raises(Killed):
        install(st, net, reports)
    (journal,) = pending(reports / tid_of(st))
    return journal


def kinds(path: Path, device: str = "") -> list[str]:
    return [e.kind for e in read(path) if e.device == device]


def installed(st: SqliteStore) -> Any:
    ticket = st.get(tid_of(st))
    event = completed(ticket, 7)
    assert event is not None, "step 7 is done"
    deploy = outputs_of(ticket, event, Installed).deploy
    assert deploy is not None
    return deploy


def blank_backups(deploy: Any) -> None:
    """The backups the record names are the configs from before the change (blank devices)."""
    for d in deploy.devices:
        text = Path(d.backup_path).read_text()
        assert "SPL-" not in text and "10.20.0" not in text, f"{d.device}: backup taken after the change"


def test_a_run_journals_each_phase_and_closes_when_recorded(
    store: SqliteStore, net: FakeNetwork, tmp_path: Path
) -> None:
    done = install(store, net, tmp_path / "reports")
    assert done.report.ok and not done.reconciled
    deploy = installed(store)
    (journal,) = (tmp_path / "reports" / tid_of(store) / RUNS).glob("*.jsonl")
    assert deploy.run_id == journal.stem and deploy.change_set
    assert kinds(journal)[:2] == ["start", "change"] and kinds(journal)[-2:] == ["report", "recorded"]
    for device in (CORE, DIST, SW):
        assert kinds(journal, device) == [
            "backup", "arming", "armed", "pushed", "verified", "confirming", "confirmed",
        ]  # fmt: skip
    assert oct(journal.stat().st_mode & 0o777) == "0o600"
    assert pending(tmp_path / "reports" / tid_of(store)) == []
    blank_backups(deploy)


def test_a_store_locked_while_the_devices_are_confirmed_loses_nothing(
    store: SqliteStore, net: FakeNetwork, tmp_path: Path
) -> None:
    """The deploy confirms every device, then cannot record (the database is locked by another
    connection past the busy timeout): the error says where the record is kept; the rerun records
    it from the journal — the pre-change backups, the run id — and sends nothing to any device."""
    reports = tmp_path / "reports"
    holder = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    net.after(SW, "confirm", lambda: holder.execute("BEGIN EXCLUSIVE"))
    try:
        with pytest.raises(StoreError) as caught:
            install(store, net, reports)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    message = str(caught.value)
    assert message.startswith(
        f"ticket {tid_of(store)}: the change is confirmed on every device, but the ticket"
    )
    assert "database is locked" in message and "records it from there first" in message
    (journal,) = pending(reports / tid_of(store))
    assert str(journal) in message
    assert store.get(tid_of(store)).status == "scheduled", "nothing recorded yet"
    assert all(d.snapshot is None for d in net.devices.values()), "every device was confirmed"

    sent_before = {n: list(d.received) for n, d in net.devices.items()}
    again = install(store, net, reports)
    assert again.reconciled and again.report.ok
    assert {n: list(d.received) for n, d in net.devices.items()} == {
        n: [*v] for n, v in sent_before.items()
    }, "the rerun touched no device"
    deploy = installed(store)
    assert deploy.run_id == journal.stem
    assert {d.device: d.state for d in deploy.devices} == dict.fromkeys((CORE, DIST, SW), "confirmed")
    blank_backups(deploy)
    assert kinds(journal)[-1] == "recorded" and pending(reports / tid_of(store)) == []
    steps7 = [e for e in store.get(tid_of(store)).events if e.step == 7]
    assert len(steps7) == 1, "recorded once"


def test_a_run_killed_between_confirms_is_undone_recorded_and_pushed_again(
    store: SqliteStore, net: FakeNetwork, tmp_path: Path
) -> None:
    """Killed right after core was confirmed: dist and sw revert on their own timers (the rerun
    waits for them), core is put back through the safe push, the killed run is recorded as
    failed with what happened, and the rerun then installs the change for real."""
    reports = tmp_path / "reports"
    journal = killed_after_confirming(CORE, store, net, reports)
    assert net.devices[DIST].snapshot is not None, "dist was left armed"

    waited: list[float] = []

    def timers_fire(seconds: float) -> None:
        waited.append(seconds)
        for device in net.devices.values():
            device.expire()

    done = install(store, net, reports, sleep=timers_fire)
    assert waited and 55 < waited[0] <= 66, "waited for the 60 s timers (and the margin)"
    assert not done.reconciled and done.report.ok, done.report.error
    events = [e for e in store.get(tid_of(store)).events if e.step == 7]
    assert [e.outcome for e in events] == ["failed", "done"]
    killed = outputs_of(store.get(tid_of(store)), events[0], Installed).deploy
    assert killed is not None and killed.run_id == journal.stem
    assert (
        "stopped before it finished" in killed.error and f"put back to their backups: {CORE}" in killed.error
    )
    assert {d.device: d.state for d in killed.devices} == dict.fromkeys((CORE, DIST, SW), "rolled_back")
    assert any((reports / tid_of(store) / "undo").iterdir()), "core's put-back took its own backup first"
    assert "the OPD's DHCP scope stays on srv-dhcp" in killed.error, "no revert timer on the DHCP server"
    blank_backups(installed(store))
    assert pending(reports / tid_of(store)) == []
    rerun = installed(store).dhcp
    assert rerun is not None and rerun.commands == (), "the rerun found the scope in place"
    assert [ticket_of(e) for e in net.subnets()] == [tid_of(store)]


def test_a_run_killed_after_every_confirm_is_recorded_as_installed(
    store: SqliteStore, net: FakeNetwork, tmp_path: Path
) -> None:
    """Killed once the journal says every device is confirmed, before the run's report."""
    reports = tmp_path / "reports"

    def kill_after_the_last(device: str, what: str) -> None:
        if (device, what) == (SW, "confirmed"):
            raise Killed

    with pytest.raises(Killed):
        install(store, net, reports, progress=kill_after_the_last)
    done = install(store, net, reports, sleep=lambda _s: pytest.fail("nothing is armed: no wait"))
    assert done.reconciled and done.report.ok
    deploy = installed(store)
    assert {d.device: d.state for d in deploy.devices} == dict.fromkeys((CORE, DIST, SW), "confirmed")
    blank_backups(deploy)


def test_a_journal_already_on_the_ticket_is_closed_not_recorded_twice(
    store: SqliteStore, net: FakeNetwork, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    install(store, net, reports)
    (journal,) = (reports / tid_of(store) / RUNS).glob("*.jsonl")
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:-1]) + "\n")  # the run died before it could close it
    assert pending(reports / tid_of(store)) == [journal]
    from sipelangi_net.change.reconcile import reconcile

    earlier = reconcile(store, tid_of(store), reports / tid_of(store), actor="Andi", undo=lambda b, e: None)  # type: ignore[arg-type,return-value]
    assert earlier.report is None and pending(reports / tid_of(store)) == []
    assert len([e for e in store.get(tid_of(store)).events if e.step == 7]) == 1


# --- a journal read back is untrusted ----------------------------------------------------------


def test_a_torn_last_line_is_ignored_and_a_bad_line_is_named(tmp_path: Path) -> None:
    journal = Journal.start(tmp_path, actor="Andi", confirm_seconds=60)
    journal.note("core", "backup", {"sha256": "a" * 64, "path": "x"})
    with journal.path.open("a") as f:
        f.write('{"at": 1, "kind": "arm')  # the write the process died in
    assert [e.kind for e in read(journal.path)] == ["start", "backup"]
    journal.path.write_text(journal.path.read_text().replace('"arm', '"armed"}\n{"at": -1, "kind": "x"}\n'))
    with pytest.raises(ConfigError, match=rf"^{journal.path}: line 4: at: Input should be greater"):
        read(journal.path)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"kind": "report", "data": {"deploy": {"ticket_id": "SPL-2026-99999"}}},
            "the report of ticket SPL-2026-99999",
        ),
        ({"kind": "report", "data": {"deploy": {"ticket_id": "X", "devices": "all"}}}, "cannot be read back"),
        ({"kind": "confirmed", "device": "../../etc", "data": {}}, "line 2: device"),
    ],
)
def test_an_edited_journal_is_refused_naming_it(
    store: SqliteStore, net: FakeNetwork, tmp_path: Path, entry: dict[str, Any], message: str
) -> None:
    folder = tmp_path / "reports" / tid_of(store)
    journal = Journal.start(folder, actor="Andi", confirm_seconds=60)
    with journal.path.open("a") as f:
        f.write(json.dumps({"at": 1.0, **entry}) + "\n")
    with pytest.raises(ConfigError, match=message) as caught:
        install(store, net, tmp_path / "reports")
    assert str(journal.path) in str(caught.value)
    assert not net.carried_out("open"), "no device touched"


def test_a_backup_path_outside_the_ticket_is_never_pushed(
    store: SqliteStore, net: FakeNetwork, tmp_path: Path
) -> None:
    """A killed run's journal names a 'backup' outside the ticket's folder: the undo refuses it."""
    reports = tmp_path / "reports"
    journal = killed_after_confirming(CORE, store, net, reports)
    text = journal.read_text()
    core_backup = next(e for e in read(journal) if e.kind == "backup" and e.device == CORE).data["path"]
    journal.write_text(text.replace(core_backup, "/etc/passwd"))
    with pytest.raises(ConfigError, match=r"run journal backup_path '/etc/passwd' is not a backup under"):
        install(store, net, reports, sleep=lambda _s: None)


def test_a_test_result_the_store_could_not_take_is_recorded_from_the_journal(
    store: SqliteStore, net: FakeNetwork, tmp_path: Path
) -> None:
    """Step 7 is on the ticket, step 8 is not (the store locked right between the two writes):
    the journal's bandwidth result is recorded as step 8 — once — instead of measuring again."""
    from sipelangi_net.change.reconcile import reconcile

    reports = tmp_path / "reports"
    install(store, net, reports)
    (journal,) = (reports / tid_of(store) / RUNS).glob("*.jsonl")
    tested = valid(Move(step=8, actor="Andi"), tid_of(store)).outputs
    tested["bwtest"]["started_at"] = utcnow().isoformat()  # measured during the run
    lines = [json.loads(line) for line in journal.read_text().splitlines()[:-1]]  # not closed
    lines[-1]["data"]["tested"] = tested  # the run had measured before it confirmed
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert completed(store.get(tid_of(store)), 8) is None

    for _ in range(2):
        reconcile(store, tid_of(store), reports / tid_of(store), actor="Andi", undo=lambda b, e: None)  # type: ignore[arg-type,return-value]
    steps = [e.step for e in store.get(tid_of(store)).events]
    assert steps.count(7) == 1 and steps.count(8) == 1
    recorded = completed(store.get(tid_of(store)), 8).outputs["bwtest"]  # type: ignore[union-attr]
    assert (
        recorded["verdict"] == tested["bwtest"]["verdict"]
        and recorded["reason"] == tested["bwtest"]["reason"]
    )


def test_a_diff_after_a_killed_run_reads_the_devices_once_they_settled(
    store: SqliteStore, net: FakeNetwork, tmp_path: Path
) -> None:
    """provision's diff step after a run killed right after the push: read then, the diff would
    be taken from a change about to revert and the push refused. recover first waits for
    the devices' own timers and records the killed run; the diff read after it is what is pushed."""
    from sipelangi_net.change.install import recover, run_deploy

    reports = tmp_path / "reports"

    def kill() -> None:
        raise Killed

    net.after(SW, "push", kill)
    with pytest.raises(Killed):
        install(store, net, reports)
    net.after(SW, "push", lambda: None)
    assert net.devices[SW].snapshot is not None, "killed while armed"

    def timers_fire(_seconds: float) -> None:
        for device in net.devices.values():
            device.expire()

    earlier = recover(
        store, tid_of(store), INVENTORY, actor="Andi", creds=None, reports=reports,
        driver_factory=net.driver, sleep=timers_fire,
    )  # fmt: skip
    assert earlier.report is None and earlier.waited_s > 0 and pending(reports / tid_of(store)) == []
    assert [e.outcome for e in store.get(tid_of(store)).events if e.step == 7] == ["failed"]
    plan = stored_plan(store.get(tid_of(store)), "deploy")
    dry, _gate = run_deploy(
        plan, INVENTORY, creds=None, backups=tmp_path / "dry", environment=Bench(net), dry_run=True,
        driver_factory=net.driver,
    )  # fmt: skip
    done = install(store, net, reports, approved=dry.change)
    assert done.report.ok and done.report.change_set == dry.change_set, done.report.error
