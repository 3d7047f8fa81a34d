"""The Lembar Disposisi (SOP step 3): the Kepala Dinas's decision on a request, built from the ticket (pure).

A decision is either about to be recorded (``ticket approve`` / ``ticket defer`` build the sheet
first, so its SHA-256 goes on the step-3 event) or read back from a recorded step-3 event
(:func:`recorded_decisions`); both give the same sheet, byte for byte.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sipelangi_net.documents.indonesian import (
    local_date,
    nip_display,
    nomor,
    tanggal,
    ticket_seq,
    waktu,
)
from sipelangi_net.documents.models import Document, Field, Party, Section
from sipelangi_net.errors import IncompleteTicketError
from sipelangi_net.tickets.models import Event, Ticket
from sipelangi_net.tickets.outputs import Decided, DispositionRecord, outputs_of

KIND_CODE = "LD-JIP"
TITLE = "LEMBAR DISPOSISI"
SUBTITLE = "PERMOHONAN AKSES JARINGAN INTRA PEMERINTAH"
JABATAN = "Kepala Dinas Komunikasi dan Informatika"
UNIT = "Kota Pangkalpinang"
TUJUAN = "Tim Kerja Jaringan Intra Pemerintah, melalui Helpdesk Diskominfo"
KEPUTUSAN = {
    "approve": "SETUJUI \u2013 permohonan disetujui untuk ditindaklanjuti",
    "defer": "TUNDA \u2013 permohonan ditunda dengan pertimbangan",
}
ISI = {
    "approve": (
        "Agar ditindaklanjuti sesuai SOP Pemasangan Jaringan Intra Pemerintah: analisis kebutuhan,"
        " persiapan instalasi, penjadwalan bersama pemohon, pemasangan, uji kualitas jaringan,"
        " dan serah terima."
    ),
    "defer": (
        "Helpdesk memberitahukan penundaan beserta pertimbangannya kepada pemohon melalui SiPelangi."
        " Permohonan dapat diputuskan kembali setelah pertimbangan tersebut dipenuhi."
    ),
}
NO_NOTE = "Tidak ada catatan."
Kedudukan = Literal["", "Plt.", "Plh."]


@dataclass(frozen=True, slots=True)
class Decision:
    """The Kepala Dinas's decision on step 3, as the sheet shows it."""

    outcome: Literal["approve", "defer"]
    note: str
    """The consideration (required to defer)."""
    actor: str
    """Who decided (the event's actor)."""
    at: dt.datetime
    nip: str = ""
    kedudukan: Kedudukan = ""
    ordinal: int = 1
    """The n-th step-3 decision on the ticket (a deferred request may be decided again)."""


def number(ticket: Ticket, decision: Decision) -> str:
    """``555/<seq>/LD-JIP/DISKOMINFO/<bulan>/<tahun>`` (``<seq>-<n>`` for the n-th decision, n > 1)."""
    seq = ticket_seq(ticket.id)
    if decision.ordinal > 1:
        seq = f"{seq}-{decision.ordinal}"
    return nomor(KIND_CODE, seq, local_date(decision.at))


def slug(ticket_id: str, ordinal: int) -> str:
    return f"lembar-disposisi-{ticket_id}" + (f"-{ordinal}" if ordinal > 1 else "")


def jabatan(kedudukan: str) -> str:
    """'Kepala Dinas ...', or 'Plt. Kepala Dinas ...' for an acting one."""
    return f"{kedudukan} {JABATAN}" if kedudukan else JABATAN


def _perihal(ticket: Ticket) -> str:
    req = ticket.request
    return (
        f"Permohonan akses Jaringan Intra Pemerintah untuk {req.users} pengguna"
        f" (aplikasi: {', '.join(req.applications)})"
    )


def _forwarded(ticket: Ticket) -> Event | None:
    return next((e for e in ticket.events if e.step == 2), None)


def _letter_fields(ticket: Ticket) -> tuple[Field, ...]:
    req = ticket.request
    fields = [
        Field("Surat dari", req.opd),
        Field("Nomor surat", req.letter.number),
        Field("Tanggal surat", tanggal(req.letter.date)),
        Field("Perihal", _perihal(ticket)),
        Field("Nomor agenda", f"{ticket.id} (SiPelangi)"),
        Field("Diterima tanggal", waktu(ticket.created_at)),
    ]
    forwarded = _forwarded(ticket)
    if forwarded is not None:
        fields.append(Field("Diteruskan oleh", f"{forwarded.actor} (Helpdesk), {waktu(forwarded.ended_at)}"))
    fields.append(Field("Narahubung (PIC)", f"{req.pic.name}, {req.pic.phone}, {req.pic.email}"))
    return tuple(fields)


def _decided_by(decision: Decision) -> tuple[Field, ...]:
    nip = nip_display(decision.nip) if decision.nip else "\u2013"
    return (
        Field("Nama", decision.actor),
        Field("NIP", nip),
        Field("Jabatan", jabatan(decision.kedudukan)),
        Field("Waktu keputusan", waktu(decision.at)),
    )


def build_disposisi(ticket: Ticket, decision: Decision) -> Document:
    """The Lembar Disposisi of ``decision`` on ``ticket``."""
    if decision.outcome == "defer" and not decision.note:
        raise IncompleteTicketError(
            f"ticket {ticket.id}: a deferral needs the Kepala Dinas's consideration (--note)"
        )
    day = local_date(decision.at)
    doc_number = number(ticket, decision)
    sections = (
        Section("Surat Permohonan", fields=_letter_fields(ticket)),
        Section(
            "Keputusan Kepala Dinas",
            fields=(
                Field("Keputusan", KEPUTUSAN[decision.outcome]),
                Field("Pertimbangan", decision.note or NO_NOTE),
            ),
        ),
        Section(
            "Disposisi",
            fields=(Field("Diteruskan kepada", TUJUAN), Field("Isi disposisi", ISI[decision.outcome])),
        ),
        Section("Diputuskan oleh", fields=_decided_by(decision)),
    )
    nip = f"NIP. {nip_display(decision.nip)}" if decision.nip else ""
    return Document(
        kind="lembar-disposisi",
        title=TITLE,
        subtitle=SUBTITLE,
        number=doc_number,
        date=tanggal(day),
        place="Pangkalpinang",
        slug=slug(ticket.id, decision.ordinal),
        folder=ticket.id,
        sections=sections,
        parties=(
            Party(label=jabatan(decision.kedudukan), jabatan="", unit=UNIT, name=decision.actor, nip=nip),
        ),
        footer=(
            f"Keputusan dicatat secara elektronik di SiPelangi pada tiket {ticket.id}"
            f" (langkah 3 SOP, keputusan ke-{decision.ordinal}) pada {waktu(decision.at)}."
        ),
        facts={
            "ticket": ticket.id,
            "number": doc_number,
            "decision": decision.outcome,
            "ordinal": str(decision.ordinal),
        },
    )


def recorded_decisions(ticket: Ticket) -> list[tuple[Decision, DispositionRecord | None]]:
    """Every step-3 decision of ``ticket`` as recorded, with its sheet's record (None if it has none)."""
    out: list[tuple[Decision, DispositionRecord | None]] = []
    for event in ticket.events:
        if event.step != 3 or event.outcome not in ("approve", "defer"):
            continue
        record = outputs_of(ticket, event, Decided).disposisi
        decision = Decision(
            outcome="approve" if event.outcome == "approve" else "defer",
            note=event.note,
            actor=event.actor,
            at=event.ended_at,
            nip=record.nip if record else "",
            kedudukan=record.kedudukan if record else "",
            ordinal=len(out) + 1,
        )
        out.append((decision, record))
    return out
