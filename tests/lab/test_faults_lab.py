"""The fault tools of tests/lab/faults.py, proven on the real lab.

A cut device refuses its management SSH and answers again once restored; its own revert timer
still fires while it is cut; a store locked by another process refuses writes until released; a
change made behind the tool's back shows in the running config and is taken back.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.change.push import normalise
from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers import confirm
from sipelangi_net.drivers.lab import open_driver
from sipelangi_net.errors import DeviceError, StoreError
from sipelangi_net.inventory import load_inventory
from sipelangi_net.tickets.models import Move, Request
from sipelangi_net.tickets.sqlite import SqliteStore
from tests.lab import faults
from tests.lab.conftest import REQUEST, ROOT

INVENTORY = load_inventory(ROOT / "inventory")
# Devices no other lab test arms or changes (see tests/lab/test_commit_confirm.py).
FRR = "dist-bukitintan"
OVS = "sw-kec-bukitintan"
TIMER = 12  # seconds: the device's revert timer in the timer test
MARGIN = 15.0  # on top of the timer: the restore itself and a busy 2-core machine


def running(name: str, creds: Credentials) -> str:
    dev = INVENTORY.devices[name]
    drv = open_driver(dev, creds)
    drv.open()
    try:
        return normalise(dev.platform.value, drv.get_config())
    finally:
        drv.close()


def answers(name: str, creds: Credentials) -> bool:
    try:
        running(name, creds)
    except DeviceError:
        return False
    return True


def where(name: str) -> tuple[str, str, int]:
    dev = INVENTORY.devices[name]
    return name, dev.hostname, dev.port


@pytest.mark.parametrize("name", [FRR, OVS])
def test_a_cut_device_refuses_its_management_and_answers_once_restored(
    name: str, lab: dict[str, Any], creds: Credentials
) -> None:
    before = running(name, creds)
    drv = open_driver(INVENTORY.devices[name], creds)
    with faults.management_cut(name):
        assert not faults.management_answers(name)
        with pytest.raises(DeviceError, match=name) as refused:
            drv.open()
        assert "cannot connect" in str(refused.value)
        with pytest.raises(DeviceError, match=name):
            confirm.status(*where(name), creds)
    assert faults.management_answers(name)
    assert running(name, creds) == before


def test_a_session_open_when_the_cut_comes_is_dropped(lab: dict[str, Any], creds: Credentials) -> None:
    drv = open_driver(INVENTORY.devices[OVS], creds)
    drv.open()
    try:
        faults.cut_management(OVS)
        try:
            with pytest.raises(Exception):  # noqa: B017 - netmiko's own error for a closed channel
                drv.get_config()
        finally:
            faults.restore_management(OVS)
    finally:
        drv.close()
    assert answers(OVS, creds)


def test_restoring_a_device_that_was_not_cut_changes_nothing(lab: dict[str, Any], creds: Credentials) -> None:
    pid = faults.sshd_pid(FRR)
    assert pid is not None
    faults.restore_management(FRR)
    assert faults.sshd_pid(FRR) == pid
    assert answers(FRR, creds)


def test_the_device_timer_reverts_the_change_while_its_management_is_cut(
    lab: dict[str, Any], creds: Credentials
) -> None:
    """The timer is no child of sshd: the device restores itself with its management gone."""
    before = running(OVS, creds)
    armed = confirm.arm(*where(OVS), creds, TIMER)
    try:
        change = faults.change_running_config(OVS, marker="timer-test")
        assert running(OVS, creds) != before
        with faults.management_cut(OVS):
            assert faults.confirm_state(OVS) is not None
            deadline = time.monotonic() + TIMER + MARGIN
            while faults.confirm_state(OVS) is not None:
                assert time.monotonic() < deadline, f"{OVS}: the timer did not fire while cut"
                time.sleep(0.2)
            last = faults.last_change(OVS)
        assert last is not None and last["token"] == armed["token"]
        assert last["action"] == "expired" and last["verified"] is True
        status = confirm.status(*where(OVS), creds)
        assert status["armed"] is False and status["last"]["action"] == "expired"
        assert running(OVS, creds) == before
    finally:
        if faults.confirm_state(OVS) is not None:
            confirm.rollback(*where(OVS), creds)
        if running(OVS, creds) != before:
            faults.undo_running_config(change)
    assert running(OVS, creds) == before


@pytest.mark.parametrize("name", [FRR, OVS])
def test_a_change_behind_the_tools_back_shows_and_is_taken_back(
    name: str, lab: dict[str, Any], creds: Credentials
) -> None:
    before = running(name, creds)
    with faults.running_config_changed(name, marker="behind-its-back"):
        after = running(name, creds)
        assert after != before
        assert ("SPL-FAULT" if name == FRR else '"spl-fault", "behind-its-back"') in after
    assert running(name, creds) == before


def test_a_trigger_fires_when_the_device_is_armed(lab: dict[str, Any], creds: Credentials) -> None:
    fired: list[dict[str, Any] | None] = []
    trigger = faults.when(faults.armed(FRR), lambda: fired.append(faults.confirm_state(FRR)), timeout=30)
    try:
        reply = confirm.arm(*where(FRR), creds, 60)
        assert trigger.wait(10)
        assert fired and fired[0] is not None and fired[0]["token"] == reply["token"]
    finally:
        trigger.cancel()
        confirm.rollback(*where(FRR), creds)
    assert faults.confirm_state(FRR) is None
    last = faults.last_change(FRR)
    assert last is not None and last["action"] == "rolled_back"


def _store(tmp_path: Path) -> tuple[SqliteStore, str]:
    store = SqliteStore(tmp_path / "tickets.db", audit_key=tmp_path / "audit.key")
    ticket = store.create(Request.model_validate(REQUEST), helpdesk="Helpdesk")
    return store, ticket.id


def test_a_store_locked_by_another_process_refuses_writes_until_released(
    tmp_path: Path, lab: dict[str, Any]
) -> None:
    store, tid = _store(tmp_path)
    try:
        with faults.store_locked(store.path) as lock:
            assert lock.held
            with pytest.raises(StoreError, match=f"locked by pid {lock.pid}"):
                store.ready_to_write(wait=0)
            assert store.get(tid).status == "forwarded"  # WAL: reads go on
        store.ready_to_write(wait=0)
        lock = faults.lock_store(store.path, release_after=1.0)
        t0 = time.monotonic()
        store.ready_to_write(wait=10)  # waits for the holder to let go by itself
        assert 0.5 < time.monotonic() - t0 < 10
        lock.stop()
        assert not lock.held
        store.apply(tid, Move(step=3, actor="Kadis", outcome="approve"))
    finally:
        store.close()
