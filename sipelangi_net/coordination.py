"""One way a run holds its locks (tickets, devices, the calendar), chosen where the store is chosen.

- :class:`LocalLocks`: ``flock`` files on this machine (:mod:`sipelangi_net.locks`); the kernel
  drops them when the process dies. Enough when the store is a local SQLite file: every run
  that writes it is on this machine.
- :class:`ServerLeases`: the same local locks, and then a lease on the SiPelangi server
  (:mod:`sipelangi_net.tickets.leases`), so runs on other laptops using the same server are kept
  apart too. A daemon thread renews the leases; a lease that is lost (not renewed in time, taken
  over) is logged, and :meth:`ServerLeases.check` fails from then on, so the run stops before it
  pushes anything more.

:func:`coordinating` picks one for a store; the CLI calls it when it opens the store and hands the
coordinator to the stages (``RunContext.coordinator``, ``install_ticket(coordinator=...)``), which
never ask which store they have.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sipelangi_net.errors import Busy, LeaseLost, StoreError
from sipelangi_net.locks import holding
from sipelangi_net.tickets.leases import Lease, lease_name

log = logging.getLogger(__name__)

Names = Iterable[tuple[str, str]]
LEASE_TTL_S = 60
"""A server lease lives this long unless renewed; it is renewed every third of it."""
POLL_S = 0.5
"""How often a run waiting for a lease held elsewhere asks again."""


class Coordinator(Protocol):
    def holding(
        self, names: Names, *, purpose: str, wait: float = 0.0
    ) -> contextlib.AbstractContextManager[None]:
        """Hold ``names`` (``(kind, name)``) for the block, waiting up to ``wait`` s; Busy if not."""
        ...

    def check(self) -> None:
        """LeaseLost when a lease this run holds is gone; asked before each step and each push."""
        ...


@dataclass(frozen=True, slots=True)
class LocalLocks:
    """This machine's ``flock`` locks (``folder``: default :func:`sipelangi_net.paths.lock_dir`)."""

    folder: Path | None = None

    def holding(
        self, names: Names, *, purpose: str, wait: float = 0.0
    ) -> contextlib.AbstractContextManager[None]:
        return holding(names, purpose=purpose, wait=wait, folder=self.folder)

    def check(self) -> None:
        return None


LOCAL = LocalLocks()


class LeaseClient(Protocol):
    """What :class:`ServerLeases` needs of the server (``HttpStore``)."""

    def acquire_lease(self, names: list[str], *, purpose: str, ttl_s: int, host: str, pid: int) -> Lease: ...

    def renew_lease(self, lease_id: str, *, ttl_s: int) -> Lease: ...

    def release_lease(self, lease_id: str) -> None: ...

    def close(self) -> None: ...


class ServerLeases:
    """Local locks, then the server's lease on the same names; renewed in a daemon thread.

    Re-entrant like the local locks: a name this run holds already is not asked for again.
    """

    def __init__(self, client: LeaseClient, *, ttl_s: int = LEASE_TTL_S, local: LocalLocks = LOCAL) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self.local = local
        self._depth: dict[str, int] = {}
        self._leases: dict[str, Lease] = {}
        self._lost: str | None = None
        self._lock = threading.Lock()
        """One call to the server at a time (the run's thread and the renewing thread share the client)."""
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # --- holding ----------------------------------------------------------------------
    @contextlib.contextmanager
    def holding(self, names: Names, *, purpose: str, wait: float = 0.0) -> Iterator[None]:
        pairs = sorted(set(names))
        with self.local.holding(pairs, purpose=purpose, wait=wait):
            self.check()
            wanted = [lease_name(kind, name) for kind, name in pairs]
            new = [n for n in wanted if n not in self._depth]
            lease = self._acquire(new, purpose, time.monotonic() + wait) if new else None
            for n in wanted:
                self._depth[n] = self._depth.get(n, 0) + 1
            try:
                yield
            finally:
                for n in wanted:
                    self._depth[n] -= 1
                    if not self._depth[n]:
                        del self._depth[n]
                if lease is not None:
                    self._release(lease)

    def check(self) -> None:
        if self._lost is not None:
            raise LeaseLost(f"{self._lost}; this run stops here, before it changes anything more")

    def _acquire(self, names: list[str], purpose: str, deadline: float) -> Lease:
        host, pid = socket.gethostname(), os.getpid()
        while True:
            try:
                with self._lock:
                    lease = self.client.acquire_lease(
                        names, purpose=purpose, ttl_s=self.ttl_s, host=host, pid=pid
                    )
                break
            except Busy:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(POLL_S)
        log.info("lease %s: holding %s until %s", lease.lease_id, ", ".join(names), lease.expires_at)
        with self._lock:
            self._leases[lease.lease_id] = lease
            self._start()
        return lease

    def _release(self, lease: Lease) -> None:
        with self._lock:
            if self._leases.pop(lease.lease_id, None) is None:
                return  # lost meanwhile: nothing to give back
            try:
                self.client.release_lease(lease.lease_id)
            except StoreError as exc:  # it expires by itself
                log.warning(
                    "lease %s: not released (%s); it expires at %s", lease.lease_id, exc, lease.expires_at
                )

    # --- renewing ---------------------------------------------------------------------
    def _start(self) -> None:
        """(Under ``_lock``.) The renewing thread, unless it runs; it ends when no lease is left."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._renewing, name="lease-renewal", daemon=True)
            self._thread.start()

    def _renewing(self) -> None:
        while not self._wake.wait(self.ttl_s / 3):
            with self._lock:
                leases = list(self._leases.values())
                if not leases:
                    self._thread = None  # a lease taken from now on starts a new thread
                    return
            for lease in leases:
                try:
                    self._renew(lease)
                except Exception as exc:  # a dead thread would let the lease expire unseen
                    with self._lock:
                        self._lose(lease, f"the renewal failed: {type(exc).__name__}: {exc}")

    def _renew(self, lease: Lease) -> None:
        with self._lock:
            if lease.lease_id not in self._leases:
                return
            try:
                self._leases[lease.lease_id] = self.client.renew_lease(lease.lease_id, ttl_s=self.ttl_s)
            except LeaseLost as exc:
                self._lose(lease, str(exc))
            except (
                StoreError
            ) as exc:  # the server unreachable, or the token refused: try again until it expires
                if dt.datetime.now(dt.UTC) >= lease.expires_at:
                    self._lose(lease, f"lease {lease.lease_id} expired: not renewed in time ({exc})")
                else:
                    log.warning("lease %s: not renewed yet (%s); trying again", lease.lease_id, exc)

    def _lose(self, lease: Lease, why: str) -> None:
        """(Under ``_lock``.) The lease is gone: remembered, so :meth:`check` fails from now on."""
        self._leases.pop(lease.lease_id, None)
        self._lost = f"the server lease on {', '.join(lease.names)} was lost: {why}"
        log.error("%s", self._lost)

    def close(self) -> None:
        """Stop renewing and give back what is still held; close the client."""
        self._wake.set()
        with self._lock:
            leases, self._leases = list(self._leases.values()), {}
            for lease in leases:
                with contextlib.suppress(StoreError):
                    self.client.release_lease(lease.lease_id)
        self.client.close()


@contextlib.contextmanager
def coordinating(store: Any, *, local: LocalLocks = LOCAL) -> Iterator[Coordinator]:
    """The coordinator for ``store``: a SiPelangi server's leases (plus local locks), else local locks.

    Called at the edge (the CLI), where the store is chosen.
    """
    from sipelangi_net.tickets.acting import unwrapped
    from sipelangi_net.tickets.http import HttpStore

    inner = unwrapped(store)
    if not isinstance(inner, HttpStore):
        yield local
        return
    leases = ServerLeases(inner.sibling(), local=local)
    try:
        yield leases
    finally:
        leases.close()
