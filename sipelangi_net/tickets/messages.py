"""Notification texts for the requester's PIC (Bahasa Indonesia), built from the ticket (pure).

Every value put into a subject or a body goes through :func:`field`: one line, each
control character (CR, LF, ESC, ...) shown escaped, so a stored value can add neither a
header nor a line to the mail. ``notify`` checks the finished mail again before sending.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sipelangi_net.tickets.models import Ticket
from sipelangi_net.validate import printable

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def tanggal(value: dt.datetime | dt.date) -> str:
    """An Indonesian date, e.g. '28 November 2026' (datetimes: in WIB, with the time)."""
    if isinstance(value, dt.datetime):
        local = value.astimezone(WIB)
        return f"{local.day} {MONTHS[local.month - 1]} {local.year} pukul {local:%H.%M} WIB"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def field(value: object) -> str:
    """``value`` as one line of a mail: no CR, LF or other control character can pass."""
    return printable(str(value))


def schedule_message(ticket: Ticket, outputs: dict[str, Any]) -> tuple[str, str]:
    req = ticket.request
    when = field(outputs.get("schedule") or outputs.get("jadwal") or "akan dikonfirmasi oleh Tim Kerja")
    opd, name = field(req.opd), field(req.pic.name)
    subject = f"[SiPelangi {ticket.id}] Jadwal pemasangan jaringan intra {opd}"
    body = (
        f"Yth. {name},\n\n"
        f"Permohonan akses Jaringan Intra Pemerintah untuk {opd} (surat nomor {field(req.letter.number)}"
        f" tanggal {tanggal(req.letter.date)}) telah disetujui dan dijadwalkan.\n\n"
        f"Jadwal pemasangan: {when}\n"
        f"Nomor tiket: {ticket.id}\n\n"
        "Mohon memastikan PIC dapat mendampingi Tim Kerja Jaringan Intra Pemerintah di lokasi.\n\n"
        "Hormat kami,\nHelpdesk Diskominfo Kota Pangkalpinang\n"
    )
    return subject, body


def closing_message(ticket: Ticket) -> tuple[str, str]:
    req = ticket.request
    opd, name = field(req.opd), field(req.pic.name)
    subject = f"[SiPelangi {ticket.id}] Tiket ditutup: jaringan intra {opd} telah terpasang"
    body = (
        f"Yth. {name},\n\n"
        f"Pemasangan Jaringan Intra Pemerintah untuk {opd} telah selesai, diuji, dan diserahterimakan."
        f" Tiket {ticket.id} telah ditutup.\n\n"
        "Apabila terdapat gangguan, silakan menghubungi Helpdesk Diskominfo melalui SiPelangi.\n\n"
        "Hormat kami,\nHelpdesk Diskominfo Kota Pangkalpinang\n"
    )
    return subject, body
