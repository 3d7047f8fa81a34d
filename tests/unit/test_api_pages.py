"""The ticket list a page at a time, against the real server: keyset order, signed cursors, limits, filters.

Tickets are opened straight in the server's database (the same store, WAL) so
that many are cheap; the answers come from ``sipelangi-net serve`` on loopback.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_server import Server, open_local, running_server
from ticket_data import request

from sipelangi_net.tickets.http import HttpStore
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.sqlite import SqliteStore

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def server(tmp_path: Any) -> Iterator[Server]:
    with running_server(tmp_path / "serve") as srv:
        yield srv


@pytest.fixture
def local(server: Server) -> Iterator[SqliteStore]:
    s = open_local(server.db)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=30) as client:
        yield client


def open_tickets(local: SqliteStore, count: int, **changes: Any) -> list[str]:
    return [local.create(request(**changes), helpdesk="Helpdesk").id for _ in range(count)]


def walk(api: httpx.Client, params: dict[str, Any], between: Any = None) -> list[str]:
    """Every id of the list, following ``next``; ``between()`` runs after the first page."""
    ids: list[str] = []
    query = dict(params)
    while True:
        answer = api.get("/tickets", params=query)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert set(page) == {"items", "next", "limit"}
        assert len(page["items"]) <= page["limit"]
        ids += [t["id"] for t in page["items"]]
        if page["next"] is None:
            return ids
        query["cursor"] = page["next"]
        if between is not None:
            between()
            between = None


def test_pages_cover_every_ticket_once_in_id_order_while_tickets_are_opened(
    api: httpx.Client, local: SqliteStore
) -> None:
    first = open_tickets(local, 7)
    later: list[str] = []

    ids = walk(api, {"limit": 3}, between=lambda: later.extend(open_tickets(local, 4)))

    assert ids == sorted(ids)
    assert ids == first + later  # nothing repeated or skipped; the new ones come after all seen


def test_the_last_page_has_no_next_and_an_empty_list_is_one_page(
    api: httpx.Client, local: SqliteStore
) -> None:
    assert api.get("/tickets").json() == {"items": [], "next": None, "limit": 50}
    opened = open_tickets(local, 4)
    page = api.get("/tickets", params={"limit": 4}).json()
    assert [t["id"] for t in page["items"]] == opened
    assert page["next"] is None  # exactly a page: no empty page after it


def _flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def test_a_tampered_or_foreign_cursor_is_refused_with_422(api: httpx.Client, local: SqliteStore) -> None:
    open_tickets(local, 5)
    cursor = api.get("/tickets", params={"limit": 2}).json()["next"]
    payload, mac = cursor.split(".")
    forged = base64.urlsafe_b64encode(b'{"after":"SPL-2026-00001","q":"0"}').rstrip(b"=").decode()
    for bad in (
        _flip(cursor, 3),
        _flip(cursor, len(cursor) - 2),
        f"{forged}.{mac}",
        "x.y",
        f"{payload}.{payload}",
    ):
        answer = api.get("/tickets", params={"limit": 2, "cursor": bad})
        assert answer.status_code == 422, bad
        assert answer.json()["code"] == "invalid"
        assert answer.json()["error"].startswith("query parameter cursor: ")
    other_filters = api.get("/tickets", params={"limit": 2, "cursor": cursor, "status": "closed"})
    assert other_filters.status_code == 422
    assert "other filters" in other_filters.json()["error"]
    assert api.get("/tickets", params={"cursor": "not a cursor"}).status_code == 422
    assert api.get("/tickets", params={"limit": 2, "cursor": cursor}).status_code == 200


def test_a_cursor_does_not_outlive_the_server(tmp_path: Any) -> None:
    """Signed with a key made at start: after a restart the client is told to start again."""
    with running_server(tmp_path / "a") as first:
        s = open_local(first.db)
        open_tickets(s, 3)
        s.close()
        headers = {"Authorization": f"Bearer {first.token}"}
        cursor = httpx.get(f"{first.url}/api/v1/tickets?limit=1", headers=headers).json()["next"]
    with running_server(tmp_path / "a", token=first.token) as second:
        answer = httpx.get(
            f"{second.url}/api/v1/tickets", params={"limit": 1, "cursor": cursor}, headers=headers
        )
    assert answer.status_code == 422
    assert "start again from the first page" in answer.json()["error"]


@pytest.mark.parametrize("limit", ["0", "-1", "201", "1e3", "many"])
def test_the_page_size_has_bounds(api: httpx.Client, limit: str) -> None:
    answer = api.get("/tickets", params={"limit": limit})
    assert answer.status_code == 422
    assert answer.json()["error"].startswith("query parameter limit: ")


def test_the_default_page_is_50_and_the_largest_200(api: httpx.Client, local: SqliteStore) -> None:
    open_tickets(local, 205)
    assert len(api.get("/tickets").json()["items"]) == 50
    largest = api.get("/tickets", params={"limit": 200}).json()
    assert len(largest["items"]) == 200
    assert largest["limit"] == 200
    assert len(walk(api, {"limit": 200})) == 205


def test_filters_by_status_site_opd_and_update_time(api: httpx.Client, local: SqliteStore) -> None:
    dinkes = open_tickets(local, 3)
    bappeda = open_tickets(local, 2, site="bappeda", opd="Badan Perencanaan Pembangunan Daerah")
    time.sleep(0.01)
    mark = dt.datetime.now(dt.UTC)
    local.apply(dinkes[1], Move(step=3, actor="Kadis", outcome="approve"))

    assert walk(api, {"site": "bappeda", "limit": 1}) == bappeda
    assert walk(api, {"opd": "Dinas Kesehatan (Dinkes)"}) == dinkes
    assert walk(api, {"status": "approved"}) == [dinkes[1]]
    assert walk(api, {"status": "forwarded", "site": "dinkes"}) == [dinkes[0], dinkes[2]]
    assert walk(api, {"updated_since": mark.isoformat()}) == [dinkes[1]]
    assert walk(api, {"since": mark.isoformat()}) == []
    assert walk(api, {"until": mark.isoformat(), "limit": 2}) == dinkes + bappeda
    assert walk(api, {"site": "disdukcapil"}) == []
    refused = api.get("/tickets", params={"site": "Not A Key"})
    assert refused.status_code == 422
    assert refused.json()["error"].startswith("query parameter site: ")


def test_the_http_store_follows_the_pages(server: Server, local: SqliteStore) -> None:
    opened = open_tickets(local, 230)
    local.apply(opened[-1], Move(step=3, actor="Kadis", outcome="approve"))
    with HttpStore(server.url, token=server.token) as store:
        assert [t.id for t in store.tickets()] == opened
        assert [t.id for t in store.tickets(status="approved")] == [opened[-1]]
        assert [t.id for t in store.tickets(status="forwarded")] == opened[:-1]


def test_the_list_walks_an_index_in_id_order(local: SqliteStore) -> None:
    """Each filter's query is an index walk in id order (no temporary sort of the whole table)."""
    from sipelangi_net.tickets.listing import TicketQuery, page_sql

    for query in (
        TicketQuery(),
        TicketQuery(status="closed"),
        TicketQuery(site="dinkes"),
        TicketQuery(opd="x"),
    ):
        sql, args = page_sql(query, after="SPL-2026-00001", limit=51)
        plan = " ".join(r[-1] for r in local.conn.execute("EXPLAIN QUERY PLAN " + sql, args))
        assert "USING" in plan and "INDEX" in plan, (query, plan)
        assert "TEMP B-TREE" not in plan, (query, plan)
