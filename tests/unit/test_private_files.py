"""Documents with names and NIP, scans, reports, configs: 0600 files in 0700 folders, whatever the umask."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_documents_data import ticket_upto

from sipelangi_net.compliance.models import ComplianceReport, DeviceCompliance, FeatureResult
from sipelangi_net.compliance.report import write_html, write_json
from sipelangi_net.documents.berita_acara import build_berita_acara
from sipelangi_net.documents.files import keep_photos, keep_scan
from sipelangi_net.documents.writer import write_document
from sipelangi_net.private import private_dir, write_private

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    """The usual desktop umask, under which plain writes would be 0644 and folders 0755."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_private_dir_makes_new_folders_and_the_leaf_0700(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir(mode=0o755)
    leaf = private_dir(tmp_path / "old" / "a" / "b")
    assert mode(tmp_path / "old") == 0o755, "a parent that existed is left alone"
    assert mode(tmp_path / "old" / "a") == 0o700 and mode(leaf) == 0o700
    (tmp_path / "open").mkdir(mode=0o755)
    assert mode(private_dir(tmp_path / "open")) == 0o700, "an existing leaf is tightened"


def test_write_private_is_0600_atomic_and_survives_a_stale_temporary(tmp_path: Path) -> None:
    target = tmp_path / "ba.html"
    stale = tmp_path / ".ba.html.tmp"
    stale.write_text("old")
    stale.chmod(0o666)
    write_private(target, "Nama: Budi, NIP 198001012005011001")
    assert mode(target) == 0o600 and target.read_text() == "Nama: Budi, NIP 198001012005011001"
    assert not stale.exists()
    target.chmod(0o644)
    write_private(target, b"again")
    assert mode(target) == 0o600 and target.read_bytes() == b"again"


def test_documents_are_0600_in_0700_folders(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    files = write_document(build_berita_acara(ticket_upto(9), address="Jl. Mentok"), out=reports)
    for written in (files.html, files.pdf):
        assert mode(written.path) == 0o600
        assert mode(written.path.parent) == 0o700
    assert mode(reports) == 0o700


def test_scans_and_photos_are_0600_in_0700_folders(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir(mode=0o755)
    scan = tmp_path / "scan.png"
    scan.write_bytes(PNG)
    kept, _ = keep_scan(scan, reports, "SPL-2026-00001")
    [photo] = keep_photos((scan,), reports, "SPL-2026-00001")
    for path in (kept, Path(photo.path)):
        assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert mode(reports / "SPL-2026-00001") == 0o700


def test_compliance_reports_are_0600_in_0700_folders(tmp_path: Path) -> None:
    t0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    device = DeviceCompliance("r1", "frr", "drift", features=(FeatureResult("x", False, extra=("a",)),))
    report = ComplianceReport(started_at=t0, finished_at=t0, devices=(device,))
    folder = tmp_path / "compliance" / "2026-12-01"
    for path in (write_json(report, folder), write_html(report, folder)):
        assert mode(path) == 0o600
    assert mode(folder) == 0o700 and mode(folder.parent) == 0o700
