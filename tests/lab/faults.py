"""Faults for lab tests: a device losing its management path, a busy ticket store, a device changed
behind the tool's back.

Each fault comes as a context manager (undone on exit, even when the body raises) and as a
start/stop pair, so a test can start it from a progress callback in the middle of a change and end
it later. They act on the lab the session fixture brought up (``SIPELANGI_LAB_DIR`` or
/run/sipelangi-net/lab) and need root, like every lab test.

* :func:`management_cut` / :func:`cut_management` + :func:`restore_management`: the device's
  management sshd is stopped (by the PID in its pid file: the lab started it) and, by default, its
  open SSH sessions are dropped too; restoring starts sshd again exactly as ``lab up`` does. The
  device itself runs on, and so does its commit-confirm timer: it is a double-forked, setsid
  process left to init (sipelangi_net/lab/commit_confirm_script.py), not a child of sshd or of a
  session, so an armed change is still reverted by the device while its management is cut.
* :func:`store_locked` / :func:`lock_store` + :meth:`StoreLock.stop`: another process holds the
  SQLite ticket database write-locked (``BEGIN IMMEDIATE``, as any writer of the store does) until
  it is told to stop, or for ``release_after`` seconds.
* :func:`running_config_changed` / :func:`change_running_config` + :func:`undo_running_config`:
  a harmless line added to a device's running config as root inside its namespaces, not over its
  management SSH (an FRR prefix-list nothing uses; an OVS port's ``external_ids`` key).
* :func:`when`: run an action (one of the above) from a thread once a condition holds, e.g.
  :func:`armed` (the device's commit-confirm state file, read from the host), for runs of the CLI
  in a subprocess where no progress callback reaches the test.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipelangi_net.lab.runtime import (
    LabPaths,
    is_alive,
    nsenter,
    pids_in_namespaces,
    read_pid,
    run,
    stop_pids,
)
from sipelangi_net.paths import lab_dir

LISTEN_WAIT = 10.0
"""Seconds :func:`restore_management` waits for the restarted sshd to accept connections."""


# --- the lab's devices ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabDevice:
    """A device of the running lab, as its manifest lists it."""

    name: str
    platform: str
    host: str
    port: int
    paths: LabPaths

    @property
    def ssh_dir(self) -> Path:
        return self.paths.node(self.name) / "ssh"

    @property
    def sshd_pid_file(self) -> Path:
        return self.ssh_dir / "sshd.pid"

    @property
    def confirm_dir(self) -> Path:
        """The device's commit-confirm state folder (its /run/frr or /run/openvswitch, seen from the host)."""
        return self.paths.node(self.name) / "run" / "commit-confirm"


def lab_device(node: str) -> LabDevice:
    """``node`` of the running lab; AssertionError when the lab is down or ``node`` is not a device."""
    paths = LabPaths(lab_dir())
    manifest = json.loads(paths.manifest.read_text(encoding="utf-8")) if paths.manifest.exists() else None
    assert manifest is not None, f"{paths.manifest}: the lab is not up"
    info = manifest["nodes"].get(node)
    assert info is not None and info.get("platform"), f"{node}: not a device of the lab"
    return LabDevice(node, str(info["platform"]), str(info["host"]), int(info["port"]), paths)


def management_answers(node: str, *, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections on ``node``'s management address."""
    dev = lab_device(node)
    try:
        with socket.create_connection((dev.host, dev.port), timeout=timeout):
            return True
    except OSError:
        return False


# --- management path -----------------------------------------------------------------------------


def sshd_pid(node: str) -> int | None:
    """The PID of ``node``'s management sshd (its listener) when it runs, else None."""
    pid = read_pid(lab_device(node).sshd_pid_file)
    return pid if pid is not None and is_alive(pid) else None


def _sshd_pids(dev: LabDevice) -> list[int]:
    """The device's sshd processes: its listener and its sessions (sshd in the device's mount namespace)."""
    found = []
    for pid in pids_in_namespaces([dev.paths.mnt_ns(dev.name)]):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() == "sshd":
                found.append(pid)
    return found


def cut_management(node: str, *, sessions: bool = True) -> None:
    """``node`` loses its management path: its sshd stops, so new SSH connections are refused.

    ``sessions`` (default): the SSH sessions open to it are dropped as well (a session's sshd
    process ends; what it ran gets end-of-file). The device's own processes keep running,
    the commit-confirm timer among them. Returns once nothing listens any more.
    """
    dev = lab_device(node)
    listener = sshd_pid(node)
    left = stop_pids(
        [listener] if listener is not None else []
    )  # the listener first: no new session starts while the others are stopped
    if sessions:
        left += stop_pids(_sshd_pids(dev))
    assert not left, f"{node}: sshd processes {left} did not stop"
    deadline = time.monotonic() + LISTEN_WAIT
    while management_answers(node, timeout=0.2):
        assert time.monotonic() < deadline, f"{node}: something still listens on {dev.host}:{dev.port}"
        time.sleep(0.05)


def restore_management(node: str, *, timeout: float = LISTEN_WAIT) -> None:
    """Start ``node``'s sshd again exactly as ``lab up`` does and wait until it listens.

    Nothing is started when its sshd (the PID in its pid file) still runs.
    """
    dev = lab_device(node)
    if sshd_pid(node) is None:
        enter = nsenter(dev.paths, node, net=False)
        run([*enter, "/usr/sbin/sshd", "-f", str(dev.ssh_dir / "sshd_config")])
    deadline = time.monotonic() + timeout
    while not management_answers(node, timeout=0.5):
        assert time.monotonic() < deadline, f"{node}: sshd does not listen on {dev.host}:{dev.port}"
        time.sleep(0.05)


@contextlib.contextmanager
def management_cut(node: str, *, sessions: bool = True) -> Iterator[None]:
    """``node``'s management path is cut inside the block and restored after it, even when it raises."""
    cut_management(node, sessions=sessions)
    try:
        yield
    finally:
        restore_management(node)


# --- the ticket store ----------------------------------------------------------------------------

LOCKER = Path(__file__).with_name("store_locker.py")
"""The holder, run by the interpreter of the tests."""


class StoreLock:
    """Another process holding the ticket database ``db`` write-locked.

    It holds what any writer of the store holds while it writes (``BEGIN IMMEDIATE``): every
    write of another process waits for it (SqliteStore: up to its busy_timeout) and then fails;
    reads go on (the store is in WAL mode). ``release_after``: the holder lets go by itself after
    that many seconds; otherwise at :meth:`stop`, or when this process ends (it reads its stdin).
    """

    def __init__(self, db: Path, *, release_after: float | None = None) -> None:
        self.db = db
        self.release_after = release_after
        self._proc: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def held(self) -> bool:
        """True while the holder runs (it may have let go by itself after ``release_after``)."""
        return self._proc is not None and self._proc.poll() is None

    def start(self, *, timeout: float = 30.0) -> StoreLock:
        """Take the lock in a new process; return once it is held."""
        assert self._proc is None, f"{self.db}: already locked by pid {self.pid}"
        argv = [sys.executable, str(LOCKER), str(self.db), str(self.release_after or 0)]
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self._proc = proc
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(_line(proc)), daemon=True)
        reader.start()
        reader.join(timeout)
        if not ready or ready[0].strip() != "locked":
            err = self._stop_process()
            raise AssertionError(f"{self.db}: could not lock the ticket database within {timeout:g} s: {err}")
        return self

    def stop(self) -> None:
        """Let go of the lock (nothing when it was never taken or is already released)."""
        if self._proc is not None:
            self._stop_process()

    def _stop_process(self) -> str:
        proc, self._proc = self._proc, None
        assert proc is not None
        try:
            _, err = proc.communicate(timeout=10)  # closes its stdin: the holder rolls back and ends
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        return str(err).strip()[-500:]

    def __enter__(self) -> StoreLock:
        return self.start() if self._proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return proc.stdout.readline()


def lock_store(db: Path, *, release_after: float | None = None) -> StoreLock:
    """Lock ``db`` from another process now; :meth:`StoreLock.stop` releases it."""
    return StoreLock(db, release_after=release_after).start()


@contextlib.contextmanager
def store_locked(db: Path, *, release_after: float | None = None) -> Iterator[StoreLock]:
    """``db`` is locked by another process inside the block and released after it, even when it raises."""
    lock = lock_store(db, release_after=release_after)
    try:
        yield lock
    finally:
        lock.stop()


# --- the running config, changed behind the tool's back -----------------------------------------

FRR_LINE = "ip prefix-list SPL-FAULT seq 5 deny 192.0.2.0/24"
"""A line no route map uses: it changes the running config and nothing the routers do."""
OVS_KEY = "spl-fault"


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """A change made to ``node``'s running config, and the commands that take it back."""

    node: str
    commands: tuple[str, ...]
    undo: tuple[str, ...]


def _device_command(dev: LabDevice, commands: Sequence[str]) -> None:
    """Run ``commands`` on ``dev`` as root inside its namespaces (FRR: one vtysh; OVS: one shell each)."""
    enter = nsenter(dev.paths, dev.name)
    if dev.platform == "frr":
        run([*enter, "/usr/bin/vtysh", *[w for c in commands for w in ("-c", c)]])
        return
    for command in commands:
        run([*enter, "/bin/sh", "-ec", command])


def _ovs_port(dev: LabDevice) -> str:
    out = run([*nsenter(dev.paths, dev.name), "ovs-vsctl", "--format=json", "--columns=name", "list", "Port"])
    names = sorted(str(row[0]) for row in json.loads(out.stdout)["data"])
    assert names, f"{dev.name}: no ports"
    return names[0]


def change_running_config(
    node: str, *, commands: Sequence[str] = (), undo: Sequence[str] = (), marker: str = "1"
) -> ConfigChange:
    """Change ``node``'s running config as another engineer would, not through the tool nor its SSH.

    By default a harmless line: on FRR ``ip prefix-list SPL-FAULT ...`` (``marker`` is unused), on
    Open vSwitch ``external_ids:spl-fault=MARKER`` on its first port (in what the driver reads as
    its config). Or ``commands`` (vtysh commands, or shell commands on a switch) with their ``undo``.
    """
    dev = lab_device(node)
    if commands:
        change = ConfigChange(node, tuple(commands), tuple(undo))
    elif dev.platform == "frr":
        change = ConfigChange(
            node, ("configure terminal", FRR_LINE), ("configure terminal", f"no {FRR_LINE}")
        )
    else:
        port = _ovs_port(dev)
        change = ConfigChange(
            node,
            (f"ovs-vsctl set port {port} external_ids:{OVS_KEY}={json.dumps(marker)}",),
            (f"ovs-vsctl remove port {port} external_ids {OVS_KEY}",),
        )
    _device_command(dev, change.commands)
    return change


def undo_running_config(change: ConfigChange) -> None:
    """Take ``change`` back (its ``undo`` commands)."""
    if change.undo:
        _device_command(lab_device(change.node), change.undo)


@contextlib.contextmanager
def running_config_changed(
    node: str, *, commands: Sequence[str] = (), undo: Sequence[str] = (), marker: str = "1"
) -> Iterator[ConfigChange]:
    """:func:`change_running_config` inside the block, taken back after it, even when it raises."""
    change = change_running_config(node, commands=commands, undo=undo, marker=marker)
    try:
        yield change
    finally:
        undo_running_config(change)


# --- faults at a moment of a run in another process ----------------------------------------------


def confirm_state(node: str) -> dict[str, Any] | None:
    """``node``'s armed change (commit-confirm's state.json, read from the host), or None when not armed."""
    try:
        data = json.loads((lab_device(node).confirm_dir / "state.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def last_change(node: str) -> dict[str, Any] | None:
    """The outcome of ``node``'s last armed change (commit-confirm's last.json), or None."""
    try:
        data = json.loads((lab_device(node).confirm_dir / "last.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def armed(node: str) -> Callable[[], bool]:
    """A condition for :func:`when`: ``node`` is armed and its revert timer runs.

    It holds as soon as the device has started the timer, which may be a few milliseconds before
    the arm's answer reaches the client: a cut then (with ``sessions``) loses that answer while the
    device stays armed. A test that must cut only after the client heard it uses a progress callback.
    """

    def check() -> bool:
        state = confirm_state(node)
        return state is not None and isinstance(state.get("timer_pid"), int)

    return check


def confirmed(node: str, *, after: str = "") -> Callable[[], bool]:
    """A condition for :func:`when`: ``node``'s last change was confirmed (later than ISO time ``after``)."""

    def check() -> bool:
        last = last_change(node)
        return last is not None and last.get("action") == "confirmed" and str(last.get("at")) > after

    return check


class Trigger:
    """A thread that runs ``action`` once ``condition`` holds (polled every ``poll`` seconds).

    :meth:`wait` joins it: True when the action ran, and re-raises what the action raised.
    """

    def __init__(
        self, condition: Callable[[], bool], action: Callable[[], object], *, timeout: float, poll: float
    ) -> None:
        self.fired_at: float | None = None
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(condition, action, timeout, poll), daemon=True
        )

    def start(self) -> Trigger:
        self._thread.start()
        return self

    def _run(
        self, condition: Callable[[], bool], action: Callable[[], object], timeout: float, poll: float
    ) -> None:
        deadline = time.monotonic() + timeout
        while not self._stop.is_set() and time.monotonic() < deadline:
            if condition():
                self.fired_at = time.monotonic()
                try:
                    action()
                except BaseException as exc:  # handed to the test by wait()
                    self.error = exc
                return
            self._stop.wait(poll)

    def cancel(self) -> None:
        self._stop.set()

    def wait(self, timeout: float = 60.0) -> bool:
        self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.fired_at is not None


def when(
    condition: Callable[[], bool], action: Callable[[], object], *, timeout: float = 120.0, poll: float = 0.02
) -> Trigger:
    """Run ``action`` from a thread as soon as ``condition`` holds (e.g. ``when(armed("sw-dinkes"),
    lambda: cut_management("sw-dinkes"))``), for a change run by the CLI in another process."""
    return Trigger(condition, action, timeout=timeout, poll=poll).start()
