"""The SOP "Penanganan Gangguan Jaringan Intra Pemerintah" as data: six steps, who does each, the moves.

A fault is reported (by the monitor, or by a pemohon through the helpdesk), triaged by the
helpdesk, diagnosed and fixed by the Tim Kerja, its recovery verified (by the monitor, or the
Tim Kerja's re-test) and closed by the helpdesk. The time standard of each step is not here but
in the team's data file (:mod:`sipelangi_net.faults.standards`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

StepKey = Literal["reported", "triaged", "diagnosed", "fixed", "verified", "closed"]
Severity = Literal["outage", "degraded", "minor"]
"""``outage``: an OPD is cut off (putus); ``degraded``: it is reached, below its plan (menurun);
``minor``: no OPD is affected yet (a config drift, one of two redundant paths)."""
SEVERITIES: tuple[Severity, ...] = ("outage", "degraded", "minor")
GRADE: dict[str, str] = {"outage": "putus", "degraded": "menurun", "minor": "ringan"}
"""A severity in the words of the pages, the notes and the mails."""


class FaultRole(StrEnum):
    """Who records a fault step; the people's names match :class:`sipelangi_net.tickets.sop.Role`."""

    MONITOR = "Monitor"
    PEMOHON = "Pemohon"
    HELPDESK = "Helpdesk"
    TIM_KERJA = "Tim Kerja"


@dataclass(frozen=True, slots=True)
class FaultStep:
    number: int
    key: StepKey
    activity: str
    """The SOP's words (Bahasa Indonesia)."""
    title: str
    """A short English title for the CLI and logs."""
    roles: tuple[FaultRole, ...]
    """Who may record the step; the first is the one the SOP names."""
    output: str


STEPS: tuple[FaultStep, ...] = (
    FaultStep(
        1,
        "reported",
        "Menerima laporan gangguan dari monitor atau pemohon dan mencatatnya di SiPelangi",
        "report fault",
        (FaultRole.MONITOR, FaultRole.HELPDESK, FaultRole.PEMOHON),
        "Tiket gangguan terbuka",
    ),
    FaultStep(
        2,
        "triaged",
        "Memilah gangguan: tingkat gangguan, OPD terdampak, tiket instalasi terkait; meneruskan ke Tim Kerja",
        "triage",
        (FaultRole.HELPDESK,),
        "Tingkat gangguan dan OPD terdampak",
    ),
    FaultStep(
        3,
        "diagnosed",
        "Mendiagnosis gangguan pada jalur OPD hop demi hop (jangkauan, antarmuka, konfigurasi)",
        "diagnose",
        (FaultRole.TIM_KERJA,),
        "Titik gangguan dan penyebabnya",
    ),
    FaultStep(
        4,
        "fixed",
        "Memperbaiki gangguan pada perangkat atau jalur",
        "fix",
        (FaultRole.TIM_KERJA,),
        "Perbaikan yang dilakukan",
    ),
    FaultStep(
        5,
        "verified",
        "Memverifikasi pemulihan layanan (pemantauan dan uji ulang bandwidth)",
        "verify recovery",
        (FaultRole.MONITOR, FaultRole.TIM_KERJA),
        "Hasil verifikasi pemulihan",
    ),
    FaultStep(
        6,
        "closed",
        "Menutup tiket gangguan dan memberi tahu PIC OPD beserta waktu perbaikan",
        "close fault",
        (FaultRole.HELPDESK, FaultRole.MONITOR),
        "Tiket gangguan ditutup",
    ),
)

STEP_BY_KEY: dict[str, FaultStep] = {s.key: s for s in STEPS}
STEP_KEYS: tuple[StepKey, ...] = tuple(s.key for s in STEPS)
FIRST: StepKey = "reported"
LAST: StepKey = "closed"

MOVES: dict[StepKey, tuple[StepKey, ...]] = {
    "reported": ("triaged", "verified"),
    "triaged": ("diagnosed", "verified"),
    "diagnosed": ("fixed", "verified"),
    "fixed": ("verified", "diagnosed"),
    "verified": ("closed",),
    "closed": (),
}
"""Step → the steps that may follow it. The main line is the SOP's order; a recovery the monitor
sees may be verified from any open step (a link that came back by itself); a fix that did not hold
goes back to diagnosis; closed takes nothing more (a new outage is a new fault)."""


def step(key: str) -> FaultStep:
    return STEP_BY_KEY[key]


def describe(key: str) -> str:
    s = STEP_BY_KEY[key]
    return f"fault step {s.number} ({s.key}: {s.title})"


def move_problem(last: StepKey | None, key: StepKey, role: FaultRole) -> str | None:
    """Why recording ``key`` by ``role`` after ``last`` (None: a new fault) is refused, or None."""
    if last is None:
        if key != FIRST:
            return f"a fault starts with {describe(FIRST)}, not {describe(key)}"
    elif last == LAST:
        return f"the fault is closed: {describe(key)} is refused (a new outage is a new fault)"
    elif key not in MOVES[last]:
        allowed = ", ".join(MOVES[last])
        return f"{describe(key)} cannot follow {describe(last)} (allowed next: {allowed})"
    roles = STEP_BY_KEY[key].roles
    if role not in roles:
        names = ", ".join(r.value for r in roles)
        return f"{describe(key)} is recorded by {names}, not {role.value}"
    return None
