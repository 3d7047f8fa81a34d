"""Lab tier: real FRR routers, Open vSwitch switches and sshd in network namespaces.

The session brings the lab up once through the real CLI and always takes it
down at the end, even when tests fail.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.unit.ticket_data import raw_request

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).with_name("sipelangi-net"))


def cli(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"sipelangi-net {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def lab_json(*args: str) -> Any:
    return json.loads(cli(*args).stdout)


LAB_LOCK = Path("/run/lock/sipelangi-net-lab-tests.lock")
_held: list[Any] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    lab_items = [item for item in items if "tests/lab/" in str(item.fspath)]
    for item in lab_items:
        item.add_marker(pytest.mark.lab)
        if os.geteuid() != 0:
            item.add_marker(pytest.mark.skip(reason="lab tests need root"))
    if lab_items and os.geteuid() == 0 and not _held:
        # One lab test session at a time on a machine: a second one waits here, before any
        # test's timeout starts; the kernel releases the lock when this process ends.
        lock = LAB_LOCK.open("a")
        fcntl.flock(lock, fcntl.LOCK_EX)
        _held.append(lock)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _held:
        _held.pop().close()


@pytest.fixture(scope="session")
def lab() -> Iterator[dict[str, Any]]:
    """The lab at day-0, for this test session alone (the session holds the machine's lab-test lock).

    ``--fresh``: a lab left up (by ./dev.sh demo, say) carries that run's changes.
    """
    cli("lab", "up", "--fresh", timeout=180)
    try:
        yield lab_json("lab", "status", "--json")
    finally:
        cli("lab", "down", check=False)


@pytest.fixture(scope="session")
def creds(lab: dict[str, Any]) -> Any:
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.paths import lab_dir

    return load_credentials(lab_dir() / "secrets.yaml")


@pytest.fixture(autouse=True)
def central_dhcp_at_day0(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that used the lab, the central DHCP server holds no scope again (its day-0).

    Each test's tickets are numbered from SPL-...-00001 in a fresh store: a scope another test's
    ticket left on the same subnet would be refused as someone else's."""
    yield
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.drivers.kea import KeaControl
    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.paths import lab_dir

    manifest = lab_dir() / "manifest.json"
    if "lab" not in request.fixturenames or not manifest.exists():
        return
    if json.loads(manifest.read_text()).get("state") != "up":
        return
    dhcp = load_inventory(ROOT / "inventory").servers.dhcp
    assert dhcp is not None
    creds = load_credentials(lab_dir() / "secrets.yaml")
    with KeaControl(
        name=dhcp.server, url=dhcp.control_url, username=creds.username, password=creds.password
    ) as kea:
        if kea.subnets():
            kea.set_subnets([])


def lab_exec(node: str, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return cli("lab", "exec", node, "--", *command, check=check, timeout=60)


REQUEST: dict[str, Any] = raw_request(notes="")
"""The shared ticket request (tests/unit/ticket_data.py), without notes (the model's default)."""


@pytest.fixture
def env(tmp_path: Path, lab: dict[str, Any]) -> dict[str, str]:
    """The environment of a CLI run with its own ticket database and reports folder."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("SIPELANGI_")}
    e.update(
        SIPELANGI_DB=str(tmp_path / "tickets.db"),
        SIPELANGI_ACTOR="tim-kerja",
        SIPELANGI_REPORTS=str(tmp_path / "reports"),
        SIPELANGI_LOCKS=str(tmp_path / "locks"),
        SIPELANGI_AUDIT_KEY=str(tmp_path / "audit.key"),
    )
    return e


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=180, check=False)


def ok_json(env: dict[str, str], *args: str) -> Any:
    proc = run(env, *args, "--json")
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stderr}\n{proc.stdout[-6000:]}"
    return json.loads(proc.stdout)
