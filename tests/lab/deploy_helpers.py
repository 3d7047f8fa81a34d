"""The deploy tests' shared state: a scheduled ticket on the lab, the devices' configs, and undo."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sipelangi_net.analysis.plan import Plan
from sipelangi_net.analysis.stored import plan_of
from sipelangi_net.change.diff import diff_device
from sipelangi_net.change.push import normalise
from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.lab import LabDriver, open_driver
from sipelangi_net.inventory import load_inventory
from sipelangi_net.platforms import Platform
from sipelangi_net.tickets.sqlite import SqliteStore
from tests.lab.conftest import REQUEST, ROOT, ok_json

DEVICES = ("core-diskominfo", "dist-gerunggang", "sw-dinkes")
EARLY = ("--now", "--reason", "lab test: pushed before the agreed slot, which is days ahead")
"""The override a test gives to push now: ``schedule`` agrees the proposed slot, in the future."""
INVENTORY = load_inventory(ROOT / "inventory")


def scheduled_ticket(env: dict[str, str], tmp_path: Path, **changes: Any) -> str:
    path = tmp_path / "permohonan.yaml"
    path.write_text(yaml.safe_dump({**REQUEST, **changes}))
    tid = str(ok_json(env, "ticket", "new", "--file", str(path))["id"])
    ok_json(env, "ticket", "approve", tid)
    assert ok_json(env, "analyze", tid)["available"]
    ok_json(env, "prepare", tid)
    ok_json(env, "schedule", tid)
    return tid


def the_plan(env: dict[str, str], tid: str) -> Plan:
    st = SqliteStore(Path(env["SIPELANGI_DB"]))
    try:
        plan = plan_of(st.get(tid))
    finally:
        st.close()
    assert plan is not None
    return plan


@contextlib.contextmanager
def connected(name: str, creds: Credentials) -> Iterator[LabDriver]:
    drv = open_driver(INVENTORY.devices[name], creds)
    drv.open()
    try:
        yield drv
    finally:
        drv.close()


def raw_configs(creds: Credentials) -> dict[str, str]:
    out = {}
    for name in DEVICES:
        with connected(name, creds) as drv:
            out[name] = drv.get_config()
    return out


def running(creds: Credentials) -> dict[str, str]:
    return {
        name: normalise(INVENTORY.devices[name].platform.value, cfg)
        for name, cfg in raw_configs(creds).items()
    }


@pytest.fixture
def day0(creds: Credentials) -> Iterator[dict[str, str]]:
    """The devices' configs before the test; afterwards the change is undone with the diff's rollback."""
    raw = raw_configs(creds)
    before = {name: normalise(INVENTORY.devices[name].platform.value, cfg) for name, cfg in raw.items()}
    yield before
    wait_disarmed(creds)
    for name in DEVICES:
        with connected(name, creds) as drv:
            now = drv.get_config()
            if normalise(drv.platform, now) != before[name]:
                drv.push(_undo(name, drv.platform, now, raw[name]))
    assert running(creds) == before, "the test could not put the devices back"


def _undo(name: str, platform: str, now: str, before: str) -> tuple[str, ...]:
    """Commands that put a device back to ``before``: the diff's replace scope (FRR), the port table (OVS)."""
    if platform != "ovs":
        return diff_device(name, Platform(platform), now, before, scope="replace").commands
    commands = []
    for port, tag, ext in json.loads(before)["data"]:
        desc = dict(ext[1]).get("description")
        commands.append(
            f"ovs-vsctl set port {port} tag={tag}"
            if isinstance(tag, int)
            else f"ovs-vsctl clear port {port} tag"
        )
        commands.append(
            f"ovs-vsctl set port {port} external_ids:description={json.dumps(desc)!r}"
            if desc
            else f"ovs-vsctl remove port {port} external_ids description"
        )
    return tuple(commands)


def wait_disarmed(creds: Credentials, timeout: float = 30) -> None:
    from sipelangi_net.drivers import confirm

    deadline = time.monotonic() + timeout
    for name in DEVICES:
        dev = INVENTORY.devices[name]
        while confirm.status(name, dev.hostname, dev.port, creds).get("armed"):
            assert time.monotonic() < deadline, f"{name} stayed armed"
            time.sleep(0.5)


def lab_scopes(creds: Credentials) -> list[tuple[str, str | None]]:
    """(subnet, ticket) of every scope the lab's central DHCP server holds now."""
    from sipelangi_net.change.dhcp import ticket_of
    from sipelangi_net.drivers.kea import KeaControl

    assert INVENTORY.servers.dhcp is not None
    url = INVENTORY.servers.dhcp.control_url
    with KeaControl(name="srv-dhcp", url=url, username=creds.username, password=creds.password) as kea:
        return [(str(e["subnet"]), ticket_of(e)) for e in kea.subnets()]
