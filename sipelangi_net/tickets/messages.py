"""Notification texts of the SOP (Bahasa Indonesia), built from the ticket (pure), and the table
of which step sends which message to whom (:data:`MESSAGES`).

Every value put into a subject or a body goes through :func:`field`: one line, each
control character (CR, LF, ESC, ...) shown escaped, so a stored value can add neither a
header nor a line to the mail. ``notify`` checks the finished mail again before sending.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from sipelangi_net.tickets.models import Event, NotificationKind, Ticket
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
        "Mohon luangkan waktu satu menit untuk mengisi survei kepuasan layanan pada halaman tiket ini"
        " di SiPelangi.\n\n"
        "Apabila terdapat gangguan, silakan menghubungi Helpdesk Diskominfo melalui SiPelangi.\n\n"
        "Hormat kami,\nHelpdesk Diskominfo Kota Pangkalpinang\n"
    )
    return subject, body


SIGNATURE = "Hormat kami,\nHelpdesk Diskominfo Kota Pangkalpinang\n"


def _letter(ticket: Ticket) -> str:
    req = ticket.request
    return f"surat nomor {field(req.letter.number)} tanggal {tanggal(req.letter.date)}"


def disposition_message(ticket: Ticket, event: Event) -> tuple[str, str]:
    """Step 2 done: the Kepala Dinas is told a request waits for disposition."""
    req = ticket.request
    opd = field(req.opd)
    subject = f"[SiPelangi {ticket.id}] Permohonan jaringan intra {opd} menunggu disposisi"
    body = (
        "Yth. Kepala Dinas Komunikasi dan Informatika,\n\n"
        f"Helpdesk telah meneruskan permohonan akses Jaringan Intra Pemerintah dari {opd}"
        f" ({_letter(ticket)}) untuk {req.users} pengguna.\n\n"
        f"Nomor tiket: {ticket.id}\n"
        f"Diteruskan: {tanggal(event.ended_at)}\n"
        f"Narahubung: {field(req.pic.name)}, {field(req.pic.phone)}\n\n"
        "Mohon disposisi Bapak/Ibu melalui SiPelangi: setujui, atau tunda dengan pertimbangan.\n\n"
        + SIGNATURE
    )
    return subject, body


def deferral_message(ticket: Ticket, event: Event) -> tuple[str, str]:
    """Step 3 deferred: the requester's PIC is told, with the Kepala Dinas's consideration."""
    req = ticket.request
    opd, name = field(req.opd), field(req.pic.name)
    subject = f"[SiPelangi {ticket.id}] Permohonan jaringan intra {opd} ditunda"
    body = (
        f"Yth. {name},\n\n"
        f"Permohonan akses Jaringan Intra Pemerintah untuk {opd} ({_letter(ticket)}) ditunda oleh"
        f" Kepala Dinas Komunikasi dan Informatika pada {tanggal(event.ended_at)}"
        " dengan pertimbangan:\n\n"
        f"{field(event.note)}\n\n"
        f"Nomor tiket: {ticket.id}\n\n"
        "Permohonan dapat diputuskan kembali setelah pertimbangan tersebut dipenuhi; silakan"
        " menghubungi Helpdesk Diskominfo melalui SiPelangi.\n\n" + SIGNATURE
    )
    return subject, body


def report_message(ticket: Ticket, event: Event) -> tuple[str, str]:
    """Step 10 done: the Kepala Bidang is told an installation report waits."""
    req = ticket.request
    opd = field(req.opd)
    report = event.outputs.get("report")
    number = field(report.get("number", "")) if isinstance(report, dict) else ""
    subject = f"[SiPelangi {ticket.id}] Laporan pemasangan jaringan intra {opd} menunggu pemeriksaan"
    body = (
        "Yth. Kepala Bidang Penyelenggaraan E-Government,\n\n"
        f"Tim Kerja Jaringan Intra Pemerintah telah menyelesaikan pemasangan jaringan intra untuk {opd}"
        f" ({_letter(ticket)}).\n\n"
        f"Laporan Pelaksanaan Pemasangan Jaringan{f' nomor {number}' if number else ''}"
        f" menunggu pemeriksaan Bapak/Ibu di SiPelangi.\n\n"
        f"Nomor tiket: {ticket.id}\n"
        f"Laporan dibuat: {tanggal(event.ended_at)}\n\n" + SIGNATURE
    )
    return subject, body


Recipient = Literal["pemohon", "kepala_dinas", "kepala_bidang"]


@dataclass(frozen=True, slots=True)
class Message:
    """One message of the SOP: its kind, to whom, and its text."""

    kind: NotificationKind
    to: Recipient
    """``pemohon``: the request's PIC; the officials: from the settings (tickets.officials)."""
    text: Callable[[Ticket, Event], tuple[str, str]]
    page: str = "/tiket/{id}"
    """The page of SiPelangi the message links to (``{id}``: the ticket), when its address is set."""


MESSAGES: Mapping[tuple[int, str], Message] = MappingProxyType(
    {
        (2, "done"): Message("disposition", "kepala_dinas", disposition_message, page="/disposisi/{id}"),
        (3, "defer"): Message("deferral", "pemohon", deferral_message),
        (6, "done"): Message("schedule", "pemohon", lambda t, e: schedule_message(t, e.outputs)),
        (10, "done"): Message("report", "kepala_bidang", report_message),
        (11, "done"): Message("closing", "pemohon", lambda t, e: closing_message(t), page="/survei/{id}"),
    }
)
"""Per (SOP step, outcome), the message the store queues in the same transaction as the step."""
