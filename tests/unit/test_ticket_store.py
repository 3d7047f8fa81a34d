"""The embedded SQLite store: persistence, migrations, append-only events, no lost updates."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from ticket_data import only, request, valid

from sipelangi_net.errors import StoreError, TicketNotFound, WorkflowError
from sipelangi_net.tickets.chain import verify
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.sqlite import SCHEMA_VERSION, SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    st = SqliteStore(tmp_path / "tickets.db")
    yield st  # type: ignore[misc]
    st.close()


def test_create_numbers_tickets_per_year_and_persists(tmp_path: Path, store: SqliteStore) -> None:
    a = store.create(request(), helpdesk="Rina")
    b = store.create(request(site="bappeda", opd="Bappeda"), helpdesk="Rina")
    assert (a.id[-5:], b.id[-5:]) == ("00001", "00002")
    store.close()
    again = SqliteStore(tmp_path / "tickets.db")
    try:
        assert again.get(a.id) == a
        assert [t.id for t in again.tickets()] == [a.id, b.id]
        assert [t.id for t in again.tickets(status="forwarded")] == [a.id, b.id]
    finally:
        again.close()


def test_database_is_private_and_in_wal_mode(tmp_path: Path, store: SqliteStore) -> None:
    store.create(request(), helpdesk="Rina")
    assert (tmp_path / "tickets.db").stat().st_mode & 0o077 == 0
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this sipelangi-net"):
        SqliteStore(path).get("SPL-2026-00001")


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the ticket database"):
        SqliteStore(path).get("SPL-2026-00001")


def test_unknown_ticket(store: SqliteStore) -> None:
    with pytest.raises(TicketNotFound, match="SPL-2026-09999"):
        store.get("SPL-2026-09999")


def test_events_are_append_only(store: SqliteStore) -> None:
    t = store.create(request(), helpdesk="Rina")
    for sql in ("UPDATE events SET actor = 'x' WHERE seq = 1", "DELETE FROM events WHERE seq = 2"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.conn.execute(sql)
    assert verify(store.get(t.id)) == []


def test_refused_move_changes_nothing(store: SqliteStore) -> None:
    t = store.create(request(), helpdesk="Rina")
    with pytest.raises(WorkflowError):
        store.apply(t.id, Move(step=11, actor="Rina"))
    assert store.get(t.id) == t
    assert [n.kind for n in store.outbox()] == ["disposition"]  # step 2's, nothing of the refused move


def test_tampering_behind_the_stores_back_is_detected(tmp_path: Path, store: SqliteStore) -> None:
    t = store.apply(
        store.create(request(), helpdesk="Rina").id, Move(step=3, actor="Kadis", outcome="approve")
    )
    conn = sqlite3.connect(tmp_path / "tickets.db")
    conn.execute("DROP TRIGGER events_append_only_update")
    conn.execute(
        "UPDATE events SET note = 'disetujui dengan syarat' WHERE ticket_id = ? AND seq = 3", (t.id,)
    )
    conn.commit()
    conn.close()
    problems = verify(store.get(t.id))
    assert problems == [f"{t.id} event 3 (step 3): content was changed after it was recorded"]


def _hammer(path: str, ticket_id: str, actor: str, count: int) -> None:
    st = SqliteStore(Path(path))
    try:
        for i in range(count):
            st.apply(ticket_id, Move(step=4, actor=actor, outcome="failed", note=f"n={i}"))
    finally:
        st.close()


def test_two_processes_updating_one_ticket_lose_nothing(tmp_path: Path, store: SqliteStore) -> None:
    path = tmp_path / "tickets.db"
    t = store.apply(
        store.create(request(), helpdesk="Rina").id, Move(step=3, actor="Kadis", outcome="approve")
    )
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hammer, args=(str(path), t.id, name, 40)) for name in ("andi", "sari")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    final = store.get(t.id)
    assert len(final.events) == 3 + 80
    assert [e.seq for e in final.events] == list(range(1, 84))
    by_actor = {a: [e.note for e in final.events if e.actor == a] for a in ("andi", "sari")}
    assert by_actor == {"andi": [f"n={i}" for i in range(40)], "sari": [f"n={i}" for i in range(40)]}
    assert verify(final) == []


def test_schedule_and_closing_notifications_are_queued_with_the_event(store: SqliteStore) -> None:
    t = store.apply(
        store.create(request(), helpdesk="Rina").id, Move(step=3, actor="Kadis", outcome="approve")
    )
    for n in (4, 5):
        store.apply(t.id, valid(Move(step=n, actor="Andi"), t.id))
    assert only(store.outbox()) == []
    store.apply(t.id, Move(step=6, actor="Rina", outputs={"schedule": "2 Desember 2026 pukul 09.00 WIB"}))
    (n6,) = only(store.outbox())
    assert (n6.kind, n6.channel, n6.recipient) == ("schedule", "email", "budi@dinkes.pangkalpinangkota.go.id")
    assert (
        t.id in n6.subject and "2 Desember 2026 pukul 09.00 WIB" in n6.body and "Dinas Kesehatan" in n6.body
    )
    failed = store.record_delivery(n6.id, ok=False, error="connection refused")
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 1, "connection refused")
    assert failed.next_attempt_at > failed.created_at
    assert store.outbox(due=failed.created_at) == []
    sent = store.record_delivery(n6.id, ok=True)
    assert sent.status == "sent" and sent.sent_at is not None and only(store.outbox()) == []
