"""The server decides who acts: every (role x step) pair through HTTP against a real ``serve``.

Accounts live in the served database (made here before the server starts); each account's own API
token is its identity. The server's service token (``--token-file``) is the ``system`` principal.
Tickets are brought to each status store-side (test_policy's path), then the step is tried over
HTTP: the accounts the SOP names succeed, the others get 403 naming the role, and nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from api_server import Server, open_local, running_server
from test_policy import ROWS, SOP_ROLE, TODAY, at_status, move
from ticket_data import raw_request

from sipelangi_net.accounts.models import AccountRole, Delegation
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.tickets.sqlite import SqliteStore

OPD = "Dinas Kesehatan (Dinkes)"
# name -> (username, display name, role, opd, sites)
PEOPLE: dict[str, tuple[str, str, AccountRole, str | None, tuple[str, ...]]] = {
    "pemohon": ("budi", "Budi Santoso", AccountRole.PEMOHON, OPD, ("dinkes",)),
    "pemohon_bappeda": ("sari", "Sari Bappeda", AccountRole.PEMOHON, "Bappeda", ("bappeda",)),
    "helpdesk": ("rina", "Rina Helpdesk", AccountRole.HELPDESK, None, ()),
    "kepala_dinas": ("kadis", "Ir. Kadis", AccountRole.KEPALA_DINAS, None, ()),
    "plt": ("kabid2", "Plt. Kadis", AccountRole.KEPALA_BIDANG, None, ()),
    "kepala_bidang": ("kabid", "Kabid E-Gov", AccountRole.KEPALA_BIDANG, None, ()),
    "tim_kerja": ("andi", "Andi Jaringan", AccountRole.TIM_KERJA, None, ()),
    "admin": ("root", "Admin", AccountRole.ADMIN, None, ()),
}
PASSWORD = "kata-sandi-yang-panjang-sekali-42"


@dataclass(frozen=True)
class World:
    server: Server
    store: SqliteStore
    tokens: dict[str, str]  # name -> bearer token ("system": the service token)
    tickets: dict[str, str]  # status -> a ticket every refused account is tried on


def make_accounts(db: Path) -> dict[str, str]:
    """The accounts of :data:`PEOPLE` in ``db``, each with a password and an API token."""
    accounts = SqliteAccounts(db)
    try:
        tokens = {}
        for name, (username, display, role, opd, sites) in PEOPLE.items():
            accounts.add(username, display_name=display, role=role, opd=opd, sites=sites, password=PASSWORD)
            tokens[name] = accounts.issue_token(username, name="test").token
        accounts.add_delegation(
            "kabid2",
            Delegation(
                kind="Plt.",
                start=TODAY - dt.timedelta(days=1),
                end=TODAY + dt.timedelta(days=1),
                decree="800/1",
            ),
        )
        return tokens
    finally:
        accounts.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("roles")
    tokens = make_accounts(base / "tickets.db")
    with running_server(base) as srv:
        store = open_local(srv.db)
        try:
            yield World(srv, store, {**tokens, "system": srv.token}, {})
        finally:
            store.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post_move(world: World, who: str, ticket_id: str, step: int, outcome: str, note: str) -> httpx.Response:
    body = move(step, outcome, ticket_id, note).model_dump(mode="json", exclude_none=True)
    return httpx.post(
        f"{world.server.url}/api/v1/tickets/{ticket_id}/events", json=body, headers=bearer(world.tokens[who])
    )


@pytest.mark.parametrize("who", [*sorted(PEOPLE), "system"])
@pytest.mark.parametrize(
    ("step", "outcome", "status", "note", "allowed"), ROWS, ids=[f"{r[0]}-{r[1]}" for r in ROWS]
)
def test_each_role_may_do_only_its_steps_over_http(
    world: World, who: str, step: int, outcome: str, status: str, note: str, allowed: frozenset[str]
) -> None:
    if who in allowed:
        ticket = at_status(world.store, status)
        answer = post_move(world, who, ticket.id, step, outcome, note)
        assert answer.status_code == 201, answer.text
        event = answer.json()["events"][-1]
        assert (event["step"], event["outcome"]) == (step, outcome)
        expected = PEOPLE[who][0] if who in PEOPLE else "system"
        assert event["account"]["username"] == expected
        assert event["role"] == SOP_ROLE.get((step, outcome), event["role"])
        return
    if status not in world.tickets:
        world.tickets[status] = at_status(world.store, status).id
    tid = world.tickets[status]
    before = world.store.get(tid)
    answer = post_move(world, who, tid, step, outcome, note)
    if who == "pemohon_bappeda":  # another OPD's ticket: not even there
        assert answer.status_code == 404, answer.text
    else:
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"] == "forbidden"
        assert f"step {step} (" in answer.json()["error"]
        assert "needs the role" in answer.json()["error"] or "does no SOP step" in answer.json()["error"]
    assert world.store.get(tid) == before  # nothing recorded


def open_ticket(world: World, who: str, **changes: object) -> httpx.Response:
    body = {"request": raw_request(**changes), "helpdesk": "Rina"}
    return httpx.post(f"{world.server.url}/api/v1/tickets", json=body, headers=bearer(world.tokens[who]))


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("pemohon", 201),
        ("helpdesk", 201),
        ("pemohon_bappeda", 403),
        ("kepala_dinas", 403),
        ("tim_kerja", 403),
        ("admin", 403),
        ("system", 403),
    ],
)
def test_only_a_pemohon_of_the_opd_or_the_helpdesk_opens_a_ticket(
    world: World, who: str, status: int
) -> None:
    before = len(world.store.tickets())
    answer = open_ticket(world, who)
    assert answer.status_code == status, answer.text
    assert len(world.store.tickets()) == before + (status == 201)
    if status == 403:
        assert "step 1" in answer.json()["error"] and "pemohon" in answer.json()["error"]
    else:
        assert answer.json()["events"][0]["account"]["username"] == PEOPLE[who][0]


def test_a_pemohon_cannot_read_another_opds_ticket_by_its_id(world: World) -> None:
    tid = at_status(world.store, "forwarded").id
    url = world.server.url + "/api/v1/tickets"
    theirs = httpx.get(f"{url}/{tid}", headers=bearer(world.tokens["pemohon_bappeda"]))
    missing = httpx.get(f"{url}/SPL-2020-99999", headers=bearer(world.tokens["pemohon_bappeda"]))
    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert theirs.json()["error"].replace(tid, "X") == missing.json()["error"].replace("SPL-2020-99999", "X")
    assert httpx.get(f"{url}/{tid}", headers=bearer(world.tokens["pemohon"])).status_code == 200
    assert httpx.get(f"{url}/{tid}", headers=bearer(world.tokens["system"])).status_code == 200


def _listed(world: World, who: str, **params: str) -> set[str]:
    ids: set[str] = set()
    cursor = None
    while True:
        query = {**params, "limit": "200", **({"cursor": cursor} if cursor else {})}
        page = httpx.get(
            f"{world.server.url}/api/v1/tickets", params=query, headers=bearer(world.tokens[who])
        )
        assert page.status_code == 200, page.text
        ids |= {t["id"] for t in page.json()["items"]}
        cursor = page.json()["next"]
        if not cursor:
            return ids


def test_a_pemohon_lists_only_their_opds_tickets(world: World) -> None:
    at_status(world.store, "forwarded")
    everything = {t.id for t in world.store.tickets()}
    assert _listed(world, "tim_kerja") == everything
    assert _listed(world, "pemohon") == everything  # every ticket here is Dinkes's
    assert _listed(world, "pemohon_bappeda") == set()
    assert _listed(world, "pemohon_bappeda", opd=OPD) == set()


def test_a_pemohon_may_not_work_the_notification_outbox(world: World) -> None:
    url = f"{world.server.url}/api/v1/notifications"
    assert httpx.get(url, headers=bearer(world.tokens["pemohon"])).status_code == 403
    assert httpx.get(url, headers=bearer(world.tokens["system"])).status_code == 200


def test_a_disabled_accounts_and_an_expired_or_revoked_token_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "srv" / "tickets.db"
    db.parent.mkdir()
    accounts = SqliteAccounts(db)
    try:
        accounts.add("andi", display_name="Andi", role=AccountRole.TIM_KERJA)
        accounts.add("dewi", display_name="Dewi", role=AccountRole.TIM_KERJA)
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
        expired = accounts.issue_token("andi", name="old", days=1, now=long_ago).token
        revoked = accounts.issue_token("andi", name="lost", days=10)
        good = accounts.issue_token("andi", name="laptop").token
        disabled = accounts.issue_token("dewi", name="laptop").token
        accounts.revoke_token("andi", revoked.info.id)
        accounts.disable("dewi")
    finally:
        accounts.close()
    with running_server(tmp_path / "srv") as srv:
        url = f"{srv.url}/api/v1/tickets"
        for token in (expired, revoked.token, disabled, "spl_" + "x" * 43):
            answer = httpx.get(url, headers=bearer(token))
            assert answer.status_code == 401, token
            assert answer.headers["www-authenticate"] == "Bearer"
        assert httpx.get(url, headers=bearer(good)).status_code == 200
        log = srv.log.read_text()
    for token in (expired, revoked.token, disabled, good):
        assert token not in log


def test_login_gives_a_token_and_is_throttled_after_failures(tmp_path: Path) -> None:
    db = tmp_path / "srv" / "tickets.db"
    db.parent.mkdir()
    accounts = SqliteAccounts(db)
    try:
        accounts.add("andi", display_name="Andi", role=AccountRole.TIM_KERJA, password=PASSWORD)
    finally:
        accounts.close()
    with running_server(tmp_path / "srv") as srv:
        login = f"{srv.url}/api/v1/auth/token"
        ok = httpx.post(login, json={"username": "andi", "password": PASSWORD, "name": "andi@laptop"})
        assert ok.status_code == 200, ok.text
        token = ok.json()["token"]
        assert token.startswith("spl_") and ok.json()["expires_at"]
        assert httpx.get(f"{srv.url}/api/v1/tickets", headers=bearer(token)).status_code == 200
        for _ in range(5):
            wrong = httpx.post(login, json={"username": "andi", "password": "salah-salah-salah", "name": "x"})
            assert wrong.status_code == 401
        assert httpx.post(login, json={"username": "nobody", "password": PASSWORD}).status_code == 401
        throttled = httpx.post(login, json={"username": "andi", "password": PASSWORD, "name": "x"})
        assert throttled.status_code == 429
        assert throttled.json()["code"] == "throttled"
        log = srv.log.read_text()
    assert "login andi from 127.0.0.1: accepted" in log
    assert "login andi from 127.0.0.1: throttled" in log
    assert PASSWORD not in log and token not in log


def test_the_contract_describes_auth_and_the_403() -> None:
    import yaml

    spec = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())
    paths = spec["paths"]
    assert "spl_" in spec["components"]["securitySchemes"]["bearerAuth"]["description"]
    assert "service token" in spec["info"]["description"]
    for path, method in (("/api/v1/tickets", "post"), ("/api/v1/tickets/{ticket_id}/events", "post")):
        forbidden = paths[path][method]["responses"]["403"]["description"]
        assert "role" in forbidden and "nothing is recorded" in forbidden
    login = paths["/api/v1/auth/token"]["post"]
    assert "security" not in login
    assert {"200", "401", "429"} <= set(login["responses"])
    assert "Needs no bearer token" in login["description"]
    assert "not found" in paths["/api/v1/tickets/{ticket_id}"]["get"]["description"]
