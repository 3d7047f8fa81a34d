"""Compliance edges: fault tickets, git backups, the run lock, reports, schedule files, exit codes."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sipelangi_net.compliance.backup import backup_configs
from sipelangi_net.compliance.faults import list_faults, sync_faults
from sipelangi_net.compliance.lock import RunLocked, run_lock
from sipelangi_net.compliance.models import ComplianceReport, DeviceCompliance, FeatureResult
from sipelangi_net.compliance.report import summary_text, write_html, write_json
from sipelangi_net.platforms import Platform
from sipelangi_net.tickets.sqlite import SqliteStore

T0 = dt.datetime(2026, 11, 28, 19, 0, tzinfo=dt.UTC)
CLI = str(Path(sys.executable).with_name("sipelangi-net"))


def drift(device: str, *names: str) -> DeviceCompliance:
    feats = tuple(FeatureResult(n, False, missing=(f"{n} line",), remediation=(f"{n} line",)) for n in names)
    return DeviceCompliance(device, "frr", "drift", features=feats)


def ok(device: str) -> DeviceCompliance:
    return DeviceCompliance(device, "frr", "compliant", features=(FeatureResult("interfaces", True),))


def down(device: str) -> DeviceCompliance:
    return DeviceCompliance(device, "ovs", "unreachable", error="no answer (timeout)")


def report(*devices: DeviceCompliance) -> ComplianceReport:
    return ComplianceReport(started_at=T0, finished_at=T0, devices=devices)


def test_one_fault_per_device_and_finding_closed_when_compliance_returns(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "t.db")
    try:
        conn = store.faults
        first = sync_faults(conn, report(drift("r1", "interfaces", "logging"), ok("r2")), now=T0)
        assert sorted(f.finding for f in first.opened) == ["drift:interfaces", "drift:logging"]
        again = sync_faults(conn, report(drift("r1", "interfaces", "logging")), now=T0)
        assert again.opened == () and {f.seen for f in again.still_open} == {2}
        fixed = sync_faults(conn, report(drift("r1", "logging")), now=T0)
        assert [f.finding for f in fixed.closed] == ["drift:interfaces"]
        assert [f.finding for f in list_faults(conn, status="open")] == ["drift:logging"]
        # unreachable: its own fault; the drift fault stays open (the config is unknown)
        lost = sync_faults(conn, report(DeviceCompliance("r1", "frr", "unreachable", error="x")), now=T0)
        assert [f.finding for f in lost.opened] == ["unreachable"] and lost.closed == ()
        back = sync_faults(conn, report(ok("r1")), now=T0)
        assert sorted(f.finding for f in back.closed) == ["drift:logging", "unreachable"]
        assert list_faults(conn, status="open") == [] and len(list_faults(conn)) == 3
        assert list_faults(conn)[0].label == "GGN-00001"
    finally:
        store.close()


def test_backups_are_scrubbed_and_committed_only_when_changed(tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    config = "hostname r1\npassword s3cr3t-value\nline vty\n exec-timeout 15 0\nexit\nend\n"
    first = backup_configs(repo, {"r1": (Platform.FRR, config), "sw": (Platform.OVS, "{}")}, when=T0)
    text = (repo / "r1.cfg").read_text()
    assert "s3cr3t-value" not in text and "password ********" in text
    assert first.changed == ("r1", "sw") and first.files == {"r1": "r1.cfg", "sw": "sw.json"}
    same = backup_configs(repo, {"r1": (Platform.FRR, config)}, when=T0)
    assert same.changed == () and same.commit == first.commit
    changed = backup_configs(repo, {"r1": (Platform.FRR, config.replace("r1", "r9"))}, when=T0)
    assert changed.changed == ("r1",) and changed.commit != first.commit
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%s"], capture_output=True, text=True, check=True
    )
    assert len(log.stdout.splitlines()) == 2
    assert oct(repo.stat().st_mode & 0o777) == "0o700"


def test_two_runs_never_overlap(tmp_path: Path) -> None:
    lock = tmp_path / "compliance.lock"
    with run_lock(lock):
        assert lock.read_text().strip() == str(os.getpid())
        with pytest.raises(RunLocked, match="another compliance run"), run_lock(lock):
            pass
    with run_lock(lock):  # released
        pass


def test_the_cli_refuses_to_start_while_another_run_holds_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / "compliance.lock"
    env = {**os.environ, "SIPELANGI_REPORTS": str(tmp_path / "r"), "SIPELANGI_DB": str(tmp_path / "t.db")}
    with run_lock(lock):
        proc = subprocess.run(
            [CLI, "compliance", "--lock", str(lock)], capture_output=True, text=True, env=env, check=False
        )
    assert proc.returncode == 3
    assert "another compliance run" in proc.stderr and "Traceback" not in proc.stderr


def test_reports_keep_the_shared_shape_and_escape_device_text(tmp_path: Path) -> None:
    evil = DeviceCompliance(
        "r1",
        "frr",
        "drift",
        site="dinkes",
        features=(
            FeatureResult("other", False, extra=("<script>alert(1)</script>", "snmp community s3cret")),
        ),
    )
    rep = report(evil, ok("r2"), down("sw1"))
    doc = json.loads(write_json(rep, tmp_path).read_text())
    assert set(doc) >= {"started_at", "finished_at", "devices"}
    assert doc["devices"][0] == {
        "device": "r1",
        "site": "dinkes",
        "platform": "frr",
        "status": "drift",
        "features": [
            {
                "name": "other",
                "compliant": False,
                "missing": [],
                "extra": ["<script>alert(1)</script>", "snmp community ********"],
                "remediation": [],
            }
        ],
        "error": "",
        "backup": "",
    }
    html = write_html(rep, tmp_path).read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html and "s3cret" not in html
    assert summary_text(report(ok("r2")), quiet=True) == ""
    quiet = summary_text(rep, quiet=True)
    assert "r2" not in quiet and "sw1" in quiet and "unreachable" in quiet and "s3cret" not in quiet


def test_schedule_writes_a_timer_a_service_and_a_cron_entry(tmp_path: Path) -> None:
    proc = subprocess.run(
        [CLI, "compliance", "schedule", "--out", str(tmp_path), "--workdir", "/srv/sipelangi-net"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    service = (tmp_path / "sipelangi-net-compliance.service").read_text()
    assert "ExecStart=" in service and "compliance --quiet" in service and "Type=oneshot" in service
    timer = (tmp_path / "sipelangi-net-compliance.timer").read_text()
    assert "OnCalendar=*-*-* 02:00:00" in timer and "Persistent=true" in timer
    cron = (tmp_path / "sipelangi-net-compliance.cron").read_text()
    assert "0 2 * * * root cd /srv/sipelangi-net && " in cron and "MAILTO=root" in cron
    bad = subprocess.run(
        [CLI, "compliance", "schedule", "--out", str(tmp_path), "--cron", "0 2 * * *; rm -rf /"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "--cron" in bad.stderr
