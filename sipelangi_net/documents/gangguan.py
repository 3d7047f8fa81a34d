"""The monthly report's fault sections (pure): availability per OPD, and the month's faults with
their times to repair and the steps that took longer than the team's standards (Bahasa Indonesia)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence

from sipelangi_net.documents import parts
from sipelangi_net.documents.indonesian import waktu
from sipelangi_net.documents.models import Section, Table
from sipelangi_net.faults.availability import availability
from sipelangi_net.faults.models import FaultTicket
from sipelangi_net.faults.standards import FaultStandards
from sipelangi_net.faults.workflow import late, step_times, time_to_repair

SEVERITY = {"outage": "putus", "degraded": "menurun", "minor": "ringan"}
STEP = {
    "reported": "pelaporan",
    "triaged": "pemilahan",
    "diagnosed": "diagnosis",
    "fixed": "perbaikan",
    "verified": "verifikasi",
    "closed": "penutupan",
}
AVAILABILITY_TITLE = "Ketersediaan Layanan per Perangkat Daerah"
FAULTS_TITLE = "Gangguan dan Waktu Perbaikan"


def in_period(faults: Iterable[FaultTicket], start: dt.datetime, end: dt.datetime) -> list[FaultTicket]:
    """The faults open at any time in ``[start, end)``, by number."""
    return sorted(
        (f for f in faults if f.opened_at < end and (f.closed_at is None or f.closed_at >= start)),
        key=lambda f: f.id,
    )


def availability_section(
    faults: Sequence[FaultTicket],
    opds: Mapping[str, str],
    *,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> Section:
    """Per OPD (``opds``: site key → name; those cut off by a fault are added), the time it was cut
    off by an ``outage`` and its availability in the period."""
    names = dict(opds)
    for fault in faults:
        for site in fault.opds:
            names.setdefault(site, site)
    if not names:
        return Section(AVAILABILITY_TITLE, paragraphs=("Belum ada Perangkat Daerah yang terhubung.",))
    figures = availability(faults, sorted(names, key=lambda s: names[s]), start=start, end=end, now=now)
    rows = tuple(
        (
            names[a.opd],
            parts.durasi(a.down_s) if a.down_s else parts.DASH,
            f"{parts.angka(a.availability_pct, 2)} %",
            ", ".join(a.faults) or parts.DASH,
        )
        for a in figures
    )
    whole = sum(a.availability_pct for a in figures) / len(figures)
    return Section(
        AVAILABILITY_TITLE,
        paragraphs=(
            "Ketersediaan dihitung dari lamanya Perangkat Daerah terputus: waktu selama tiket gangguan"
            " berstatus putus yang menyebut Perangkat Daerah itu terbuka, gangguan yang bertumpang tindih"
            " dihitung sekali, dan hanya bagian yang jatuh dalam periode ini.",
            f"Rata-rata ketersediaan {parts.angka(whole, 2)} % atas {len(figures)} Perangkat Daerah.",
        ),
        tables=(
            Table(
                header=("Perangkat Daerah", "Lama terputus", "Ketersediaan", "Gangguan"),
                rows=rows,
                marks=tuple(a.down_s > 0 for a in figures),
                caption="Ketersediaan layanan per Perangkat Daerah",
            ),
        ),
    )


def _row(fault: FaultTicket, standards: FaultStandards, now: dt.datetime) -> tuple[tuple[str, ...], bool]:
    ttr = time_to_repair(fault)
    over = late(step_times(fault, standards, now=now))
    where = ", ".join(fault.opds) or fault.device
    return (
        fault.label,
        SEVERITY[fault.severity],
        where,
        fault.summary,
        waktu(fault.opened_at),
        waktu(fault.closed_at) if fault.closed_at else "masih terbuka",
        parts.durasi(ttr.total_seconds()) if ttr is not None else parts.DASH,
        ", ".join(STEP[t.step] for t in over) or parts.DASH,
    ), bool(over)


def faults_section(
    faults: Sequence[FaultTicket],
    standards: FaultStandards,
    *,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> Section:
    """The faults open at any time in the period: severity, where, opened and closed, time to repair,
    and the steps over the standard (for an open fault, the step under way counts as of ``now``)."""
    month = in_period(faults, start, end)
    if not month:
        return Section(FAULTS_TITLE, paragraphs=("Tidak ada gangguan pada periode ini.",))
    rows = [_row(f, standards, min(now, end)) for f in month]
    repairs = [t.total_seconds() for f in month if (t := time_to_repair(f)) is not None]
    closed = len(repairs)
    median = f", median waktu perbaikan {parts.durasi(statistics.median(repairs))}" if repairs else ""
    overdue = sum(1 for _, mark in rows if mark)
    return Section(
        FAULTS_TITLE,
        paragraphs=(
            f"{len(month)} gangguan, {closed} ditutup{median}; {overdue} gangguan dengan langkah yang"
            " melebihi standar waktu Tim (inventory/fault_standards.yaml).",
        ),
        tables=(
            Table(
                header=(
                    "Nomor",
                    "Tingkat",
                    "Perangkat Daerah / perangkat",
                    "Uraian",
                    "Dibuka",
                    "Ditutup",
                    "Waktu perbaikan",
                    "Melebihi standar",
                ),
                rows=tuple(r for r, _ in rows),
                marks=tuple(mark for _, mark in rows),
                caption="Gangguan yang terbuka pada periode ini dan waktu perbaikannya",
            ),
        ),
    )
