"""The SOP "Pemanfaatan Jaringan Intra Pemerintah" as data: 12 steps, 5 roles, time standards."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    PEMOHON = "Pemohon"
    HELPDESK = "Helpdesk"
    KEPALA_DINAS = "Kepala Dinas"
    TIM_KERJA = "Tim Kerja"
    KEPALA_BIDANG = "Kepala Bidang"


@dataclass(frozen=True, slots=True)
class Step:
    number: int
    key: str
    activity: str
    """The SOP's words (Bahasa Indonesia)."""
    title: str
    """A short English title for the CLI and logs."""
    role: Role
    standard_min: int
    output: str
    status: str
    """The ticket's status once the step is done."""

    @property
    def standard_s(self) -> int:
        return self.standard_min * 60


STEPS: tuple[Step, ...] = (
    Step(
        1,
        "request",
        "Mengajukan permohonan melalui helpdesk / SiPelangi",
        "submit request",
        Role.PEMOHON,
        5,
        "Surat permohonan jaringan",
        "submitted",
    ),
    Step(
        2,
        "forward",
        "Menerima permohonan dan meneruskan ke Kepala Dinas",
        "open ticket and forward",
        Role.HELPDESK,
        2,
        "Tiket terbuka di SiPelangi",
        "forwarded",
    ),
    Step(
        3,
        "disposition",
        "Menyetujui atau memberi pertimbangan penundaan",
        "approve or defer",
        Role.KEPALA_DINAS,
        15,
        "Disposisi",
        "approved",
    ),
    Step(
        4,
        "analysis",
        "Analisis ketersediaan dan kebutuhan (lokasi, jumlah pengguna, aplikasi)",
        "needs analysis",
        Role.TIM_KERJA,
        30,
        "Daftar perangkat dan jadwal instalasi",
        "analysed",
    ),
    Step(
        5,
        "preparation",
        "Menyiapkan instalasi: perangkat, perlengkapan, jadwal",
        "prepare installation",
        Role.TIM_KERJA,
        15,
        "Daftar perangkat dan jadwal instalasi",
        "prepared",
    ),
    Step(
        6,
        "schedule_notice",
        "Menginformasikan jadwal instalasi kepada pemohon",
        "tell the schedule",
        Role.HELPDESK,
        2,
        "PIC pemohon terinformasi",
        "scheduled",
    ),
    Step(
        7,
        "installation",
        "Melakukan instalasi jaringan di lokasi pemohon",
        "install",
        Role.TIM_KERJA,
        60,
        "Kualitas jaringan",
        "installed",
    ),
    Step(
        8,
        "bandwidth_test",
        "Melakukan pengujian kualitas hasil instalasi",
        "bandwidth test",
        Role.TIM_KERJA,
        10,
        "Hasil speedtest",
        "tested",
    ),
    Step(
        9,
        "handover",
        "Menandatangani Berita Acara / Kontrak Penggunaan Layanan",
        "sign handover record",
        Role.TIM_KERJA,
        5,
        "Dokumen serah terima yang ditandatangani",
        "handed_over",
    ),
    Step(
        10,
        "report",
        "Membuat laporan instalasi",
        "installation report",
        Role.TIM_KERJA,
        10,
        "Laporan instalasi",
        "reported",
    ),
    Step(11, "close", "Menutup tiket pemohon", "close ticket", Role.HELPDESK, 2, "Tiket ditutup", "closed"),
    Step(
        12,
        "closing_notice",
        "Menerima notifikasi tiket ditutup",
        "closing notification",
        Role.PEMOHON,
        1,
        "Notifikasi penutupan",
        "notified",
    ),
)


@dataclass(frozen=True, slots=True)
class Branch:
    """An outcome of a step beside done and failed: how a deferred request ends, or an acknowledgement.

    The twelve steps stay the SOP's; a branch is recorded on one of them (its ``step``) with its
    own outcome, role and status, and only from the statuses in ``after``.
    """

    step: int
    outcome: str
    title: str
    role: Role
    """The SOP role in whose name it is recorded (the pemohon's may be entered by the helpdesk)."""
    status: str
    after: tuple[str, ...]
    note: str = ""
    """What the note must say; "" when no note is needed."""


BRANCHES: tuple[Branch, ...] = (
    Branch(
        1,
        "resubmit",
        "revise and resubmit the request",
        Role.PEMOHON,
        "resubmitted",
        ("deferred",),
        note="what was revised",
    ),
    Branch(
        10,
        "acknowledge",
        "acknowledge the installation report",
        Role.KEPALA_BIDANG,
        "acknowledged",
        ("reported",),
    ),
    Branch(
        11,
        "withdraw",
        "withdraw and close the request",
        Role.PEMOHON,
        "withdrawn",
        ("submitted", "forwarded", "deferred", "resubmitted"),
        note="why it is withdrawn",
    ),
)
"""A deferred request ends approved (a new step-3 decision), resubmitted after revision (then
forwarded again, step 2, and decided again, step 3) or withdrawn; the Kepala Bidang acknowledges
the step-10 report before the helpdesk closes the ticket (required when accounts are used)."""

STEP_BY_NUMBER = {s.number: s for s in STEPS}
BRANCH_BY_OUTCOME = {(b.step, b.outcome): b for b in BRANCHES}
TOTAL_STANDARD_MIN = sum(s.standard_min for s in STEPS)
END_STATUSES = ("notified", "withdrawn")
"""A ticket in one of these statuses takes no more events."""
STATUSES = (
    "submitted",
    "forwarded",
    "approved",
    "deferred",
    *(s.status for s in STEPS[3:]),
    *(b.status for b in BRANCHES),
)


def step(number: int) -> Step:
    return STEP_BY_NUMBER[number]


def describe(number: int) -> str:
    s = STEP_BY_NUMBER[number]
    return f"step {s.number} ({s.title})"
