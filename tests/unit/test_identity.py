"""Who the CLI is when it writes (cli/identity.py, tickets/acting.py): single-engineer mode's local
account, or the account of SIPELANGI_TOKEN once a store has accounts; through the real console
script and a real SQLite file."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from ticket_data import cli_env, raw_request, request, valid

from sipelangi_net.accounts.local import bindable
from sipelangi_net.accounts.models import Account, AccountRole
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.cli.identity import account_of, acting
from sipelangi_net.errors import AuthError, Forbidden
from sipelangi_net.playbook.actions import ACTIONS
from sipelangi_net.playbook.context import RunContext, RunOptions
from sipelangi_net.tickets import policy
from sipelangi_net.tickets.acting import Acting, as_system
from sipelangi_net.tickets.chain import verify
from sipelangi_net.tickets.models import Move, Notification, Ticket
from sipelangi_net.tickets.notify import deliver_due
from sipelangi_net.tickets.sqlite import SqliteStore

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
ME = "ahmad"  # this machine's login name in the CLI runs (LOGNAME/USER)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = cli_env()
    e.update(SIPELANGI_DB=str(tmp_path / "tickets.db"), HOME=str(tmp_path), LOGNAME=ME, USER=ME)
    return e


@pytest.fixture
def db(env: dict[str, str]) -> Path:
    return Path(env["SIPELANGI_DB"])


@pytest.fixture
def accounts(db: Path) -> Iterator[SqliteAccounts]:
    store = SqliteAccounts(db)
    try:
        yield store
    finally:
        store.close()


def run(env: dict[str, str], *args: str, token: str = "") -> subprocess.CompletedProcess[str]:
    e = env | ({"SIPELANGI_TOKEN": token} if token else {})
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=e, timeout=60, check=False)


def ok(env: dict[str, str], *args: str, token: str = "") -> Any:
    proc = run(env, *args, "--json", token=token)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def refused(env: dict[str, str], *args: str, token: str = "") -> str:
    proc = run(env, *args, token=token)
    assert proc.returncode == 6, (proc.returncode, proc.stdout, proc.stderr)
    return proc.stderr


def letter(tmp_path: Path) -> str:
    path = tmp_path / "permohonan.yaml"
    path.write_text(yaml.safe_dump(raw_request(), allow_unicode=True))
    return str(path)


def stored(db: Path, ticket_id: str) -> Ticket:
    st = SqliteStore(db)
    try:
        return st.get(ticket_id)
    finally:
        st.close()


def people(accounts: SqliteAccounts) -> dict[str, str]:
    """Real accounts (as ``user add`` makes them) and a token each, by role."""
    made = {
        "helpdesk": ("rina", "Rina Marlina"),
        "kepala_dinas": ("kadis", "Dr. H. Kadis Kominfo, M.Si."),
        "kepala_bidang": ("kabid", "Ir. Kabid E-Gov"),
        "tim_kerja": ("budi", "Budi Santoso, S.Kom."),
    }
    tokens = {}
    for role, (username, name) in made.items():
        accounts.add(username, display_name=name, role=AccountRole(role))
        tokens[role] = accounts.issue_token(username, name="test").token
    return tokens


def steps_4_to_10(db: Path, ticket_id: str, account: policy.Actor) -> None:
    """Steps 4-10 as their commands record them, by ``account``."""
    st = Acting(SqliteStore(db), account)
    try:
        for n in range(4, 11):
            st.apply(ticket_id, valid(Move(step=n, actor="Andi"), ticket_id))
    finally:
        st.close()


# --- single-engineer mode ---------------------------------------------------------------------
def test_single_engineer_mode_runs_the_whole_sop_with_the_typed_names_and_the_local_stamp(
    env: dict[str, str], db: Path, tmp_path: Path, accounts: SqliteAccounts
) -> None:
    tid = ok(env, "ticket", "new", "--file", letter(tmp_path), "--helpdesk", "Rina")["id"]
    ok(env, "ticket", "defer", tid, "--note", "Menunggu anggaran", "--actor", "Kadis")
    ok(env, "ticket", "approve", tid, "--actor", "Kadis")
    me = accounts.by_username(ME)
    assert me.local and me.role is AccountRole.TIM_KERJA and accounts.count() == 1
    steps_4_to_10(db, tid, me)
    closed = ok(env, "ticket", "close", tid, "--actor", "Rina")  # not acknowledged: as before accounts
    assert closed["status"] == "closed"
    ticket = stored(db, tid)
    actors = [(e.step, e.outcome, e.actor) for e in ticket.events]
    assert actors[:4] == [
        (1, "done", "Budi Santoso"),
        (2, "done", "Rina"),
        (3, "defer", "Kadis"),
        (3, "approve", "Kadis"),
    ]
    assert actors[-1] == (11, "done", "Rina")
    for event in ticket.events:
        assert event.account is not None and event.account.local and event.account.username == ME
        assert event.account.role == "tim_kerja"
    assert verify(ticket) == []  # the stamps are under the events' hashes
    assert all(e["account"]["local"] is True for e in ok(env, "ticket", "show", tid)["events"])


def test_a_command_that_only_reads_makes_no_account(
    env: dict[str, str], db: Path, accounts: SqliteAccounts
) -> None:
    st = SqliteStore(db)
    try:
        tid = st.create(request(), helpdesk="Rina").id
    finally:
        st.close()
    for args in (("ticket", "show", tid), ("ticket", "list"), ("ticket", "sla"), ("ticket", "verify", tid)):
        assert run(env, *args).returncode == 0, args
    assert accounts.count() == 0
    assert stored(db, tid).events[-1].account is None


def test_the_closing_notice_is_recorded_by_the_system(db: Path, accounts: SqliteAccounts) -> None:
    sent: list[Notification] = []

    class Outbox:
        def send(self, n: Notification) -> None:
            sent.append(n)

    me = accounts.ensure_local(ME, display_name="Ahmad")
    st = Acting(SqliteStore(db), me)
    try:
        tid = st.create(request(), helpdesk="Rina").id
        st.apply(tid, Move(step=3, actor="Kadis", outcome="approve"))
        for n in range(4, 12):
            st.apply(tid, valid(Move(step=n, actor="Andi"), tid))
        deliver_due(st, {"email": Outbox(), "webhook": Outbox()})
        last = st.get(tid).events[-1]
    finally:
        st.close()
    assert sent and last.step == 12 and last.actor == "SiPelangi"
    assert last.account == policy.stamp(policy.SYSTEM)
    assert as_system(st).account is policy.SYSTEM  # type: ignore[attr-defined]


# --- a store with accounts: SIPELANGI_TOKEN ---------------------------------------------------
def test_with_accounts_a_write_needs_a_token_of_the_right_role(
    env: dict[str, str], db: Path, tmp_path: Path, accounts: SqliteAccounts
) -> None:
    token = people(accounts)
    why = refused(env, "ticket", "new", "--file", letter(tmp_path))
    assert "has accounts" in why and "SIPELANGI_TOKEN" in why and "sipelangi-net user token USERNAME" in why
    assert ok(env, "ticket", "list") == []  # nothing recorded; reads need no token
    wrong = refused(env, "ticket", "new", "--file", letter(tmp_path), token=token["tim_kerja"])
    assert "needs the role pemohon of the ticket's OPD (or helpdesk on their behalf)" in wrong
    assert "account 'budi' has the role tim_kerja" in wrong and ok(env, "ticket", "list") == []
    opened = ok(
        env, "ticket", "new", "--file", letter(tmp_path), "--helpdesk", "Typed", token=token["helpdesk"]
    )
    tid = opened["id"]
    assert [e["actor"] for e in opened["events"]] == ["Rina Marlina", "Rina Marlina"]
    assert opened["events"][0]["account"]["on_behalf_of"] == "Budi Santoso, Dinas Kesehatan (Dinkes)"
    why = refused(env, "ticket", "approve", tid, token=token["helpdesk"])
    assert "step 3 (approve or defer) needs the role kepala_dinas" in why and "has the role helpdesk" in why
    approved = ok(env, "ticket", "approve", tid, "--actor", "Typed", token=token["kepala_dinas"])
    assert approved["status"] == "approved"
    decision = approved["events"][-1]
    assert decision["actor"] == "Dr. H. Kadis Kominfo, M.Si." and decision["account"]["username"] == "kadis"
    assert "local" not in decision["account"]
    assert len(stored(db, tid).events) == 3  # the refused moves recorded nothing
    sheet = Path(decision["outputs"]["disposisi"]["html"]["path"]).read_text(encoding="utf-8")
    assert "Dr. H. Kadis Kominfo, M.Si." in sheet and "Typed" not in sheet  # the sheet names who decided


def test_with_accounts_the_close_is_the_helpdesks_after_the_kepala_bidang(
    env: dict[str, str], db: Path, accounts: SqliteAccounts
) -> None:
    token = people(accounts)
    st = Acting(SqliteStore(db), accounts.by_username("rina"))
    try:
        tid = st.create(request(), helpdesk="").id
    finally:
        st.close()
    ok(env, "ticket", "approve", tid, token=token["kepala_dinas"])
    steps_4_to_10(db, tid, accounts.by_username("budi"))
    assert "needs the role helpdesk" in refused(env, "ticket", "close", tid, token=token["tim_kerja"])
    assert "not acknowledged by the Kepala Bidang" in refused(
        env, "ticket", "close", tid, token=token["helpdesk"]
    )
    ok(env, "ticket", "acknowledge", tid, token=token["kepala_bidang"])
    assert ok(env, "ticket", "close", tid, token=token["helpdesk"])["status"] == "closed"
    roles = [e.account.role for e in stored(db, tid).events if e.account is not None]
    assert roles == ["helpdesk", "helpdesk", "kepala_dinas", *["tim_kerja"] * 7, "kepala_bidang", "helpdesk"]


def test_a_disabled_accounts_token_and_an_expired_token_are_refused(
    env: dict[str, str], tmp_path: Path, accounts: SqliteAccounts
) -> None:
    token = people(accounts)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    expired = accounts.issue_token("rina", name="old", days=1, now=long_ago).token
    why = refused(env, "ticket", "new", "--file", letter(tmp_path), token=expired)
    assert "expired" in why and expired not in why
    accounts.disable("rina")
    why = refused(env, "ticket", "new", "--file", letter(tmp_path), token=token["helpdesk"])
    assert "account 'rina' is disabled" in why and token["helpdesk"] not in why
    assert "not a SiPelangi API token" in refused(env, "ticket", "new", "--file", letter(tmp_path), token="x")
    assert ok(env, "ticket", "list") == []


def test_the_local_account_acts_no_more_once_real_accounts_exist(
    env: dict[str, str], tmp_path: Path, accounts: SqliteAccounts
) -> None:
    tid = ok(env, "ticket", "new", "--file", letter(tmp_path))["id"]  # single-engineer mode
    me = accounts.by_username(ME)
    own = accounts.issue_token(ME, name="laptop").token
    people(accounts)
    assert "has accounts" in refused(env, "ticket", "approve", tid)
    why = refused(env, "ticket", "approve", tid, token=own)
    assert f"account {ME!r} was made by single-engineer mode" in why
    with pytest.raises(AuthError, match="made by single-engineer mode"):
        bindable(accounts, me)
    with pytest.raises(AuthError, match="has accounts"):
        account_of(accounts, token=None, user=(ME, "Ahmad"))


def test_the_policy_steps_aside_only_for_a_local_account(db: Path, accounts: SqliteAccounts) -> None:
    me = accounts.ensure_local(ME, display_name="Ahmad")
    budi = accounts.add("budi", display_name="Budi", role=AccountRole.TIM_KERJA)
    ticket = _reported_ticket(db)
    close = Move(step=11, actor="Rina")
    assert policy.single_engineer(me) and not policy.single_engineer(budi)
    assert policy.check_actor(ticket, close, me, now=dt.datetime.now(dt.UTC)).local
    with pytest.raises(Forbidden, match="needs the role helpdesk"):
        policy.check_actor(ticket, close, budi, now=dt.datetime.now(dt.UTC))
    disabled = Account.model_validate(me.model_dump() | {"disabled": True})
    with pytest.raises(Forbidden, match="disabled"):
        policy.check_actor(ticket, close, disabled, now=dt.datetime.now(dt.UTC))


def _reported_ticket(db: Path) -> Ticket:
    """A ticket recorded without accounts up to step 10 (the report, not acknowledged)."""
    st = SqliteStore(db)
    try:
        tid = st.create(request(), helpdesk="Rina").id
        st.apply(tid, Move(step=3, actor="Kadis", outcome="approve"))
        for n in range(4, 11):
            st.apply(tid, valid(Move(step=n, actor="Andi"), tid))
        return st.get(tid)
    finally:
        st.close()


# --- the provisioning run's close (step 11) ---------------------------------------------------
def _close(store: Any, tid: str, tmp_path: Path) -> Any:
    ctx = RunContext(
        ticket_id=tid, store=store, inventory_path=tmp_path, actor="Andi", options=RunOptions(),
        reporter=None,  # type: ignore[arg-type]  # the close step reports nothing
        reports=tmp_path,
    )  # fmt: skip
    return ACTIONS["close"].fn(ctx, {})


def test_provision_pauses_at_the_close_for_the_helpdesk(
    db: Path, tmp_path: Path, accounts: SqliteAccounts
) -> None:
    people(accounts)
    bound = Acting(SqliteStore(db), accounts.by_username("rina"))
    try:
        tid = bound.create(request(), helpdesk="").id
    finally:
        bound.close()
    kadis = Acting(SqliteStore(db), accounts.by_username("kadis"))
    try:
        kadis.apply(tid, Move(step=3, actor="x", outcome="approve"))
    finally:
        kadis.close()
    steps_4_to_10(db, tid, accounts.by_username("budi"))
    engineer = Acting(SqliteStore(db), accounts.by_username("budi"))
    try:
        outcome = _close(engineer, tid, tmp_path)
        assert outcome.state == "paused" and "waiting for the helpdesk to close" in outcome.detail
        assert "needs the role helpdesk" in outcome.detail and engineer.get(tid).status == "reported"
        Acting(engineer.inner, accounts.by_username("kabid")).apply(
            tid, Move(step=10, actor="x", outcome="acknowledge")
        )
        Acting(engineer.inner, accounts.by_username("rina")).apply(tid, Move(step=11, actor="x"))
        assert _close(engineer, tid, tmp_path).state == "skipped"
    finally:
        engineer.close()


def test_provision_closes_in_single_engineer_mode(db: Path, tmp_path: Path, accounts: SqliteAccounts) -> None:
    me = accounts.ensure_local(ME, display_name="Ahmad")
    st = Acting(SqliteStore(db), me)
    try:
        tid = st.create(request(), helpdesk="Rina").id
        st.apply(tid, Move(step=3, actor="Kadis", outcome="approve"))
        for n in range(4, 11):
            st.apply(tid, valid(Move(step=n, actor="Andi"), tid))
        assert _close(st, tid, tmp_path).state == "done"
        assert st.get(tid).events[-1].actor == "Andi"
    finally:
        st.close()


def test_a_server_store_is_not_bound_on_the_client() -> None:
    from sipelangi_net.tickets.http import HttpStore

    store = HttpStore("http://127.0.0.1:9", token="spl_" + "a" * 43)
    try:
        assert acting(store) is store and as_system(store) is store
    finally:
        store.close()


def test_a_stage_refuses_an_account_of_the_wrong_role_before_any_device(
    db: Path, tmp_path: Path, accounts: SqliteAccounts
) -> None:
    people(accounts)
    st = SqliteStore(db)
    try:
        tid = st.create(request(), helpdesk="Rina").id
        st.apply(tid, Move(step=3, actor="Kadis", outcome="approve"))
    finally:
        st.close()
    helpdesk = Acting(SqliteStore(db), accounts.by_username("rina"))
    ctx = RunContext(
        ticket_id=tid, store=helpdesk, inventory_path=tmp_path / "no-inventory", actor="Rina",
        options=RunOptions(), reporter=None,  # type: ignore[arg-type]  # refused before it reports
        reports=tmp_path,
    )  # fmt: skip
    try:
        with pytest.raises(Forbidden, match=r"step 4 \(needs analysis\) needs the role tim_kerja"):
            ACTIONS["analyze"].fn(ctx, {})  # the inventory and the devices are never read
        assert len(helpdesk.get(tid).events) == 3
    finally:
        helpdesk.close()
