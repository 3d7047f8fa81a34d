"""The monthly report's fault side: availability per OPD and the month's faults with their times to
repair and late steps (documents/gangguan.py), in the document and on the Kepala Bidang's page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
from pages_world import log_in
from test_pages_kabid import Clock, world  # noqa: F401 - the page's fixture

from sipelangi_net.documents.gangguan import faults_section, in_period
from sipelangi_net.documents.intranet import build_intranet_report, period
from sipelangi_net.documents.records import Signer
from sipelangi_net.documents.writer import render_html
from sipelangi_net.faults.models import FaultActor, FaultTicket
from sipelangi_net.faults.records import FaultDraft
from sipelangi_net.faults.sop import FaultRole
from sipelangi_net.faults.standards import DEFAULTS
from sipelangi_net.faults.workflow import move, open_fault
from sipelangi_net.tickets.sqlite import SqliteStore

START, END = period(2026, 11)
MONITOR = FaultActor(role=FaultRole.MONITOR, name="monitor-1")
HELPDESK = FaultActor(role=FaultRole.HELPDESK, name="helpdesk-ani")
AUTHOR = Signer(role="tim_kerja", name="Andi Jaringan", nip="198001012005011001")


def at(day: int, hour: int = 8, minute: int = 0) -> dt.datetime:
    return START + dt.timedelta(days=day - 1, hours=hour, minutes=minute)


def outage(
    number: int, opened: dt.datetime, closed: dt.datetime | None, *, triaged_after: int = 5
) -> FaultTicket:
    fault = open_fault(
        number=number,
        kind="link_down",
        source="monitor",
        severity="outage",
        device="dist-gerunggang",
        opds=("dinkes",),
        summary="uplink dinkes putus",
        opened_at=opened,
        reported_at=opened + dt.timedelta(minutes=1),
        actor=MONITOR,
    )
    fault = move(fault, "triaged", at=opened + dt.timedelta(minutes=triaged_after), actor=HELPDESK)
    if closed is not None:
        fault = move(fault, "verified", at=closed, actor=MONITOR)
        fault = move(fault, "closed", at=closed, actor=MONITOR)
    return fault


def test_the_report_gives_each_opds_availability_and_each_faults_time_to_repair() -> None:
    faults = [
        outage(1, at(3), at(3, 10), triaged_after=25),  # 2 hours; triaged 24 min after the report: over 10
        outage(2, at(3, 9), at(3, 11)),  # overlaps the first: counted once
        outage(3, START - dt.timedelta(days=2), START - dt.timedelta(days=1)),  # October's
    ]
    doc = build_intranet_report(
        [],
        year=2026,
        month=11,
        prepared_by=AUTHOR,
        faults=faults,
        standards=DEFAULTS,
        opd_of={"dinkes": "Dinkes"},
    )
    titles = [s.title for s in doc.sections]
    assert titles.index("Ketersediaan Layanan per Perangkat Daerah") < titles.index(
        "Gangguan dan Waktu Perbaikan"
    )
    avail = next(s for s in doc.sections if s.title.startswith("Ketersediaan"))
    ((opd, down, pct, labels),) = avail.tables[0].rows
    assert (opd, down, labels) == ("Dinkes", "3 jam 00 menit", "GGN-00001, GGN-00002")
    assert pct == "99,58 %"  # 3 h of 720 h
    section = next(s for s in doc.sections if s.title == "Gangguan dan Waktu Perbaikan")
    rows = section.tables[0].rows
    assert [r[0] for r in rows] == ["GGN-00001", "GGN-00002"]
    assert rows[0][1:3] == ("putus", "dinkes") and rows[0][6] == "2 jam 00 menit"
    assert rows[0][7] == "pemilahan, verifikasi"  # verified 95 min after the triage: over 15
    assert section.paragraphs[0].startswith("2 gangguan, 2 ditutup, median waktu perbaikan 2 jam 00 menit")
    assert doc.facts["faults"] == "3"
    html = render_html(doc)
    assert "Gangguan dan Waktu Perbaikan" in html and "99,58 %" in html and "tiket gangguan" in html


def test_an_open_fault_counts_up_to_now_in_the_month_under_way() -> None:
    now = at(10, 12)
    doc = build_intranet_report(
        [], year=2026, month=11, prepared_by=AUTHOR, faults=[outage(4, at(10, 11), None)], now=now
    )
    avail = next(s for s in doc.sections if s.title.startswith("Ketersediaan"))
    assert avail.tables[0].rows[0][1] == "1 jam 00 menit"
    row = next(s for s in doc.sections if s.title.startswith("Gangguan")).tables[0].rows[0]
    assert row[5:8] == ("masih terbuka", "\u2013", "diagnosis")  # diagnosis under way 55 min > 30


def test_a_month_without_faults_says_so_and_a_report_without_the_record_has_no_fault_sections() -> None:
    section = faults_section([], DEFAULTS, start=START, end=END, now=END)
    assert section.paragraphs == ("Tidak ada gangguan pada periode ini.",)
    assert in_period([outage(5, at(1), at(1, 9))], END, END + dt.timedelta(days=30)) == []
    doc = build_intranet_report([], year=2026, month=11, prepared_by=AUTHOR)
    assert not any(s.title.startswith(("Ketersediaan", "Gangguan")) for s in doc.sections)


def test_the_monthly_page_and_download_show_the_faults_of_the_month(
    world: tuple[httpx.Client, SqliteStore, Clock, Path],  # noqa: F811
) -> None:
    client, store, clock, _ = world
    opened = at(12, 1)
    clock.now = opened + dt.timedelta(hours=2)
    draft = FaultDraft(
        key="monitor:uplink:dinkes:down",
        kind="link_down",
        source="monitor",
        severity="outage",
        device="dist-gerunggang",
        summary="uplink <dinkes> putus",
        opened_at=opened,
        opds=("dinkes",),
    )
    fault, _ = store.faults.open(draft, actor=MONITOR, at=opened)
    store.faults.move(fault.id, "verified", actor=MONITOR, at=opened + dt.timedelta(minutes=90))
    store.faults.move(fault.id, "closed", actor=MONITOR, at=opened + dt.timedelta(minutes=90))
    log_in(client, "kabid")
    page = client.get("/laporan/bulanan?bulan=2026-11").text
    assert "Gangguan dan Waktu Perbaikan" in page and fault.label in page
    assert "1 jam 30 menit" in page and "uplink &lt;dinkes&gt; putus" in page
    assert "<b>" not in page.split("Gangguan dan Waktu Perbaikan")[1].split("Unduh laporan")[0]
    assert "99,79 %" in page  # 90 minutes of November
    asked = {"bulan": "2026-11", "nama": "Andi Jaringan", "nip": "198001012005011001", "bentuk": "html"}
    text = client.get("/laporan/bulanan/unduh", params=asked).text
    assert fault.label in text and "99,79 %" in text
