"""The Berita Acara Serah Terima dan Penggunaan Layanan (SOP step 9), built from the ticket (pure)."""

from __future__ import annotations

import datetime as dt

from sipelangi_net.documents import parts
from sipelangi_net.documents.indonesian import local_date, nomor, pada_hari_ini, tanggal, ticket_seq
from sipelangi_net.documents.models import Document, Section
from sipelangi_net.documents.records import (
    Signer,
    handover_of,
    require_bwtest,
    require_deploy,
    require_plan,
    signer,
)
from sipelangi_net.tickets.models import Ticket

KIND_CODE = "BA-JIP"
TITLE = "BERITA ACARA SERAH TERIMA DAN PENGGUNAAN LAYANAN"
SUBTITLE = "JARINGAN INTRA PEMERINTAH KOTA PANGKALPINANG"
TERMS = (
    "Jaringan Intra Pemerintah hanya digunakan untuk keperluan kedinasan dan mengakses aplikasi"
    " yang tercantum dalam Berita Acara ini.",
    "PIHAK KEDUA menjaga perangkat jaringan yang terpasang di lokasinya dan tidak memindahkan,"
    " mengubah konfigurasi, atau menambahkan perangkat tanpa persetujuan PIHAK PERTAMA.",
    "Gangguan jaringan dilaporkan melalui Helpdesk / SiPelangi dan ditangani menurut SOP Penanganan"
    " Gangguan Jaringan Intra Pemerintah.",
    "Penambahan pengguna atau aplikasi diajukan dengan surat permohonan baru.",
)


def number(ticket: Ticket, on: dt.date) -> str:
    """The berita acara's number for a handover on ``on``: ``555/<seq>/BA-JIP/DISKOMINFO/<bulan>/<tahun>``."""
    return nomor(KIND_CODE, ticket_seq(ticket.id), on)


def build_berita_acara(
    ticket: Ticket,
    *,
    signers: tuple[Signer, ...] = (),
    on: dt.date | None = None,
    address: str = "",
) -> Document:
    """The berita acara of ``ticket``.

    Signed tickets (step 9 recorded by ``ticket sign``) use the recorded signers, number and date;
    before that, a draft to print and sign needs ``signers`` and is dated ``on`` (default: the
    bandwidth test's date). Raises IncompleteTicketError naming what the ticket lacks.
    """
    plan = require_plan(ticket)
    _, devices = require_deploy(ticket)
    test_event, result = require_bwtest(ticket)
    signed = handover_of(ticket)
    if signed is not None:
        event, handover = signed
        people, day, doc_number = handover.signers, local_date(event.ended_at), handover.number
        footer = (
            f"Naskah bertanda tangan telah dipindai dan dicatat pada tiket {ticket.id}"
            f" (SHA-256 {handover.scan_sha256})."
        )
    else:
        day = on or local_date(test_event.ended_at)
        people, doc_number = signers, number(ticket, day)
        footer = f"Draf untuk ditandatangani; dibuat dari tiket SiPelangi {ticket.id}."
    first = signer(people, "tim_kerja", ticket.id)
    second = signer(people, "pemohon", ticket.id)
    req = ticket.request
    where = f"{req.opd}, {address}" if address else req.opd
    opening = f"{pada_hari_ini(day)}, bertempat di {where}, kami yang bertanda tangan di bawah ini:"
    letter = f"Nomor {req.letter.number} tanggal {tanggal(req.letter.date)}"
    preamble = (
        f"PIHAK PERTAMA telah melaksanakan pemasangan Jaringan Intra Pemerintah berdasarkan surat"
        f" permohonan {req.opd} {letter}, dan dengan ini menyerahkan kepada PIHAK KEDUA layanan"
        " Jaringan Intra Pemerintah dengan rincian sebagai berikut:",
    )
    sections = (
        Section("Data Pemohon", fields=parts.request_fields(ticket, plan, address=address)),
        Section(
            "Jaringan yang Terpasang",
            fields=parts.network_fields(plan),
            tables=(parts.device_table(devices), parts.rules_table(plan)),
        ),
        Section(
            "Hasil Pengujian Kualitas Jaringan",
            fields=parts.bw_fields(result),
            tables=(parts.bw_table(result),),
        ),
        Section("Ketentuan Penggunaan Layanan", items=TERMS),
    )
    return Document(
        kind="berita-acara",
        title=TITLE,
        subtitle=SUBTITLE,
        number=doc_number,
        date=tanggal(day),
        place="Pangkalpinang",
        slug=f"berita-acara-{ticket.id}",
        folder=ticket.id,
        opening=opening,
        preamble=preamble,
        sections=sections,
        closing=(
            "Demikian Berita Acara ini dibuat dalam rangkap 2 (dua) yang masing-masing mempunyai kekuatan"
            " hukum yang sama, untuk dipergunakan sebagaimana mestinya."
        ),
        parties=(
            parts.party("PIHAK PERTAMA", first, unit=parts.DINAS),
            parts.party("PIHAK KEDUA", second, unit=req.opd),
        ),
        footer=footer,
        facts={
            "ticket": ticket.id,
            "number": doc_number,
            "opd": req.opd,
            "verdict": result.verdict,
            "signed": "yes" if signed else "no",
        },
    )
