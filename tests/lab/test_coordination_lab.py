"""Two engineers, two laptops, one SiPelangi server, one router: their runs never interleave and never
book the same installation slot (issue 15, item 7).

A real ``sipelangi-net serve`` holds the record. Two ``provision`` processes start at once, each with
its own tim_kerja account (its own API token), its own reports and its own lock folder (their local
locks never meet, as on two laptops), on two tickets whose sites hang off the same distribution router
(dinkes and kec-gerunggang on dist-gerunggang). Only the server keeps them apart: its leases on the
ticket, the devices and the calendar, and its refusal of a slot already taken.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.accounts.models import AccountRole
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.lab import LabDriver
from sipelangi_net.tickets.http import HttpStore
from sipelangi_net.tickets.models import Move, Request
from tests.lab.conftest import CLI, REQUEST
from tests.lab.deploy_helpers import DEVICES, EARLY, INVENTORY, _undo, connected, wait_disarmed
from tests.unit.api_server import Server, running_server

SHARED = "dist-gerunggang"
TOUCHED = (*DEVICES, "sw-kec-gerunggang")
SECOND = {
    **REQUEST,
    "opd": "Kantor Kecamatan Gerunggang",
    "site": "kec-gerunggang",
    "users": 5,
    "applications": ["eoffice"],
    "letter": {"number": "005/77/KEC-GRG/2026", "date": "2026-11-20"},
}
PLAYBOOK = """
name: provision-to-deploy
description: provision up to the installation and its bandwidth test (steps 4 to 8)
steps:
  - {name: analysis, action: analyze, sop_step: 4}
  - {name: preparation, action: prepare, sop_step: 5}
  - {name: schedule, action: schedule, sop_step: 6}
  - {name: agreed slot, action: window}
  - {name: dry-run diff, action: diff, stop_on_dry_run: true}
  - {name: confirmation, action: confirm}
  - {name: deploy, action: deploy, sop_step: 7, with: {bandwidth_gate: true}}
"""
FAST = ("--yes", "--confirm-timeout", "15", "--seconds", "1", "--no-speedtest", "--wait", "120", *EARLY)


def _normal(drv: LabDriver, config: str) -> str:
    from sipelangi_net.change.push import normalise

    return normalise(drv.platform, config)


@pytest.fixture
def both_sites_day0(creds: Credentials) -> Iterator[None]:
    """Both sites' devices as they were before the test, put back afterwards."""
    raw = {}
    for name in TOUCHED:
        with connected(name, creds) as drv:
            raw[name] = drv.get_config()
    yield
    wait_disarmed(creds)
    for name in TOUCHED:
        with connected(name, creds) as drv:
            now = drv.get_config()
            if _normal(drv, now) != _normal(drv, raw[name]):
                drv.push(_undo(name, drv.platform, now, raw[name]))
            assert _normal(drv, drv.get_config()) == _normal(drv, raw[name]), f"{name} not put back"


@pytest.fixture
def server(tmp_path: Path, lab: dict[str, Any]) -> Iterator[tuple[Server, dict[str, str]]]:
    """The shared SiPelangi, with a second tim_kerja account (Sari) besides Andi."""
    base = tmp_path / "server"
    base.mkdir()
    accounts = SqliteAccounts(base / "tickets.db")
    try:
        accounts.add("sari", display_name="Sari Jaringan", role=AccountRole.TIM_KERJA)
        sari = accounts.issue_token("sari", name="lab").token
    finally:
        accounts.close()
    with running_server(base) as srv:
        yield srv, {**srv.tokens, "sari": sari}


def approved(srv: Server, tokens: dict[str, str], request: dict[str, Any]) -> str:
    """A ticket opened by the helpdesk (a paper letter) and approved by the Kepala Dinas, on the server."""
    with HttpStore(srv.url, token=tokens["helpdesk"]) as helpdesk:
        tid = helpdesk.create(Request.model_validate(request), helpdesk="Rina").id
    with HttpStore(srv.url, token=tokens["kepala_dinas"]) as kadis:
        kadis.apply(tid, Move(step=3, actor="-", outcome="approve"))
    return tid


def provision(
    env: dict[str, str], tmp_path: Path, who: str, url: str, token: str, tid: str, book: Path
) -> subprocess.Popen[str]:
    own = {k: v for k, v in env.items() if k != "SIPELANGI_DB"}
    own.update(
        SIPELANGI_STORE=url, SIPELANGI_TOKEN=token, SIPELANGI_ACTOR=who,
        SIPELANGI_REPORTS=str(tmp_path / who / "reports"), SIPELANGI_LOCKS=str(tmp_path / who / "locks"),
    )  # fmt: skip
    argv = [CLI, "provision", tid, "--playbook", str(book), *FAST, "--json"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=own)


def collect(proc: subprocess.Popen[str], into: list[dict[str, Any]]) -> None:
    assert proc.stdout is not None
    into.extend(json.loads(line) for line in proc.stdout)


def device_phase(events: list[dict[str, Any]]) -> tuple[dt.datetime, dt.datetime]:
    """From the diff's first device read (the devices' lease is held by then) to the deploy's end."""
    first = next(e for e in events if e["event"] == "device" and e["step"] == "diff")
    last = next(e for e in events if e["event"] == "step_finished" and e["step"] == "deploy")
    return dt.datetime.fromisoformat(first["time"]), dt.datetime.fromisoformat(last["time"])


def test_two_engineers_on_one_router_never_interleave_nor_double_book(
    env: dict[str, str], tmp_path: Path, both_sites_day0: None, server: tuple[Server, dict[str, str]]
) -> None:
    srv, tokens = server
    book = tmp_path / "provision-to-deploy.yaml"
    book.write_text(PLAYBOOK)
    tickets = {"andi": approved(srv, tokens, REQUEST), "sari": approved(srv, tokens, SECOND)}
    token_of = {"andi": tokens["tim_kerja"], "sari": tokens["sari"]}
    assert {SHARED} <= {INVENTORY.sites[s].distribution.device for s in ("dinkes", "kec-gerunggang")}

    procs = {w: provision(env, tmp_path, w, srv.url, token_of[w], tickets[w], book) for w in tickets}
    events: dict[str, list[dict[str, Any]]] = {w: [] for w in procs}
    readers = [threading.Thread(target=collect, args=(procs[w], events[w])) for w in procs]
    try:
        for reader in readers:
            reader.start()
        for who, proc in procs.items():
            code = proc.wait(timeout=170)
            assert code == 0, f"{who}: {proc.stderr.read() if proc.stderr else ''} {events[who][-4:]}"
    finally:
        for proc in procs.values():  # by their PIDs, through their Popen
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for reader in readers:
            reader.join(timeout=10)
        for proc in procs.values():
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()

    for who, got in events.items():
        summary = got[-1]
        assert summary["event"] == "summary" and summary["state"] == "done", (who, summary)
        assert summary["status"] == "tested", (who, summary["steps"][-1])
    # the device phases do not overlap: one run's diff-to-deploy is wholly before the other's
    (a0, a1), (b0, b1) = device_phase(events["andi"]), device_phase(events["sari"])
    assert a1 <= b0 or b1 <= a0, {"andi": (a0, a1), "sari": (b0, b1)}

    with HttpStore(srv.url, token=tokens["tim_kerja"]) as st:
        records = {who: st.get(tid) for who, tid in tickets.items()}
        assert st.held_leases() == [], "every lease was given back"
    slots, installs = {}, {}
    for who, ticket in records.items():
        six = next(e for e in ticket.events if e.step == 6)
        seven = next(e for e in ticket.events if e.step == 7 and e.outcome == "done")
        assert six.account is not None and seven.account is not None
        assert {six.account.username, seven.account.username} == {"andi" if who == "andi" else "sari"}
        slots[who] = (
            dt.datetime.fromisoformat(six.outputs["start"]),
            dt.datetime.fromisoformat(six.outputs["end"]),
        )
        installs[who] = (seven.started_at, seven.ended_at)
        assert SHARED in [d["device"] for d in seven.outputs["deploy"]["devices"] if d["commands"]]
    # never the same slot (the calendar's team_capacity is 1: never overlapping ones either)
    (s0, s1), (t0, t1) = slots["andi"], slots["sari"]
    assert s1 <= t0 or t1 <= s0, slots
    # and the installations recorded on the tickets do not overlap either
    (i0, i1), (j0, j1) = installs["andi"], installs["sari"]
    assert i1 <= j0 or j1 <= i0, installs
