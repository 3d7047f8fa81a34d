"""``provision`` and ``playbook`` on bad input: one clear error line, the right exit code, no traceback.

Nothing here reaches a device: each case is refused before the first step runs (or at a step that
needs no device), against a real SQLite ticket store in tmp_path.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ticket_data import cli_env, raw_request

SCRIPT = Path(sys.executable).parent / "sipelangi-net"
REQUEST = raw_request(applications=["simpeg"])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = cli_env()
    e.update(SIPELANGI_DB=str(tmp_path / "t.db"), SIPELANGI_REPORTS=str(tmp_path / "r"),
             SIPELANGI_LOCKS=str(tmp_path / "locks"), SIPELANGI_ACTOR="tim-kerja")  # fmt: skip
    return e


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def opened(env: dict[str, str], tmp_path: Path, *, approve: bool = True) -> str:
    path = tmp_path / "req.yaml"
    path.write_text(yaml.safe_dump(REQUEST))
    tid = str(json.loads(run(env, "ticket", "new", "--file", str(path), "--json").stdout)["id"])
    if approve:
        assert run(env, "ticket", "approve", tid).returncode == 0
    return tid


def test_an_unknown_ticket_is_refused_before_anything_runs(env: dict[str, str]) -> None:
    proc = run(env, "provision", "SPL-2026-09999", "--yes")
    assert proc.returncode == 6 and "SPL-2026-09999" in proc.stderr


def test_a_ticket_not_approved_stops_at_the_analysis_naming_step_3(
    env: dict[str, str], tmp_path: Path
) -> None:
    tid = opened(env, tmp_path, approve=False)
    proc = run(env, "provision", tid, "--yes", "--json")
    assert proc.returncode == 6, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    first = summary["steps"][0]
    assert first["state"] == "failed" and "step 3 (approve or defer) is not done yet" in first["detail"]


@pytest.mark.parametrize(
    ("handover", "message"),
    [
        ("tim_kerja: {name: A}\n", "tim_kerja needs a name and a NIP"),
        ("- a list\n", "expected tim_kerja, pemohon"),
        ("tim_kerja: {name: A, nip: '1'}\npemohon: {name: B, nip: '197908212005012003'}\n", "NIP"),
        ("tim_kerja: [\n", "YAML error"),
    ],
)
def test_a_bad_handover_file_is_named(
    env: dict[str, str], tmp_path: Path, handover: str, message: str
) -> None:
    tid = opened(env, tmp_path)
    path = tmp_path / "handover.yaml"
    path.write_text(handover)
    proc = run(env, "provision", tid, "--yes", "--handover", str(path))
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_a_bad_playbook_or_option_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    tid = opened(env, tmp_path)
    book = tmp_path / "book.yaml"
    book.write_text("name: x\ndescription: d\nsteps:\n  - {name: a, action: reboot}\n")
    proc = run(env, "provision", tid, "--playbook", str(book))
    assert proc.returncode == 2 and f"{book}: steps.0 (a): unknown action 'reboot'" in proc.stderr
    proc = run(env, "provision", tid, "--confirm-timeout", "5")
    assert proc.returncode == 2 and "--confirm-timeout" in proc.stderr
    proc = run(env, "playbook", "run", "playbooks/rollback.yaml", "--ticket", tid, "--note", "ok\nshow run")
    assert proc.returncode == 2 and "--note" in proc.stderr


def test_a_ticket_step_in_a_run_without_a_ticket_is_an_error(env: dict[str, str]) -> None:
    proc = run(env, "playbook", "run", "playbooks/rollback.yaml", "--json")
    assert proc.returncode == 2, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert "run the playbook with --ticket ID" in summary["steps"][0]["detail"]
