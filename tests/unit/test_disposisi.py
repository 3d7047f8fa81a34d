"""The Lembar Disposisi (SOP step 3): content, hashes on the ticket, the same bytes for the same
decision, hostile text shown as text; through the real store, WeasyPrint and the console script."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from test_documents import assert_no_blanks
from ticket_data import cli_env, request

from sipelangi_net.documents import disposisi
from sipelangi_net.documents.service import record_decision, write_disposisi
from sipelangi_net.errors import DocumentInputError, IncompleteTicketError, RequestError, WorkflowError
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.officials import Officials
from sipelangi_net.tickets.outputs import Decided, outputs_of
from sipelangi_net.tickets.sqlite import SqliteStore, utcnow

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
XHTML = "{http://www.w3.org/1999/xhtml}"
KADIS = "Drs. H. Akhmad Subandi, M.Si."
NIP = "197001011995031001"
HOSTILE = 'Dinas <script>alert("x")</script> & KB </td><b>'
NOTE = "Anggaran belum tersedia; ajukan kembali <b>Januari</b> & lampirkan denah"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    st = SqliteStore(tmp_path / "tickets.db", webhook_url="", officials=Officials())
    yield st
    st.close()


def pdf_text(path: Path) -> str:
    return " ".join("\n".join(p.extract_text() or "" for p in PdfReader(path).pages).split())


def html_text(path: Path) -> str:
    root = ET.fromstring(path.read_text(encoding="utf-8"))  # well-formed XHTML
    return " ".join(ET.tostring(root, encoding="unicode", method="text").split())


def decide(store: SqliteStore, tid: str, outcome: str, out: Path, **kw: Any) -> Any:
    return record_decision(
        store, tid, outcome=outcome, note=kw.pop("note", ""), actor=KADIS, now=utcnow(), out=out, **kw
    )


# --- content -----------------------------------------------------------------
def test_a_deferral_sheet_holds_the_request_the_decision_and_who_decided(store: SqliteStore) -> None:
    ticket = store.create(request(), helpdesk="Helpdesk Rina")
    at = dt.datetime(2026, 11, 24, 2, 15, tzinfo=dt.UTC)  # 09.15 WIB
    decision = disposisi.Decision("defer", NOTE, KADIS, at, nip=NIP, kedudukan="Plt.")
    doc = disposisi.build_disposisi(ticket, decision)
    assert_no_blanks(doc)
    assert (doc.kind, doc.title, doc.number) == (
        "lembar-disposisi",
        "LEMBAR DISPOSISI",
        "555/00001/LD-JIP/DISKOMINFO/XI/2026",
    )
    fields = {f.label: f.value for s in doc.sections for f in s.fields}
    assert fields["Surat dari"] == "Dinas Kesehatan (Dinkes)"
    assert fields["Nomor surat"] == "005/123/DINKES/2026"
    assert fields["Tanggal surat"] == "20 November 2026"
    assert fields["Perihal"].startswith("Permohonan akses Jaringan Intra Pemerintah untuk 40 pengguna")
    assert fields["Nomor agenda"] == f"{ticket.id} (SiPelangi)"
    assert fields["Diteruskan oleh"].startswith("Helpdesk Rina (Helpdesk), ")
    assert fields["Keputusan"].startswith("TUNDA")
    assert fields["Pertimbangan"] == NOTE
    assert fields["Diteruskan kepada"] == "Tim Kerja Jaringan Intra Pemerintah, melalui Helpdesk Diskominfo"
    assert (fields["Nama"], fields["NIP"]) == (KADIS, "19700101 199503 1 001")
    assert fields["Jabatan"] == "Plt. Kepala Dinas Komunikasi dan Informatika"
    assert fields["Waktu keputusan"] == "24 November 2026 09.15 WIB"
    assert doc.date == "24 November 2026"
    [party] = doc.parties
    assert (party.label, party.name, party.nip) == (
        "Plt. Kepala Dinas Komunikasi dan Informatika",
        KADIS,
        "NIP. 19700101 199503 1 001",
    )
    assert ticket.id in doc.footer and "keputusan ke-1" in doc.footer


def test_an_approval_without_nip_or_note_says_so_and_a_later_decision_has_its_own_number(
    store: SqliteStore,
) -> None:
    ticket = store.create(request(), helpdesk="Rina")
    at = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)
    doc = disposisi.build_disposisi(ticket, disposisi.Decision("approve", "", KADIS, at, ordinal=2))
    assert_no_blanks(doc)
    fields = {f.label: f.value for s in doc.sections for f in s.fields}
    assert fields["Keputusan"].startswith("SETUJUI")
    assert (fields["Pertimbangan"], fields["NIP"]) == ("Tidak ada catatan.", "\u2013")
    assert fields["Jabatan"] == "Kepala Dinas Komunikasi dan Informatika"
    assert doc.number == "555/00001-2/LD-JIP/DISKOMINFO/XII/2026"
    assert doc.slug == f"lembar-disposisi-{ticket.id}-2"
    assert doc.parties[0].nip == ""


# --- recorded on the ticket ------------------------------------------------------
def test_defer_then_approve_records_each_sheet_with_its_hashes(store: SqliteStore, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    tid = store.create(request(opd=HOSTILE), helpdesk="Rina").id
    ticket, first = decide(store, tid, "defer", out, note=NOTE, nip="19700101 199503 1 001", kedudukan="Plh.")
    assert ticket.status == "deferred"
    ticket, second = decide(store, tid, "approve", out)
    assert ticket.status == "approved"
    for files, event in zip((first, second), ticket.events[2:], strict=True):
        record = outputs_of(ticket, event, Decided).disposisi
        assert record is not None and record.number == files.number
        for written, kept in ((files.html, record.html), (files.pdf, record.pdf)):
            assert kept.sha256 == written.sha256 == hashlib.sha256(written.path.read_bytes()).hexdigest()
            assert kept.path == str(written.path)
            assert written.path.stat().st_mode & 0o777 == 0o600
    assert first.html.path.name == f"lembar-disposisi-{tid}.html"
    assert second.pdf.path.name == f"lembar-disposisi-{tid}-2.pdf"
    deferred = outputs_of(ticket, ticket.events[2], Decided).disposisi
    assert deferred is not None and (deferred.nip, deferred.kedudukan) == (NIP, "Plh.")
    text = pdf_text(first.pdf.path)
    for part in ("LEMBAR DISPOSISI", first.number, "TUNDA", "Anggaran belum tersedia", KADIS, tid):
        assert part in text, part
    assert "Plh. Kepala Dinas Komunikasi dan Informatika" in text
    assert "SETUJUI" in pdf_text(second.pdf.path)


def test_the_same_decision_gives_the_same_bytes(store: SqliteStore, tmp_path: Path) -> None:
    tid = store.create(request(), helpdesk="Rina").id
    ticket, files = decide(store, tid, "approve", tmp_path / "a", note="Segera", nip=NIP)
    again = write_disposisi(ticket, out=tmp_path / "b")
    assert again.recorded and again.matches
    assert (again.files.html.sha256, again.files.pdf.sha256) == (files.html.sha256, files.pdf.sha256)
    assert again.files.pdf.path.read_bytes() == files.pdf.path.read_bytes()
    stamp = files.pdf.path.stat().st_mtime_ns
    kept = write_disposisi(ticket, out=tmp_path / "a")  # still there, as recorded: left as it is
    assert kept.matches and kept.files.pdf.path.stat().st_mtime_ns == stamp
    files.html.path.write_text("changed", encoding="utf-8")  # not as recorded: written again
    assert write_disposisi(ticket, out=tmp_path / "a").matches
    assert hashlib.sha256(files.html.path.read_bytes()).hexdigest() == files.html.sha256
    reread = SqliteStore(store.path, webhook_url="", officials=Officials())
    try:  # read back from SQLite: the same sheet
        assert write_disposisi(reread.get(tid), out=tmp_path / "c").matches
    finally:
        reread.close()


def test_hostile_request_and_note_are_text_in_the_html_and_the_pdf(
    store: SqliteStore, tmp_path: Path
) -> None:
    tid = store.create(request(opd=HOSTILE), helpdesk="Rina <i>x</i>").id
    _, files = decide(store, tid, "defer", tmp_path, note=NOTE)
    raw = files.html.path.read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;" in raw and "<b>Januari</b>" not in raw
    text = html_text(files.html.path)
    assert HOSTILE in text and NOTE in text and "Rina <i>x</i> (Helpdesk)" in text
    assert 'alert("x")' in pdf_text(files.pdf.path)


def test_an_old_step_3_without_a_sheet_still_validates_and_can_be_written(
    store: SqliteStore, tmp_path: Path
) -> None:
    tid = store.create(request(), helpdesk="Rina").id
    ticket = store.apply(tid, Move(step=3, actor="Kadis", outcome="approve"))  # as before the sheet
    assert outputs_of(ticket, ticket.events[-1], Decided).disposisi is None
    again = write_disposisi(ticket, out=tmp_path)
    assert (again.recorded, again.matches) == (False, False)
    assert again.files.pdf.path.is_file()


def test_a_refused_decision_writes_and_records_nothing(store: SqliteStore, tmp_path: Path) -> None:
    tid = store.create(request(), helpdesk="Rina").id
    out = tmp_path / "r"
    with pytest.raises(WorkflowError, match="note"):
        decide(store, tid, "defer", out)  # a deferral needs the consideration
    with pytest.raises(DocumentInputError, match="--nip"):
        decide(store, tid, "approve", out, nip="123")
    with pytest.raises(RequestError, match="--note"):
        decide(store, tid, "approve", out, note="baris\nBcc: x@y")
    decide(store, tid, "approve", out)
    before = sorted(p.name for p in (out / tid).iterdir())
    with pytest.raises(WorkflowError, match="already approved"):
        decide(store, tid, "approve", out)
    assert sorted(p.name for p in (out / tid).iterdir()) == before
    assert len(store.get(tid).events) == 3
    with pytest.raises(IncompleteTicketError, match="not decided yet"):
        write_disposisi(store.create(request(), helpdesk="Rina"), out=out)


def test_a_store_that_refuses_the_step_leaves_no_sheet_behind(store: SqliteStore, tmp_path: Path) -> None:
    tid = store.create(request(), helpdesk="Rina").id

    class Refusing:
        def get(self, ticket_id: str) -> Ticket:
            return store.get(ticket_id)

        def apply(self, ticket_id: str, move: Move) -> Ticket:
            raise WorkflowError(f"ticket {ticket_id}: moved on meanwhile")

    with pytest.raises(WorkflowError, match="meanwhile"):
        record_decision(
            Refusing(),  # type: ignore[arg-type]
            tid,
            outcome="approve",
            note="",
            actor=KADIS,
            now=utcnow(),
            out=tmp_path,
        )
    assert list((tmp_path / tid).iterdir()) == []


# --- the console script ---------------------------------------------------------
def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_ticket_defer_and_document_disposisi_through_the_console_script(tmp_path: Path) -> None:
    env = cli_env() | {
        "SIPELANGI_DB": str(tmp_path / "t.db"),
        "SIPELANGI_REPORTS": str(tmp_path / "reports"),
        "SIPELANGI_OFFICIALS": str(tmp_path / "none.yaml"),
        "HOME": str(tmp_path),
    }
    st = SqliteStore(tmp_path / "t.db", officials=Officials())
    try:
        tid = st.create(request(), helpdesk="Rina").id
    finally:
        st.close()
    bad = run(env, "ticket", "defer", tid, "--note", "x", "--actor", KADIS, "--kedudukan", "wakil")
    assert bad.returncode == 2 and "--kedudukan" in bad.stderr
    proc = run(
        env, "ticket", "defer", tid, "--note", NOTE, "--actor", KADIS, "--nip", NIP, "--kedudukan", "plt"
    )
    assert proc.returncode == 0, proc.stderr
    assert "Lembar Disposisi 555/00001/LD-JIP/DISKOMINFO/" in proc.stdout
    shown = json.loads(run(env, "ticket", "show", tid, "--json").stdout)
    record = shown["events"][-1]["outputs"]["disposisi"]
    assert (record["nip"], record["kedudukan"]) == (NIP, "Plt.")
    pdf = Path(record["pdf"]["path"])
    assert pdf.parent == tmp_path / "reports" / tid
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == record["pdf"]["sha256"]

    pdf.unlink()  # lost: written again from the record, the same bytes
    again = run(env, "document", "disposisi", tid, "--json")
    assert again.returncode == 0, again.stderr
    answer = json.loads(again.stdout)
    assert (answer["recorded"], answer["matches"]) == (True, True)
    assert answer["pdf"]["sha256"] == record["pdf"]["sha256"] and pdf.is_file()
