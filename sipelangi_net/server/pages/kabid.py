"""The Kepala Bidang's pages beside the reports to acknowledge (:mod:`.reports`) and the monthly
report (:mod:`.monthly`): the SLA dashboard (``/dasbor``) and the fleet's compliance state
(``/kepatuhan``, read from the latest ``reports/compliance/<date>/compliance.json`` and the store's
open faults; no device is asked anything); and :class:`KabidDesk`, what these pages read beside the
store.

Working time is counted on the city's calendar (``inventory/calendar.yaml``: weekday blocks, no
holidays). A month's events are read once in one query of their times
(:meth:`~sipelangi_net.tickets.sqlite.SqliteStore.event_times`, no ticket parsed); after that only the
events appended since are read and added (events are append-only, so the figures of the events up
to a version stay true: :meth:`~sipelangi_net.tickets.sqlite.SqliteStore.events_version`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from pydantic import ValidationError

from sipelangi_net.accounts.surveys import Satisfaction, Surveys, summarise
from sipelangi_net.analysis.schedule import Calendar, load_calendar
from sipelangi_net.documents.compliance import ComplianceRun, latest_compliance
from sipelangi_net.documents.indonesian import waktu
from sipelangi_net.documents.intranet import COMPLIANCE
from sipelangi_net.errors import DocumentInputError, InventoryError
from sipelangi_net.paths import inventory_dir, reports_dir
from sipelangi_net.server.pages import dashboard as dash
from sipelangi_net.server.pages.web import PageError, render, require, use_store
from sipelangi_net.server.store import ServedStore
from sipelangi_net.tickets.messages import WIB
from sipelangi_net.tickets.policy import KEPALA_BIDANG
from sipelangi_net.tickets.sla import EventTime, WorkClock, WorkingSla, counted, per_role, step_figures
from sipelangi_net.tickets.sqlite import utcnow

CACHED_MONTHS = 64
router = APIRouter()


def default_calendar(folder: Path | None = None) -> Callable[[], Calendar]:
    """The ``calendar.yaml`` of ``folder`` (default: ``paths.inventory_dir()``), read on first use
    and kept (an unreadable one is a 503 page naming it, and read again next time)."""
    return cache(lambda: load_calendar((folder or inventory_dir()) / "calendar.yaml"))


@dataclass(frozen=True, slots=True)
class MonthFigures:
    """A month's figures: per step (working time), and the events per (step, outcome)."""

    steps: list[WorkingSla]
    outcomes: Counter[tuple[int, str]]


@dataclass
class _Month:
    """A month's events as the figures need them: the working durations per step, the counts."""

    durations: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    outcomes: Counter[tuple[int, str]] = field(default_factory=Counter)
    figures: MonthFigures | None = None

    def add(self, event: EventTime, clock: WorkClock) -> None:
        self.outcomes[(event.step, event.outcome)] += 1
        if counted(event):
            self.durations[event.step].append(clock.between(event.started, event.ended))
        self.figures = None

    def done(self) -> MonthFigures:
        if self.figures is None:
            self.figures = MonthFigures(step_figures(self.durations), Counter(self.outcomes))
        return self.figures


@dataclass
class KabidDesk:
    """What the Kepala Bidang's pages read beside the store: the calendar, the reports' folder,
    the survey's answers; and the months' events, read once and then only the events appended
    since (events are append-only: :meth:`~sipelangi_net.tickets.sqlite.SqliteStore.events_version`)."""

    calendar: Callable[[], Calendar]
    reports: Path | None
    surveys: Surveys
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _version: int = 0
    _months: dict[dash.Month, _Month] = field(default_factory=dict)
    _clock: WorkClock | None = None

    def clock(self) -> WorkClock:
        if self._clock is None:
            try:
                self._clock = WorkClock(self.calendar())
            except InventoryError as exc:
                why = "Kalender kerja (calendar.yaml) tidak dapat dibaca."
                raise PageError(503, "Kalender tidak terbaca", why, str(exc)) from None
        return self._clock

    def months(self, store: ServedStore, months: list[dash.Month]) -> list[MonthFigures]:
        """Each month's figures, from the events up to the store's version now."""
        clock = self.clock()
        version = store.events_version()
        with self._lock:
            if version < self._version or len(self._months) > CACHED_MONTHS:
                self._months = {}  # another database, or too many months kept: read again
            elif version > self._version and self._months:
                for event in store.event_times(after=self._version, upto=version):
                    ended = dt.datetime.fromtimestamp(event.ended, WIB)
                    kept = self._months.get((ended.year, ended.month))
                    if kept is not None:
                        kept.add(event, clock)
            self._version = version
            for month in months:
                if month not in self._months:
                    since, until = dash.bounds(month)
                    fresh = _Month()
                    for event in store.event_times(since=since, until=until, upto=version):
                        fresh.add(event, clock)
                    self._months[month] = fresh
            return [self._months[m].done() for m in months]

    def folder(self) -> Path:
        return self.reports or reports_dir()


def desk_of(request: HttpRequest) -> KabidDesk:
    desk: KabidDesk = request.app.state.kabid
    return desk


def month_of(request: HttpRequest) -> dash.Month:
    found = dash.parse_month(request.query_params.get("bulan", ""), utcnow())
    if found is None:
        raise PageError(404, "Bulan tidak dikenal", "Pilih bulan dengan format TTTT-BB, misalnya 2026-12.")
    return found


def satisfaction(request: HttpRequest, month: dash.Month) -> Satisfaction:
    since, until = dash.bounds(month)
    return summarise(desk_of(request).surveys.answers(since=since, until=until))


@router.get("/dasbor", include_in_schema=False)
def dashboard(request: HttpRequest) -> Response:
    session = require(request, (KEPALA_BIDANG,))
    month = month_of(request)
    desk = desk_of(request)
    trend = dash.months_back(month, dash.TREND_MONTHS)
    figures = use_store(request, lambda store: desk.months(store, trend))
    per_month = [f.steps for f in figures]
    rows = per_month[-1]
    return render(
        request,
        "dasbor.html",
        session=session,
        bulan=dash.key(month),
        label=dash.month_label(month),
        choices=dash.choices(utcnow()),
        steps=dash.step_rows(rows),
        roles=dash.role_rows(per_role(rows)),
        step_chart=dash.step_chart(rows),
        trend_chart=dash.trend_chart(trend, per_month),
        puas=satisfaction(request, month),
    )


def latest_run(desk: KabidDesk) -> tuple[Path, ComplianceRun] | None:
    tomorrow = utcnow().date() + dt.timedelta(days=1)
    try:
        return latest_compliance(desk.folder(), before=tomorrow)
    except (DocumentInputError, ValidationError) as exc:
        raise PageError(
            503,
            "Hasil kepatuhan tidak terbaca",
            "Hasil pemeriksaan kepatuhan terakhir tidak terbaca.",
            str(exc),
        ) from None


@router.get("/kepatuhan", include_in_schema=False)
def compliance(request: HttpRequest) -> Response:
    session = require(request, (KEPALA_BIDANG,))
    found = latest_run(desk_of(request))
    faults = use_store(request, lambda store: store.open_faults())
    run = found[1] if found else None
    counts = (
        {label: sum(1 for d in run.devices if d.status == s) for s, label in COMPLIANCE.items()}
        if run
        else {}
    )
    return render(
        request,
        "kepatuhan.html",
        session=session,
        run=run,
        source=found[0].parent.name if found else "",
        finished=waktu(run.finished_at) if run else "",
        counts=counts,
        labels=COMPLIANCE,
        faults=faults,
    )
