"""What a fault step puts in the outbox (pure), as :func:`sipelangi_net.tickets.outbox.queued_for` does
for a ticket's SOP steps.

A fault opened (its first step, ``reported``) and a fault closed are announced to the helpdesk
(``helpdesk.email`` in the officials file, :mod:`sipelangi_net.tickets.officials`) and to the PIC
of each affected OPD (the e-mail on its installation ticket's request), in Bahasa Indonesia,
naming the ``GGN-`` number, the OPDs, the device or link and when; the closing one with the time
to repair. No helpdesk address configured: the message is queued undeliverable with the reason
(the file and the field to set), so it shows in ``ticket notify`` instead of being lost. Every
value goes through :func:`~sipelangi_net.tickets.messages.field` (one line, control characters
shown escaped).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sipelangi_net.faults.models import FaultTicket
from sipelangi_net.faults.workflow import time_to_repair
from sipelangi_net.tickets.messages import field, tanggal
from sipelangi_net.tickets.models import NotificationKind
from sipelangi_net.tickets.officials import TITLES, Officials
from sipelangi_net.tickets.outbox import Queued

KINDS = {
    "link_down": "Link putus",
    "degraded": "Kinerja jaringan menurun",
    "unreachable": "Perangkat tidak terjangkau",
    "config_drift": "Konfigurasi perangkat menyimpang",
    "reported": "Laporan gangguan dari pengguna",
}
SEVERITIES = {"outage": "Putus (OPD terputus)", "degraded": "Menurun", "minor": "Ringan"}


@dataclass(frozen=True, slots=True)
class Contact:
    """The PIC of an affected OPD, from its installation ticket's request."""

    site: str
    opd: str
    name: str
    email: str
    ticket: str


def durasi(span: dt.timedelta) -> str:
    """A duration in Bahasa Indonesia: ``2 hari 3 jam 5 menit``, ``45 detik``."""
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "hari"), (hours, "jam"), (minutes, "menit")) if n]
    return " ".join(parts) if parts else f"{secs} detik"


def _where(fault: FaultTicket) -> str:
    if fault.link is not None:
        return f"jalur {field(fault.link.a)} - {field(fault.link.b)} (dilihat dari {field(fault.device)})"
    return f"perangkat {field(fault.device)}"


def _opds(fault: FaultTicket, contacts: Sequence[Contact]) -> str:
    names = {c.site: c.opd for c in contacts}
    if not fault.opds:
        return "tidak ada OPD yang terputus"
    return ", ".join(f"{field(names[s])} ({field(s)})" if s in names else field(s) for s in fault.opds)


def fault_message(fault: FaultTicket, contacts: Sequence[Contact]) -> tuple[NotificationKind, str, str]:
    """The kind, subject and body (without the greeting) of the message for ``fault``'s last step."""
    closed = fault.closed_at
    kind: NotificationKind = "fault_closed" if closed else "fault_opened"
    what = "selesai ditangani" if closed else "tercatat"
    affected = ", ".join(field(s) for s in fault.opds) or field(fault.device)
    subject = f"[SiPelangi {fault.label}] Gangguan jaringan {what}: {affected}"[:200]
    lines = [
        f"Gangguan jaringan intra pemerintah {fault.label} {what}.",
        "",
        f"Jenis gangguan: {KINDS[fault.kind]}",
        f"Tingkat: {SEVERITIES[fault.severity]}",
        f"Lokasi: {_where(fault)}",
        f"OPD terdampak: {_opds(fault, contacts)}",
        f"Ringkasan: {field(fault.summary)}",
        f"Mulai: {tanggal(fault.opened_at)}",
    ]
    if fault.tickets:
        lines.append(f"Tiket instalasi: {', '.join(field(t) for t in fault.tickets)}")
    repair = time_to_repair(fault)
    if closed is not None and repair is not None:
        lines += [f"Selesai: {tanggal(closed)}", f"Waktu perbaikan: {durasi(repair)}"]
        note = fault.history[-1].note or (fault.history[-2].note if len(fault.history) > 1 else "")
        if note:
            lines.append(f"Catatan: {field(note)}")
        lines += ["", "Layanan jaringan telah pulih. Terima kasih atas kesabaran Bapak/Ibu."]
    else:
        lines += [
            "",
            "Tim Kerja Diskominfo sedang menangani gangguan ini; kami kabari kembali setelah pulih.",
        ]
    return kind, subject, "\n".join(lines) + "\n"


def queued_for_fault(
    fault: FaultTicket,
    *,
    contacts: Sequence[Contact],
    officials: Officials,
    webhook_url: str | None,
) -> list[Queued]:
    """The notifications ``fault``'s last step calls for: on opening and on closing, one mail to the
    helpdesk and one to each OPD's PIC (once per address), and one webhook post; otherwise none."""
    if not fault.closed and len(fault.history) != 1:
        return []
    kind, subject, text = fault_message(fault, contacts)
    helpdesk = officials.helpdesk.email
    why = (
        ""
        if helpdesk
        else f"no e-mail address for the {TITLES['helpdesk']}: set helpdesk.email in"
        f" {officials.source or 'the officials file'} (SIPELANGI_OFFICIALS); this message is not sent"
    )
    out = [Queued(kind, "email", str(helpdesk or ""), subject, f"Yth. {TITLES['helpdesk']},\n\n{text}", why)]
    sent = {str(helpdesk or "")}
    for c in contacts:
        if c.email in sent:
            continue
        sent.add(c.email)
        out.append(
            Queued(kind, "email", c.email, subject, f"Yth. {field(c.name)} ({field(c.opd)}),\n\n{text}")
        )
    if webhook_url:
        out.append(Queued(kind, "webhook", webhook_url, subject, text))
    return out
