"""The monitor's device sessions: one kept open per device, read in parallel each round.

A round never waits on one device: every read has its own timeout, the round a deadline, and a
device whose read is still running (it hangs) or whose connection is being retried is simply
*not answering* this round. A lost session is opened again on the next round; a device that
refuses or does not answer a connection is tried again after an exponential backoff (1 s
doubling to a minute by default), so a dead device costs nothing between tries.

The session itself comes from a factory (:func:`ssh_sessions`: the project's SSH with host keys
verified against known_hosts, sipelangi_net.drivers.ssh.KeptSession); tests give their own.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sipelangi_net.errors import DeviceTimeout, SipelangiError

log = logging.getLogger(__name__)


class Session(Protocol):
    def open(self) -> None: ...

    def run(self, command: str, *, timeout: float) -> str: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DeviceRef:
    """A device the monitor reads: its name, management address and the command it reads."""

    name: str
    host: str
    port: int
    command: str


@dataclass(frozen=True, slots=True)
class Reading:
    device: str
    answer: str | None
    """``None``: the device did not answer this round (``error`` says why)."""
    error: str = ""
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 1.0
    """Seconds before the first new try after a failed connection."""
    most: float = 60.0
    """The longest wait between tries."""

    def delay(self, failures: int) -> float:
        return float(min(self.most, self.first * 2 ** max(0, failures - 1)))


SessionFactory = Callable[[DeviceRef], Session]


class _Slot:
    def __init__(self, device: DeviceRef) -> None:
        self.device = device
        self.session: Session | None = None
        self.failures = 0
        self.retry_at = 0.0
        self.job: concurrent.futures.Future[Reading] | None = None
        self.lock = threading.Lock()


class SessionPool:
    """Sessions to ``devices`` kept open between rounds. No I/O before :meth:`open_all` or
    :meth:`read_round`; :meth:`close` closes every session (also as a context manager)."""

    def __init__(
        self,
        devices: Iterable[DeviceRef],
        *,
        factory: SessionFactory,
        workers: int = 32,
        read_timeout: float = 5.0,
        backoff: Backoff = Backoff(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._slots = {d.name: _Slot(d) for d in devices}
        self._factory = factory
        self._read_timeout = read_timeout
        self._backoff = backoff
        self._clock = clock
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max(1, min(workers, len(self._slots) or 1)), thread_name_prefix="monitor-session"
        )

    def __enter__(self) -> SessionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(self._slots)

    def open_all(self, *, within: float) -> None:
        """Connect to every device at once (the first round then finds its sessions open)."""
        self.read_round(deadline=within, command_less=True)

    def read_round(self, *, deadline: float, command_less: bool = False) -> dict[str, Reading]:
        """Every device's answer to its command, read in parallel; a device that has not answered
        within ``deadline`` seconds (or is waiting for its next connection try) has ``answer``
        ``None`` this round."""
        now = self._clock()
        waiting: dict[str, concurrent.futures.Future[Reading]] = {}
        out: dict[str, Reading] = {}
        for name, slot in self._slots.items():
            if slot.job is not None and not slot.job.done():
                out[name] = Reading(name, None, "still reading from the round before (hanging)")
            elif slot.session is None and now < slot.retry_at:
                out[name] = Reading(name, None, f"reconnecting in {slot.retry_at - now:.0f} s")
            else:
                slot.job = self._pool.submit(self._read, slot, command_less)
                waiting[name] = slot.job
        concurrent.futures.wait(list(waiting.values()), timeout=deadline)
        for name, job in waiting.items():
            if job.done():
                out[name] = job.result()
            else:
                out[name] = Reading(name, None, f"no answer within the round's {deadline:g} s")
        return {name: out[name] for name in self._slots}

    def _read(self, slot: _Slot, command_less: bool) -> Reading:
        started = self._clock()
        with slot.lock:
            kept = slot.session is not None
            try:
                answer = self._ask(slot, command_less)
            except DeviceTimeout as exc:  # it hangs: a new session next round
                self._drop(slot)
                return Reading(slot.device.name, None, str(exc), self._clock() - started)
            except Exception as exc:
                self._drop(slot)
                if not kept:
                    return Reading(slot.device.name, None, _why(exc), self._clock() - started)
                try:  # the kept session was lost (the device restarted its sshd): one new try now
                    answer = self._ask(slot, command_less)
                except Exception as again:
                    self._drop(slot)
                    return Reading(slot.device.name, None, _why(again), self._clock() - started)
            return Reading(slot.device.name, answer, "", self._clock() - started)

    def _ask(self, slot: _Slot, command_less: bool) -> str:
        if slot.session is None:
            self._connect(slot)
        if command_less or not slot.device.command:
            return ""
        return self._run(slot)

    def _run(self, slot: _Slot) -> str:
        assert slot.session is not None
        return slot.session.run(slot.device.command, timeout=self._read_timeout)

    def _connect(self, slot: _Slot) -> None:
        session = self._factory(slot.device)
        try:
            session.open()
        except Exception:
            slot.failures += 1
            slot.retry_at = self._clock() + self._backoff.delay(slot.failures)
            log.info("%s: connection failed (%d in a row), next try in %.0f s", slot.device.name,
                     slot.failures, self._backoff.delay(slot.failures))  # fmt: skip
            session.close()
            raise
        slot.session = session
        slot.failures = 0

    def _drop(self, slot: _Slot) -> None:
        if slot.session is not None:
            slot.session.close()
            slot.session = None
            slot.retry_at = 0.0  # a lost session is opened again on the next round

    def run_failed(self, name: str) -> None:
        """Drop ``name``'s session (its answer was unusable): the next round opens a new one."""
        slot = self._slots[name]
        with slot.lock:
            self._drop(slot)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        for slot in self._slots.values():
            if slot.lock.acquire(timeout=0.5):
                try:
                    self._drop(slot)
                finally:
                    slot.lock.release()
            elif slot.session is not None:  # a read still hangs: closing the socket ends it
                slot.session.close()


def _why(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, SipelangiError) else f"{type(exc).__name__}: {exc}"


def ssh_sessions(creds: Any, *, timeout: float = 5.0) -> SessionFactory:
    """Sessions over the project's SSH (host keys verified against the credentials' known_hosts):
    an interactive session at the device's prompt for a device read each round (the device starts
    nothing per read), the bare connection for one only checked to answer."""
    from sipelangi_net.drivers.ssh import KeptSession, ShellSession

    def make(device: DeviceRef) -> Session:
        kind = ShellSession if device.command else KeptSession
        return kind(name=device.name, host=device.host, port=device.port, creds=creds, timeout=timeout)

    return make


def device_refs(inventory: Any, names: Iterable[str]) -> tuple[DeviceRef, ...]:
    """The monitor's read of each device: its platform spec's ``monitor`` command, or a plain
    ``show`` of its lab probe when the platform has none (the device answers or not)."""
    from sipelangi_net.platforms import spec_for

    refs = []
    for name in names:
        device = inventory.devices[name]
        spec = spec_for(device.platform)
        command = spec.interfaces.command if spec.interfaces else (spec.lab.probe if spec.lab else "")
        refs.append(DeviceRef(name, device.hostname, device.port, command))
    return tuple(refs)


def answers(readings: Mapping[str, Reading]) -> dict[str, str]:
    return {name: r.answer for name, r in readings.items() if r.answer is not None}
