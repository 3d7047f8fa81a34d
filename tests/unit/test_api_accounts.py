"""Accounts on the shared SiPelangi, against a real ``sipelangi-net serve`` (uvicorn on loopback).

``GET /auth/me`` for each role; the admin's ``/accounts`` endpoints (every other caller 403, nothing
changed); ``sipelangi-net user ... --store URL`` as admin, refused (exit 6) otherwise; HttpStore's
403/401 as Forbidden/AuthError; step 3 through the API gets its Lembar Disposisi written by the
server, ``ticket approve --store URL`` writes one too, and both can be downloaded; ``ticket notify
--store URL`` as the helpdesk completes a ticket (step 12 recorded by the server as the system)
through a real SMTP server; a pemohon's list compares OPD names as ``policy.same_opd``; a token's
last use is written off the event loop.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from api_server import ROLE_ACCOUNTS, Server, free_port, open_local, running_server
from test_notify import Mailbox
from test_policy import at_status
from ticket_data import cli_env, request

from sipelangi_net.accounts.models import AccountRole
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.errors import AuthError, Forbidden
from sipelangi_net.server.auth import LastUse
from sipelangi_net.tickets import policy, workflow
from sipelangi_net.tickets.acting import bound_account, recorded_actor
from sipelangi_net.tickets.http import HttpStore
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.sqlite import SqliteStore, utcnow

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
PASSWORD = "kata-sandi-yang-panjang-sekali-42"
NEW_PASSWORD = "kata-sandi-baru-yang-panjang-77"
OTHERS = ("pemohon", "helpdesk", "kepala_dinas", "kepala_bidang", "tim_kerja", "system")


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("accounts")) as server:
        yield server


@pytest.fixture
def store(srv: Server) -> Iterator[SqliteStore]:
    st = open_local(srv.db)
    try:
        yield st
    finally:
        st.close()


def token_of(srv: Server, who: str) -> str:
    return srv.token if who == "system" else srv.tokens[who]


def call(srv: Server, who: str | None, method: str, path: str, body: Any = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token_of(srv, who) if who in (*OTHERS, 'admin') else who}"}
    return httpx.request(method, f"{srv.url}/api/v1{path}", json=body, headers=headers, timeout=60)


def admin(srv: Server, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    answer = call(srv, "admin", method, path, body)
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else None


def cli(srv: Server, token: str, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**cli_env(), "SIPELANGI_TOKEN": token, "HOME": str(srv.db.parent / "home"), **env}
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, env=environ, timeout=120, check=False, input=stdin
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- GET /auth/me -----------------------------------------------------------------------
@pytest.mark.parametrize("role", [*(str(r) for r in ROLE_ACCOUNTS), "system"])
def test_me_says_who_each_caller_is(srv: Server, role: str) -> None:
    answer = call(srv, role, "GET", "/auth/me")
    assert answer.status_code == 200, answer.text
    me = answer.json()
    assert me["role"] == role
    if role == "system":
        assert me["account"] is None and me["token_expires_at"] is None and me["display_name"] == "SiPelangi"
        with HttpStore(srv.url, token=srv.token) as service:
            assert service.me().actor() is policy.SYSTEM
        return
    username, name, opd, sites = ROLE_ACCOUNTS[AccountRole(role)]
    assert (me["username"], me["display_name"], me["account"]["id"] > 0) == (username, name, True)
    assert (me["account"]["opd"], tuple(me["account"]["sites"])) == (opd, sites)
    assert dt.datetime.fromisoformat(me["token_expires_at"]) > dt.datetime.now(dt.UTC)
    assert me["delegation"] is None
    assert "password" not in answer.text and "digest" not in answer.text


def test_me_of_a_refused_token_is_401(srv: Server) -> None:
    assert call(srv, "spl_" + "x" * 43, "GET", "/auth/me").status_code == 401


# --- the admin's /accounts ------------------------------------------------------------------
ADMIN_CALLS: tuple[tuple[str, str, Any], ...] = (
    ("GET", "/accounts", None),
    ("POST", "/accounts", {"username": "mallory", "display_name": "Mallory", "role": "admin"}),
    ("GET", "/accounts/andi", None),
    ("POST", "/accounts/andi/disable", None),
    ("PUT", "/accounts/andi/password", {"password": NEW_PASSWORD}),
    ("GET", "/accounts/andi/tokens", None),
    ("POST", "/accounts/andi/tokens", {"name": "stolen", "days": 30}),
    ("POST", "/accounts/andi/tokens/1/revoke", None),
    (
        "POST",
        "/accounts/andi/delegations",
        {"kind": "Plt.", "start": "2026-01-01", "end": "2030-12-31", "decree": "800/9/X"},
    ),
)


def usernames(db: Path) -> list[str]:
    accounts = SqliteAccounts(db)
    try:
        return [a.username for a in accounts.list()]
    finally:
        accounts.close()


def last_used(db: Path, username: str, token_id: int) -> dt.datetime | None:
    accounts = SqliteAccounts(db)
    try:
        return {t.id: t for t in accounts.tokens(username)}[token_id].last_used_at
    finally:
        accounts.close()


def _snapshot(db: Path) -> tuple[Any, ...]:
    accounts = SqliteAccounts(db)
    try:
        rows = accounts.conn.execute(
            "SELECT id, username, role, disabled, password_hash FROM accounts ORDER BY id"
        ).fetchall()
        toks = accounts.conn.execute(
            "SELECT id, account_id, revoked_at FROM api_tokens ORDER BY id"
        ).fetchall()
        dels = accounts.conn.execute("SELECT * FROM account_delegations ORDER BY id").fetchall()
        return tuple(rows), tuple(toks), tuple(dels)
    finally:
        accounts.close()


@pytest.mark.parametrize("who", OTHERS)
@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS, ids=[f"{c[0]} {c[1]}" for c in ADMIN_CALLS])
def test_only_an_admin_may_use_the_account_endpoints(
    srv: Server, who: str, method: str, path: str, body: Any
) -> None:
    before = _snapshot(srv.db)
    answer = call(srv, who, method, path, body)
    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "forbidden"
    assert "needs the role admin" in answer.json()["error"]
    assert _snapshot(srv.db) == before


def test_an_admin_manages_accounts_and_every_change_is_logged(srv: Server) -> None:
    added = admin(
        srv,
        "POST",
        "/accounts",
        {"username": "citra", "display_name": "Citra Bappeda", "role": "pemohon", "opd": "bappeda"},
        201,
    )
    assert (added["opd"], added["sites"]) == ("Badan Perencanaan Pembangunan Daerah (Bappeda)", ["bappeda"])
    for bad, why in (
        ({"username": "dian", "display_name": "D", "role": "pemohon", "opd": "Dinas Rahasia"}, "no OPD"),
        ({"username": "dian", "display_name": "D", "role": "helpdesk", "opd": "bappeda"}, "only a pemohon"),
        ({"username": "citra", "display_name": "C", "role": "helpdesk"}, "taken"),
        ({"username": "dian", "display_name": "D", "role": "helpdesk", "password": "short"}, "too short"),
    ):
        refused = call(srv, "admin", "POST", "/accounts", bad)
        assert refused.status_code == 422 and why in refused.json()["error"], refused.text
        assert str(srv.db) not in refused.text
    assert "citra" in [a["username"] for a in admin(srv, "GET", "/accounts")]
    assert call(srv, "admin", "GET", "/accounts/nobody").status_code == 404

    issued = admin(srv, "POST", "/accounts/citra/tokens", {"name": "citra@laptop", "days": 7}, 201)
    token = issued["token"]
    assert token.startswith("spl_") and issued["info"]["state"] == "active"
    assert call(srv, token, "GET", "/auth/me").json()["username"] == "citra"
    listed = admin(srv, "GET", "/accounts/citra/tokens")
    assert [t["state"] for t in listed] == ["active"] and token not in json.dumps(listed)
    assert admin(srv, "POST", f"/accounts/citra/tokens/{issued['info']['id']}/revoke")["state"] == "revoked"
    assert call(srv, token, "GET", "/auth/me").status_code == 401
    assert call(srv, "admin", "POST", "/accounts/andi/tokens/999999/revoke").status_code == 404

    admin(srv, "PUT", "/accounts/citra/password", {"password": NEW_PASSWORD}, 204)
    login = {"username": "citra", "password": NEW_PASSWORD, "name": "x"}
    assert httpx.post(f"{srv.url}/api/v1/auth/token", json=login).status_code == 200

    today = policy.local_day(dt.datetime.now(dt.UTC))
    period = {
        "kind": "Plh.",
        "start": str(today),
        "end": str(today + dt.timedelta(days=3)),
        "decree": "800/7",
    }
    admin(srv, "POST", "/accounts/kabid/delegations", period, 201)
    assert call(srv, "kepala_bidang", "GET", "/auth/me").json()["delegation"]["kind"] == "Plh."
    assert call(srv, "admin", "POST", "/accounts/citra/delegations", period).status_code == 422

    assert admin(srv, "POST", "/accounts/citra/disable")["disabled"] is True
    assert httpx.post(f"{srv.url}/api/v1/auth/token", json=login).status_code == 401
    log = srv.log.read_text()
    for line in (
        "accounts: root added citra (pemohon, Badan Perencanaan",
        "accounts: root issued citra a new API token, #",
        "accounts: root revoked #",
        "accounts: root changed citra's password",
        "accounts: root recorded kabid Plh. Kepala Dinas",
        "accounts: root disabled citra",
        "accounts: andi (tim_kerja) refused",
    ):
        assert line in log
    assert NEW_PASSWORD not in log and token not in log


def test_user_commands_manage_a_servers_accounts_as_admin_only(srv: Server) -> None:
    url = srv.url
    added = cli(
        srv,
        srv.tokens["admin"],
        "user", "add", "eko", "--role", "pemohon", "--name", "Eko Dinkes", "--opd", "dinkes",
        "--store", url, "--password-stdin", "--json",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["opd"] == "Dinas Kesehatan (Dinkes)"
    listed = cli(srv, srv.tokens["admin"], "user", "list", "--json", SIPELANGI_STORE=url)
    assert "eko" in [a["username"] for a in json.loads(listed.stdout)]
    issued = cli(srv, srv.tokens["admin"], "user", "token", "eko", "--store", url)
    assert issued.returncode == 0 and issued.stdout.strip().startswith("spl_"), issued.stderr
    assert call(srv, issued.stdout.strip(), "GET", "/auth/me").json()["username"] == "eko"
    tokens = cli(srv, srv.tokens["admin"], "user", "tokens", "eko", "--store", url, "--json")
    assert [t["state"] for t in json.loads(tokens.stdout)] == ["active"]
    assert PASSWORD not in added.stdout + added.stderr + srv.log.read_text()

    for role in ("tim_kerja", "helpdesk", "pemohon"):
        refused = cli(
            srv, srv.tokens[role], "user", "add", "fajar", "--role", "helpdesk", "--name", "F", "--store", url
        )
        assert refused.returncode == 6, refused.stderr
        assert "needs the role admin" in refused.stderr
    assert "fajar" not in usernames(srv.db)
    gone = cli(srv, "spl_" + "y" * 43, "user", "list", "--store", url)
    assert gone.returncode == 6 and f"sipelangi-net login {url}" in gone.stderr


# --- HttpStore's refusals ----------------------------------------------------------------
def test_http_store_refusals_are_forbidden_and_auth_errors(srv: Server, store: SqliteStore) -> None:
    ticket = at_status(store, "forwarded")
    with HttpStore(srv.url, token=srv.tokens["tim_kerja"]) as engineer, pytest.raises(Forbidden) as caught:
        engineer.apply(ticket.id, Move(step=3, actor="x", outcome="approve"))
    assert "needs the role kepala_dinas" in str(caught.value) and caught.value.exit_code == 6
    with HttpStore(srv.url, token="spl_" + "z" * 43) as stranger, pytest.raises(AuthError) as refused:
        stranger.get(ticket.id)
    assert "sipelangi-net login" in str(refused.value) and refused.value.exit_code == 6
    assert store.get(ticket.id).status == "forwarded"


def test_a_server_stores_bound_account_is_the_servers_answer_asked_once(
    srv: Server, store: SqliteStore
) -> None:
    ticket = at_status(store, "approved")
    with HttpStore(srv.url, token=srv.tokens["helpdesk"]) as helpdesk:
        account = bound_account(helpdesk)
        assert account is not None and (account.username, account.role) == ("rina", "helpdesk")
        assert bound_account(helpdesk) is account  # asked once, then kept
        assert recorded_actor(helpdesk, "typed in") == "Rina Helpdesk"
        with pytest.raises(Forbidden, match="needs the role tim_kerja"):  # before any device
            workflow.may_do(helpdesk.get(ticket.id), Move(step=4, actor="x"), now=utcnow(), account=account)
    with HttpStore(srv.url, token=srv.token) as service:
        assert bound_account(service) is policy.SYSTEM


# --- the Lembar Disposisi ---------------------------------------------------------------
def _decide(
    srv: Server, who: str, ticket_id: str, outcome: str = "approve", note: str = ""
) -> httpx.Response:
    body = {"step": 3, "actor": "typed in", "outcome": outcome, "note": note}
    return call(srv, who, "POST", f"/tickets/{ticket_id}/events", body)


def test_step_3_through_the_api_gets_its_sheet_from_the_server(srv: Server, store: SqliteStore) -> None:
    reports = srv.db.parent / "reports"
    ticket = at_status(store, "forwarded")
    refused = _decide(srv, "tim_kerja", ticket.id)
    assert refused.status_code == 403 and not (reports / ticket.id).exists()

    answer = _decide(srv, "kepala_dinas", ticket.id, "defer", "Lengkapi surat rekomendasi")
    assert answer.status_code == 201, answer.text
    event = answer.json()["events"][-1]
    record = event["outputs"]["disposisi"]
    assert event["actor"] == "Ir. Kadis" and record["kedudukan"] == ""
    assert record["pdf"]["path"] == f"{ticket.id}/lembar-disposisi-{ticket.id}.pdf"  # no server path
    for kind in ("html", "pdf"):
        assert sha256(reports / record[kind]["path"]) == record[kind]["sha256"]
    html = (reports / record["html"]["path"]).read_text()
    assert "Ir. Kadis" in html and "Lengkapi surat rekomendasi" in html and "TUNDA" in html

    documents = call(srv, "pemohon", "GET", f"/tickets/{ticket.id}/documents").json()
    assert {d["name"] for d in documents} == {f"lembar-disposisi-{ticket.id}.{x}" for x in ("html", "pdf")}
    pdf = call(srv, "pemohon", "GET", f"/tickets/{ticket.id}/documents/lembar-disposisi-{ticket.id}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == record["pdf"]["sha256"]
    assert call(srv, "helpdesk", "GET", f"/tickets/{ticket.id}/documents/nothing.pdf").status_code == 404

    admin(
        srv,
        "POST",
        "/accounts",
        {"username": "sari", "display_name": "Sari", "role": "pemohon", "opd": "bappeda"},
        201,
    )
    theirs = admin(srv, "POST", "/accounts/sari/tokens", {"name": "t"}, 201)["token"]
    assert call(srv, theirs, "GET", f"/tickets/{ticket.id}/documents").status_code == 404
    assert (
        call(
            srv, theirs, "GET", f"/tickets/{ticket.id}/documents/{Path(record['pdf']['path']).name}"
        ).status_code
        == 404
    )


def test_a_plt_decides_and_the_sheet_says_so(srv: Server, store: SqliteStore) -> None:
    today = policy.local_day(dt.datetime.now(dt.UTC))
    admin(
        srv,
        "POST",
        "/accounts",
        {"username": "plt", "display_name": "Hj. Plt Kadis", "role": "kepala_bidang"},
        201,
    )
    period = {"kind": "Plt.", "start": str(today), "end": str(today), "decree": "800/12/BKPSDM/2026"}
    admin(srv, "POST", "/accounts/plt/delegations", period, 201)
    token = admin(srv, "POST", "/accounts/plt/tokens", {"name": "t"}, 201)["token"]
    ticket = at_status(store, "forwarded")
    answer = _decide(srv, token, ticket.id)
    assert answer.status_code == 201, answer.text
    event = answer.json()["events"][-1]
    assert event["outputs"]["disposisi"]["kedudukan"] == "Plt." and event["actor"] == "Hj. Plt Kadis"
    html = (srv.db.parent / "reports" / event["outputs"]["disposisi"]["html"]["path"]).read_text()
    assert "Plt. Kepala Dinas" in html


def test_ticket_approve_over_http_names_the_account_and_the_server_serves_the_sheet(
    srv: Server, store: SqliteStore, tmp_path: Path
) -> None:
    client = tmp_path / "laptop-reports"
    refused_ticket = at_status(store, "forwarded")
    refused = cli(
        srv, srv.tokens["tim_kerja"], "ticket", "approve", refused_ticket.id, "--store", srv.url,
        SIPELANGI_REPORTS=str(client),
    )  # fmt: skip
    assert refused.returncode == 6 and "needs the role kepala_dinas" in refused.stderr
    assert not (client / refused_ticket.id).exists()  # refused before the sheet was written

    ticket = at_status(store, "forwarded")
    done = cli(
        srv, srv.tokens["kepala_dinas"], "ticket", "approve", ticket.id, "--store", srv.url,
        "--actor", "Someone Typed", "--json", SIPELANGI_REPORTS=str(client),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    event = store.get(ticket.id).events[-1]
    assert (event.step, event.outcome, event.actor) == (3, "approve", "Ir. Kadis")
    record = event.outputs["disposisi"]
    laptop = client / ticket.id / f"lembar-disposisi-{ticket.id}.pdf"
    assert sha256(laptop) == record["pdf"]["sha256"]
    assert "Ir. Kadis" in laptop.with_suffix(".html").read_text()
    served = call(srv, "kepala_dinas", "GET", f"/tickets/{ticket.id}/documents/{laptop.name}")
    assert served.status_code == 200, served.text  # written again on the server from the record
    assert hashlib.sha256(served.content).hexdigest() == record["pdf"]["sha256"]


# --- step 12 over HTTP -----------------------------------------------------------------
@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def test_ticket_notify_over_http_completes_the_ticket_as_the_system(
    srv: Server, store: SqliteStore, mailbox: Mailbox
) -> None:
    ticket = at_status(store, "closed")
    smtp = {"SIPELANGI_SMTP_HOST": "127.0.0.1", "SIPELANGI_SMTP_PORT": str(mailbox.port)}
    pemohon = cli(srv, srv.tokens["pemohon"], "ticket", "notify", "--store", srv.url, **smtp)
    assert pemohon.returncode == 6 and "not pemohon" in pemohon.stderr
    run = cli(srv, srv.tokens["helpdesk"], "ticket", "notify", "--store", srv.url, "--json", **smtp)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["sent"] >= 1 and report["errors"] == []
    closing = [
        m
        for m in mailbox.messages
        if m["X-SiPelangi-Ticket"] == ticket.id and "Tiket ditutup" in m["Subject"]
    ]
    assert closing and closing[0]["To"].addresses[0].addr_spec == ticket.request.pic.email
    done = store.get(ticket.id)
    assert done.status == "notified"
    last = done.events[-1]
    assert last.step == 12 and last.account is not None
    assert (last.account.username, last.account.role) == ("system", "system")
    assert [e.step for e in done.events].count(12) == 1


def test_the_server_delivers_the_closing_notice_itself_and_records_step_12(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    """With a mail server in its environment, the server works its outbox: nobody runs a command."""
    smtp = {"SIPELANGI_SMTP_HOST": "127.0.0.1", "SIPELANGI_SMTP_PORT": str(mailbox.port)}
    with running_server(tmp_path / "courier", env=smtp, args=("--deliver-every", "0.5")) as server:
        with closing(open_local(server.db)) as local:
            ticket = at_status(local, "closed")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with closing(open_local(server.db)) as local:
                done = local.get(ticket.id)
            if done.status == "notified":
                break
            time.sleep(0.2)
        log = server.log.read_text(errors="replace")
    assert done.status == "notified", log
    last = done.events[-1]
    assert last.step == 12 and last.account is not None and last.account.role == "system"
    closing_mails = [
        m
        for m in mailbox.messages
        if m["X-SiPelangi-Ticket"] == ticket.id and "Tiket ditutup" in m["Subject"]
    ]
    assert (
        len(closing_mails) == 1 and closing_mails[0]["To"].addresses[0].addr_spec == ticket.request.pic.email
    )


def test_without_a_channel_the_server_says_the_outbox_waits(srv: Server) -> None:
    assert "no notification channel configured" in srv.log.read_text(errors="replace")


# --- the pemohon's list --------------------------------------------------------------------
def _listed(srv: Server, who: str, **params: str) -> set[str]:
    ids: set[str] = set()
    cursor = None
    while True:
        query = {**params, "limit": "200", **({"cursor": cursor} if cursor else {})}
        page = httpx.get(
            f"{srv.url}/api/v1/tickets", params=query, headers={"Authorization": f"Bearer {srv.tokens[who]}"}
        )
        assert page.status_code == 200, page.text
        ids |= {t["id"] for t in page.json()["items"]}
        cursor = page.json()["next"]
        if not cursor:
            return ids


def test_a_pemohons_list_compares_opd_names_as_the_policy_does(srv: Server, store: SqliteStore) -> None:
    helpdesk = at_status(store, "submitted")  # a ticket to compare with
    shouted = store.create(request(opd="  DINAS KESEHATAN   (dinkes) "), helpdesk="-", account=_helpdesk())
    other = store.create(request(opd="Bappeda", site="bappeda"), helpdesk="-", account=_helpdesk())
    mine = _listed(srv, "pemohon")
    assert {helpdesk.id, shouted.id} <= mine and other.id not in mine
    assert shouted.id in _listed(srv, "pemohon", opd="dinas kesehatan (DINKES)")
    assert _listed(srv, "pemohon", opd="Bappeda") == set()
    assert other.id in _listed(srv, "helpdesk", opd="Bappeda")


def _helpdesk() -> policy.Actor:
    from test_policy import ACCOUNTS

    return ACCOUNTS["helpdesk"]


# --- a token's last use ---------------------------------------------------------------
def test_a_tokens_last_use_is_written_by_the_worker_not_the_lookup(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    accounts = SqliteAccounts(db)
    try:
        accounts.add("andi", display_name="Andi", role=AccountRole.TIM_KERJA)
        issued = accounts.issue_token("andi", name="t")
        noted: list[tuple[int, dt.datetime]] = []
        accounts.authenticate_token(issued.token, touch=lambda i, at: noted.append((i, at)))
        assert [i for i, _ in noted] == [issued.info.id]
        assert accounts.tokens("andi")[0].last_used_at is None  # the lookup wrote nothing
        last_use = LastUse(lambda: SqliteAccounts(db))
        last_use.note(issued.info.id, noted[0][1])
        last_use.note(issued.info.id, noted[0][1] - dt.timedelta(hours=1))  # never moves back
        last_use.close()
        assert accounts.tokens("andi")[0].last_used_at == noted[0][1]
    finally:
        accounts.close()


def test_the_server_writes_a_tokens_last_use(srv: Server) -> None:
    token = admin(srv, "POST", "/accounts/andi/tokens", {"name": "fresh"}, 201)
    assert call(srv, token["token"], "GET", "/auth/me").status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if last_used(srv.db, "andi", token["info"]["id"]) is not None:
            return
        time.sleep(0.05)
    pytest.fail("the token's last use was not written")
