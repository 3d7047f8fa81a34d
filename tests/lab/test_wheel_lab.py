"""The package as an engineer installs it: the wheel in a fresh virtualenv, a workspace, the lab.

The wheel is built from this checkout; everything after runs in a mount namespace where the
checkout (and its virtualenv) is hidden under an empty tmpfs, from a workspace made by ``init``
in a temporary folder: ``ticket new``, ``ticket approve``, ``analyze``, ``diff`` and ``compliance``
against the running lab, with the workspace's own secrets file and ticket store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.lab.conftest import REQUEST, ROOT

HIDE = 'mount -t tmpfs -o size=1m,mode=0700 sipelangi-hidden "$0" && exec "$@"'
"""Run in a private mount namespace: the checkout is an empty folder there."""


def _hidden(
    env: dict[str, str], cwd: Path, *argv: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    wrapped = ["unshare", "--mount", "--propagation", "private", "sh", "-c", HIDE, str(ROOT), *argv]
    return subprocess.run(
        wrapped, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv outside the checkout with the wheel built from it installed: its bin/."""
    base = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(base / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (base / "dist").glob("sipelangi_net-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = _clean_env(base)
    pip = _hidden(env, base, str(venv / "bin" / "pip"), "install", "-q", str(wheel), timeout=600)
    assert pip.returncode == 0, pip.stderr[-3000:]
    return venv / "bin"


def _clean_env(home: Path) -> dict[str, str]:
    """No SIPELANGI_* setting, no PYTHONPATH, a home of its own (its ~/.config and ~/.local/share)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIPELANGI_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home / "home"), XDG_CONFIG_HOME=str(home / "home" / ".config"))
    env.pop("XDG_DATA_HOME", None)
    return env


def _fill_secrets(ws: Path, lab_secrets: Path) -> None:
    """What an engineer does after init: the device credentials into the workspace's secrets.yaml."""
    values = yaml.safe_load(lab_secrets.read_text())
    text = (ws / "secrets.yaml").read_text() + yaml.safe_dump(values)
    (ws / "secrets.yaml").write_text(text)


def test_the_wheel_in_a_fresh_virtualenv_runs_the_sop_from_a_workspace(
    installed: Path, lab: dict[str, Any], tmp_path: Path
) -> None:
    from sipelangi_net.paths import lab_dir

    env = _clean_env(tmp_path) | {"SIPELANGI_ACTOR": "tim-kerja"}
    cli = str(installed / "sipelangi-net")

    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return _hidden(env, cwd, cli, *args)

    probe = "import sipelangi_net as s; print(s.__file__)"
    where = _hidden(env, tmp_path, str(installed / "python"), "-c", probe)
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(installed.parent)), where.stdout  # the wheel's copy, not the checkout

    nowhere = run("analyze", "SPL-2026-00001", cwd=tmp_path)
    assert nowhere.returncode == 2 and "sipelangi-net init DIR" in nowhere.stderr

    made = run("init", "ws", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    ws = tmp_path / "ws"
    assert (ws / "inventory" / "hosts.yaml").read_text() == (ROOT / "inventory" / "hosts.yaml").read_text()
    _fill_secrets(ws, lab_dir() / "secrets.yaml")
    settings = (ws / "sipelangi-net.yaml").read_text().replace("# store: tickets.db", "store: tickets.db")
    (ws / "sipelangi-net.yaml").write_text(settings)
    (ws / "permohonan.yaml").write_text(yaml.safe_dump(REQUEST))

    def ok(*args: str, cwd: Path = ws) -> Any:
        proc = run(*args, "--json", cwd=cwd)
        assert proc.returncode == 0, f"{' '.join(args)}: exit {proc.returncode}\n{proc.stderr[-3000:]}"
        return json.loads(proc.stdout)

    tid = str(ok("ticket", "new", "--file", "permohonan.yaml")["id"])
    assert (ws / "tickets.db").is_file()  # the workspace's own store
    ok("ticket", "approve", tid)
    plan = ok("analyze", tid, cwd=ws / "inventory")  # found from below, too
    assert plan["available"] is True, plan["problems"]
    diff = run("diff", tid, cwd=ws)
    assert diff.returncode == 0, diff.stderr[-3000:]
    assert "sw-dinkes" in diff.stdout and "dist-gerunggang" in diff.stdout

    checked = run("compliance", "--json", cwd=ws)
    assert checked.returncode in (0, 8), checked.stderr[-3000:]  # 8: drift another lab test left
    report = json.loads(checked.stdout)
    assert {d["device"] for d in report["devices"]} >= {"core-diskominfo", "sw-dinkes"}
    assert (ws / "reports" / "compliance").is_dir()  # the workspace's reports/
