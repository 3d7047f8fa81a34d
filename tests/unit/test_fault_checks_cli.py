"""``fault diagnose`` and ``fault retest`` as the real console script, on a real SQLite store.

The inventory is the shipped one moved onto addresses where nothing answers SSH (127.77.0.x, port
9) and a server segment on 127.10.10.0/24 without backbone link addresses, so a diagnosis pings
only this machine's loopback (``SIPELANGI_ENV=field``) and every device's session fails: per-hop
failures are data on the fault, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from inventory_edit import copy_inventory, edit_yaml
from ticket_data import cli_env

from sipelangi_net.faults.models import FaultActor
from sipelangi_net.faults.records import FaultDraft
from sipelangi_net.faults.sop import FaultRole
from sipelangi_net.tickets.sqlite import SqliteStore

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
MONITOR = FaultActor(role=FaultRole.MONITOR, name="monitor-1")
HELPDESK = FaultActor(role=FaultRole.HELPDESK, name="helpdesk-ani")
T0 = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)


def _no_link_addresses(links: Any) -> Any:
    for link in links:
        link["a"].pop("address", None)
        link["b"].pop("address", None)
    return links


def _loopback_segment(servers: Any) -> Any:
    servers["segment"]["subnet"] = "127.10.10.0/24"
    servers["segment"]["gateway"]["address"] = "127.10.10.1/24"
    for i, server in enumerate(servers["servers"].values()):
        server["address"] = f"127.10.10.{10 + i}"
    return servers


def _nowhere(hosts: Any) -> Any:
    for i, host in enumerate(hosts.values()):
        host["hostname"], host["port"] = f"127.77.0.{i + 1}", 9
    return hosts


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inv = copy_inventory(tmp_path_factory.mktemp("fault-checks") / "inventory")
    edit_yaml(inv / "links.yaml", _no_link_addresses)
    edit_yaml(inv / "servers.yaml", _loopback_segment)
    edit_yaml(inv / "hosts.yaml", _nowhere)
    return inv


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "tickets.db"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(db, webhook_url="")
    yield s
    s.close()


def opened(
    store: SqliteStore, *, opds: tuple[str, ...] = ("dinkes",), key: str = "monitor:host:dinkes:down"
) -> int:
    draft = FaultDraft(
        key=key,
        kind="unreachable",
        source="monitor",
        severity="outage" if opds else "minor",
        device="dist-gerunggang",
        summary="dinkes tidak terjangkau",
        opened_at=T0,
        opds=opds,
    )
    fault, _ = store.faults.open(draft, actor=MONITOR, at=T0)
    return fault.id


def cli(db: Path, inventory: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    known = tmp_path / "known_hosts"
    known.touch()
    env = cli_env() | {
        "SIPELANGI_ENV": "field",
        "SIPELANGI_USERNAME": "netops",
        "SIPELANGI_PASSWORD": "not-used-here",
        "SIPELANGI_KNOWN_HOSTS": str(known),
    }
    argv = [CLI, "fault", *args, "--db", str(db), "--inventory", str(inventory)]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)


def test_diagnose_walks_the_path_and_keeps_the_diagnosis_on_the_fault(
    store: SqliteStore, db: Path, inventory: Path, tmp_path: Path
) -> None:
    number = opened(store)
    got = cli(db, inventory, tmp_path, "diagnose", f"GGN-{number:05d}", "--json")
    assert got.returncode == 1, got.stderr
    assert "Traceback" not in got.stderr
    out = json.loads(got.stdout)
    assert out["broken"] == "device:sw-dc-diskominfo" and out["environment"] == "field"
    assert [h["target"] for h in out["hops"]][:3] == [
        "device:sw-dc-diskominfo",
        "device:core-diskominfo",
        "link:core-diskominfo:eth2--dist-gerunggang:eth0",
    ]
    core = out["hops"][1]["evidence"]
    assert core[0] == {
        "check": "reach",
        "status": "ok",
        "detail": "127.10.10.1 (core-diskominfo eth0) answers ping",
    }
    assert core[1]["check"] == "session" and core[1]["status"] == "broken"
    assert "127.77.0." in core[1]["detail"]
    assert out["step"] is None
    (record,) = store.faults.get(number).records
    assert record.kind == "diagnosis" and record.actor.role == FaultRole.TIM_KERJA  # the local account
    assert record.summary == out["summary"] and record.summary.startswith(
        f"GGN-{number:05d}: the path of dinkes breaks at device:sw-dc-diskominfo: sw-dc-diskominfo:"
    )


def test_diagnose_step_records_diagnosed_when_the_fault_allows_it(
    store: SqliteStore, db: Path, inventory: Path, tmp_path: Path
) -> None:
    number = opened(store)
    store.faults.move(number, "triaged", actor=HELPDESK, at=dt.datetime.now(dt.UTC))
    got = cli(db, inventory, tmp_path, "diagnose", f"GGN-{number:05d}", "--step")
    assert got.returncode == 1, got.stderr
    assert got.stdout.splitlines()[-1].startswith(f"GGN-{number:05d}: the path of dinkes breaks at")
    fault = store.faults.get(number)
    assert fault.step == "diagnosed" and fault.history[-1].note == fault.records[-1].summary


def test_a_step_the_fault_does_not_allow_is_refused_before_any_device_work(
    store: SqliteStore, db: Path, inventory: Path, tmp_path: Path
) -> None:
    number = opened(store)  # reported: diagnosed cannot follow (the helpdesk triages first)
    got = cli(db, inventory, tmp_path, "diagnose", f"GGN-{number:05d}", "--step")
    assert got.returncode == 6
    assert f"GGN-{number:05d}: --step: fault step 3 (diagnosed: diagnose) cannot follow" in got.stderr
    assert store.faults.get(number).records == ()
    got = cli(db, inventory, tmp_path, "retest", f"GGN-{number:05d}", "--step", "--no-speedtest")
    assert got.returncode == 1  # verified may follow reported; the re-test fails: no plan for dinkes
    fault = store.faults.get(number)
    assert fault.step == "reported" and fault.records[-1].kind == "retest"
    assert "dinkes: no provisioned installation ticket with a plan for dinkes" in fault.records[-1].summary


def test_an_unknown_or_malformed_fault_label_is_named(
    store: SqliteStore, db: Path, inventory: Path, tmp_path: Path
) -> None:
    opened(store)
    got = cli(db, inventory, tmp_path, "diagnose", "GGN-00042")
    assert got.returncode == 6 and "GGN-00042: no such fault ticket" in got.stderr
    got = cli(db, inventory, tmp_path, "retest", "SPL-2026-00001")
    assert got.returncode == 2 and "'SPL-2026-00001' is not a fault number" in got.stderr


def test_a_fault_naming_no_opd_is_refused_and_nothing_is_recorded(
    store: SqliteStore, db: Path, inventory: Path, tmp_path: Path
) -> None:
    number = opened(store, opds=(), key="compliance:core-diskominfo:drift:ntp")
    for command in ("diagnose", "retest"):
        got = cli(db, inventory, tmp_path, command, f"GGN-{number:05d}")
        assert got.returncode == 6, got.stderr
        assert f"GGN-{number:05d}: names no OPD" in got.stderr and "Traceback" not in got.stderr
    assert store.faults.get(number).records == ()


def test_a_store_that_cannot_be_read_is_named(db: Path, inventory: Path, tmp_path: Path) -> None:
    db.write_text("not a database")
    got = cli(db, inventory, tmp_path, "diagnose", "GGN-00001")
    assert got.returncode == 6 and f"{db}: cannot open the ticket database" in got.stderr
