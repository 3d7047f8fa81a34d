"""Who may do each SOP step (tickets/policy.py): the (role x step) matrix through the store, delegations,
OPDs, the helpdesk acting for a pemohon, and the account kept on the event under its hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ticket_data import request, valid

from sipelangi_net.errors import Forbidden, WorkflowError
from sipelangi_net.tickets import policy, workflow
from sipelangi_net.tickets.chain import verify
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.sqlite import SqliteStore, utcnow

WIB = dt.timezone(dt.timedelta(hours=7))
OPD = "Dinas Kesehatan (Dinkes)"


@dataclass(frozen=True)
class Delegation:
    kind: str
    start: dt.date
    end: dt.date

    def valid_on(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    display_name: str
    role: str
    opd: str | None = None
    sites: tuple[str, ...] = ()
    delegations: tuple[Delegation, ...] = field(default=())
    disabled: bool = False
    local: bool = False


TODAY = policy.local_day(utcnow())
ACCOUNTS: dict[str, policy.Actor] = {
    "pemohon": Account(1, "budi", "Budi Santoso", "pemohon", opd=OPD, sites=("dinkes",)),
    "pemohon_bappeda": Account(2, "sari", "Sari Bappeda", "pemohon", opd="Bappeda"),
    "helpdesk": Account(3, "rina", "Rina Helpdesk", "helpdesk"),
    "kepala_dinas": Account(4, "kadis", "Ir. Kadis", "kepala_dinas"),
    "plt": Account(
        5,
        "kabid2",
        "Plt. Kadis",
        "kepala_bidang",
        delegations=(Delegation("Plt.", TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1)),),
    ),
    "kepala_bidang": Account(6, "kabid", "Kabid E-Gov", "kepala_bidang"),
    "tim_kerja": Account(7, "andi", "Andi Jaringan", "tim_kerja"),
    "admin": Account(8, "root", "Admin", "admin"),
    "system": policy.SYSTEM,
}

# The path of a ticket through the SOP: (step, outcome, account, note); the statuses it passes.
PATH: tuple[tuple[int, str, str, str], ...] = (
    (3, "approve", "kepala_dinas", ""),
    *((n, "done", "tim_kerja", "") for n in range(4, 11)),
    (10, "acknowledge", "kepala_bidang", ""),
    (11, "done", "helpdesk", ""),
    (12, "done", "system", ""),
)
STATUS_BEFORE = {
    (3, "approve"): "forwarded",
    **{(n, "done"): s for n, s in zip(range(4, 11), ("approved", "analysed", "prepared", "scheduled",
                                                     "installed", "tested", "handed_over"), strict=True)},
    (10, "acknowledge"): "reported",
    (11, "done"): "acknowledged",
    (12, "done"): "closed",
}  # fmt: skip

# (step, outcome, the status it is tried from, note, the accounts that may do it)
ROWS: tuple[tuple[int, str, str, str, frozenset[str]], ...] = (
    (1, "resubmit", "deferred", "surat diperbaiki", frozenset({"pemohon", "helpdesk"})),
    (2, "done", "submitted", "", frozenset({"helpdesk"})),
    (3, "approve", "forwarded", "", frozenset({"kepala_dinas", "plt"})),
    (3, "defer", "forwarded", "anggaran belum ada", frozenset({"kepala_dinas", "plt"})),
    (4, "done", "approved", "", frozenset({"tim_kerja"})),
    (5, "done", "analysed", "", frozenset({"tim_kerja"})),
    (6, "done", "prepared", "", frozenset({"tim_kerja", "helpdesk"})),
    (7, "done", "scheduled", "", frozenset({"tim_kerja"})),
    (8, "done", "installed", "", frozenset({"tim_kerja"})),
    (9, "done", "tested", "", frozenset({"tim_kerja"})),
    (10, "done", "handed_over", "", frozenset({"tim_kerja"})),
    (10, "acknowledge", "reported", "", frozenset({"kepala_bidang", "plt"})),  # plt: a Kepala Bidang
    (11, "done", "acknowledged", "", frozenset({"helpdesk"})),
    (11, "withdraw", "deferred", "tidak jadi", frozenset({"pemohon", "helpdesk"})),
    (12, "done", "closed", "", frozenset({"system"})),
)
SOP_ROLE = {
    (1, "resubmit"): "Pemohon",
    (2, "done"): "Helpdesk",
    (10, "acknowledge"): "Kepala Bidang",
    (11, "withdraw"): "Pemohon",
}
LETTER = {"letter": {"number": "005/124/DINKES/2026", "date": "2026-11-25"}}


def move(step: int, outcome: str, ticket_id: str, note: str = "") -> Move:
    outputs = {1: LETTER, 2: {"forwarded_to": "Kepala Dinas"}}.get(step, {})
    return valid(
        Move(step=step, actor="typed-in name", outcome=outcome, note=note, outputs=outputs), ticket_id
    )


def at_status(store: SqliteStore, status: str) -> Ticket:
    """A new ticket brought to ``status`` by the accounts the SOP names for each step."""
    if status == "submitted":
        return store.create(request(), helpdesk="-", account=ACCOUNTS["pemohon"])
    ticket = store.create(request(), helpdesk="-", account=ACCOUNTS["helpdesk"])
    if status == "deferred":
        return store.apply(ticket.id, move(3, "defer", ticket.id, "nanti"), account=ACCOUNTS["kepala_dinas"])
    for step, outcome, who, note in PATH:
        if ticket.status == status:
            break
        assert STATUS_BEFORE[(step, outcome)] == ticket.status
        ticket = store.apply(ticket.id, move(step, outcome, ticket.id, note), account=ACCOUNTS[who])
    assert ticket.status == status
    return ticket


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SqliteStore, dict[str, str]]]:
    """One store; per status, one ticket every refused account is tried on (a refusal changes nothing)."""
    with pytest.MonkeyPatch.context() as mp:
        base = tmp_path_factory.mktemp("policy")
        mp.setenv("SIPELANGI_AUDIT_KEY", str(base / "audit.key"))
        mp.setenv("SIPELANGI_CHECKPOINTS", str(base / "checkpoints.jsonl"))
        store = SqliteStore(base / "tickets.db")
        try:
            yield store, {}
        finally:
            store.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    st = SqliteStore(tmp_path / "tickets.db")
    try:
        yield st
    finally:
        st.close()


@pytest.mark.parametrize("who", sorted(ACCOUNTS))
@pytest.mark.parametrize(
    ("step", "outcome", "status", "note", "allowed"), ROWS, ids=[f"{r[0]}-{r[1]}" for r in ROWS]
)
def test_each_role_may_do_only_its_steps(
    shared: tuple[SqliteStore, dict[str, str]],
    who: str,
    step: int,
    outcome: str,
    status: str,
    note: str,
    allowed: frozenset[str],
) -> None:
    st, tickets = shared
    account = ACCOUNTS[who]
    if who in allowed:
        ticket = at_status(st, status)
        after = st.apply(ticket.id, move(step, outcome, ticket.id, note), account=account)
        event = after.events[-1]
        assert (event.step, event.outcome, event.actor) == (step, outcome, account.display_name)
        assert event.account is not None
        assert (event.account.id, event.account.username, event.account.role) == (
            str(account.id),
            account.username,
            str(account.role),
        )
        assert event.role == SOP_ROLE.get((step, outcome), event.role)
        assert verify(after) == []
        return
    if status not in tickets:
        tickets[status] = at_status(st, status).id
    before = st.get(tickets[status])
    with pytest.raises(Forbidden, match=rf"step {step} \(.*needs the role"):
        st.apply(before.id, move(step, outcome, before.id, note), account=account)
    assert st.get(before.id) == before  # nothing recorded


def test_a_refusal_names_the_step_and_the_role_needed(store: SqliteStore) -> None:
    t = at_status(store, "forwarded")
    with pytest.raises(Forbidden) as err:
        store.apply(t.id, move(3, "approve", t.id), account=ACCOUNTS["pemohon"])
    assert str(err.value) == (
        f"ticket {t.id}: step 3 (approve or defer) needs the role kepala_dinas (or a Plt./Plh. of the"
        f" Kepala Dinas on {policy.local_day(utcnow()).isoformat()}); account 'budi' has the role pemohon"
    )
    assert err.value.exit_code == 6


def test_admin_and_disabled_accounts_do_no_step(store: SqliteStore) -> None:
    t = at_status(store, "forwarded")
    with pytest.raises(Forbidden, match="an admin manages accounts and does no SOP step"):
        store.apply(t.id, move(3, "approve", t.id), account=ACCOUNTS["admin"])
    gone = Account(9, "kadis-lama", "Kadis Lama", "kepala_dinas", disabled=True)
    with pytest.raises(Forbidden, match="account 'kadis-lama' is disabled"):
        store.apply(t.id, move(3, "approve", t.id), account=gone)
    assert store.get(t.id) == t


# --- delegations -------------------------------------------------------------------------------


def opened_at(now: dt.datetime) -> Ticket:
    req = request(submitted_at=(now - dt.timedelta(days=10)).isoformat())
    created, events = workflow.opening("SPL-2026-00001", req, helpdesk="Rina", now=now - dt.timedelta(days=9))
    return Ticket(id="SPL-2026-00001", created_at=created, request=req, status="forwarded", events=events)


PLT = Account(
    10,
    "plt",
    "Sekretaris Dinas",
    "tim_kerja",
    delegations=(Delegation("Plh.", dt.date(2026, 12, 1), dt.date(2026, 12, 3)),),
)


@pytest.mark.parametrize(
    ("local", "ok"),
    [
        (dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=WIB), False),
        (dt.datetime(2026, 12, 1, 0, 0, tzinfo=WIB), True),
        (dt.datetime(2026, 12, 3, 23, 59, 59, tzinfo=WIB), True),
        (dt.datetime(2026, 12, 4, 0, 0, tzinfo=WIB), False),
    ],
)
def test_a_delegate_decides_only_on_the_days_of_the_delegation(local: dt.datetime, ok: bool) -> None:
    now = local.astimezone(dt.UTC)  # the day is Jakarta's, whatever zone the clock gives
    ticket = opened_at(now)
    m = Move(step=3, actor="x", outcome="approve")
    if ok:
        event = workflow.plan(ticket, m, now=now, account=PLT).event
        assert event.account is not None
        assert event.account.delegation == f"Plh. Kepala Dinas on {local.date().isoformat()}"
        assert event.actor == "Sekretaris Dinas"
    else:
        with pytest.raises(Forbidden, match="needs the role kepala_dinas"):
            workflow.plan(ticket, m, now=now, account=PLT)


def test_a_delegation_counts_on_the_day_the_step_ends() -> None:
    now = dt.datetime(2026, 12, 10, 9, 0, tzinfo=WIB)
    ticket = opened_at(now)
    ended = dt.datetime(2026, 12, 3, 10, 0, tzinfo=WIB)
    event = workflow.plan(
        ticket, Move(step=3, actor="x", outcome="approve", ended_at=ended), now=now, account=PLT
    )
    assert event.event.account is not None
    assert event.event.account.delegation == "Plh. Kepala Dinas on 2026-12-03"


# --- the pemohon and their OPD -----------------------------------------------------------------


def test_a_pemohon_of_another_opd_is_refused(store: SqliteStore) -> None:
    with pytest.raises(Forbidden, match=r"pemohon of 'Bappeda', not of 'Dinas Kesehatan \(Dinkes\)'"):
        store.create(request(), helpdesk="-", account=ACCOUNTS["pemohon_bappeda"])
    assert store.tickets() == []
    t = at_status(store, "deferred")
    with pytest.raises(Forbidden, match="pemohon of 'Bappeda'"):
        store.apply(t.id, move(11, "withdraw", t.id, "salah kirim"), account=ACCOUNTS["pemohon_bappeda"])
    assert store.get(t.id) == t


def test_a_pemohon_is_bound_to_the_sites_of_their_opd(store: SqliteStore) -> None:
    with pytest.raises(Forbidden, match="not bound to site 'puskesmas-1'"):
        store.create(request(site="puskesmas-1"), helpdesk="-", account=ACCOUNTS["pemohon"])
    same = Account(11, "budi2", "Budi", "pemohon", opd="  dinas kesehatan   (DINKES) ")
    assert store.create(request(), helpdesk="-", account=same).status == "submitted"


def test_a_pemohon_submits_and_the_helpdesk_forwards(store: SqliteStore) -> None:
    t = store.create(request(), helpdesk="ignored", account=ACCOUNTS["pemohon"])
    assert (t.status, [(e.step, e.actor) for e in t.events]) == ("submitted", [(1, "Budi Santoso")])
    with pytest.raises(WorkflowError, match=r"step 2 \(open ticket and forward\) is not done yet"):
        store.apply(t.id, move(3, "approve", t.id), account=ACCOUNTS["kepala_dinas"])
    t = store.apply(t.id, move(2, "done", t.id), account=ACCOUNTS["helpdesk"])
    assert t.status == "forwarded"
    assert store.audit().ok


def test_the_helpdesk_entering_a_paper_letter_is_recorded_as_acting_for_the_pemohon(
    store: SqliteStore,
) -> None:
    t = store.create(request(), helpdesk="ignored", account=ACCOUNTS["helpdesk"])
    first, second = t.events
    assert t.status == "forwarded"
    assert (first.step, first.role, first.actor) == (1, "Pemohon", "Rina Helpdesk")
    assert first.account is not None and second.account is not None
    assert first.account.model_dump() == {
        "id": "3",
        "username": "rina",
        "display_name": "Rina Helpdesk",
        "role": "helpdesk",
        "on_behalf_of": f"Budi Santoso, {OPD}",
        "delegation": "",
    }
    assert (second.step, second.account.on_behalf_of, second.account.role) == (2, "", "helpdesk")
    assert store.get(t.id) == t  # the stamp is stored and read back
    with pytest.raises(Forbidden, match="needs the role pemohon of the ticket's OPD"):
        store.create(request(), helpdesk="-", account=ACCOUNTS["tim_kerja"])


# --- step 9's co-signature, step 10's acknowledgement -------------------------------------------


def test_the_handover_needs_the_pemohons_co_signature(store: SqliteStore) -> None:
    t = at_status(store, "tested")
    m = move(9, "done", t.id)
    handover = dict(m.outputs["handover"])
    handover["signers"] = [s for s in handover["signers"] if s["role"] != "pemohon"]
    with pytest.raises(Forbidden, match=r"step 9 \(sign handover record\) needs the pemohon's co-signature"):
        store.apply(
            t.id, m.model_copy(update={"outputs": {"handover": handover}}), account=ACCOUNTS["tim_kerja"]
        )
    assert store.get(t.id) == t


def test_the_helpdesk_closes_only_after_the_kepala_bidang_acknowledged_the_report(store: SqliteStore) -> None:
    t = at_status(store, "reported")
    with pytest.raises(WorkflowError, match="not acknowledged by the Kepala Bidang yet"):
        store.apply(t.id, move(11, "done", t.id), account=ACCOUNTS["helpdesk"])
    t = store.apply(t.id, move(10, "acknowledge", t.id), account=ACCOUNTS["kepala_bidang"])
    with pytest.raises(
        WorkflowError, match=r"cannot acknowledge the installation report .* while the ticket is"
    ):
        store.apply(t.id, move(10, "acknowledge", t.id), account=ACCOUNTS["kepala_bidang"])
    t = store.apply(t.id, move(11, "done", t.id), account=ACCOUNTS["helpdesk"])
    assert t.status == "closed"
    assert workflow.completed(t, 10) == t.events[-3]  # the report, not its acknowledgement


def test_without_an_account_nothing_changes(store: SqliteStore) -> None:
    """Today's callers pass no account: anyone may record, closing needs no acknowledgement."""
    t = store.create(request(), helpdesk="Rina")
    assert t.status == "forwarded" and all(e.account is None for e in t.events)
    t = store.apply(t.id, move(3, "approve", t.id))
    for n in range(4, 12):
        t = store.apply(t.id, move(n, "done", t.id))
    assert (t.status, t.events[-1].actor, t.events[-1].account) == ("closed", "typed-in name", None)


# --- the chain and the seals -------------------------------------------------------------------


def _hash_before_accounts(e: Any) -> str:
    """The event hash as sipelangi-net computed it before accounts (the canonical form, written out)."""
    body = {
        "prev": e.prev_hash,
        "ticket": e.ticket_id,
        "seq": e.seq,
        "step": e.step,
        "outcome": e.outcome,
        "actor": e.actor,
        "role": e.role,
        "started_at": e.started_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "ended_at": e.ended_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "note": e.note,
        "outputs": e.outputs,
    }
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def test_events_without_an_account_hash_as_before(store: SqliteStore) -> None:
    t = store.create(request(), helpdesk="Rina")
    t = store.apply(t.id, move(3, "defer", t.id, "nanti"))
    assert [e.hash for e in t.events] == [_hash_before_accounts(e) for e in t.events]
    stamped = store.apply(t.id, move(3, "approve", t.id), account=ACCOUNTS["kepala_dinas"])
    assert stamped.events[-1].hash != _hash_before_accounts(stamped.events[-1])
    assert verify(stamped) == [] and store.audit().ok


def test_the_stamp_is_under_the_hash(store: SqliteStore, tmp_path: Path) -> None:
    t = at_status(store, "approved")
    store.close()
    forged = t.events[-1].account.model_copy(update={"display_name": "Orang Lain"})  # type: ignore[union-attr]
    conn = sqlite3.connect(tmp_path / "tickets.db")
    conn.execute("DROP TRIGGER events_append_only_update")
    conn.execute(
        "UPDATE events SET account = ? WHERE ticket_id = ? AND seq = 3", (forged.model_dump_json(), t.id)
    )
    conn.commit()
    conn.close()
    again = SqliteStore(tmp_path / "tickets.db")
    try:
        assert verify(again.get(t.id)) == [
            f"{t.id} event 3 (step 3): content was changed after it was recorded"
        ]
        assert not again.audit().ok
    finally:
        again.close()


def test_a_pemohon_sees_only_their_opds_tickets(store: SqliteStore) -> None:
    t = store.create(request(), helpdesk="Rina")
    other = store.create(request(opd="Bappeda", site="bappeda"), helpdesk="Rina")
    budi, sari = ACCOUNTS["pemohon"], ACCOUNTS["pemohon_bappeda"]
    assert [policy.may_see(x, budi) for x in (t, other)] == [True, False]
    assert [policy.may_see(x, sari) for x in (t, other)] == [False, True]
    assert all(
        policy.may_see(x, ACCOUNTS[r]) for x in (t, other) for r in ("helpdesk", "tim_kerja", "kepala_bidang")
    )
    assert not policy.may_see(t, Account(12, "x", "X", "helpdesk", disabled=True))
    assert not policy.may_see(t, Account(13, "y", "Y", "pemohon", opd=OPD, sites=("puskesmas-1",)))
    assert (policy.visible_opd(budi), policy.visible_opd(ACCOUNTS["helpdesk"])) == (OPD, None)
    assert policy.same_opd(" dinas  kesehatan (DINKES)", OPD)
