"""What the pages show of a ticket (pure): Indonesian labels, the timeline of the 12 steps against
their time standards, the queues of each role.

Nothing here reads a store or a request; the routes pass tickets in and render what comes out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sipelangi_net.documents.indonesian import waktu
from sipelangi_net.documents.intranet import status_label
from sipelangi_net.documents.parts import SHORT
from sipelangi_net.tickets.models import Event, Ticket
from sipelangi_net.tickets.sop import STEPS

OUTCOME = {
    "done": "selesai",
    "failed": "gagal",
    "approve": "disetujui",
    "defer": "ditunda",
    "resubmit": "diajukan ulang",
    "acknowledge": "diterima Kepala Bidang",
    "withdraw": "ditarik",
}
ROLE = {
    "pemohon": "Pemohon",
    "helpdesk": "Helpdesk",
    "kepala_dinas": "Kepala Dinas",
    "kepala_bidang": "Kepala Bidang",
    "tim_kerja": "Tim Kerja",
    "admin": "Admin",
    "system": "Sistem",
}
RETURNED = "Dikembalikan untuk perbaikan: "
"""How a step-3 deferral that returns the request to the pemohon for revision begins its note."""


def status_text(status: str) -> str:
    """A ticket's status in Bahasa Indonesia (``forwarded``: "diteruskan ke Kepala Dinas")."""
    return status_label(status)


def minutes(seconds: float) -> str:
    """A duration in words: ``< 1 mnt``, ``12 mnt``, ``2 jam 5 mnt``, ``3 hari 4 jam``."""
    whole = int(seconds // 60)
    if whole < 1:
        return "< 1 mnt"
    days, rest = divmod(whole, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} hari {hours} jam" if hours else f"{days} hari"
    if hours:
        return f"{hours} jam {mins} mnt" if mins else f"{hours} jam"
    return f"{mins} mnt"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a ticket's timeline: a recorded event, or a step still to come."""

    step: int
    name: str
    outcome: str
    who: str
    when: str
    took: str
    standard: str
    breach: bool
    note: str
    done: bool


def _who(event: Event) -> str:
    if event.account is None:
        return event.actor
    role = ROLE.get(event.account.role, event.account.role)
    acting = f" ({event.account.delegation})" if event.account.delegation else ""
    behalf = f", atas nama {event.account.on_behalf_of}" if event.account.on_behalf_of else ""
    return f"{event.account.display_name}, {role}{acting}{behalf}"


def _row(event: Event) -> Row:
    return Row(
        step=event.step,
        name=SHORT[event.step],
        outcome=OUTCOME.get(event.outcome, event.outcome),
        who=_who(event),
        when=waktu(event.ended_at),
        took=minutes(event.duration_s),
        standard=minutes(event.standard_s),
        breach=event.breach,
        note=event.note,
        done=True,
    )


def timeline(ticket: Ticket) -> list[Row]:
    """Every recorded event in order, then the steps not reached yet (without who and when)."""
    rows = [_row(e) for e in ticket.events]
    reached = max((e.step for e in ticket.events), default=0)
    for step in STEPS:
        if step.number > reached:
            rows.append(
                Row(
                    step.number,
                    SHORT[step.number],
                    "belum",
                    "",
                    "",
                    "",
                    minutes(step.standard_s),
                    False,
                    "",
                    False,
                )
            )
    return rows


def last_decision(ticket: Ticket) -> Event | None:
    """The latest step-3 event (the Kepala Dinas's decision), if any."""
    return next((e for e in reversed(ticket.events) if e.step == 3), None)


@dataclass(frozen=True, slots=True)
class Queue:
    """One section of a role's queue: a title and its tickets."""

    key: str
    title: str
    tickets: tuple[Ticket, ...]


HELPDESK_QUEUES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("baru", "Baru (perlu diteruskan)", ("submitted", "resubmitted")),
    ("disposisi", "Menunggu disposisi", ("forwarded",)),
    ("disetujui", "Disetujui", ("approved", "analysed", "prepared")),
    ("dijadwalkan", "Dijadwalkan", ("scheduled", "installed", "tested", "handed_over", "reported")),
    ("tutup", "Siap ditutup", ("acknowledged",)),
)
"""The helpdesk's queue by state: key, title, the statuses it holds."""


def queues(tickets: Iterable[Ticket], spec: Sequence[tuple[str, str, tuple[str, ...]]]) -> list[Queue]:
    """``tickets`` sorted into the sections of ``spec`` (a ticket in none of them is left out)."""
    listed = list(tickets)
    return [
        Queue(key, title, tuple(t for t in listed if t.status in statuses)) for key, title, statuses in spec
    ]
