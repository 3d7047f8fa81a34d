"""What the Tim Kerja's pages show of a ticket (pure): the plan, the slots, the dry-run diff, the
bandwidth result and its chart, a job's state in words."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from sipelangi_net.analysis.plan import Plan, Schedule
from sipelangi_net.analysis.stored import plan_of
from sipelangi_net.bandwidth.models import BwResult
from sipelangi_net.change.changeset import ChangeSet, from_json
from sipelangi_net.documents.charts import Series, bar_chart
from sipelangi_net.errors import ConfigError, MalformedTicketError, SipelangiError
from sipelangi_net.server.pages.jobs import Job
from sipelangi_net.server.pages.view import timeline
from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.outputs import Agreed, Prepared, Tested, outputs_of

WORK_STATUSES = ("approved", "analysed", "prepared", "scheduled", "installed", "tested", "handed_over")
"""Tickets waiting for the Tim Kerja: approved (step 3) up to the report (step 10)."""
CHANGE_SET = "change-set.json"
EXIT_WORDS = {
    0: "selesai",
    1: "gagal: sebuah langkah gagal (perubahan dikembalikan bila sudah dikirim)",
    2: "gagal: masukan atau konfigurasi tidak sah",
    3: "gagal: perangkat tidak dapat dihubungi atau menolak",
    6: "ditolak: jadwal yang disepakati sudah lewat, atau langkah tidak diizinkan",
    75: "menunggu: jadwal yang disepakati belum mulai, atau menunggu tanda tangan",
}


@dataclass(frozen=True, slots=True)
class JobView:
    """A job in words: what, who, when, its state, and whether it failed."""

    job: Job
    state: str
    failed: bool
    running: bool


def job_view(job: Job) -> JobView:
    if job.running:
        return JobView(job, "sedang berjalan", False, True)
    if job.exit_code is None:
        return JobView(job, "terhenti tanpa kode keluar (proses hilang)", True, False)
    words = EXIT_WORDS.get(job.exit_code, "gagal")
    return JobView(job, f"{words} (kode keluar {job.exit_code})", job.exit_code not in (0, 75), False)


def progress_lines(ticket: Ticket) -> list[str]:
    """The run's steps as recorded on the ticket (4 to 10), one line each."""
    return [
        f"Langkah {r.step} {r.name}: {r.outcome} · {r.when}" + (f" · {r.note}" if r.note else "")
        for r in timeline(ticket)
        if 4 <= r.step <= 10 and r.done
    ]


def plan(ticket: Ticket) -> Plan | None:
    try:
        return plan_of(ticket)
    except MalformedTicketError:
        return None


def proposed(ticket: Ticket) -> Prepared | None:
    """The equipment and proposed slot of the latest done step 5."""
    event = next((e for e in reversed(ticket.events) if e.step == 5 and e.outcome == "done"), None)
    try:
        return None if event is None else outputs_of(ticket, event, Prepared)
    except MalformedTicketError:
        return None


def agreed(ticket: Ticket) -> Agreed | None:
    """The slot of the latest done step 6."""
    event = next((e for e in reversed(ticket.events) if e.step == 6 and e.outcome == "done"), None)
    try:
        return None if event is None else outputs_of(ticket, event, Agreed)
    except MalformedTicketError:
        return None


def slot_schedule(out: Prepared | Agreed | None) -> Schedule | None:
    if out is None or out.start is None or out.end is None:
        return None
    return Schedule(start=out.start, end=out.end, label=out.schedule)


def change_set(reports: Path, ticket_id: str) -> tuple[ChangeSet | None, str]:
    """The change set the last dry run saved (reports/<ticket>/change-set.json), checked against its
    digest; or ``None`` and why not (in Indonesian)."""
    path = reports / ticket_id / CHANGE_SET
    if not path.is_file():
        return None, "Belum ada dry-run untuk tiket ini."
    try:
        digest = json.loads(path.read_text(encoding="utf-8")).get("digest", "")
        return from_json(path, ticket_id, str(digest)), ""
    except (OSError, ValueError, AttributeError, ConfigError, SipelangiError):
        return None, "Berkas dry-run tiket ini rusak atau bukan milik tiket ini; jalankan dry-run lagi."


def bandwidth(ticket: Ticket) -> BwResult | None:
    """The latest bandwidth test (step 8), passed or failed."""
    for event in reversed(ticket.events):
        if event.step == 8:
            try:
                return outputs_of(ticket, event, Tested).bwtest
            except MalformedTicketError:
                return None
    return None


def bandwidth_chart(result: BwResult) -> Markup | None:
    """Target against measured, download and upload, as an inline SVG (labels escaped)."""
    measured = result.iperf or result.speedtest
    if measured is None:
        return None
    svg = bar_chart(
        ["Unduh", "Unggah"],
        [
            Series("Target", (result.target_down_mbps, result.target_up_mbps)),
            Series("Terukur", (measured.download_mbps, measured.upload_mbps)),
        ],
        unit="Mbit/s",
    )
    labelled = svg.replace("<svg ", '<svg role="img" aria-label="Grafik target dan hasil uji bandwidth" ', 1)
    return Markup(labelled)  # noqa: S704 - made by charts.bar_chart, which escapes its labels
