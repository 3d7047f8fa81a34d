"""``sipelangi-net fault``: list, show, step and report through the real CLI on a real store."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from inventory_edit import SHIPPED_INVENTORY
from ticket_data import cli_env

from sipelangi_net.compliance.faults import sync_faults
from sipelangi_net.compliance.models import ComplianceReport, DeviceCompliance
from sipelangi_net.faults.standards import DEFAULTS
from sipelangi_net.tickets.sqlite import SqliteStore

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
T0 = dt.datetime(2026, 11, 28, 19, 0, tzinfo=dt.UTC)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = cli_env()
    e.update(
        SIPELANGI_DB=str(tmp_path / "tickets.db"),
        SIPELANGI_INVENTORY=str(SHIPPED_INVENTORY),
        SIPELANGI_OFFICIALS=str(tmp_path / "officials.yaml"),
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    return e


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, env=env, timeout=60, check=False, input=stdin
    )


def ok(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = run(env, *args)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_report_list_show_and_step_in_single_engineer_mode(env: dict[str, str]) -> None:
    made = json.loads(
        ok(env, "fault", "report", "--opd", "dinkes", "--summary", "jaringan lambat", "--json").stdout
    )
    assert (made["id"], made["source"], made["kind"], made["device"]) == (
        "GGN-00001",
        "pemohon",
        "reported",
        "sw-dinkes",
    )
    ok(
        env,
        "fault",
        "report",
        "--opd",
        "bappeda",
        "--summary",
        "tidak bisa akses SIMPEG",
        "--severity",
        "outage",
    )
    listed = json.loads(ok(env, "fault", "list", "--opd", "dinkes", "--json").stdout)
    assert [f["id"] for f in listed["faults"]] == ["GGN-00001"] and listed["skipped"] == []
    ok(env, "fault", "step", "ggn-1", "triaged", "--note", "cek jalur")
    shown = json.loads(ok(env, "fault", "show", "GGN-00001", "--json").stdout)
    assert [s["step"] for s in shown["step_times"]] == ["reported", "triaged", "diagnosed"]
    assert shown["step_times"][1]["standard_s"] == DEFAULTS.seconds("degraded", "triaged")
    assert shown["step_times"][2]["ended"] is None and shown["history"][1]["note"] == "cek jalur"
    text = ok(env, "fault", "show", "GGN-00001").stdout
    graded = json.loads(ok(env, "fault", "step", "2", "triaged", "--severity", "degraded", "--json").stdout)
    assert (
        graded["severity"] == "degraded"
        and graded["history"][-1]["note"] == "Tingkat gangguan: menurun (semula putus)"
    )
    assert run(env, "fault", "step", "2", "diagnosed", "--severity", "lethal").returncode == 2
    assert "triaged" in text and "cek jalur" in text and "(under way)" in text
    for step in ("diagnosed", "fixed", "verified", "closed"):
        ok(env, "fault", "step", "GGN-00001", step)
    assert [f["id"] for f in json.loads(ok(env, "fault", "list", "--closed", "--json").stdout)["faults"]] == [
        "GGN-00001"
    ]
    assert [f["id"] for f in json.loads(ok(env, "fault", "list", "--open", "--json").stdout)["faults"]] == [
        "GGN-00002"
    ]
    assert "time to repair" in ok(env, "fault", "show", "1").stdout


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("fault", "show", "GGN-00042"), 6, "GGN-00042: no such fault"),
        (("fault", "show", "SPL-2026-00001"), 2, "not a fault number"),
        (("fault", "show", "GGN-00000"), 2, "not a fault number"),
        (("fault", "step", "GGN-00001", "repaired"), 2, "STEP: 'repaired' is not one of"),
        (("fault", "step", "GGN-00001", "closed"), 6, "cannot follow"),
        (("fault", "list", "--open", "--closed"), 2, "give one of them"),
        (("fault", "report", "--opd", "atlantis", "--summary", "x"), 2, "sites.yaml: 'atlantis'"),
        (("fault", "report", "--opd", "dinkes", "--summary", " "), 2, "summary"),
        (("fault", "report", "--opd", "dinkes", "--summary", "x", "--severity", "gawat"), 2, "--severity"),
        (("fault", "list", "--store", "http://127.0.0.1:9"), 2, "SQLite ticket store only"),
    ],
)
def test_bad_input_is_an_error_with_its_exit_code(
    env: dict[str, str], args: tuple[str, ...], code: int, says: str
) -> None:
    ok(env, "fault", "report", "--opd", "dinkes", "--summary", "jaringan lambat")
    proc = run(env, *args)
    assert proc.returncode == code and says in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def _account(env: dict[str, str], username: str, role: str, *extra: str) -> str:
    ok(env, "user", "add", username, "--role", role, "--name", username.title(), *extra)
    return ok(env, "user", "token", username).stdout.strip()


def test_with_accounts_each_role_records_its_own_steps_under_its_username(env: dict[str, str]) -> None:
    ok(env, "user", "add", "admin", "--role", "admin", "--name", "Admin")
    helpdesk = {**env, "SIPELANGI_TOKEN": _account(env, "rina", "helpdesk")}
    tim = {**env, "SIPELANGI_TOKEN": _account(env, "andi", "tim_kerja")}
    kabid = {**env, "SIPELANGI_TOKEN": _account(env, "kabid", "kepala_bidang")}
    pemohon = {**env, "SIPELANGI_TOKEN": _account(env, "sari", "pemohon", "--opd", "dinkes")}
    assert run(env, "fault", "report", "--opd", "dinkes", "--summary", "x").returncode == 6  # no token
    ok(pemohon, "fault", "report", "--opd", "dinkes", "--summary", "jaringan lambat")
    other = run(pemohon, "fault", "report", "--opd", "bappeda", "--summary", "lambat")
    assert other.returncode == 6 and "own OPD's sites only" in other.stderr
    refused = run(helpdesk, "fault", "step", "GGN-00001", "diagnosed")
    assert refused.returncode == 6 and "recorded by Tim Kerja" in refused.stderr
    assert run(kabid, "fault", "step", "GGN-00001", "triaged").returncode == 6
    ok(helpdesk, "fault", "step", "GGN-00001", "triaged")
    ok(tim, "fault", "step", "GGN-00001", "diagnosed")
    history = json.loads(ok(env, "fault", "show", "GGN-00001", "--json").stdout)["history"]
    assert [(e["actor"]["role"], e["actor"]["name"]) for e in history] == [
        ("Pemohon", "sari"),
        ("Helpdesk", "rina"),
        ("Tim Kerja", "andi"),
    ]


def test_compliance_faults_still_lists_compliances_own(env: dict[str, str]) -> None:
    store = SqliteStore(Path(env["SIPELANGI_DB"]))
    try:
        down = DeviceCompliance("dist-gerunggang", "frr", "unreachable", error="timeout")
        sync_faults(store.faults, ComplianceReport(started_at=T0, finished_at=T0, devices=(down,)), now=T0)
    finally:
        store.close()
    ok(env, "fault", "report", "--opd", "dinkes", "--summary", "jaringan lambat")
    (fault,) = json.loads(ok(env, "compliance", "faults", "--json").stdout)
    assert (fault["id"], fault["finding"], fault["kind"], fault["seen"]) == (
        "GGN-00001",
        "unreachable",
        "unreachable",
        1,
    )
    assert len(json.loads(ok(env, "fault", "list", "--json").stdout)["faults"]) == 2
