"""The fault record in the SQLite ticket store: migration 7, SqliteFaults, the fault notifications."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from ticket_data import request

from sipelangi_net.compliance.faults import list_faults
from sipelangi_net.errors import MalformedTicketError, TicketNotFound, WorkflowError
from sipelangi_net.faults.models import FaultActor, FaultRecord, LinkRef
from sipelangi_net.faults.records import FaultDraft, FaultRecords
from sipelangi_net.faults.sop import FaultRole
from sipelangi_net.tickets.models import Move, Notification
from sipelangi_net.tickets.notify import deliver_due
from sipelangi_net.tickets.officials import Official, Officials
from sipelangi_net.tickets.sqlite import MIGRATIONS, SCHEMA_VERSION, SqliteStore

T0 = dt.datetime(2026, 11, 28, 19, 0, tzinfo=dt.UTC)
MONITOR = FaultActor(role=FaultRole.MONITOR, name="nms-diskominfo")
HELPDESK = FaultActor(role=FaultRole.HELPDESK, name="rina")
TIM = FaultActor(role=FaultRole.TIM_KERJA, name="andi")
HELPDESK_MAIL = "helpdesk@diskominfo.pangkalpinangkota.go.id"
PIC = "budi@dinkes.pangkalpinangkota.go.id"


def store_at(path: Path, *, helpdesk: str | None = HELPDESK_MAIL) -> SqliteStore:
    officials = Officials(helpdesk=Official(email=helpdesk), source="officials.yaml")
    return SqliteStore(path, officials=officials)


def link_draft(**changes: object) -> FaultDraft:
    fields: dict[str, object] = {
        "key": "monitor:link:core-diskominfo:eth2--dist-gerunggang:eth0:down",
        "kind": "link_down",
        "source": "monitor",
        "severity": "outage",
        "device": "core-diskominfo",
        "link": LinkRef(a="core-diskominfo", b="dist-gerunggang"),
        "opds": ("dinkes",),
        "summary": "link core-diskominfo - dist-gerunggang putus",
        "opened_at": T0,
    }
    fields.update(changes)
    return FaultDraft.model_validate(fields)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = store_at(tmp_path / "t.db")
    yield s
    s.close()


def test_a_database_of_the_previous_schema_migrates_with_compliances_faults(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    for script in MIGRATIONS[:6]:
        conn.executescript(script)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    conn.execute(
        "INSERT INTO tickets (id, year, number, created_at, request, status) VALUES (?, 2026, 1, ?, ?, ?)",
        ("SPL-2026-00001", "2026-11-20T01:00:00+00:00", request().model_dump_json(), "submitted"),
    )
    conn.execute(
        "INSERT INTO notifications (ticket_id, kind, channel, recipient, subject, body, status, created_at,"
        " next_attempt_at) VALUES ('SPL-2026-00001', 'schedule', 'email', ?, 's', 'b', 'pending', ?, ?)",
        (PIC, "2026-11-20T01:00:00+00:00", "2026-11-20T01:00:00+00:00"),
    )
    old = "INSERT INTO faults (device, finding, status, summary, detail, opened_at, last_seen_at, seen,"
    old += " closed_at) VALUES (?, ?, ?, ?, '{}', ?, ?, ?, ?)"
    opened, seen = "2026-11-27T19:00:00+00:00", "2026-11-28T19:00:00+00:00"
    conn.execute(old, ("r1", "drift:interfaces", "closed", "r1: interfaces drifted", opened, seen, 2, seen))
    conn.execute(old, ("r1", "unreachable", "open", "r1: unreachable: timeout", opened, seen, 3, None))
    conn.close()

    st = store_at(db)
    try:
        assert st.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        first, second = st.faults.list()
        assert (first.label, first.kind, first.source, first.severity) == (
            "GGN-00001",
            "config_drift",
            "compliance",
            "minor",
        )
        assert [e.step for e in first.history] == ["reported", "verified", "closed"]
        assert (
            first.closed_at == dt.datetime.fromisoformat(seen) and first.history[0].actor.name == "compliance"
        )
        assert (second.kind, second.step, second.closed) == ("unreachable", "reported", False)
        assert st.faults.open_by_key("compliance:r1:unreachable") == second
        assert st.faults.sighting(second.id).seen == 3
        # the sequence goes on; the old notification is still the ticket's
        new, made = st.faults.open(link_draft(), actor=MONITOR, at=T0)
        assert made and new.label == "GGN-00003"
        assert [n.ticket_id for n in st.outbox(ticket_id="SPL-2026-00001")] == ["SPL-2026-00001"]
        assert {n.fault_id for n in st.outbox(fault_id=3)} == {3}
    finally:
        st.close()


def test_open_is_one_fault_per_key_and_fills_the_opds_installation_tickets(store: SqliteStore) -> None:
    faults: FaultRecords = store.faults
    withdrawn = store.create(request(), helpdesk="Helpdesk Rina")
    store.apply(withdrawn.id, Move(step=11, actor="Budi", outcome="withdraw", note="salah kirim"))
    installed = store.create(request(), helpdesk="Helpdesk Rina")
    store.create(request(site="bappeda", opd="Bappeda"), helpdesk="Helpdesk Rina")
    fault, made = faults.open(link_draft(), actor=MONITOR, at=T0 + dt.timedelta(minutes=1))
    assert made and fault.tickets == (installed.id,) and fault.opds == ("dinkes",)
    assert fault.history[0].actor == MONITOR and fault.step == "reported"
    again, made = faults.open(link_draft(summary="lagi"), actor=MONITOR, at=T0 + dt.timedelta(minutes=2))
    assert not made and again == fault
    given, _ = faults.open(link_draft(key="pemohon:1", tickets=(withdrawn.id,)), actor=HELPDESK, at=T0)
    assert given.tickets == (withdrawn.id,)
    assert [f.id for f in faults.list(opd="dinkes")] == [1, 2] and faults.list(opd="bappeda") == []


def test_steps_are_checked_timed_and_a_closed_key_opens_a_new_fault(store: SqliteStore) -> None:
    faults = store.faults
    fault, _ = faults.open(link_draft(), actor=MONITOR, at=T0)
    with pytest.raises(WorkflowError, match=r"GGN-00001.*recorded by Helpdesk"):
        faults.move(fault.id, "triaged", actor=TIM, at=T0)
    with pytest.raises(WorkflowError, match=r"GGN-00001.*before the last step"):
        faults.move(fault.id, "triaged", actor=HELPDESK, at=T0 - dt.timedelta(minutes=1))
    later = [T0 + dt.timedelta(minutes=m) for m in (5, 20, 60, 70, 75)]
    for step, actor, at in zip(
        ("triaged", "diagnosed", "fixed", "verified", "closed"),
        (HELPDESK, TIM, TIM, MONITOR, MONITOR),
        later,
        strict=True,
    ):
        fault = faults.move(fault.id, step, actor=actor, at=at, note=f"{step} oleh {actor.name}")
    assert fault.closed and fault.closed_at == later[-1]
    assert faults.get(fault.id) == fault and faults.open_by_key(link_draft().key) is None
    with pytest.raises(WorkflowError, match="closed"):
        faults.move(fault.id, "verified", actor=MONITOR, at=later[-1])
    second, made = faults.open(link_draft(), actor=MONITOR, at=later[-1])
    assert made and second.id == 2
    assert [f.id for f in faults.list(status="open")] == [2] and [
        f.id for f in faults.list(status="closed")
    ] == [1]
    with pytest.raises(TicketNotFound, match="GGN-00099"):
        faults.get(99)


def test_list_selects_the_faults_open_in_a_span(store: SqliteStore) -> None:
    faults = store.faults
    early, _ = faults.open(link_draft(key="a"), actor=MONITOR, at=T0)
    faults.move(early.id, "verified", actor=MONITOR, at=T0 + dt.timedelta(hours=1))
    faults.move(early.id, "closed", actor=MONITOR, at=T0 + dt.timedelta(hours=1))
    faults.open(
        link_draft(key="b", opened_at=T0 + dt.timedelta(hours=3)),
        actor=MONITOR,
        at=T0 + dt.timedelta(hours=3),
    )
    span = {"since": T0 + dt.timedelta(hours=2), "until": T0 + dt.timedelta(hours=4)}
    assert [f.id for f in faults.list(**span)] == [2]
    assert [f.id for f in faults.list(until=T0 + dt.timedelta(minutes=30))] == [1]
    assert [f.id for f in faults.list(source="monitor")] == [1, 2] and faults.list(source="pemohon") == []


def test_records_are_appended_and_the_tables_are_append_only(store: SqliteStore) -> None:
    faults = store.faults
    fault, _ = faults.open(link_draft(), actor=MONITOR, at=T0)
    record = FaultRecord(
        kind="diagnosis", at=T0, actor=TIM, summary="eth2 down di dist-gerunggang", outputs={"hop": 2}
    )
    with_record = faults.add_record(fault.id, record)
    assert with_record.records == (record,)
    assert (
        faults.add_record(fault.id, record.model_copy(update={"kind": "retest"})).records[1].kind == "retest"
    )
    for sql in (
        "UPDATE fault_events SET note = 'x'",
        "DELETE FROM fault_events",
        "UPDATE fault_records SET summary = 'x'",
        "DELETE FROM fault_records",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.conn.execute(sql)


def test_a_bad_stored_row_names_the_fault_and_field_and_never_breaks_the_list(store: SqliteStore) -> None:
    faults = store.faults
    for key in ("a", "b", "c"):
        faults.open(link_draft(key=key), actor=MONITOR, at=T0)
    store.conn.execute("UPDATE faults SET severity = 'gawat' WHERE id = 2")
    store.conn.execute("UPDATE faults SET opds = '{not json' WHERE id = 3")
    with pytest.raises(MalformedTicketError, match=r"GGN-00002: .*unreadable: severity"):
        faults.get(2)
    with pytest.raises(MalformedTicketError, match="GGN-00003"):
        faults.get(3)
    assert [f.id for f in faults.list()] == [1]
    assert [s.ticket_id for s in faults.skipped] == ["GGN-00002", "GGN-00003"]
    with pytest.raises(MalformedTicketError, match="GGN-00002"):
        faults.move(2, "triaged", actor=HELPDESK, at=T0)
    store.conn.execute("UPDATE faults SET detail = '[1', last_seen_at = 'kemarin' WHERE id = 1")
    assert list_faults(faults) == [] and faults.skipped[-1].ticket_id == "GGN-00001"
    assert [f.label for f in store.open_faults()] == []


def test_opening_and_closing_notify_the_helpdesk_and_the_opds_pic(store: SqliteStore) -> None:
    store.create(request(), helpdesk="Helpdesk Rina")
    before = {n.id for n in store.outbox()}
    fault, _ = store.faults.open(link_draft(), actor=MONITOR, at=T0)
    opened = [n for n in store.outbox() if n.id not in before]
    assert [(n.fault_id, n.ticket_id, n.kind, n.recipient) for n in opened] == [
        (fault.id, None, "fault_opened", HELPDESK_MAIL),
        (fault.id, None, "fault_opened", PIC),
    ]
    body = opened[1].body
    assert "GGN-00001" in opened[1].subject and "Yth. Budi Santoso" in body
    assert "Dinas Kesehatan (Dinkes) (dinkes)" in body and "core-diskominfo - dist-gerunggang" in body
    assert "29 November 2026 pukul 02.00 WIB" in body and "Link putus" in body
    store.faults.move(fault.id, "triaged", actor=HELPDESK, at=T0 + dt.timedelta(minutes=3))
    assert len(store.outbox(fault_id=fault.id)) == 2  # a middle step sends nothing
    store.faults.move(fault.id, "verified", actor=MONITOR, at=T0 + dt.timedelta(minutes=80))
    store.faults.move(fault.id, "closed", actor=MONITOR, at=T0 + dt.timedelta(minutes=85), note="pulih")
    closing = [n for n in store.outbox(fault_id=fault.id) if n.kind == "fault_closed"]
    assert [n.recipient for n in closing] == [HELPDESK_MAIL, PIC]
    assert "Waktu perbaikan: 1 jam 25 menit" in closing[1].body and "Catatan: pulih" in closing[1].body


def test_no_helpdesk_address_is_queued_undeliverable_and_the_outbox_delivers_faults(tmp_path: Path) -> None:
    store = store_at(tmp_path / "t.db", helpdesk=None)
    try:
        fault, _ = store.faults.open(link_draft(opds=()), actor=MONITOR, at=T0)
        (n,) = store.outbox(fault_id=fault.id)
        assert n.status == "failed" and "helpdesk.email" in n.last_error and "officials.yaml" in n.last_error
    finally:
        store.close()

    sent: list[Notification] = []

    class Recorder:
        def send(self, n: Notification) -> None:
            sent.append(n)

    store = store_at(tmp_path / "u.db")
    try:
        fault, _ = store.faults.open(link_draft(opds=()), actor=MONITOR, at=T0)
        report = deliver_due(store, {"email": Recorder()})
        assert report.sent == 1 and [n.about for n in sent] == ["GGN-00001"]
        assert store.outbox(fault_id=fault.id) == []
    finally:
        store.close()
