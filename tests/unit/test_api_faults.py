"""Faults reported and handled by people, through ``/api/v1/faults`` and the ``/gangguan`` pages (issue
19, item 3): a pemohon's report for their own OPD, the steps by the helpdesk and the Tim Kerja (every
other account refused 403 naming the step and the role), what each account sees, paging, the
severity at triage, the bound on reports, and the same fault walked through the pages without a
browser. The server is the real app under uvicorn in this process, over a temporary database whose
accounts each have an API token and a password."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pages_world import PASSWORD, PEOPLE, csrf_of, log_in, make_people, open_store, serving

from sipelangi_net.accounts.models import AccountRole
from sipelangi_net.accounts.sessions import WebSessions
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.faults.models import FaultActor
from sipelangi_net.faults.records import FaultDraft
from sipelangi_net.faults.sop import FaultRole
from sipelangi_net.server import faultdesk
from sipelangi_net.server.app import create_app
from sipelangi_net.server.auth import account_tokens
from sipelangi_net.server.pages import PagesConfig
from sipelangi_net.tickets.sqlite import SqliteStore, utcnow

FAULTS = "/api/v1/faults"
SERVICE = "s" * 32
SIMPEG = {
    "category": "tidak bisa akses aplikasi",
    "application": "simpeg",
    "description": "SIMPEG tidak terbuka.",
}


@dataclass(frozen=True)
class World:
    url: str
    db: Path
    tokens: dict[str, str]  # username -> API token; "system": the service token

    def api(self, username: str) -> httpx.Client:
        token = self.tokens[username]
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def make_world(base: Path) -> tuple[Any, dict[str, str]]:
    db = base / "tickets.db"
    make_people(db)
    accounts = SqliteAccounts(db)
    try:
        tokens = {u: accounts.issue_token(u, name="test").token for u in PEOPLE}
        accounts.add("root", display_name="Admin", role=AccountRole.ADMIN, password=PASSWORD)
        tokens["root"] = accounts.issue_token("root", name="test").token
    finally:
        accounts.close()
    tokens["system"] = SERVICE
    app = create_app(
        lambda: open_store(db),
        resolver=account_tokens(SqliteAccounts(db), service=SERVICE),
        pages=PagesConfig(
            sessions=lambda: WebSessions(SqliteAccounts(db)), letters=base / "surat-permohonan"
        ),
    )
    return app, tokens


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    app, tokens = make_world(tmp_path)
    with serving(app) as url:
        yield World(url, tmp_path / "tickets.db", tokens)


def report(w: World, username: str, body: dict[str, Any] | None = None, **more: Any) -> httpx.Response:
    with w.api(username) as client:
        return client.post(FAULTS, json={**(body or SIMPEG), **more})


def step(w: World, username: str, label: str, key: str, **more: Any) -> httpx.Response:
    with w.api(username) as client:
        return client.post(f"{FAULTS}/{label}/steps", json={"step": key, **more})


def get(w: World, username: str, path: str, **params: Any) -> httpx.Response:
    with w.api(username) as client:
        return client.get(path, params=params)


def test_a_pemohon_reports_a_fault_for_their_own_opd(world: World) -> None:
    answer = report(world, "budi")
    assert answer.status_code == 201, answer.text
    fault = answer.json()
    assert re.fullmatch(r"GGN-\d{5}", fault["id"])
    assert (fault["kind"], fault["source"], fault["severity"], fault["opds"]) == (
        "reported", "pemohon", "degraded", ["dinkes"],
    )  # fmt: skip
    assert fault["summary"].startswith("Tidak bisa akses aplikasi SIMPEG") and "Dinkes" in fault["summary"]
    assert fault["history"][0]["actor"] == {"role": "Pemohon", "name": "budi"}
    assert fault["history"][0]["note"] == "Dilaporkan oleh Budi Santoso: SIMPEG tidak terbuka."
    assert (fault["step"], fault["closed_at"], fault["time_to_repair_s"]) == ("reported", None, None)
    assert fault["next_steps"] == ["triaged", "verified"]
    assert [(t["step"], t["standard_s"], t["ended"] is None) for t in fault["times"]] == [
        ("reported", 15 * 60, False),
        ("triaged", 30 * 60, True),  # under way: the helpdesk's triage
    ]
    again = report(world, "budi", description="Masih belum bisa.")
    assert (again.status_code, again.json()["id"], again.json()["records"]) == (200, fault["id"], [])
    joined = report(world, "rina", site="dinkes", description="PIC menelepon helpdesk.").json()
    assert joined["id"] == fault["id"] and [r["summary"] for r in joined["records"]] == [
        "Dilaporkan juga oleh Rina Helpdesk"
    ]
    assert joined["records"][0]["outputs"] == {
        "report": "Dilaporkan oleh Rina Helpdesk: PIC menelepon helpdesk."
    }
    assert len(report(world, "rina", site="dinkes").json()["records"]) == 1  # once per account
    assert (
        report(world, "budi", body={"category": "jaringan putus", "description": "Putus."}).json()["severity"]
        == "outage"
    )


def test_who_may_report_and_for_which_site(world: World) -> None:
    other = report(world, "budi", site="bappeda")
    assert other.status_code == 403 and "site 'bappeda' needs the role pemohon" in other.json()["error"]
    for username in ("andi", "kadis", "kabid", "root", "system"):
        refused = report(world, username, site="dinkes")
        assert refused.status_code == 403, (username, refused.text)
        assert "needs the role pemohon" in refused.json()["error"]
    assert report(world, "rina").status_code == 422  # the helpdesk names the site
    on_behalf = report(world, "rina", site="bappeda")
    assert on_behalf.status_code == 201 and on_behalf.json()["history"][0]["actor"]["role"] == "Helpdesk"
    for bad in (
        {"category": "tidak bisa akses aplikasi", "description": "x"},  # no application
        {"category": "jaringan lambat", "application": "simpeg", "description": "x"},  # not for this kind
        {"category": "internet mati", "description": "x"},
        {"category": "lainnya", "description": "  "},
        {"category": "lainnya", "description": "a\nb"},
        {**SIMPEG, "application": "tiktok"},
        {**SIMPEG, "severity": "outage"},
    ):
        assert report(world, "budi", body=bad).status_code == 422, bad


def test_each_step_by_its_role_and_the_others_refused(world: World) -> None:
    label = report(world, "budi").json()["id"]
    for username in ("budi", "andi", "kadis", "kabid", "root", "system"):
        refused = step(world, username, label, "triaged")
        assert refused.status_code == 403, (username, refused.text)
        assert (
            f"{label}: fault step 2 (triaged: triage) is recorded by Helpdesk; account {username} is"
            in refused.json()["error"]
        )
    assert step(world, "rina", label, "diagnosed").status_code == 403
    assert step(world, "rina", label, "closed").status_code == 409  # closed only after verified
    assert step(world, "rina", label, "diagnosed", severity="minor").status_code == 422
    triaged = step(world, "rina", label, "triaged", severity="outage", note="Diteruskan ke Tim Kerja.")
    assert triaged.status_code == 201, triaged.text
    assert triaged.json()["severity"] == "outage"  # the helpdesk's grading, not the report's proposal
    assert triaged.json()["history"][-1]["note"] == (
        "Tingkat gangguan: putus (semula menurun). Diteruskan ke Tim Kerja."
    )
    for key, note in (
        ("diagnosed", "Port eth1 sw-dinkes mati."),
        ("fixed", "Port diaktifkan."),
        ("verified", ""),
    ):
        assert step(world, "budi", label, key).status_code == 403
        moved = step(world, "andi", label, key, note=note)
        assert moved.status_code == 201, moved.text
    assert step(world, "andi", label, "closed").status_code == 403
    closed = step(world, "rina", label, "closed", note="PIC diberi tahu.").json()
    assert (closed["step"], closed["next_steps"]) == ("closed", [])
    assert closed["time_to_repair_s"] is not None and closed["closed_at"] is not None
    assert [t["step"] for t in closed["times"]] == [
        "reported",
        "triaged",
        "diagnosed",
        "fixed",
        "verified",
        "closed",
    ]
    assert step(world, "rina", label, "closed").status_code == 409
    seen = get(world, "budi", f"{FAULTS}/{label}").json()
    assert seen["step"] == "closed" and seen["time_to_repair_s"] == closed["time_to_repair_s"]


def test_a_pemohon_sees_only_their_opds_faults_whoever_opened_them(world: World) -> None:
    ours = report(world, "budi").json()["id"]
    theirs = report(world, "sari", body={"category": "jaringan lambat", "description": "Lambat."}).json()[
        "id"
    ]
    store = SqliteStore(
        world.db, audit_key=world.db.parent / "audit.key", checkpoints=world.db.parent / "c.jsonl"
    )
    try:
        now = utcnow()
        draft = FaultDraft(
            key="monitor:uplink:dinkes:down", kind="link_down", source="monitor", severity="outage",
            device="dist-gerunggang", summary="Uplink dinkes putus", opened_at=now, opds=("dinkes",),
        )  # fmt: skip
        monitored = store.faults.open(draft, actor=FaultActor(role=FaultRole.MONITOR, name="nms"), at=now)[
            0
        ].label
    finally:
        store.close()
    assert get(world, "sari", f"{FAULTS}/{ours}").status_code == 404
    assert get(world, "sari", f"{FAULTS}/GGN-99999").status_code == 404
    assert get(world, "budi", f"{FAULTS}/{monitored}").json()["source"] == "monitor"
    mine = [f["id"] for f in get(world, "budi", FAULTS).json()["items"]]
    assert mine == [ours, monitored]
    assert get(world, "budi", FAULTS, opd="bappeda").json()["items"] == []
    assert [f["id"] for f in get(world, "budi", FAULTS, source="monitor").json()["items"]] == [monitored]
    everyone = [f["id"] for f in get(world, "rina", FAULTS, status="open").json()["items"]]
    assert everyone == [ours, theirs, monitored]
    assert get(world, "kabid", FAULTS, status="closed").json()["items"] == []


def test_the_list_pages_with_signed_cursors(world: World) -> None:
    bodies = [
        {"category": c.text, "description": "x", "site": s}
        for c in faultdesk.CATEGORIES
        if not c.application
        for s in ("dinkes", "bappeda")
    ][:6]
    made = [report(world, "rina", body=b).json()["id"] for b in bodies]
    seen, cursor = [], None
    while True:
        page = get(world, "rina", FAULTS, limit=4, **({"cursor": cursor} if cursor else {})).json()
        seen += [f["id"] for f in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == made
    first = get(world, "rina", FAULTS, limit=2).json()
    other = get(world, "rina", FAULTS, limit=2, status="open", cursor=first["next"])
    assert other.status_code == 422 and "other filters" in other.json()["error"]
    assert get(world, "rina", FAULTS, stauts="open").status_code == 422


def test_an_account_reports_at_most_ten_faults_an_hour(world: World) -> None:
    sites = ("dinkes", "bappeda", "disdukcapil", "kec-gerunggang", "kec-bukitintan")
    bodies = [
        {"category": c, "description": "x", "site": s}
        for c in ("jaringan putus", "jaringan lambat", "lainnya")
        for s in sites
    ]
    answers = [report(world, "rina", body=b).status_code for b in bodies[:11]]
    assert answers == [201] * 10 + [429]
    assert report(world, "rina", body=bodies[0]).status_code == 200  # an open one's report is not counted
    assert report(world, "budi").status_code == 201  # per account


def test_a_fault_through_the_pages(world: World) -> None:
    """The browser test's path without a browser: report, triage from the queue, the Tim Kerja's three
    steps, close; the pemohon sees it closed with its time to repair; another OPD gets the 404 page."""

    def person(username: str) -> httpx.Client:
        client = httpx.Client(base_url=world.url, follow_redirects=True)
        assert log_in(client, username).status_code == 303
        return client

    budi, rina, andi, sari = (person(u) for u in ("budi", "rina", "andi", "sari"))
    try:
        form = budi.get("/gangguan/baru")
        assert "Laporkan gangguan jaringan" in form.text and 'value="dinkes"' in form.text
        sent = budi.post(
            "/gangguan/baru",
            data={"csrf": csrf_of(form), "lokasi": "dinkes", "kategori": "tidak bisa akses aplikasi",
                  "aplikasi": "simpeg", "uraian": "SIMPEG\r\ntidak terbuka sejak pagi."},
        )  # fmt: skip
        label = re.search(r"GGN-\d{5}", str(sent.url)).group(0)  # type: ignore[union-attr]
        assert "Laporan gangguan Anda sudah diterima" in sent.text
        assert "SIMPEG tidak terbuka sejak pagi." in sent.text
        assert (
            budi.post("/gangguan/baru", data={"kategori": "lainnya", "uraian": "x"}).status_code == 403
        )  # no CSRF
        tampered = {"csrf": csrf_of(form), "lokasi": "bappeda", "kategori": "lainnya", "uraian": "x"}
        assert budi.post("/gangguan/baru", data=tampered).status_code == 403  # not a site of Dinkes
        empty = budi.post(
            "/gangguan/baru", data={"csrf": csrf_of(form), "kategori": "lainnya", "uraian": " "}
        )
        assert empty.status_code == 422 and "Uraian" in empty.text
        queue = rina.get("/gangguan")
        assert "Antrean gangguan" in queue.text and label in queue.text
        assert "Pilah dan teruskan ke Tim Kerja" in queue.text
        early = {"csrf": csrf_of(andi.get("/gangguan")), "langkah": "triaged"}
        assert andi.post(f"/gangguan/{label}/langkah", data=early).status_code == 409
        done = rina.post(
            f"/gangguan/{label}/langkah",
            data={"csrf": csrf_of(queue), "langkah": "triaged", "tingkat": "degraded", "catatan": "Cek port.",
                  "kembali": "antrean"},
        )  # fmt: skip
        assert str(done.url).endswith("/gangguan") and "Ditangani Tim Kerja (1)" in done.text
        for key in ("diagnosed", "fixed", "verified"):
            page = andi.get(f"/gangguan/{label}")
            moved = andi.post(f"/gangguan/{label}/langkah", data={"csrf": csrf_of(page), "langkah": key})
            assert moved.status_code == 200, moved.text[:500]
        page = rina.get(f"/gangguan/{label}")
        assert "Tutup gangguan" in page.text
        rina.post(f"/gangguan/{label}/langkah", data={"csrf": csrf_of(page), "langkah": "closed"})
        mine = budi.get("/gangguan")
        assert (
            "Gangguan saya" in mine.text and "Sudah ditutup" in mine.text and "waktu perbaikan" in mine.text
        )
        closed = budi.get(f"/gangguan/{label}")
        assert "Waktu perbaikan" in closed.text and closed.text.count("(standar ") == 6
        assert "Tingkat gangguan: menurun. Cek port." in closed.text
        assert sari.get(f"/gangguan/{label}").status_code == 404
        assert budi.get(f"/gangguan/{label[:-1]}\u0661").status_code == 404  # an Arabic-Indic digit
        assert label not in sari.get("/gangguan").text
    finally:
        for c in (budi, rina, andi, sari):
            c.close()


def test_the_menus_lead_to_the_fault_pages(world: World) -> None:
    for username, link in (("budi", "Gangguan saya"), ("rina", "Antrean gangguan"), ("andi", "Gangguan")):
        client = httpx.Client(base_url=world.url, follow_redirects=True)
        try:
            log_in(client, username)
            assert f'<a href="/gangguan">{link}</a>' in client.get("/").text
        finally:
            client.close()
