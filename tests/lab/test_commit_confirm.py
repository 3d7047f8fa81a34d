"""The device's own revert timer (commit-confirm) on real FRR and Open vSwitch.

A change pushed after ``arm`` is undone by the device itself when nobody
confirms it: when the toolkit forgets, dies (SIGKILL) or loses its session.
Every test leaves its device exactly as it found it (fixture teardown).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers import confirm
from sipelangi_net.drivers.ssh import exec_command
from sipelangi_net.errors import DeviceError
from sipelangi_net.paths import lab_dir
from tests.lab.conftest import ROOT, lab_exec

FRR = ("dist-tamansari", "127.2.0.2", 2022)
OVS = ("sw-bappeda", "127.2.1.2", 2022)
# No lab test arms these two (deploy tests use the Dinkes site, compliance and the tests here
# dist-tamansari and sw-bappeda).
NEVER_ARMED = (("dist-bukitintan", "127.2.0.4", 2022), ("sw-kec-gerunggang", "127.2.1.5", 2022))
ADDRESS = "ip address 10.20.99.1/24"
FRR_CHANGE = ("configure terminal", "interface eth1", ADDRESS)
FRR_UNDO = ("configure terminal", "interface eth1", f"no {ADDRESS}")
MARGIN = 15.0  # on top of the timer: the restore itself and a busy 2-core machine


def vtysh(*commands: str) -> str:
    args = [a for c in commands for a in ("-c", c)]
    return lab_exec(FRR[0], "vtysh", *args).stdout


def frr_running() -> str:
    """``show running-config`` without the "Building configuration..." header (up to the first "!")."""
    text = vtysh("show running-config")
    return text[text.index("\n!\n") + 1 :]


def ovs_ports() -> list[Any]:
    out = lab_exec(
        OVS[0], "ovs-vsctl", "--format=json", "--columns=name,tag,external_ids", "list", "Port"
    ).stdout
    return sorted(json.loads(out)["data"], key=lambda row: str(row[0]))  # rows get new UUIDs: order by name


def wait_until(check: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``check()`` holds; fails after ``timeout``."""
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"not reached within {timeout:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - t0


def disarm(device: tuple[str, str, int], creds: Credentials) -> None:
    try:
        if confirm.status(*device, creds)["armed"]:
            confirm.rollback(*device, creds)
    except DeviceError as exc:
        print(f"teardown: {exc}")


def timer_alive(pid: int, token: str) -> bool:
    try:
        return token in Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return False


@pytest.fixture
def frr_original(lab: dict[str, Any], creds: Credentials) -> Iterator[str]:
    original = frr_running()
    try:
        yield original
    finally:
        disarm(FRR, creds)
        if frr_running() != original:
            vtysh(*FRR_UNDO)
        assert frr_running() == original


@pytest.fixture
def ovs_original(lab: dict[str, Any], creds: Credentials) -> Iterator[list[Any]]:
    original = ovs_ports()
    try:
        yield original
    finally:
        disarm(OVS, creds)
        if ovs_ports() != original:
            name, tag, ids = next(row for row in original if row[0] == "eth2")
            description = dict(ids[1])["description"]
            lab_exec(
                OVS[0],
                "ovs-vsctl",
                "set",
                "port",
                name,
                f"tag={tag}",
                f"external_ids:description={description}",
            )
        assert ovs_ports() == original


def test_frr_unconfirmed_change_is_reverted_by_the_device(creds: Credentials, frr_original: str) -> None:
    t0 = time.monotonic()
    armed = confirm.arm(*FRR, creds, 10)
    assert armed["armed"] is True and armed["device"] == FRR[0]
    vtysh(*FRR_CHANGE)
    assert ADDRESS in frr_running()
    status = confirm.status(*FRR, creds)
    assert status["armed"] is True and status["timer_running"] is True
    assert status["expires_at"] == armed["expires_at"]

    wait_until(lambda: frr_running() == frr_original, 10 + MARGIN)
    reverted_after = time.monotonic() - t0
    assert reverted_after >= 9.9, "reverted before its time"
    status = confirm.status(*FRR, creds)
    assert status["armed"] is False
    last = status["last"]
    assert (last["action"], last["verified"], last["token"]) == ("expired", True, armed["token"])
    assert last["startup"] == "unchanged"  # the change was not saved: frr.conf untouched
    assert not timer_alive(armed["timer_pid"], armed["token"])
    print(
        f"\nFRR expiry: reverted {reverted_after:.2f} s after arm 10; restore {last['restore_seconds']} s"
        f" + verify {last['verify_seconds']} s"
    )
    with pytest.raises(
        DeviceError, match=r"dist-tamansari: .*nothing to confirm: not armed; last change: expired"
    ):
        confirm.confirm(*FRR, creds)


def test_frr_confirmed_change_stays(creds: Credentials, frr_original: str) -> None:
    armed = confirm.arm(*FRR, creds, 10)
    vtysh(*FRR_CHANGE)
    confirmed = confirm.confirm(*FRR, creds)
    assert confirmed["confirmed"] is True and confirmed["timer_stopped"] is True
    assert not timer_alive(armed["timer_pid"], armed["token"])
    status = confirm.status(*FRR, creds)
    assert status["armed"] is False
    assert (status["last"]["action"], status["last"]["token"]) == ("confirmed", armed["token"])

    expires = datetime.fromisoformat(armed["expires_at"]).timestamp()
    time.sleep(max(0.0, expires - time.time()) + 3)
    assert ADDRESS in frr_running(), "a confirmed change was reverted"
    vtysh(*FRR_UNDO)
    assert frr_running() == frr_original


def test_confirm_racing_the_expiry_is_one_or_the_other(creds: Credentials, frr_original: str) -> None:
    """Confirm sent just as the timer fires: either it wins (change stays) or it is refused (reverted)."""
    armed = confirm.arm(*FRR, creds, 10)
    vtysh(*FRR_CHANGE)
    expires = datetime.fromisoformat(armed["expires_at"]).timestamp()
    time.sleep(max(0.0, expires - time.time() - 0.1))
    try:
        confirm.confirm(*FRR, creds)
        won = True
    except DeviceError as exc:
        assert "nothing to confirm: not armed; last change: expired" in str(exc)
        won = False
    time.sleep(2)
    last = confirm.status(*FRR, creds)["last"]
    print(f"\nconfirm at the expiry: {'confirm' if won else 'the timer'} won")
    if won:
        assert last["action"] == "confirmed" and ADDRESS in frr_running()
        vtysh(*FRR_UNDO)
    else:
        assert (last["action"], last["verified"]) == ("expired", True)
    assert frr_running() == frr_original


def test_frr_rollback_now_restores_running_and_startup(creds: Credentials, frr_original: str) -> None:
    """The change goes in the way the toolkit pushes it (SSH as the lab user) and is saved."""
    startup = lab_exec(FRR[0], "cat", "/etc/frr/frr.conf").stdout
    confirm.arm(*FRR, creds, 60)
    exec_command(*FRR, creds, "\n".join(FRR_CHANGE))
    exec_command(*FRR, creds, "write memory")
    assert ADDRESS in lab_exec(FRR[0], "cat", "/etc/frr/frr.conf").stdout

    t0 = time.monotonic()
    reply = confirm.rollback(*FRR, creds)
    took = time.monotonic() - t0
    assert (reply["action"], reply["restored"], reply["verified"]) == ("rolled_back", True, True)
    assert reply["startup"] == "restored"
    assert frr_running() == frr_original
    assert lab_exec(FRR[0], "cat", "/etc/frr/frr.conf").stdout == startup
    assert confirm.status(*FRR, creds)["armed"] is False
    print(f"\nFRR rollback: {took:.2f} s over SSH; restore {reply['restore_seconds']} s")
    with pytest.raises(DeviceError, match="nothing to roll back: not armed; last change: rolled_back"):
        confirm.rollback(*FRR, creds)


def test_frr_rollback_is_exact_for_list_entries_and_an_absent_interface(
    creds: Credentials, frr_original: str
) -> None:
    """Numbered prefix-list entries and an address on an interface the kernel does not have (as a
    public config carries): FRR 8.4's zebra removes such an address but reports failure, so
    frr-reload.py exits 1; the restore is judged by the result, and the device is disarmed."""
    confirm.arm(*FRR, creds, 60)
    change = ["configure terminal", "interface r2-eth9", "ip address 10.0.2.2/24", "exit"]
    change += ["ip prefix-list nets seq 20 permit 10.0.40.0/24", "ip prefix-list nets seq 25 deny any"]
    exec_command(*FRR, creds, "\n".join(change))
    assert "ip prefix-list nets seq 25 deny any" in frr_running()
    reply = confirm.rollback(*FRR, creds)
    assert (reply["restored"], reply["verified"]) == (True, True), reply
    assert frr_running() == frr_original
    assert confirm.status(*FRR, creds)["armed"] is False


def test_ovs_unconfirmed_change_is_reverted_by_the_device(
    creds: Credentials, ovs_original: list[Any]
) -> None:
    eth2 = next(row for row in ovs_original if row[0] == "eth2")
    assert eth2[1] == 999
    t0 = time.monotonic()
    confirm.arm(*OVS, creds, 10)
    lab_exec(
        OVS[0], "ovs-vsctl", "set", "port", "eth2", "tag=150", "external_ids:description=diubah oleh uji"
    )
    assert next(row for row in ovs_ports() if row[0] == "eth2")[1] == 150

    wait_until(lambda: ovs_ports() == ovs_original, 10 + MARGIN)
    reverted_after = time.monotonic() - t0
    assert reverted_after >= 9.9, "reverted before its time"
    last = confirm.status(*OVS, creds)["last"]
    assert (last["action"], last["verified"], last["applied"]) == ("expired", True, True)
    print(
        f"\nOVS expiry: reverted {reverted_after:.2f} s after arm 10; restore {last['restore_seconds']} s"
        f" + verify {last['verify_seconds']} s"
    )
    t0 = time.monotonic()
    confirm.arm(*OVS, creds, 60)
    lab_exec(OVS[0], "ovs-vsctl", "set", "port", "eth2", "tag=150")
    reply = confirm.rollback(*OVS, creds)
    took = time.monotonic() - t0
    print(f"OVS rollback: arm + change + rollback {took:.2f} s; restore {reply['restore_seconds']} s")
    assert reply["verified"] is True and ovs_ports() == ovs_original


KILLED_TOOLKIT = """
import os, signal, sys
from pathlib import Path
from sipelangi_net.credentials import load_credentials
from sipelangi_net.drivers import confirm
from sipelangi_net.drivers.ssh import exec_command

creds = load_credentials(Path(sys.argv[1]))
frr, ovs = ("dist-tamansari", "127.2.0.2", 2022), ("sw-bappeda", "127.2.1.2", 2022)
confirm.arm(*frr, creds, 10)
confirm.arm(*ovs, creds, 10)
exec_command(*frr, creds, "configure terminal\\ninterface eth1\\nip address 10.20.99.1/24")
exec_command(*ovs, creds, "ovs-vsctl set port eth2 tag=150 external_ids:description=mati")
print("changed", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_devices_revert_when_the_toolkit_dies(
    creds: Credentials, frr_original: str, ovs_original: list[Any]
) -> None:
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_TOOLKIT, str(lab_dir() / "secrets.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert proc.stdout.strip() == "changed"
    assert ADDRESS in frr_running()
    assert ovs_ports() != ovs_original

    wait_until(lambda: frr_running() == frr_original and ovs_ports() == ovs_original, 10 + MARGIN)
    print(f"\nafter SIGKILL: both devices back {time.monotonic() - t0:.2f} s after the toolkit started")
    for device in (FRR, OVS):
        last = confirm.status(*device, creds)["last"]
        assert (last["action"], last["verified"]) == ("expired", True), device


def openssh(
    device: tuple[str, str, int], creds: Credentials, command: str
) -> subprocess.CompletedProcess[str]:
    """The OpenSSH client, to see the exit status and stderr of the session."""
    _name, host, port = device
    assert creds.ssh_key is not None and creds.known_hosts is not None
    return subprocess.run(
        [
            "ssh",
            "-i",
            str(creds.ssh_key),
            "-o",
            f"UserKnownHostsFile={creds.known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-p",
            str(port),
            f"{creds.username}@{host}",
            command,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("commit-confirm arm abc", "SECONDS must be a whole number from 10 to 3600, got 'abc'"),
        ("commit-confirm arm 5", "SECONDS must be a whole number from 10 to 3600, got '5'"),
        ("commit-confirm arm 3601", "SECONDS must be a whole number from 10 to 3600, got '3601'"),
        ("commit-confirm arm", "arm takes one argument: SECONDS"),
        ("commit-confirm arm 30 60", "arm takes one argument: SECONDS"),
        (
            "commit-confirm frobnicate",
            "unknown command 'frobnicate' (use: arm SECONDS, confirm, rollback or status)",
        ),
        ("commit-confirm status *", "status takes no arguments"),
        ("commit-confirm _timer 0123", "unknown command '_timer'"),
        ("commit-confirm", "no command given"),
    ],
)
def test_bad_arguments_are_refused(
    lab: dict[str, Any], creds: Credentials, command: str, message: str
) -> None:
    for device in (FRR, OVS):
        proc = openssh(device, creds, command)
        assert proc.returncode == 2, (device, proc.stdout, proc.stderr)
        assert f"commit-confirm: {message}" in proc.stderr
        reply = json.loads(proc.stdout)
        assert reply["ok"] is False and message in reply["error"]
        assert confirm.status(*device, creds)["armed"] is False


def test_arming_twice_is_refused(creds: Credentials, frr_original: str) -> None:
    armed = confirm.arm(*FRR, creds, 30)
    with pytest.raises(
        DeviceError, match=rf"dist-tamansari: commit-confirm arm: already armed \(token {armed['token']}"
    ):
        confirm.arm(*FRR, creds, 30)
    proc = openssh(FRR, creds, "commit-confirm arm 30")
    assert proc.returncode == 1 and "commit-confirm: already armed" in proc.stderr
    with pytest.raises(DeviceError, match="from 10 to 3600"):
        confirm.arm(*FRR, creds, 5)
    assert confirm.status(*FRR, creds)["token"] == armed["token"]
    assert confirm.rollback(*FRR, creds)["verified"] is True


def test_status_of_a_device_never_armed(lab: dict[str, Any], creds: Credentials) -> None:
    for device in NEVER_ARMED:
        status = confirm.status(*device, creds)
        assert status == {"ok": True, "device": device[0], "armed": False, "expires_at": None, "last": None}


def test_the_session_still_serves_plain_commands(lab: dict[str, Any], creds: Credentials) -> None:
    assert "hostname dist-tamansari" in exec_command(*FRR, creds, "show running-config")
    assert exec_command(*OVS, creds, "hostname").strip() == "sw-bappeda"
    proc = openssh(FRR, creds, "commit-confirmX status")  # not the helper: vtysh answers
    assert "% Unknown command: commit-confirmX status" in proc.stdout + proc.stderr
