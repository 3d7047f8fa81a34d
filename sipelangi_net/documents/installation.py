"""The Laporan Pelaksanaan Pemasangan Jaringan (SOP step 10), built from the ticket (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sipelangi_net.documents import parts
from sipelangi_net.documents.charts import hbar_chart
from sipelangi_net.documents.indonesian import local_date, nomor, tanggal, ticket_seq, waktu
from sipelangi_net.documents.models import Chart, Document, Section, Table
from sipelangi_net.documents.records import (
    DeployedDevice,
    require_bwtest,
    require_deploy,
    require_handover,
    require_plan,
    signer,
)
from sipelangi_net.tickets.models import Event, Ticket
from sipelangi_net.tickets.outputs import Installed, outputs_of
from sipelangi_net.tickets.sop import STEP_BY_NUMBER, TOTAL_STANDARD_MIN

KIND_CODE = "LP-JIP"
MAX_LINES = 6


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the report refers to (photo, scan, backup), with its SHA-256."""

    label: str
    path: str
    sha256: str


def number(ticket: Ticket, on: dt.date) -> str:
    """``555/<seq>/LP-JIP/DISKOMINFO/<bulan>/<tahun>``."""
    return nomor(KIND_CODE, ticket_seq(ticket.id), on)


def _disposition(ticket: Ticket) -> str:
    for e in ticket.events:
        if e.step == 3 and e.outcome == "approve":
            note = f" dengan catatan: {e.note}" if e.note else ""
            who = "" if e.actor == e.role else f" ({e.actor})"
            return f"Disposisi persetujuan Kepala Dinas{who} tanggal {waktu(e.ended_at)}{note}."
    return "Disposisi persetujuan Kepala Dinas."


def _timeline(ticket: Ticket) -> Section:
    events = [e for e in ticket.events if e.step <= 10]
    took = sum(e.duration_s for e in events)
    breaches = [e for e in events if e.breach]
    standard = sum(STEP_BY_NUMBER[e.step].standard_min for e in events)
    summary = (
        f"Jumlah waktu kerja langkah 1 sampai {events[-1].step}: {parts.durasi(took)} terhadap standar"
        f" {standard} menit (standar seluruh SOP {TOTAL_STANDARD_MIN} menit)."
    )
    if breaches:
        steps = ", ".join(str(e.step) for e in breaches)
        summary += f" Langkah yang melebihi standar: {steps}."
    else:
        summary += " Seluruh langkah selesai dalam standar waktu."
    labels = [f"{e.step}. {parts.SHORT[e.step]}" for e in events]
    svg = hbar_chart(
        labels,
        [e.duration_s / 60 for e in events],
        limits=[float(STEP_BY_NUMBER[e.step].standard_min) for e in events],
        unit="menit",
        value_name="waktu pelaksanaan",
        limit_name="standar SOP",
    )
    return Section(
        "Waktu Pelaksanaan terhadap Standar SOP",
        paragraphs=(summary,),
        tables=(parts.timeline_table(ticket),),
        charts=(Chart("Grafik waktu per langkah (menit) terhadap standar SOP", svg),),
    )


def _changes(devices: tuple[DeployedDevice, ...]) -> Table:
    rows = []
    for d in devices:
        lines = [c.strip() for c in d.commands if c.strip() and c.strip() != "exit"]
        text = "; ".join(lines[:MAX_LINES]) if lines else "tidak ada perubahan"
        if len(lines) > MAX_LINES:
            text += f"; … (+{len(lines) - MAX_LINES} baris)"
        rows.append((d.device, text, d.backup_sha256 or parts.DASH))
    return Table(
        header=("Perangkat", "Ringkasan perubahan konfigurasi", "SHA-256 cadangan sebelum perubahan"),
        rows=tuple(rows),
        caption="Cadangan konfigurasi disimpan per tiket; perubahan dapat dikembalikan dari cadangan ini",
        mono=(2,),
    )


def _scope(ticket: Ticket, event: Event) -> tuple[str, ...]:
    """The OPD's DHCP scope on the central server (a gateway that relays), when the deploy set it."""
    report = outputs_of(ticket, event, Installed).deploy
    scope = report.dhcp if report is not None else None
    if scope is None or scope.state != "confirmed":
        return ()
    return (
        f"Cakupan DHCP {scope.subnet} untuk LAN OPD ditambahkan pada server DHCP pusat ({scope.server});"
        " router gateway meneruskan (relay) permintaan DHCP ke server tersebut. Daftar cakupan sebelum"
        f" perubahan dicadangkan (SHA-256 {scope.backup_sha256 or parts.DASH}).",
    )


def _documentation(
    ticket: Ticket, devices: tuple[DeployedDevice, ...], attachments: tuple[Attachment, ...]
) -> Table:
    _, handover = require_handover(ticket)
    rows = [(f"Berita Acara {handover.number} (bertanda tangan)", handover.scan, handover.scan_sha256)]
    rows += [
        (f"Cadangan konfigurasi {d.device}", d.backup_path, d.backup_sha256) for d in devices if d.backup_path
    ]
    rows += [(a.label, a.path, a.sha256) for a in attachments]
    return Table(header=("Dokumen", "Berkas", "SHA-256"), rows=tuple(rows), mono=(1, 2))


def build_installation_report(
    ticket: Ticket, *, attachments: tuple[Attachment, ...] = (), on: dt.date | None = None, address: str = ""
) -> Document:
    """The installation report of ``ticket`` (needs steps 4, 7, 8 and the signed step 9).

    ``attachments``: photos and other files of the work, hashed by the caller. ``on``: the report's
    date (default: the date of the signed handover). Raises IncompleteTicketError naming what is missing.
    """
    plan = require_plan(ticket)
    deploy_event, devices = require_deploy(ticket)
    _, result = require_bwtest(ticket)
    handover_event, handover = require_handover(ticket)
    author = signer(handover.signers, "tim_kerja", ticket.id)
    day = on or local_date(handover_event.ended_at)
    doc_number = number(ticket, day)
    req = ticket.request
    changed = [d for d in devices if d.state == "confirmed"]
    bw_charts = tuple(c for c in (parts.bw_chart(result),) if c is not None)
    sections = (
        Section(
            "Dasar Pelaksanaan",
            items=(
                "Standar Operasional Prosedur Pemanfaatan Jaringan Intra Pemerintah, Dinas Komunikasi dan"
                " Informatika Kota Pangkalpinang.",
                f"Surat permohonan {req.opd} Nomor {req.letter.number} tanggal {tanggal(req.letter.date)}.",
                _disposition(ticket),
                f"Tiket SiPelangi {ticket.id}.",
            ),
        ),
        Section("Data Pemohon", fields=parts.request_fields(ticket, plan, address=address)),
        _timeline(ticket),
        Section(
            "Pemasangan dan Perubahan Konfigurasi",
            paragraphs=(
                f"Pemasangan dilaksanakan pada {waktu(deploy_event.started_at)} sampai"
                f" {waktu(deploy_event.ended_at)}. Sebanyak {len(changed)} dari {len(devices)}"
                " perangkat diubah"
                f" dengan {sum(len(d.commands) for d in devices)} baris konfigurasi; setiap perubahan"
                " didahului pencadangan konfigurasi dan diverifikasi sebelum dikonfirmasi.",
                *_scope(ticket, deploy_event),
            ),
            fields=parts.network_fields(plan),
            tables=(parts.device_table(devices), _changes(devices), parts.rules_table(plan)),
        ),
        Section(
            "Hasil Pengujian Kualitas Jaringan",
            fields=parts.bw_fields(result),
            tables=(parts.bw_table(result),),
            charts=bw_charts,
        ),
        Section(
            "Dokumentasi",
            paragraphs=(
                "Dokumen dan berkas berikut dilampirkan dan dicatat pada tiket beserta nilai hash-nya.",
            ),
            tables=(_documentation(ticket, devices, attachments),),
        ),
        Section(
            "Penutup",
            paragraphs=(
                f"Jaringan Intra Pemerintah pada {req.opd} telah terpasang, diuji dengan hasil"
                f" {'LULUS' if result.passed else 'TIDAK LULUS'}, dan diserahterimakan dengan Berita Acara"
                f" Nomor {handover.number}. Tiket dapat ditutup oleh Helpdesk.",
            ),
        ),
    )
    return Document(
        kind="laporan-pemasangan",
        title="LAPORAN PELAKSANAAN PEMASANGAN JARINGAN",
        subtitle=f"JARINGAN INTRA PEMERINTAH — {req.opd.upper()}",
        number=doc_number,
        date=tanggal(day),
        place="Pangkalpinang",
        slug=f"laporan-pemasangan-{ticket.id}",
        folder=ticket.id,
        opening=(
            "Kepada Yth. Kepala Bidang Penyelenggaraan E-Government, Dinas Komunikasi dan Informatika"
            " Kota Pangkalpinang."
        ),
        preamble=(
            f"Dengan hormat, bersama ini Tim Kerja Jaringan Intra Pemerintah melaporkan pelaksanaan"
            f" pemasangan jaringan pada {req.opd} sebagai berikut.",
        ),
        sections=sections,
        closing="Demikian laporan ini disampaikan untuk dipergunakan sebagaimana mestinya.",
        parties=(parts.party("Pelapor,", author, unit=parts.DINAS),),
        footer=(
            f"Dibuat dari catatan tiket SiPelangi {ticket.id}; setiap langkah tercatat dengan rantai hash."
        ),
        facts={
            "ticket": ticket.id,
            "number": doc_number,
            "opd": req.opd,
            "verdict": result.verdict,
            "handover": handover.number,
        },
    )
