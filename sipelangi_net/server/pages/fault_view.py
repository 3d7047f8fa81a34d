"""What the pages show of a fault (pure): Indonesian labels, the timeline of its steps against the
time standards (late marked), its records, and the queues of the helpdesk and the Tim Kerja.

Nothing here reads a store or a request; :mod:`.faults` passes faults in and renders what comes out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sipelangi_net.documents.indonesian import waktu
from sipelangi_net.faults.models import FaultEvent, FaultRecord, FaultTicket
from sipelangi_net.faults.sop import GRADE, STEPS, StepKey
from sipelangi_net.faults.standards import FaultStandards
from sipelangi_net.faults.workflow import StepTime, late, next_steps, step_times, time_to_repair
from sipelangi_net.server.pages.view import minutes

STEP_NAME: dict[str, str] = {
    "reported": "Dilaporkan",
    "triaged": "Dipilah dan diteruskan ke Tim Kerja",
    "diagnosed": "Didiagnosis",
    "fixed": "Diperbaiki",
    "verified": "Pemulihan diverifikasi",
    "closed": "Ditutup",
}
STATE: dict[str, str] = {
    "reported": "dilaporkan, menunggu dipilah helpdesk",
    "triaged": "diteruskan ke Tim Kerja",
    "diagnosed": "didiagnosis, sedang diperbaiki",
    "fixed": "diperbaiki, menunggu verifikasi",
    "verified": "pulih, menunggu ditutup",
    "closed": "ditutup",
}
SEVERITY = GRADE
SOURCE: dict[str, str] = {
    "monitor": "pemantauan jaringan",
    "compliance": "pemeriksaan kepatuhan",
    "pemohon": "laporan pengguna",
}
KIND: dict[str, str] = {
    "link_down": "tautan putus",
    "degraded": "kinerja di bawah rencana",
    "unreachable": "perangkat tidak terjangkau",
    "config_drift": "konfigurasi menyimpang",
    "reported": "laporan pengguna",
}
RECORD: dict[str, str] = {
    "diagnosis": "Diagnosis",
    "retest": "Uji ulang bandwidth",
    "observation": "Pengamatan",
}
ACTION: dict[str, str] = {
    "triaged": "Pilah dan teruskan ke Tim Kerja",
    "diagnosed": "Catat diagnosis",
    "fixed": "Catat perbaikan",
    "verified": "Verifikasi pemulihan",
    "closed": "Tutup gangguan",
}
"""The button of each step a person records."""


@dataclass(frozen=True, slots=True)
class StepRow:
    """One line of a fault's timeline: a recorded step, the one under way, or one still to come."""

    number: int
    name: str
    who: str
    when: str
    took: str
    standard: str
    late: bool
    note: str
    state: str
    """``selesai``, ``berjalan`` (under way) or ``belum``."""


def _who(event: FaultEvent) -> str:
    return f"{event.actor.name}, {event.actor.role.value}"


def _number(key: str) -> int:
    return next(s.number for s in STEPS if s.key == key)


def timeline(fault: FaultTicket, standards: FaultStandards, *, now: dt.datetime) -> list[StepRow]:
    """Each recorded step with its time against the standard, the step under way, then the main
    line's steps not reached yet (with their standard)."""
    times = step_times(fault, standards, now=now)
    rows = [_done(event, t) for event, t in zip(fault.history, times, strict=False)]
    pending: Sequence[StepTime] = times[len(fault.history) :]
    for t in pending:
        rows.append(
            StepRow(
                _number(t.step), STEP_NAME[t.step], "", "", minutes(t.elapsed_s),
                minutes(t.standard_s), t.late, "", "berjalan",
            )
        )  # fmt: skip
    reached = {r.number for r in rows}
    last = max(reached)
    for s in STEPS:
        if s.number > last and not fault.closed:
            standard = minutes(standards.seconds(fault.severity, s.key))
            rows.append(StepRow(s.number, STEP_NAME[s.key], "", "", "", standard, False, "", "belum"))
    return rows


def _done(event: FaultEvent, t: StepTime) -> StepRow:
    return StepRow(
        _number(event.step),
        STEP_NAME[event.step],
        _who(event),
        waktu(event.at),
        minutes(t.elapsed_s),
        minutes(t.standard_s),
        t.late,
        event.note,
        "selesai",
    )


@dataclass(frozen=True, slots=True)
class RecordRow:
    kind: str
    when: str
    who: str
    summary: str


def records(fault: FaultTicket) -> list[RecordRow]:
    """Diagnoses and re-tests (and the monitor's observations), oldest first."""
    return [_record(r) for r in fault.records]


def _record(r: FaultRecord) -> RecordRow:
    return RecordRow(
        RECORD.get(r.kind, r.kind), waktu(r.at), f"{r.actor.name}, {r.actor.role.value}", r.summary
    )


@dataclass(frozen=True, slots=True)
class FaultLine:
    """A fault as a list shows it."""

    fault: FaultTicket
    label: str
    state: str
    severity: str
    since: str
    opds: str
    late: bool
    repair: str
    """The time to repair of a closed fault (empty while open)."""
    next: tuple[StepKey, ...]


def line(
    fault: FaultTicket, standards: FaultStandards, *, now: dt.datetime, names: Mapping[str, str] | None = None
) -> FaultLine:
    """``fault`` as a list shows it; ``names``: site key -> the OPD's name (else the key)."""
    overdue = bool(late(step_times(fault, standards, now=now)))
    took = time_to_repair(fault)
    return FaultLine(
        fault=fault,
        label=fault.label,
        state=STATE[fault.step],
        severity=SEVERITY[fault.severity],
        since=waktu(fault.opened_at),
        opds=", ".join((names or {}).get(k, k) for k in fault.opds) or fault.device,
        late=overdue,
        repair=minutes(took.total_seconds()) if took is not None else "",
        next=next_steps(fault),
    )


def lines(
    faults: Iterable[FaultTicket],
    standards: FaultStandards,
    *,
    now: dt.datetime,
    names: Mapping[str, str] | None = None,
) -> list[FaultLine]:
    """Faults as lines: late first, then the oldest first (a queue's order)."""
    out = [line(f, standards, now=now, names=names) for f in faults]
    return sorted(out, key=lambda x: (not x.late, x.fault.opened_at, x.fault.id))


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    lines: tuple[FaultLine, ...]


SectionSpec = tuple[tuple[str, str, tuple[StepKey, ...]], ...]
"""Sections of a list: key, title, the last steps of the faults it holds."""
OPEN_STEPS: tuple[StepKey, ...] = ("reported", "triaged", "diagnosed", "fixed", "verified")
HELPDESK_SECTIONS: SectionSpec = (
    ("pilah", "Perlu dipilah", ("reported",)),
    ("tim-kerja", "Ditangani Tim Kerja", ("triaged", "diagnosed", "fixed")),
    ("tutup", "Siap ditutup", ("verified",)),
)
TIM_KERJA_SECTIONS: SectionSpec = (
    ("diagnosis", "Perlu didiagnosis", ("triaged",)),
    ("perbaikan", "Perlu diperbaiki", ("diagnosed",)),
    ("verifikasi", "Perlu diverifikasi", ("fixed",)),
)


def sections(found: Sequence[FaultLine], spec: SectionSpec) -> list[Section]:
    """``found`` (already in queue order) sorted into the sections of ``spec``."""
    return [
        Section(key, title, tuple(x for x in found if x.fault.step in steps)) for key, title, steps in spec
    ]
