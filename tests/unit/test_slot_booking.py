"""Installation slots are booked once: steps 5 and 6 under the calendar lock, and the server refuses,
inside its write, a slot other tickets already fill (409 ``slot_taken`` naming them).

Two ``prepare`` processes with their own accounts and their own lock folders (two laptops) started
together against one server propose two different slots; a step 6 whose proposed slot was taken
says by which ticket, and to run prepare again (never a word about an ``--agreed`` nobody gave).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from api_server import SCRIPT, Server, open_local, running_server
from test_leases import second_engineer
from test_policy import at_status

from sipelangi_net.analysis.catalogues import Catalogues, load_catalogues
from sipelangi_net.analysis.schedule import Calendar, crowding
from sipelangi_net.analysis.steps import prepare_ticket, schedule_ticket
from sipelangi_net.analysis.stored import schedule_of
from sipelangi_net.errors import SlotTaken
from sipelangi_net.paths import inventory_dir
from sipelangi_net.tickets.http import HttpStore
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.sqlite import SqliteStore, utcnow

WIB = dt.timezone(dt.timedelta(hours=7))
SLOT = dt.datetime(2027, 3, 9, 9, tzinfo=WIB)  # a Tuesday, far from the test data's plans


def slot_outputs(start: dt.datetime, hours: int = 3) -> dict[str, object]:
    end = start + dt.timedelta(hours=hours)
    return {"equipment": [], "start": start.isoformat(), "end": end.isoformat(), "schedule": f"{start:%H.%M}"}


@pytest.fixture(scope="module")
def catalogues() -> Catalogues:
    return load_catalogues(inventory_dir())


# --- the pure check ----------------------------------------------------------------------------
def test_crowding_names_who_fills_the_slot(catalogues: Catalogues) -> None:
    cal: Calendar = catalogues.calendar.model_copy(update={"team_capacity": 2, "bookings": []})
    a = ("SPL-2026-00001", SLOT, SLOT + dt.timedelta(hours=3))
    b = ("SPL-2026-00002", SLOT + dt.timedelta(hours=1), SLOT + dt.timedelta(hours=2))
    later = ("SPL-2026-00003", SLOT + dt.timedelta(hours=3), SLOT + dt.timedelta(hours=6))
    end = SLOT + dt.timedelta(hours=3)
    assert crowding(cal, SLOT, end, [a, later]) == ()  # one at a time, the team has two
    assert crowding(cal, SLOT, end, [a, b, later]) == ("SPL-2026-00001", "SPL-2026-00002")
    one = cal.model_copy(update={"team_capacity": 1})
    assert crowding(one, SLOT, end, [later]) == ()  # back to back is not an overlap
    assert crowding(one, SLOT, end, [a]) == ("SPL-2026-00001",)
    booking = catalogues.calendar.bookings[0]
    assert crowding(catalogues.calendar, booking.start, booking.end, []) == (f"the booking {booking.what!r}",)


# --- through the server ------------------------------------------------------------------------
@dataclass(frozen=True)
class World:
    server: Server
    store: SqliteStore
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("booking")
    sari = second_engineer(base / "tickets.db")
    with running_server(base) as srv:
        store = open_local(srv.db)
        try:
            yield World(srv, store, {**srv.tokens, "sari": sari})
        finally:
            store.close()


def step5(world: World, who: str, ticket_id: str, outputs: dict[str, object]) -> httpx.Response:
    body = Move(step=5, actor="-", outputs=outputs).model_dump(mode="json", exclude_none=True)
    return httpx.post(
        f"{world.server.url}/api/v1/tickets/{ticket_id}/events",
        json=body,
        headers={"Authorization": f"Bearer {world.tokens[who]}"},
    )


def test_the_server_refuses_a_double_booking_and_records_nothing(world: World) -> None:
    first, second = at_status(world.store, "analysed"), at_status(world.store, "analysed")
    assert step5(world, "tim_kerja", first.id, slot_outputs(SLOT)).status_code == 201
    refused = step5(world, "sari", second.id, slot_outputs(SLOT + dt.timedelta(hours=1)))
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "slot_taken"
    assert first.id in refused.json()["error"] and "nothing was recorded" in refused.json()["error"]
    assert world.store.get(second.id).events == second.events
    assert step5(world, "sari", second.id, slot_outputs(SLOT + dt.timedelta(hours=3))).status_code == 201


def test_a_refused_move_says_why_before_any_slot(world: World) -> None:
    """An account that may not do step 5 hears that (403), not which ticket holds the slot."""
    ticket = at_status(world.store, "analysed")
    answer = step5(world, "helpdesk", ticket.id, slot_outputs(SLOT))
    assert answer.status_code == 403, answer.text


def test_prepare_proposes_another_slot_when_the_store_refuses_one(
    world: World, catalogues: Catalogues
) -> None:
    """The server refusing the proposed slot (taken meanwhile): prepare proposes the next free one."""
    first, second = at_status(world.store, "analysed"), at_status(world.store, "analysed")
    with HttpStore(world.server.url, token=world.tokens["tim_kerja"]) as andi:
        one = schedule_of(prepare_ticket(andi, first.id, catalogues, actor="-", now=utcnow()))
    with HttpStore(world.server.url, token=world.tokens["sari"]) as sari:
        stale = _Stale(sari, hide=first.id)  # sees the other tickets as they were before the first booking
        two = schedule_of(prepare_ticket(stale, second.id, catalogues, actor="-", now=utcnow()))
    assert one is not None and two is not None
    assert stale.refused == 1
    assert two.start >= one.end or two.end <= one.start


class _Stale:
    """A store whose list of tickets misses one ticket's latest events (read before they were made)."""

    def __init__(self, inner: HttpStore, *, hide: str) -> None:
        self.inner, self.hide, self.refused = inner, hide, 0

    def tickets(self) -> list[object]:
        return [t for t in self.inner.tickets() if t.id != self.hide]

    def apply(self, ticket_id: str, move: Move) -> object:
        try:
            return self.inner.apply(ticket_id, move)
        except SlotTaken:
            self.refused += 1
            self.hide = ""  # the next look sees everything
            raise

    def get(self, ticket_id: str) -> object:
        return self.inner.get(ticket_id)


def test_schedule_of_a_taken_proposed_slot_names_the_taker_and_says_prepare(
    world: World, catalogues: Catalogues
) -> None:
    taker, late = at_status(world.store, "analysed"), at_status(world.store, "analysed")
    start = SLOT + dt.timedelta(days=7)
    world.store.apply(late.id, Move(step=5, actor="-", outputs=slot_outputs(start)))  # both proposed the
    world.store.apply(taker.id, Move(step=5, actor="-", outputs=slot_outputs(start)))  # same slot, unchecked
    sari = HttpStore(world.server.url, token=world.tokens["sari"])
    with sari, pytest.raises(SlotTaken) as refused:
        schedule_ticket(sari, late.id, catalogues, actor="-")
    message = str(refused.value)
    assert f"was taken by {taker.id}" in message
    assert f"run 'sipelangi-net prepare {late.id}' again" in message
    assert "--agreed" not in message
    assert refused.value.exit_code == 6


def test_two_prepare_processes_with_their_own_accounts_book_two_slots(world: World, tmp_path: Path) -> None:
    tickets = [at_status(world.store, "analysed").id for _ in range(2)]
    keep = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "TZ")
    procs = []
    try:
        for who, tid in zip(("tim_kerja", "sari"), tickets, strict=True):
            env = {k: v for k, v in os.environ.items() if k in keep}
            env.update(
                HOME=str(tmp_path / who), SIPELANGI_LOCKS=str(tmp_path / who / "locks"),
                SIPELANGI_TOKEN=world.tokens[who], SIPELANGI_ACTOR=who,
            )  # fmt: skip
            argv = [str(SCRIPT), "prepare", tid, "--store", world.server.url, "--json"]
            procs.append(
                subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            )
        outs = []
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            outs.append(json.loads(out))
    finally:
        for proc in procs:  # by their PIDs, through their Popen
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    (a_start, a_end), (b_start, b_end) = [(o["outputs"]["start"], o["outputs"]["end"]) for o in outs]
    assert a_start != b_start
    a = (dt.datetime.fromisoformat(a_start), dt.datetime.fromisoformat(a_end))
    b = (dt.datetime.fromisoformat(b_start), dt.datetime.fromisoformat(b_end))
    assert a[1] <= b[0] or b[1] <= a[0], (a, b)
