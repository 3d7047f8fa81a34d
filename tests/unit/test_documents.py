"""Documents built from tickets (pure builders): content, Indonesian forms, and clear errors on gaps."""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from test_documents_data import PEMOHON, TIM, bw_json, handover_json, ticket_upto

from sipelangi_net.documents.berita_acara import build_berita_acara
from sipelangi_net.documents.charts import Series, bar_chart, hbar_chart
from sipelangi_net.documents.indonesian import (
    check_nip,
    nip_display,
    nomor,
    pada_hari_ini,
    terbilang,
    ticket_seq,
)
from sipelangi_net.documents.installation import Attachment, build_installation_report
from sipelangi_net.documents.models import Document
from sipelangi_net.documents.records import Signer
from sipelangi_net.errors import DocumentInputError, IncompleteTicketError, MalformedTicketError, OutputsError

SIGNERS = (Signer.model_validate(TIM), Signer.model_validate(PEMOHON))


def texts(doc: Document) -> list[str]:
    """Every string a template will show."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.append(value)
        elif dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                if f.name != "svg":
                    walk(getattr(value, f.name))
        elif isinstance(value, tuple | list):
            for v in value:
                walk(v)

    walk(doc)
    return out


def assert_no_blanks(doc: Document) -> None:
    for section in doc.sections:
        for f in section.fields:
            assert f.value.strip(), f"{section.title}: {f.label} is blank"
        for table in section.tables:
            for row in table.rows:
                assert all(cell.strip() for cell in row), row
    for text in texts(doc):
        assert "None" not in text, text


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "nol"),
        (11, "sebelas"),
        (19, "sembilan belas"),
        (21, "dua puluh satu"),
        (100, "seratus"),
        (115, "seratus lima belas"),
        (999, "sembilan ratus sembilan puluh sembilan"),
        (1000, "seribu"),
        (1001, "seribu satu"),
        (2026, "dua ribu dua puluh enam"),
        (123456, "seratus dua puluh tiga ribu empat ratus lima puluh enam"),
        (1_000_000, "satu juta"),
    ],
)
def test_terbilang(n: int, words: str) -> None:
    assert terbilang(n) == words


def test_pada_hari_ini_and_number() -> None:
    assert pada_hari_ini(dt.date(2026, 11, 30)) == (
        "Pada hari ini Senin tanggal tiga puluh bulan November tahun dua ribu dua puluh enam (30-11-2026)"
    )
    assert nomor("BA-JIP", ticket_seq("SPL-2026-00042"), dt.date(2027, 4, 2)) == (
        "555/00042/BA-JIP/DISKOMINFO/IV/2027"
    )
    with pytest.raises(DocumentInputError, match="SPL-YYYY-NNNNN"):
        ticket_seq("T-1")


def test_nip_checks() -> None:
    assert check_nip("19870315 201001 1 002", field="--x-nip") == "198703152010011002"
    assert nip_display("198703152010011002") == "19870315 201001 1 002"
    for bad, why in (
        ("19870315201001100", "18 digits"),
        ("19871315201001100" + "2", "birth date"),
        ("198703152010131002", "appointment month"),
        ("198703152010013002", "sex code"),
    ):
        with pytest.raises(DocumentInputError, match=why) as info:
            check_nip(bad, field="--pemohon-nip")
        assert "--pemohon-nip" in str(info.value)


def test_signed_berita_acara_holds_what_the_ticket_recorded() -> None:
    ticket = ticket_upto(9)
    doc = build_berita_acara(ticket, address="Jl. Mentok")
    assert_no_blanks(doc)
    words = "\n".join(texts(doc))
    assert doc.number == handover_json()["number"]
    # the signing date (step 9 ended 24 Nov 2026, a Tuesday, in WIB) in words
    assert doc.opening.startswith("Pada hari ini Selasa tanggal dua puluh empat bulan November")
    for expected in (
        "Dinas Kesehatan (Dinkes)",
        "Budi Santoso",
        "005/123/DINKES/2026",
        "SPL-2026-00001",
        "dist-gerunggang",
        "sw-dinkes",
        "10.20.0.0/25",
        "17,3 Mbit/s",
        "7,7 Mbit/s",
        "18,0 Mbit/s",
        "8,0 Mbit/s",
        "unduh 18 Mbit/s, unggah 8 Mbit/s",
        "Rahmat Hidayat, S.Kom.",
        "NIP. 19870315 201001 1 002",
        "Dr. Siti Aminah, M.Kes.",
        "NIP. 19750520 200003 2 001",
        "a" * 64,
    ):
        assert expected in words, expected
    assert [p.label for p in doc.parties] == ["PIHAK PERTAMA", "PIHAK KEDUA"]


def test_draft_berita_acara_needs_both_signers_and_is_dated() -> None:
    ticket = ticket_upto(8)
    with pytest.raises(IncompleteTicketError, match="no signer for the Tim Kerja") as info:
        build_berita_acara(ticket)
    assert "--tim-kerja-name" in str(info.value) and "SPL-2026-00001" in str(info.value)
    with pytest.raises(IncompleteTicketError, match="no signer for the Pemohon"):
        build_berita_acara(ticket, signers=SIGNERS[:1])
    doc = build_berita_acara(ticket, signers=SIGNERS, on=dt.date(2026, 12, 1))
    assert doc.number == "555/00001/BA-JIP/DISKOMINFO/XII/2026"
    assert doc.date == "1 Desember 2026" and doc.facts["signed"] == "no"
    assert "Draf" in doc.footer
    assert_no_blanks(doc)


@pytest.mark.parametrize(
    ("last", "outputs", "outcomes", "missing"),
    [
        (3, {}, {}, "no plan"),
        (6, {}, {}, "no successful installation"),
        (7, {}, {}, "no bandwidth test result"),
        (
            8,
            {8: {"bwtest": bw_json(down=10.0, verdict="fail", reason="download short")}},
            {8: "failed"},
            "did not pass",
        ),
        (7, {7: {"deploy": {"ticket_id": "SPL-2026-00001", "devices": []}}}, {}, "lists no device"),
    ],
)
def test_missing_record_names_what_is_missing(
    last: int, outputs: dict[int, Any], outcomes: dict[int, str], missing: str
) -> None:
    ticket = ticket_upto(last, outputs=outputs, outcomes=outcomes)
    with pytest.raises(IncompleteTicketError, match=missing) as info:
        build_berita_acara(ticket, signers=SIGNERS)
    assert ticket.id in str(info.value)


@pytest.mark.parametrize(
    ("step", "outputs", "field"),
    [
        (8, {}, "outputs.bwtest: Field required"),
        (8, {"bwtest": {"verdict": "pass"}}, "outputs.bwtest.ticket_id: Field required"),
        (7, {"deploy": {"devices": []}}, "outputs.deploy.ticket_id: Field required"),
    ],
)
def test_a_record_the_documents_could_not_read_is_refused_when_recorded(
    step: int, outputs: dict[str, Any], field: str
) -> None:
    with pytest.raises(OutputsError, match=rf"ticket SPL-2026-00001: step {step} .*: {field}"):
        ticket_upto(step, outputs={step: outputs})


def test_a_stored_record_that_does_not_fit_is_named_not_built_on() -> None:
    """A step 8 edited in the store (bypassing the workflow): the document refuses, naming the field."""
    ticket = ticket_upto(9)
    events = list(ticket.events)
    events[7] = events[7].model_copy(update={"outputs": {"bwtest": {"verdict": "pass"}}})
    with pytest.raises(
        MalformedTicketError, match=r"ticket SPL-2026-00001: event 8 .*outputs.bwtest.ticket_id"
    ):
        build_berita_acara(ticket.model_copy(update={"events": tuple(events)}), signers=SIGNERS)


def test_installation_report_timeline_changes_and_attachments() -> None:
    ticket = ticket_upto(9)
    photo = Attachment("Foto dokumentasi 1", "reports/SPL-2026-00001/dokumentasi/foto-1.png", "c" * 64)
    doc = build_installation_report(ticket, attachments=(photo,))
    assert_no_blanks(doc)
    assert doc.number == "555/00001/LP-JIP/DISKOMINFO/XI/2026"
    titles = [s.title for s in doc.sections]
    timeline = doc.sections[titles.index("Waktu Pelaksanaan terhadap Standar SOP")]
    table = timeline.tables[0]
    assert [row[0] for row in table.rows] == [str(n) for n in range(1, 10)]
    assert not any(table.marks) and "Seluruh langkah selesai dalam standar" in timeline.paragraphs[0]
    assert timeline.charts and timeline.charts[0].svg.startswith("<svg")
    docs = doc.sections[titles.index("Dokumentasi")].tables[0]
    hashes = [row[2] for row in docs.rows]
    assert "a" * 64 in hashes and "c" * 64 in hashes
    assert any(h.startswith("8ee3c7ec15ab") for h in hashes)


def test_installation_report_marks_breaches() -> None:
    # step 7 takes 75 minutes against a 60-minute standard
    slow = ticket_upto(9, times={7: (1500, 75), 8: (1580, 8), 9: (1590, 4)})
    doc = build_installation_report(slow)
    timeline = next(s for s in doc.sections if s.title.startswith("Waktu"))
    table = timeline.tables[0]
    marked = [row[0] for row, mark in zip(table.rows, table.marks, strict=True) if mark]
    assert marked == ["7"]
    assert "Langkah yang melebihi standar: 7." in timeline.paragraphs[0]
    assert "1 jam 15 menit" in [row[4] for row in table.rows]


def test_installation_report_needs_the_signed_handover() -> None:
    with pytest.raises(IncompleteTicketError, match="no signed berita acara") as info:
        build_installation_report(ticket_upto(8))
    assert "ticket sign SPL-2026-00001" in str(info.value)


def test_charts_are_well_formed_and_escape_labels() -> None:
    svg = bar_chart(["<b>&", "x"], [Series("a<", (1.0, 47.8)), Series("b", (2.0, 0.0))], unit="Mbit/s")
    root = ET.fromstring(svg)
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "<b>&" in labels and "47,8" in labels and "a<" in labels
    svg = hbar_chart(
        ["1. a", "2. b"], [3.0, 20.0], limits=[5.0, 15.0], unit="menit", value_name="v", limit_name="s"
    )
    rects = ET.fromstring(svg).findall("{http://www.w3.org/2000/svg}rect")
    fills = [r.get("fill") for r in rects]
    assert "#c55a11" in fills  # 20 > 15: drawn as over the standard


def test_installation_report_names_the_dhcp_scope_set_on_the_central_server() -> None:
    ticket = ticket_upto(9)
    events = list(ticket.events)
    at = next(i for i, e in enumerate(events) if e.step == 7)
    scope = {
        "server": "srv-dhcp", "subnet": "10.20.0.0/25", "commands": ["subnet4 add id=169082880 ..."],
        "backup_sha256": "d" * 64, "state": "confirmed",
    }  # fmt: skip
    outputs = {**events[at].outputs, "deploy": {**events[at].outputs["deploy"], "dhcp": scope}}
    events[at] = events[at].model_copy(update={"outputs": outputs})
    doc = build_installation_report(ticket.model_copy(update={"events": tuple(events)}))
    text = " ".join(p for s in doc.sections for p in s.paragraphs)
    assert "Cakupan DHCP 10.20.0.0/25 untuk LAN OPD ditambahkan pada server DHCP pusat (srv-dhcp)" in text
    assert "d" * 64 in text
    assert "Cakupan DHCP" not in " ".join(
        p for s in build_installation_report(ticket).sections for p in s.paragraphs
    )
