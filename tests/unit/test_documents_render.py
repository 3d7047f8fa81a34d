"""Documents written as HTML and PDF: the HTML is well-formed, the PDF's text holds the key fields."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_documents_data import PEMOHON, T0, TIM, bw_json, ticket_upto

from sipelangi_net.documents.berita_acara import build_berita_acara
from sipelangi_net.documents.compliance import ComplianceRun, latest_compliance
from sipelangi_net.documents.installation import build_installation_report
from sipelangi_net.documents.intranet import build_intranet_report, period
from sipelangi_net.documents.records import Signer
from sipelangi_net.documents.writer import DocumentFiles, render_html, write_document
from sipelangi_net.errors import DocumentInputError

XHTML = "{http://www.w3.org/1999/xhtml}"
AUTHOR = Signer.model_validate(TIM)
RUN = {
    "started_at": "2026-11-27T02:00:00+00:00",
    "finished_at": "2026-11-27T02:01:10+00:00",
    "summary": {"compliant": 2, "drift": 1, "unreachable": 1, "error": 0},
    "devices": [
        {
            "device": "core-diskominfo",
            "site": None,
            "platform": "frr",
            "status": "compliant",
            "backup": "x.cfg",
        },
        {
            "device": "dist-gerunggang",
            "site": "dinkes",
            "platform": "frr",
            "status": "compliant",
            "features": [],
        },
        {"device": "sw-dinkes", "site": "dinkes", "platform": "ovs", "status": "drift", "features": ["vlan"]},
        {
            "device": "sw-bappeda",
            "site": "bappeda",
            "platform": "ovs",
            "status": "unreachable",
            "error": "timeout",
        },
    ],
}


def pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return " ".join(text.split())


def month_tickets() -> list:  # type: ignore[type-arg]
    done = ticket_upto(9)
    deferred = ticket_upto(
        3,
        ticket_id="SPL-2026-00002",
        t0=T0 + dt.timedelta(days=2),
        outcomes={3: "defer"},
        site="bappeda",
        opd="Badan Perencanaan Pembangunan Daerah (Bappeda)",
    )
    failed = ticket_upto(
        8,
        ticket_id="SPL-2026-00003",
        t0=T0 + dt.timedelta(days=3),
        outputs={8: {"bwtest": bw_json("SPL-2026-00003", down=10.0, verdict="fail", reason="short")}},
        outcomes={8: "failed"},
    )
    october = ticket_upto(3, ticket_id="SPL-2026-00004", t0=T0 - dt.timedelta(days=40))
    return [october, done, deferred, failed]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DocumentFiles]:
    out = tmp_path_factory.mktemp("reports")
    signed = ticket_upto(9, opd="Dinas <Kesehatan> & Keluarga Berencana")
    return {
        "ba": write_document(build_berita_acara(signed, address="Jl. Mentok"), out=out),
        "lp": write_document(build_installation_report(ticket_upto(9)), out=out),
        "li": write_document(
            build_intranet_report(
                month_tickets(),
                year=2026,
                month=11,
                prepared_by=AUTHOR,
                compliance=ComplianceRun.model_validate(RUN),
                compliance_source="reports/compliance/2026-11-27/compliance.json",
            ),
            out=out,
        ),
    }


@pytest.mark.parametrize("key", ["ba", "lp", "li"])
def test_files_hashes_and_wellformed_html(written: dict[str, DocumentFiles], key: str) -> None:
    files = written[key]
    for f in (files.html, files.pdf):
        assert f.path.is_file() and hashlib.sha256(f.path.read_bytes()).hexdigest() == f.sha256
    assert files.pdf.path.read_bytes().startswith(b"%PDF-")
    root = ET.fromstring(files.html.path.read_text(encoding="utf-8"))  # well-formed XML (XHTML)
    assert root.tag == f"{XHTML}html" and root.get("lang") == "id"
    body = ET.tostring(root, encoding="unicode", method="text")
    assert "None" not in body
    assert root.find(f".//{XHTML}div[@class='kop']") is not None
    assert "PEMERINTAH KOTA PANGKALPINANG" in body and "DINAS KOMUNIKASI DAN INFORMATIKA" in body
    assert f"Nomor: {files.number}" in body


def test_berita_acara_pdf_text(written: dict[str, DocumentFiles]) -> None:
    text = pdf_text(written["ba"].pdf.path)
    meta = PdfReader(written["ba"].pdf.path).metadata
    assert meta is not None and meta.title is not None and written["ba"].number in meta.title
    assert meta.author == "Dinas Komunikasi dan Informatika Kota Pangkalpinang"
    for expected in (
        "PEMERINTAH KOTA PANGKALPINANG",
        "BERITA ACARA SERAH TERIMA DAN PENGGUNAAN LAYANAN",
        "Nomor: 555/00001/BA-JIP/DISKOMINFO/XI/2026",
        "Pada hari ini Selasa tanggal dua puluh empat bulan November tahun dua ribu dua puluh enam",
        "Dinas <Kesehatan> & Keluarga Berencana",
        "Budi Santoso",
        "10.20.0.0/25",
        "17,3 Mbit/s",
        "PIHAK PERTAMA",
        "PIHAK KEDUA",
        TIM["name"],
        "NIP. 19870315 201001 1 002",
        PEMOHON["name"],
        "NIP. 19750520 200003 2 001",
    ):
        assert expected in text, expected


def test_html_escapes_request_text(written: dict[str, DocumentFiles]) -> None:
    html = written["ba"].html.path.read_text(encoding="utf-8")
    assert "Dinas &lt;Kesehatan&gt; &amp; Keluarga Berencana" in html
    assert "<Kesehatan>" not in html


def test_installation_report_pdf_text(written: dict[str, DocumentFiles]) -> None:
    text = pdf_text(written["lp"].pdf.path)
    for expected in (
        "LAPORAN PELAKSANAAN PEMASANGAN JARINGAN",
        "Nomor: 555/00001/LP-JIP/DISKOMINFO/XI/2026",
        "Waktu Pelaksanaan terhadap Standar SOP",
        "Melakukan instalasi jaringan di lokasi pemohon",
        "55 menit 00 detik",
        "Grafik hasil uji terhadap target",
        "Berita Acara Nomor 555/00001/BA-JIP/DISKOMINFO/XI/2026",
        "Pelapor,",
    ):
        assert expected in text, expected


def test_intranet_report_pdf_text(written: dict[str, DocumentFiles]) -> None:
    text = pdf_text(written["li"].pdf.path)
    for expected in (
        "LAPORAN JARINGAN INTRA PEMERINTAH",
        "PERIODE NOVEMBER 2026",
        "Nomor: 555/202611/LJIP/DISKOMINFO/XI/2026",
        "Diterima : 3 tiket",
        "Disetujui : 2 tiket",
        "Ditunda : 1 tiket",
        "SPL-2026-00003",
        "gagal pada uji kualitas",
        "Badan Perencanaan Pembangunan Daerah (Bappeda)",
        "Jaringan inti (tanpa lokasi OPD) 1 0 0 0 sesuai",
        "perlu tindak lanjut",
        "2 uji, 1 lulus",
    ):
        assert expected in text, expected
    assert "SPL-2026-00004" not in text  # October's ticket is outside the period


def test_intranet_report_without_compliance_says_so_in_one_line() -> None:
    doc = build_intranet_report(month_tickets(), year=2026, month=11, prepared_by=AUTHOR)
    section = next(s for s in doc.sections if s.title.startswith("Status Kepatuhan"))
    assert section.paragraphs == ("Belum ada hasil pemeriksaan kepatuhan konfigurasi untuk periode ini.",)
    assert not section.tables
    html = render_html(doc)
    ET.fromstring(html)


def test_intranet_report_of_an_empty_month() -> None:
    doc = build_intranet_report(month_tickets(), year=2026, month=6, prepared_by=AUTHOR)
    assert doc.facts["received"] == "0"
    joined = " ".join(p for s in doc.sections for p in s.paragraphs)
    assert "Tidak ada tiket" in joined and "Tidak ada uji bandwidth" in joined
    ET.fromstring(render_html(doc))


def test_period_is_the_month_in_wib() -> None:
    start, end = period(2026, 12)
    assert start.isoformat() == "2026-12-01T00:00:00+07:00" and end.isoformat() == "2027-01-01T00:00:00+07:00"
    with pytest.raises(DocumentInputError, match="2026-13"):
        period(2026, 13)


def test_latest_compliance_before_the_period_end(tmp_path: Path) -> None:
    assert latest_compliance(tmp_path, before=dt.date(2026, 12, 1)) is None
    for day in ("2026-11-02", "2026-11-27", "2026-12-03"):
        folder = tmp_path / "compliance" / day
        folder.mkdir(parents=True)
        (folder / "compliance.json").write_text(json.dumps(RUN | {"started_at": f"{day}T01:00:00+00:00"}))
    (tmp_path / "compliance" / "notes").mkdir()
    found = latest_compliance(tmp_path, before=dt.date(2026, 12, 1))
    assert found is not None and found[0].parent.name == "2026-11-27"
    (tmp_path / "compliance" / "2026-11-27" / "compliance.json").write_text('{"devices": "x"}')
    with pytest.raises(
        DocumentInputError, match=r"2026-11-27/compliance\.json: not a readable compliance result"
    ):
        latest_compliance(tmp_path, before=dt.date(2026, 12, 1))


def test_bandwidth_trend_turns_weekly_past_twelve_tests() -> None:
    tickets = []
    for i in range(14):  # one test a day from Monday 2 November: the weeks of 2 and 9 November
        tid = f"SPL-2026-{i + 10:05d}"
        when = dt.datetime(2026, 11, 2, 2, tzinfo=dt.UTC) + dt.timedelta(days=i)
        bw = bw_json(tid, down=47.0 + 0.2 * i, target_down_mbps=50.0, started_at=when.isoformat())
        tickets.append(
            ticket_upto(8, ticket_id=tid, t0=T0 + dt.timedelta(hours=i), outputs={8: {"bwtest": bw}})
        )
    doc = build_intranet_report(tickets, year=2026, month=11, prepared_by=AUTHOR)
    section = next(s for s in doc.sections if s.title.startswith("Hasil Uji Bandwidth"))
    assert section.charts[0].title.endswith("median per minggu (tanggal Senin)")
    root = ET.fromstring(section.charts[0].svg)
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "mg. 02/11" in labels and "mg. 09/11" in labels
    # weekly medians of the download share: days 0..6 -> 94 + 0.4 * 3 = 95.2; days 7..13 -> 97.999.. = 98
    assert "95,2" in labels and "98" in labels
    assert len(section.tables[0].rows) == 14
    assert "14 uji, 14 lulus" in section.paragraphs[0]
