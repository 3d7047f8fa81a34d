"""The monitor's sessions: kept open between rounds, host keys verified, a hanging or vanished
device observed as silent without stalling the round, reconnect with backoff."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.ssh import KeptSession, ShellSession
from sipelangi_net.errors import DeviceError, DeviceTimeout, HostKeyError
from sipelangi_net.faults.sessions import Backoff, DeviceRef, SessionPool, ssh_sessions
from tests.unit.ssh_exec import ExecDevice

CMD = "show interface json"


@pytest.fixture
def device() -> Iterator[ExecDevice]:
    dev = ExecDevice({CMD: '{"eth0": {"operationalStatus": "up"}}'}).start()
    try:
        yield dev
    finally:
        dev.stop()


def creds(tmp_path: Path, *lines: str) -> Credentials:
    known = tmp_path / "known_hosts"
    known.write_text("".join(lines))
    return Credentials(username="eng", password="pw", known_hosts=known)


def ref(dev: ExecDevice, name: str = "r1") -> DeviceRef:
    return DeviceRef(name, "127.0.0.1", dev.port, CMD)


def test_a_kept_session_runs_many_commands_over_one_connection(device: ExecDevice, tmp_path: Path) -> None:
    s = KeptSession(
        name="r1", host="127.0.0.1", port=device.port, creds=creds(tmp_path, device.known_hosts_line())
    )
    s.open()
    try:
        for _ in range(3):
            assert "operationalStatus" in s.run(CMD, timeout=5)
    finally:
        s.close()
    assert device.connections == 1
    assert device.commands == [CMD] * 3


def test_a_shell_session_types_each_command_at_the_prompt(device: ExecDevice, tmp_path: Path) -> None:
    device.answers["show clock"] = "12:00:00.000 WIB\nline two"
    s = ShellSession(
        name="r1", host="127.0.0.1", port=device.port, creds=creds(tmp_path, device.known_hosts_line())
    )
    s.open()
    try:
        assert s.prompt == "r1# "
        for _ in range(3):
            assert s.run(CMD, timeout=5) == '{"eth0": {"operationalStatus": "up"}}\n'
        assert s.run("show clock", timeout=5) == "12:00:00.000 WIB\nline two\n"
        device.hang.set()
        with pytest.raises(DeviceTimeout, match="r1"):
            s.run(CMD, timeout=0.5)
    finally:
        s.close()
    assert device.connections == 1


@pytest.mark.parametrize("kind", [KeptSession, ShellSession])
def test_an_unknown_host_key_is_refused(device: ExecDevice, tmp_path: Path, kind: type) -> None:
    s = kind(name="r1", host="127.0.0.1", port=device.port, creds=creds(tmp_path))
    with pytest.raises(HostKeyError, match="r1"):
        s.open()
    assert device.commands == []


def test_a_hanging_device_times_out_its_read(device: ExecDevice, tmp_path: Path) -> None:
    s = KeptSession(
        name="r1", host="127.0.0.1", port=device.port, creds=creds(tmp_path, device.known_hosts_line())
    )
    s.open()
    device.hang.set()
    try:
        with pytest.raises(DeviceTimeout, match="r1"):
            s.run(CMD, timeout=0.5)
    finally:
        s.close()


def test_the_pool_keeps_sessions_open_between_rounds(device: ExecDevice, tmp_path: Path) -> None:
    c = creds(tmp_path, device.known_hosts_line())
    with SessionPool([ref(device)], factory=ssh_sessions(c)) as pool:
        pool.open_all(within=5)
        for _ in range(3):
            got = pool.read_round(deadline=5)["r1"]
            assert got.answer is not None and "eth0" in got.answer
    assert device.connections == 1


def test_a_hanging_device_is_silent_and_the_round_goes_on(tmp_path: Path) -> None:
    good, stuck = ExecDevice({CMD: "{}"}).start(), ExecDevice({CMD: "{}"}).start()
    try:
        c = creds(tmp_path, good.known_hosts_line(), stuck.known_hosts_line())
        with SessionPool(
            [ref(good, "good"), ref(stuck, "stuck")], factory=ssh_sessions(c), read_timeout=3
        ) as pool:
            pool.open_all(within=5)
            stuck.hang.set()
            t0 = time.monotonic()
            got = pool.read_round(deadline=0.5)
            took = time.monotonic() - t0
            assert (got["good"].answer or "").strip() == "{}"
            assert got["stuck"].answer is None and "0.5 s" in got["stuck"].error
            assert took < 1.5
            again = pool.read_round(deadline=0.5)  # its read still hangs: silent at once
            assert again["stuck"].answer is None and "hanging" in again["stuck"].error
            time.sleep(3)  # the read times out; the session is dropped and opened again
            stuck.hang.clear()
            assert (pool.read_round(deadline=5)["stuck"].answer or "").strip() == "{}"
            assert stuck.connections == 2
    finally:
        good.stop()
        stuck.stop()


def test_a_lost_session_is_opened_again(device: ExecDevice, tmp_path: Path) -> None:
    c = creds(tmp_path, device.known_hosts_line())
    with SessionPool([ref(device)], factory=ssh_sessions(c)) as pool:
        pool.open_all(within=5)
        device.drop_sessions()
        time.sleep(0.2)
        first = pool.read_round(deadline=5)["r1"]
        second = pool.read_round(deadline=5)["r1"]
    assert first.answer is None or second.answer is not None
    assert second.answer is not None
    assert device.connections == 2


class _Refusing:
    """A device that is gone: every connection fails."""

    tries: ClassVar[list[float]] = []

    def __init__(self, clock: list[float]) -> None:
        self.clock = clock

    def open(self) -> None:
        _Refusing.tries.append(self.clock[0])
        raise DeviceError("gone", "cannot reach 127.0.0.1:1: Connection refused")

    def run(self, command: str, *, timeout: float) -> str:
        raise AssertionError("never connected")

    def close(self) -> None:
        pass


def test_a_vanished_device_is_tried_again_with_exponential_backoff() -> None:
    now = [0.0]
    _Refusing.tries = []
    pool = SessionPool(
        [DeviceRef("gone", "127.0.0.1", 1, CMD)],
        factory=lambda _d: _Refusing(now),
        backoff=Backoff(first=1, most=8),
        clock=lambda: now[0],
    )
    with pool:
        for second in range(40):
            now[0] = float(second)
            got = pool.read_round(deadline=1)["gone"]
            assert got.answer is None
    assert _Refusing.tries == [0.0, 1.0, 3.0, 7.0, 15.0, 23.0, 31.0, 39.0]


def test_backoff_doubles_up_to_its_ceiling() -> None:
    b = Backoff(first=1, most=60)
    assert [b.delay(n) for n in (1, 2, 3, 6, 7, 20)] == [1, 2, 4, 32, 60, 60]
