"""The audit chain anchored outside the database: every quiet rewrite of a real SQLite store is found."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ticket_data import cli_env, request, valid

from sipelangi_net.errors import SecretsError
from sipelangi_net.tickets import workflow
from sipelangi_net.tickets.anchor import load_key, read_checkpoints
from sipelangi_net.tickets.chain import event_hash, genesis, verify
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.sqlite import MIGRATIONS, SCHEMA_VERSION, SqliteStore, utcnow


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "tickets.db"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    st = SqliteStore(db)
    yield st
    st.close()


def approved(store: SqliteStore, *steps: int) -> Ticket:
    t = store.apply(
        store.create(request(), helpdesk="Rina").id, Move(step=3, actor="Kadis", outcome="approve")
    )
    for n in steps:
        t = store.apply(t.id, valid(Move(step=n, actor="Andi", note=f"langkah {n}"), t.id))
    return t


def tamper(db: Path, *statements: str, args: tuple[object, ...] = ()) -> None:
    """What someone holding the database file can do: drop the triggers and write what they like."""
    conn = sqlite3.connect(db)
    try:
        for trigger in [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]:
            conn.execute(f"DROP TRIGGER {trigger}")
        for sql in statements:
            conn.execute(sql, args[: sql.count("?")])
        conn.commit()
    finally:
        conn.close()


def problems_of(store: SqliteStore, ticket_id: str) -> list[str]:
    audit = store.audit()
    return [p for t in audit.tickets if t.ticket_id == ticket_id for p in t.problems]


def test_an_untouched_store_verifies(store: SqliteStore) -> None:
    a = approved(store, 4, 5, 6)
    b = store.create(request(site="bappeda", opd="Bappeda"), helpdesk="Rina")
    audit = store.audit()
    assert audit.ok, audit.to_json()
    assert [t.ticket_id for t in audit.tickets] == [a.id, b.id]
    assert audit.key_id and audit.store_id
    one = store.audit(a.id)
    assert one.ok and [t.events for t in one.tickets] == [6]


def test_deleting_the_last_event_is_found(db: Path, store: SqliteStore) -> None:
    t = approved(store, 4, 5)
    tamper(
        db,
        "DELETE FROM event_seals WHERE ticket_id = ? AND seq = 5",
        "DELETE FROM events WHERE ticket_id = ? AND seq = 5",
        "UPDATE tickets SET status = 'analysed' WHERE id = ?",
        args=(t.id,),
    )
    truncated = store.get(t.id)
    assert verify(truncated) == []  # the plain chain cannot see it
    assert workflow.derived_status(truncated.events) == truncated.status == "analysed"
    problems = problems_of(store, t.id)
    assert f"{t.id}: truncated: its sealed head is event 5 but the store holds 4 (events deleted)" in problems
    assert any("truncated: 4 events, but 5 at the checkpoint" in p for p in problems)


def test_moving_the_head_back_after_deleting_is_found(db: Path, store: SqliteStore) -> None:
    t = approved(store, 4)
    tamper(
        db,
        "DELETE FROM events WHERE ticket_id = ? AND seq = 4",
        "UPDATE tickets SET head_seq = 3, status = 'approved' WHERE id = ?",
        args=(t.id, t.id),
    )
    problems = problems_of(store, t.id)
    assert f"{t.id}: the MAC of its head (event 3) does not match (edited without the key)" in problems


def test_editing_the_status_is_found(db: Path, store: SqliteStore) -> None:
    t = approved(store, 4)
    tamper(db, "UPDATE tickets SET status = 'closed' WHERE id = ?", args=(t.id,))
    assert verify(store.get(t.id)) == []
    assert problems_of(store, t.id) == [
        f"{t.id}: status is 'closed' but its events give 'analysed' (the status was edited)"
    ]


def test_editing_an_event_and_recomputing_the_chain_is_found(db: Path, store: SqliteStore) -> None:
    t = approved(store, 4, 5, 6)
    events = list(t.events)
    prev = genesis(t.id, t.created_at, t.request)
    rewritten = []
    for e in events:
        note = "disetujui dengan syarat" if e.seq == 3 else e.note
        fields = e.model_dump(exclude={"hash", "prev_hash", "ticket_id"}) | {"note": note}
        new_hash = event_hash(prev_hash=prev, ticket_id=t.id, **fields)
        rewritten.append((note, prev, new_hash, t.id, e.seq))
        prev = new_hash
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER events_append_only_update")
    conn.executemany(
        "UPDATE events SET note = ?, prev_hash = ?, hash = ? WHERE ticket_id = ? AND seq = ?", rewritten
    )
    conn.commit()
    conn.close()
    forged = store.get(t.id)
    assert forged.events[2].note == "disetujui dengan syarat"
    assert verify(forged) == []  # the plain chain was recomputed: it verifies
    problems = problems_of(store, t.id)
    for seq, step in ((3, 3), (4, 4), (5, 5), (6, 6)):
        assert f"{t.id} event {seq} (step {step}): its MAC does not match" in " ".join(problems)
    assert f"{t.id}: the MAC of its head (event 6) does not match (edited without the key)" in problems
    assert any(f"{t.id} event 3: differs from the checkpoint" in p for p in problems)


def test_deleting_a_whole_ticket_is_found(db: Path, store: SqliteStore) -> None:
    first, second, third = (store.create(request(), helpdesk="Rina") for _ in range(3))
    for victim in (second.id, third.id):
        tamper(
            db,
            "DELETE FROM event_seals WHERE ticket_id = ?",
            "DELETE FROM events WHERE ticket_id = ?",
            "DELETE FROM tickets WHERE id = ?",
            args=(victim, victim, victim),
        )
    audit = store.audit()
    assert not audit.ok
    broken = {t.ticket_id: t for t in audit.broken}
    assert set(broken) == {second.id, third.id}
    assert broken[second.id].events == 0
    assert any("missing from the store; checkpointed with 2 events" in p for p in broken[third.id].problems)
    assert store.audit(first.id).ok
    assert not store.audit(third.id).ok  # asked by id, a deleted ticket is reported, not "not found"


def test_the_numbering_gap_shows_a_deleted_ticket_even_without_checkpoints(
    db: Path, store: SqliteStore, audit_anchors: Path
) -> None:
    ids = [store.create(request(), helpdesk="Rina").id for _ in range(3)]
    tamper(
        db,
        "DELETE FROM events WHERE ticket_id = ?",
        "DELETE FROM tickets WHERE id = ?",
        args=(ids[1], ids[1]),
    )
    (audit_anchors / "checkpoints.jsonl").unlink()
    audit = store.audit()
    assert [t.ticket_id for t in audit.broken] == [ids[1]]
    assert audit.broken[0].problems == (
        f"{ids[1]}: missing from the store: {ids[2]} exists, so this ticket was deleted",
    )
    assert any("holds no checkpoint of this store" in p for p in audit.problems)


def test_restoring_an_older_copy_of_the_database_is_found(
    db: Path, tmp_path: Path, store: SqliteStore
) -> None:
    t = approved(store)
    copy = tmp_path / "copy.db"
    with sqlite3.connect(copy) as backup:
        store.conn.backup(backup)
    backup.close()
    store.apply(t.id, valid(Move(step=4, actor="Andi"), t.id))
    later = store.create(request(), helpdesk="Rina")
    store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    copy.rename(db)
    old = SqliteStore(db)
    try:
        assert old.get(t.id).events[-1].step == 3  # the old copy is self-consistent: every MAC is valid
        audit = old.audit()
        broken = {b.ticket_id: b.problems for b in audit.broken}
        assert set(broken) == {t.id, later.id}
        assert any("truncated: 3 events, but 4 at the checkpoint" in p for p in broken[t.id])
        assert any("missing from the store" in p for p in broken[later.id])
    finally:
        old.close()


def test_the_key_is_private_and_never_in_the_database(
    db: Path, store: SqliteStore, audit_anchors: Path
) -> None:
    approved(store, 4)
    key_file = audit_anchors / "audit.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = load_key(key_file, create=False)
    assert key is not None and repr(key).count(key.secret.hex()) == 0
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    assert key.secret.hex().encode() not in raw and key.secret not in raw
    assert key.key_id.encode() in raw  # only its id
    assert (audit_anchors / "checkpoints.jsonl").stat().st_mode & 0o777 == 0o600
    lines = read_checkpoints(audit_anchors / "checkpoints.jsonl").points
    assert [(p.ticket, p.seq) for p in lines] == [
        (lines[0].ticket, 2),
        (lines[0].ticket, 3),
        (lines[0].ticket, 4),
    ]
    assert all(key.secret.hex() not in json.dumps(p.to_json()) for p in lines)


def test_an_unsafe_or_foreign_key_is_refused(db: Path, store: SqliteStore, audit_anchors: Path) -> None:
    t = approved(store)
    key_file = audit_anchors / "audit.key"
    key_file.chmod(0o640)
    with pytest.raises(SecretsError, match="accessible by group or others; run: chmod 600"):
        SqliteStore(db).audit()
    key_file.chmod(0o600)
    other = audit_anchors / "other.key"
    load_key(other, create=True)
    stranger = SqliteStore(db, audit_key=other)
    try:
        with pytest.raises(SecretsError, match=r"sealed with audit key \w+, but .*other.key is key"):
            stranger.apply(t.id, valid(Move(step=4, actor="Andi"), t.id))
        with pytest.raises(SecretsError, match="sealed with audit key"):
            stranger.audit()
    finally:
        stranger.close()
    gone = SqliteStore(db, audit_key=audit_anchors / "missing.key")
    try:
        with pytest.raises(SecretsError, match="no audit key was found; restore the key file"):
            gone.apply(t.id, valid(Move(step=4, actor="Andi"), t.id))
        assert not (audit_anchors / "missing.key").exists()  # a sealed store never gets a new key
    finally:
        gone.close()


def test_a_forged_checkpoint_line_is_reported(store: SqliteStore, audit_anchors: Path) -> None:
    t = approved(store)
    path = audit_anchors / "checkpoints.jsonl"
    last = json.loads(path.read_text().splitlines()[-1])
    with path.open("a") as fh:
        fh.write(json.dumps({**last, "seq": 9, "mac": "0" * 64}) + "\n")
        fh.write("not json\n")
    audit = store.audit()
    assert [t.ticket_id for t in audit.broken] == []  # a forged line proves nothing about the ticket
    assert any(f"the checkpoint of {t.id} at" in p and "bad MAC" in p for p in audit.problems)
    assert any(p.endswith(":4: not a checkpoint line") for p in audit.problems)


def _legacy_store(db: Path) -> list[str]:
    """A schema-2 database (before sealing) with two tickets, written as the old code wrote it."""
    conn = sqlite3.connect(db, isolation_level=None)
    for script in MIGRATIONS[:2]:
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 2")
    ids = []
    for number in (1, 2):
        tid = f"SPL-2026-{number:05d}"
        now = utcnow()
        _, events = workflow.opening(tid, request(), helpdesk="Rina", now=now)
        ticket = Ticket(id=tid, created_at=now, request=request(), status="forwarded", events=events)
        step3 = workflow.plan(ticket, Move(step=3, actor="Kadis", outcome="approve"), now=utcnow()).event
        conn.execute(
            "INSERT INTO tickets (id, year, number, created_at, request, status)"
            " VALUES (?, 2026, ?, ?, ?, ?)",
            (tid, number, now.isoformat(), request().model_dump_json(), "approved"),
        )
        for e in (*events, step3):
            conn.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    tid, e.seq, e.step, e.outcome, e.actor, e.role, e.started_at.isoformat(),
                    e.ended_at.isoformat(), e.note, json.dumps(e.outputs), e.prev_hash, e.hash,
                ),
            )  # fmt: skip
        ids.append(tid)
    conn.close()
    return ids


def test_a_store_from_before_sealing_is_adopted_explicitly(db: Path, audit_anchors: Path) -> None:
    good, edited = _legacy_store(db)
    tamper(db, "UPDATE tickets SET status = 'closed' WHERE id = ?", args=(edited,))
    store = SqliteStore(db)
    try:
        before = store.audit()  # opening migrates; it seals nothing by itself
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert not (audit_anchors / "audit.key").exists()
        assert {t.ticket_id for t in before.broken} == {good, edited}
        assert any("are not sealed with the audit key" in p for p in before.broken[0].problems)
        adoption, after = store.adopt()
        assert adoption.adopted == (good,)
        assert adoption.refused == (
            f"{edited}: status is 'closed' but its events give 'approved' (the status was edited)",
        )
        assert [t.ticket_id for t in after.broken] == [edited]
        assert after.problems == ()
        assert store.audit(good).ok
        store.apply(
            good, valid(Move(step=4, actor="Andi"), good)
        )  # new events on an adopted ticket are sealed as usual
        assert store.audit(good).ok
        tamper(db, "DELETE FROM events WHERE ticket_id = ? AND seq = 4", args=(good,))
        assert not store.audit(good).ok
    finally:
        store.close()


def test_a_new_event_on_an_unadopted_ticket_leaves_the_old_ones_reported(db: Path) -> None:
    good, _ = _legacy_store(db)
    store = SqliteStore(db)
    try:
        store.apply(good, valid(Move(step=4, actor="Andi"), good))
        problems = problems_of(store, good)
        assert problems == [
            f"{good}: events 1-3 are not sealed with the audit key; run 'sipelangi-net ticket verify --all"
            " --adopt' where the database and the audit key are"
        ]
    finally:
        store.close()


def test_two_processes_creating_the_key_keep_one(tmp_path: Path) -> None:
    path = tmp_path / "k" / "audit.key"
    first = load_key(path, create=True)
    second = load_key(path, create=True)
    assert first is not None and second is not None and first.secret == second.secret
    assert os.stat(path.parent).st_mode & 0o777 == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["audit.key"]


CLI = str(Path(sys.executable).with_name("sipelangi-net"))


def cli(db: Path, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = cli_env()
    env.update(SIPELANGI_DB=str(db), HOME=str(db.parent), **(extra or {}))
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=60, check=False)


def test_verify_all_names_each_broken_ticket_and_exits_6(db: Path, store: SqliteStore) -> None:
    kept, edited, deleted = (approved(store).id for _ in range(3))
    assert cli(db, "ticket", "verify", "--all").returncode == 0
    tamper(db, "UPDATE tickets SET status = 'closed' WHERE id = ?", args=(edited,))
    tamper(
        db,
        "DELETE FROM events WHERE ticket_id = ?",
        "DELETE FROM tickets WHERE id = ?",
        args=(deleted, deleted),
    )
    proc = cli(db, "ticket", "verify", "--all")
    assert proc.returncode == 6, proc.stderr
    assert (
        f"{edited}: BROKEN (3 events)\n  - {edited}: status is 'closed' but its events give 'approved'"
        in proc.stdout
    )
    assert f"{deleted}: BROKEN (0 events)\n  - {deleted}: missing from the store" in proc.stdout
    assert kept not in proc.stdout
    assert f"error: {db}: 3 tickets, 2 broken" in proc.stderr
    report = json.loads(cli(db, "ticket", "verify", "--all", "--json").stdout)
    assert (report["ok"], [b["id"] for b in report["broken"]]) == (False, [edited, deleted])
    assert json.loads(cli(db, "ticket", "verify", kept, "--json").stdout)["ok"] is True
    one = cli(db, "ticket", "verify", kept)
    assert (
        one.returncode == 0 and "3 events, hash chain, status, seals and checkpoints verified" in one.stdout
    )
    assert cli(db, "ticket", "verify", edited).returncode == 6
    neither = cli(db, "ticket", "verify")
    assert neither.returncode == 2 and "give a ticket id, or --all" in neither.stderr


def test_verify_adopt_on_the_command_line(db: Path) -> None:
    good, _ = _legacy_store(db)
    before = cli(db, "ticket", "verify", "--all")
    assert before.returncode == 6 and "events 1-3 are not sealed" in before.stdout
    adopted = cli(db, "ticket", "verify", "--adopt")
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert f"adopted 2 tickets: {good}" in adopted.stdout
    assert "their history up to now is trusted as found" in adopted.stderr
    assert cli(db, "ticket", "verify", "--all").returncode == 0


def test_over_http_the_client_checks_chain_and_status_and_the_server_host_the_seals(tmp_path: Path) -> None:
    from api_server import SopClients, anchors, running_server

    with running_server(tmp_path / "srv") as srv:
        with SopClients(srv) as remote:
            t = remote.create(request(), helpdesk="Rina")
            remote.apply(t.id, Move(step=3, actor="Kadis", outcome="approve"))
            remote.apply(t.id, valid(Move(step=4, actor="Andi"), t.id))
        over_http = ("--store", srv.url)
        token = {"SIPELANGI_TOKEN": srv.token}
        here = anchors(srv.db.parent)
        report = json.loads(
            cli(srv.db, "ticket", "verify", "--all", *over_http, "--json", extra=token).stdout
        )
        assert report["ok"] is True and "run 'ticket verify --all' there" in report["notes"][0]
        assert cli(srv.db, "ticket", "verify", t.id, *over_http, extra=token).returncode == 0
        assert cli(srv.db, "ticket", "verify", "--adopt", *over_http, extra=token).returncode == 2
        host = cli(srv.db, "ticket", "verify", "--all", extra=here)
        assert host.returncode == 0, host.stdout  # on the server host: the seals too
        tamper(
            srv.db,
            "DELETE FROM events WHERE ticket_id = ? AND seq = 4",
            "UPDATE tickets SET status = 'approved' WHERE id = ?",
            args=(t.id, t.id),
        )
        assert (
            cli(srv.db, "ticket", "verify", "--all", *over_http, extra=token).returncode == 0
        )  # cannot see it
        on_server = cli(srv.db, "ticket", "verify", "--all", extra=here)
        assert on_server.returncode == 6 and f"{t.id}: truncated" in on_server.stdout
        tamper(srv.db, "UPDATE tickets SET status = 'closed' WHERE id = ?", args=(t.id,))
        status = cli(srv.db, "ticket", "verify", t.id, *over_http, extra=token)
        assert status.returncode == 6 and "status is 'closed' but its events give 'approved'" in status.stderr


def test_appending_a_forged_event_is_found(db: Path, store: SqliteStore) -> None:
    t = approved(store)
    last = t.events[-1]
    fields = last.model_dump(exclude={"hash", "prev_hash", "ticket_id"}) | {
        "seq": 4,
        "step": 4,
        "actor": "Pemalsu",
    }
    forged = event_hash(prev_hash=last.hash, ticket_id=t.id, **fields)
    tamper(
        db,
        "INSERT INTO events SELECT ticket_id, 4, 4, outcome, 'Pemalsu', role, started_at, ended_at, note,"
        " outputs, hash, ?, account FROM events WHERE ticket_id = ? AND seq = 3",
        args=(forged, t.id),
    )
    tamper(db, "UPDATE tickets SET status = 'analysed' WHERE id = ?", args=(t.id,))
    assert verify(store.get(t.id)) == []
    assert problems_of(store, t.id) == [
        f"{t.id}: event 4 is not sealed with the audit key; run 'sipelangi-net ticket verify --all --adopt'"
        " where the database and the audit key are",
        f"{t.id}: event 4 lies beyond its sealed head",
    ]


def test_adoption_never_hides_a_deleted_sealed_event(db: Path) -> None:
    good, _ = _legacy_store(db)
    store = SqliteStore(db)
    try:
        store.apply(good, valid(Move(step=4, actor="Andi"), good))  # sealed: the head is now event 4
        tamper(
            db,
            "DELETE FROM event_seals WHERE ticket_id = ?",
            "DELETE FROM events WHERE ticket_id = ? AND seq = 4",
            "UPDATE tickets SET status = 'approved' WHERE id = ?",
            args=(good,),
        )
        adoption, after = store.adopt()
        assert good not in adoption.adopted
        assert f"{good}: truncated: its sealed head is event 4 but the store holds 3 (events deleted)" in (
            adoption.refused
        )
        assert good in {t.ticket_id for t in after.broken}
    finally:
        store.close()
