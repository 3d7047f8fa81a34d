"""``sipelangi-net monitor schedule``: the long-lived service's systemd unit; a round as JSON."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from sipelangi_net.cli.monitor import round_json
from sipelangi_net.faults.correlate import Decision, Fault, Observation, RoundResult
from sipelangi_net.faults.monitor import Probe, RoundReport
from sipelangi_net.faults.topology import Target

CLI = str(Path(sys.executable).with_name("sipelangi-net"))


def test_schedule_writes_a_restarting_service(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            CLI,
            "monitor",
            "schedule",
            "--out",
            str(tmp_path),
            "--workdir",
            "/srv/sipelangi-net",
            "--interval",
            "30",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    unit = (tmp_path / "sipelangi-net-monitor.service").read_text()
    assert "Type=simple" in unit and "Restart=on-failure" in unit and "KillSignal=SIGTERM" in unit
    assert "WorkingDirectory=/srv/sipelangi-net" in unit and "monitor --interval 30\n" in unit
    assert "WantedBy=multi-user.target" in unit


def test_schedule_refuses_a_path_a_unit_would_misread(tmp_path: Path) -> None:
    bad = subprocess.run(
        [CLI, "monitor", "schedule", "--out", str(tmp_path), "--exe", "/usr/bin/x; rm -rf /"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "--exe" in bad.stderr
    assert not (tmp_path / "sipelangi-net-monitor.service").exists()


def test_a_round_as_json() -> None:
    at = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
    fault = Fault(Target("uplink", "dinkes"), "down", at - dt.timedelta(seconds=30), ("dinkes",))
    result = RoundResult(state=None, decisions=(Decision("close", fault, at),))  # type: ignore[arg-type]
    report = RoundReport(
        4,
        at,
        0.25,
        (Observation(Target("uplink", "dinkes"), "up"),),
        {"sw-x": "refused"},
        Probe("dinkes", 9.5, True),
    )
    doc = json.loads(json.dumps(round_json(result, report)))
    assert doc["round"] == 4 and doc["silent"] == {"sw-x": "refused"} and doc["problems"] == []
    assert doc["probe"] == {"site": "dinkes", "mbps": 9.5, "low": True, "error": ""}
    assert doc["decisions"][0]["action"] == "close" and doc["decisions"][0]["repair_seconds"] == 30.0
    assert doc["decisions"][0]["target"] == "uplink:dinkes" and doc["decisions"][0]["opds"] == ["dinkes"]
