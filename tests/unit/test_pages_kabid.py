"""The Kepala Bidang's pages: the SLA dashboard in working time on the city's calendar (per step and
per role), the requesters' satisfaction survey, the monthly report and the compliance state; through
the real server in a thread (tests/unit/pages_world.py), with tickets recorded at known times."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pages_world import DINKES, csrf_of, log_in, pages_server, serving
from test_policy import ACCOUNTS, at_status, move
from test_schedule import calendar
from ticket_data import request

from sipelangi_net.compliance.faults import ACTOR, draft
from sipelangi_net.tickets.messages import WIB
from sipelangi_net.tickets.sla import EventTime, WorkClock, per_role, working_summary
from sipelangi_net.tickets.sop import Role
from sipelangi_net.tickets.sqlite import SqliteStore

HOLIDAY = dt.date(2026, 11, 9)  # a Monday
CITY = calendar(holidays={HOLIDAY: "Libur uji"})


def wib(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=WIB)


# --------------------------------------------------------------------------- pure


def test_working_time_skips_the_weekend_the_holiday_breaks_and_nights() -> None:
    clock = WorkClock(CITY)
    # Friday 15:00 (block 13:00-16:30) to Tuesday 08:00 (block from 07:30), Monday a holiday
    assert clock.seconds(wib(6, 15), wib(10, 8)) == (90 + 30) * 60
    assert clock.seconds(wib(10, 11, 50), wib(10, 13, 10)) == 20 * 60  # the lunch break not counted
    assert clock.seconds(wib(7, 9), wib(8, 17)) == 0  # a weekend
    assert clock.seconds(wib(10, 9), wib(10, 8)) == 0


def test_steps_are_summarised_in_working_time_and_charged_to_their_role() -> None:
    events = [
        EventTime.of(3, "approve", wib(6, 15), wib(10, 8)),  # 120 working minutes: a breach of 105
        EventTime.of(3, "defer", wib(10, 9), wib(10, 9, 10)),  # 10 minutes: within 15
        EventTime.of(3, "approve", wib(7, 9), wib(8, 20)),  # the weekend: 0
        EventTime.of(10, "acknowledge", wib(6, 8), wib(10, 8)),  # a branch: not step 10's time
        EventTime.of(11, "done", wib(10, 9), wib(10, 9, 5)),  # 5 minutes: over 2
    ]
    rows = {r.step: r for r in working_summary(events, WorkClock(CITY))}
    three = rows[3]
    assert (three.count, three.median_s, three.breaches, three.over_s) == (3, 600, 1, 105 * 60)
    assert three.role is Role.KEPALA_DINAS and three.within == pytest.approx(2 / 3)
    assert rows[10].count == 0 and rows[10].median_s is None
    assert (rows[11].breaches, rows[11].over_s) == (1, 180)
    roles = {r.role: r for r in per_role(rows.values())}
    assert (roles[Role.KEPALA_DINAS].count, roles[Role.KEPALA_DINAS].breaches) == (3, 1)
    assert roles[Role.HELPDESK].steps == (2, 6, 11) and roles[Role.HELPDESK].over_s == 180
    assert roles[Role.TIM_KERJA].count == 0


# --------------------------------------------------------------------------- through the server


class Clock:
    def __init__(self) -> None:
        self.now = wib(1, 0)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[httpx.Client, SqliteStore, Clock, Path]]:
    reports = tmp_path / "reports"
    with serving(pages_server(tmp_path, calendar=CITY, reports=reports)) as url:
        clock = Clock()
        db = tmp_path / "tickets.db"
        store = SqliteStore(
            db, audit_key=tmp_path / "audit.key", checkpoints=tmp_path / "checkpoints.jsonl", clock=clock
        )
        client = httpx.Client(base_url=url, follow_redirects=True)
        try:
            yield client, store, clock, reports
        finally:
            client.close()
            store.close()


def _recorded_in_november(store: SqliteStore, clock: Clock) -> None:
    """Two tickets: one decided across the weekend and the holiday, one within the standard."""
    clock.now = wib(6, 15)
    slow = store.create(
        request(submitted_at=wib(6, 14, 55).isoformat()), helpdesk="-", account=ACCOUNTS["helpdesk"]
    )
    clock.now = wib(10, 8)
    store.apply(slow.id, move(3, "approve", slow.id), account=ACCOUNTS["kepala_dinas"])
    clock.now = wib(10, 9)
    quick = store.create(
        request(submitted_at=wib(10, 8, 58).isoformat()), helpdesk="-", account=ACCOUNTS["helpdesk"]
    )
    clock.now = wib(10, 9, 10)
    store.apply(quick.id, move(3, "defer", quick.id, "anggaran"), account=ACCOUNTS["kepala_dinas"])


def _row(page: str, starts: str) -> str:
    rows = [r.split("</tr>")[0] for r in page.split("<tr")[1:] if "<td>" in r]
    return next(r for r in rows if r.split("<td>")[1].startswith(starts))


def test_the_dashboard_shows_each_step_in_working_time_per_month_and_role(
    world: tuple[httpx.Client, SqliteStore, Clock, Path],
) -> None:
    client, store, clock, _ = world
    _recorded_in_november(store, clock)
    log_in(client, "kabid")
    page = client.get("/dasbor?bulan=2026-11")
    assert page.status_code == 200 and "Dasbor SLA, November 2026" in page.text
    # step 3: 120 and 10 working minutes (4 days of wall time for the first): median 65, one breach
    three = _row(page.text, "3. ")
    assert "Kepala Dinas" in three and "1 jam 5 mnt" in three and "<td>50 %</td>" in three
    assert "<td>1</td><td>1 jam 45 mnt</td>" in three and 'class="lewat"' in "<tr" + three
    one = _row(page.text, "1. ")  # 5 and 2 minutes against 5
    assert "<td>2</td><td>3 mnt</td><td>100 %</td><td>0</td>" in one
    role = _row(page.text.split("Per peran")[1], "Kepala Dinas")
    assert "<td>3</td><td>2</td><td>1</td><td>50 %</td>" in role
    assert page.text.count("<svg") == 2 and "<script" not in page.text
    october = client.get("/dasbor?bulan=2026-10")
    assert "<td>0</td><td>-</td>" in _row(october.text, "3. ")
    assert client.get("/dasbor?bulan=2026-13").status_code == 404
    clock.now = wib(10, 9, 30)  # a new event: the month's figures are computed again
    store.apply(store.tickets()[0].id, move(4, "done", store.tickets()[0].id), account=ACCOUNTS["tim_kerja"])
    four = _row(client.get("/dasbor?bulan=2026-11").text, "4. ")  # 08:00 to 09:30: 90 working minutes
    assert (
        "<td>Tim Kerja</td><td>30 mnt</td><td>1</td><td>1 jam 30 mnt</td><td>0 %</td><td>1</td><td>1 jam</td>"
        in four
    )


def test_the_kepala_bidangs_pages_refuse_every_other_role(
    world: tuple[httpx.Client, SqliteStore, Clock, Path],
) -> None:
    client, *_ = world
    for username in ("budi", "rina", "kadis", "andi"):
        with httpx.Client(base_url=client.base_url, follow_redirects=True) as other:
            log_in(other, username)
            for path in ("/dasbor", "/laporan/bulanan", "/kepatuhan", "/laporan/bulanan/unduh?nip=1"):
                answer = other.get(path)
                assert answer.status_code == 403 and "Kepala Bidang" in answer.text, (username, path)


def _closed(store: SqliteStore) -> str:
    store.clock = lambda: dt.datetime.now(dt.UTC)  # closed today
    return at_status(store, "closed").id


def test_the_survey_is_answered_once_by_a_pemohon_of_the_tickets_opd(
    world: tuple[httpx.Client, SqliteStore, Clock, Path],
) -> None:
    client, store, _, _ = world
    ticket_id = _closed(store)
    open_one = at_status(store, "approved").id
    log_in(client, "budi")
    assert f'href="/survei/{ticket_id}"' in client.get(f"/tiket/{ticket_id}").text
    assert "/survei/" not in client.get(f"/tiket/{open_one}").text
    form = client.get(f"/survei/{ticket_id}")
    assert form.status_code == 200 and 'name="speed"' in form.text and 'for="komentar"' in form.text
    data = {"speed": "5", "quality": "4", "helpdesk": "2", "komentar": "<script>alert(1)</script> cepat"}
    refused = client.post(f"/survei/{ticket_id}", data=data)
    assert refused.status_code == 403  # no CSRF token: nothing stored
    assert 'name="speed"' in client.get(f"/survei/{ticket_id}").text
    assert (
        client.post(f"/survei/{ticket_id}", data={**data, "speed": "9", "csrf": csrf_of(form)}).status_code
        == 422
    )
    done = client.post(f"/survei/{ticket_id}", data={**data, "csrf": csrf_of(form)})
    assert done.status_code == 200 and "sudah diisi" in done.text and 'name="speed"' not in done.text
    again = client.post(f"/survei/{ticket_id}", data={**data, "csrf": csrf_of(form)})
    assert again.status_code == 409
    assert client.get(f"/survei/{open_one}").status_code == 409  # not closed yet
    with httpx.Client(base_url=client.base_url, follow_redirects=True) as sari:
        log_in(sari, "sari")  # Bappeda: the ticket is Dinkes's
        assert sari.get(f"/survei/{ticket_id}").status_code == 404
        assert (
            sari.post(
                f"/survei/{ticket_id}", data={**data, "csrf": csrf_of(sari.get("/permohonan"))}
            ).status_code
            == 404
        )
    with httpx.Client(base_url=client.base_url, follow_redirects=True) as kabid:
        log_in(kabid, "kabid")
        assert kabid.get(f"/survei/{ticket_id}").status_code == 403
        page = kabid.get("/dasbor").text
        assert "1 survei diisi; 0 %" in page and "5.0 dari 5" in page and "2.0 dari 5" in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; cepat" in page and "<script>alert" not in page


def test_the_closing_mail_links_to_the_survey(tmp_path: Path) -> None:
    from sipelangi_net.tickets.officials import load_officials

    settings = tmp_path / "officials.yaml"
    settings.write_text("sipelangi_url: https://sipelangi.pangkalpinangkota.go.id\n")
    store = SqliteStore(tmp_path / "t.db", webhook_url="", officials=load_officials(settings))
    try:
        ticket = at_status(store, "closed")
        [mail] = [n for n in store.outbox(ticket_id=ticket.id) if n.kind == "closing"]
        assert "survei kepuasan" in mail.body
        assert mail.body.endswith(
            f"Buka di SiPelangi: https://sipelangi.pangkalpinangkota.go.id/survei/{ticket.id}\n"
        )
    finally:
        store.close()


def _compliance(reports: Path) -> None:
    folder = reports / "compliance" / "2026-11-30"
    folder.mkdir(parents=True)
    run = {
        "started_at": "2026-11-30T01:00:00+00:00",
        "finished_at": "2026-11-30T01:02:00+00:00",
        "devices": [
            {"device": "sw-dinkes", "site": "dinkes", "platform": "ovs", "status": "compliant"},
            {"device": "<b>r1</b>", "site": None, "platform": "frr", "status": "drift", "error": "<i>x</i>"},
        ],
    }
    (folder / "compliance.json").write_text(json.dumps(run))


def test_the_compliance_page_shows_the_latest_results_and_open_faults(
    world: tuple[httpx.Client, SqliteStore, Clock, Path],
) -> None:
    client, store, _, reports = world
    log_in(client, "kabid")
    assert "Belum ada hasil pemeriksaan" in client.get("/kepatuhan").text
    _compliance(reports)
    opened = dt.datetime(2026, 11, 30, 1, 2, tzinfo=dt.UTC)
    found = draft("r1", "drift:interfaces", "konfigurasi <menyimpang>", at=opened)
    store.faults.open(found, actor=ACTOR, at=opened)
    page = client.get("/kepatuhan").text
    assert "2026-11-30" in page and "2 perangkat" in page and "menyimpang" in page
    assert "&lt;b&gt;r1&lt;/b&gt;" in page and "<b>r1" not in page and "&lt;i&gt;x&lt;/i&gt;" in page
    assert "GGN-00001" in page and "konfigurasi &lt;menyimpang&gt;" in page


def test_the_monthly_report_summarises_the_month_and_downloads_the_document(
    world: tuple[httpx.Client, SqliteStore, Clock, Path],
) -> None:
    client, store, clock, reports = world
    _recorded_in_november(store, clock)
    _compliance(reports)
    log_in(client, "kabid")
    page = client.get("/laporan/bulanan?bulan=2026-11")
    assert page.status_code == 200 and "November 2026" in page.text
    assert "<dt>Permohonan diterima</dt><dd>2</dd>" in page.text
    assert "<dt>Disetujui</dt><dd>1</dd><dt>Ditunda</dt><dd>1</dd>" in page.text
    assert 'for="nip"' in page.text
    bad = client.get("/laporan/bulanan/unduh", params={"bulan": "2026-11", "nama": "Andi", "nip": "123"})
    assert bad.status_code == 422
    asked = {"bulan": "2026-11", "nama": "Andi Jaringan", "nip": "198001012005011001", "bentuk": "html"}
    html = client.get("/laporan/bulanan/unduh", params=asked)
    assert html.status_code == 200 and "attachment" in html.headers["content-disposition"]
    text = html.text
    assert "LAPORAN JARINGAN INTRA PEMERINTAH" in text and "Kepuasan Pemohon" in text
    assert "Gangguan dan Waktu Perbaikan" in text and "Ketersediaan Layanan per Perangkat Daerah" in text
    assert DINKES in text
    assert "Status Kepatuhan Konfigurasi" in text and "Hasil pemeriksaan terakhir" in text
    pdf = client.get("/laporan/bulanan/unduh", params={**asked, "bentuk": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
