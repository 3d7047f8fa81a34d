"""`ticket sign` and `document ...` end to end: the real console script and a real SQLite file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from test_documents_data import PEMOHON, TIM, outputs_for
from ticket_data import cli_env, request

from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.sqlite import SqliteStore

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
SIGN = [
    "--tim-kerja-name", TIM["name"], "--tim-kerja-nip", TIM["nip"],
    "--pemohon-name", PEMOHON["name"], "--pemohon-nip", PEMOHON["nip"],
]  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = cli_env()
    e.update(
        SIPELANGI_DB=str(tmp_path / "tickets.db"),
        SIPELANGI_REPORTS=str(tmp_path / "reports"),
        SIPELANGI_ACTOR="tester",
        HOME=str(tmp_path),
    )
    return e


def seed(
    env: dict[str, str],
    last: int,
    outputs: dict[int, dict[str, Any]] | None = None,
    outcomes: dict[int, str] | None = None,
) -> str:
    """A ticket in the store with steps 3..``last`` recorded (real workflow, real outputs)."""
    store = SqliteStore(Path(env["SIPELANGI_DB"]))
    try:
        ticket = store.create(request(), helpdesk="Helpdesk")
        for step in range(3, last + 1):
            outcome = (outcomes or {}).get(step, "approve" if step == 3 else "done")
            out = (outputs or {}).get(step, outputs_for(step, ticket.id, outcome))
            note = "" if outcome in ("approve", "done") else "alasan"
            move = Move(step=step, actor="Rahmat", outcome=outcome, note=note, outputs=out)  # type: ignore[arg-type]
            store.apply(ticket.id, move)
        return ticket.id
    finally:
        store.close()


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def ok(env: dict[str, str], *args: str) -> Any:
    proc = run(env, *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def sha(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_sign_then_report_records_steps_9_and_10(env: dict[str, str], tmp_path: Path) -> None:
    tid = seed(env, 8)
    draft = ok(env, "document", "berita-acara", tid, *SIGN)
    assert sha(draft["pdf"]["path"]) == draft["pdf"]["sha256"]
    assert Path(draft["pdf"]["path"]).parent == tmp_path / "reports" / tid
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(Path(draft["pdf"]["path"]).read_bytes())  # stands in for the signed, scanned paper
    signed = ok(env, "ticket", "sign", tid, *SIGN, "--scan", str(scan))
    assert signed["status"] == "handed_over"
    handover = signed["handover"]
    assert handover["number"] == draft["number"]
    assert handover["scan_sha256"] == sha(scan) == sha(handover["scan"])
    assert Path(handover["scan"]).parent == tmp_path / "reports" / tid
    assert {(s["role"], s["name"], s["nip"]) for s in handover["signers"]} == {
        ("tim_kerja", TIM["name"], TIM["nip"]),
        ("pemohon", PEMOHON["name"], PEMOHON["nip"]),
    }
    final_text = " ".join(p.extract_text() for p in PdfReader(signed["document"]["pdf"]["path"]).pages)
    assert handover["scan_sha256"] in " ".join(final_text.split()).replace(" ", "")

    photo = tmp_path / "rak.png"
    photo.write_bytes(PNG)
    report = ok(env, "document", "laporan-pemasangan", tid, "--photo", str(photo))
    assert report["status"] == "reported"
    shown = ok(env, "ticket", "show", tid)
    step10 = shown["events"][-1]
    assert step10["step"] == 10
    recorded = step10["outputs"]["report"]
    assert recorded["pdf"]["sha256"] == sha(recorded["pdf"]["path"]) == report["pdf"]["sha256"]
    assert recorded["html"]["sha256"] == sha(recorded["html"]["path"])
    assert [a["sha256"] for a in recorded["attachments"]] == [sha(photo)]


def test_sign_refuses_bad_input_with_clear_errors(env: dict[str, str], tmp_path: Path) -> None:
    tid = seed(env, 8)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.7\n" + b"x" * 100)
    bad_nip = [*SIGN[:-1], "12345"]
    proc = run(env, "ticket", "sign", tid, *bad_nip, "--scan", str(scan))
    assert proc.returncode == 2 and "--pemohon-nip" in proc.stderr and "18 digits" in proc.stderr
    hostile = [*SIGN[:5], "Siti\nAminah", *SIGN[6:]]
    proc = run(env, "ticket", "sign", tid, *hostile, "--scan", str(scan))
    assert proc.returncode == 2 and "--pemohon-name" in proc.stderr and "forbidden character" in proc.stderr
    text = tmp_path / "scan.txt"
    text.write_text("not a scan")
    proc = run(env, "ticket", "sign", tid, *SIGN, "--scan", str(text))
    assert proc.returncode == 2 and "--scan" in proc.stderr and "PDF / JPG / PNG" in proc.stderr
    proc = run(env, "ticket", "sign", tid, *SIGN, "--scan", str(tmp_path / "missing.pdf"))
    assert proc.returncode == 2 and "cannot read it" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert ok(env, "ticket", "show", tid)["status"] == "tested"  # nothing recorded
    assert not list((tmp_path / "reports").glob(f"{tid}/*-ttd-*"))


def test_sign_before_a_passed_test_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    scan = tmp_path / "scan.png"
    scan.write_bytes(PNG)
    untested = seed(env, 7)
    proc = run(env, "ticket", "sign", untested, *SIGN, "--scan", str(scan))
    assert proc.returncode == 6, proc.stderr
    assert f"ticket {untested}: no bandwidth test result (step 8" in proc.stderr
    failed = seed(env, 8, outcomes={8: "failed"})
    proc = run(env, "ticket", "sign", failed, *SIGN, "--scan", str(scan))
    assert proc.returncode == 6 and "did not pass" in proc.stderr
    assert not list((tmp_path / "reports").rglob("*-ttd-*"))


def test_documents_name_what_is_missing(env: dict[str, str]) -> None:
    tid = seed(env, 8)
    proc = run(env, "document", "berita-acara", tid)
    assert proc.returncode == 6 and "no signer for the Tim Kerja" in proc.stderr
    proc = run(env, "document", "berita-acara", tid, "--tim-kerja-name", "Rahmat Hidayat")
    assert proc.returncode == 2 and "--tim-kerja-nip is missing" in proc.stderr
    proc = run(env, "document", "laporan-pemasangan", tid)
    assert proc.returncode == 6 and "no signed berita acara (step 9)" in proc.stderr
    fresh = seed(env, 3)
    proc = run(env, "document", "berita-acara", fresh, *SIGN)
    assert proc.returncode == 6 and "no plan" in proc.stderr
    proc = run(env, "document", "berita-acara", "SPL-2026-99999", *SIGN)
    assert proc.returncode == 6
    assert "Traceback" not in proc.stderr


def test_intranet_report_of_this_month(env: dict[str, str], tmp_path: Path) -> None:
    seed(env, 8)
    seed(env, 3)
    month = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).strftime("%Y-%m")
    proc = run(env, "document", "laporan-intra", "--month", month)
    assert proc.returncode == 2 and "--tim-kerja-name" in proc.stderr
    proc = run(env, "document", "laporan-intra", "--month", "2026-13", *SIGN[:4])
    assert proc.returncode == 2 and "--month" in proc.stderr
    files = ok(env, "document", "laporan-intra", "--month", month, *SIGN[:4])
    assert Path(files["pdf"]["path"]).parent == tmp_path / "reports" / "intra" / month
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(files["pdf"]["path"]).pages).split())
    assert "Diterima : 2 tiket" in text and "Disetujui : 2 tiket" in text
    assert "Belum ada hasil pemeriksaan kepatuhan konfigurasi untuk periode ini." in text
    assert "Dinas Kesehatan (Dinkes)" in text
