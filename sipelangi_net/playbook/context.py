"""What a playbook run carries from step to step: the ticket, its store, options, timings."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from sipelangi_net.coordination import LOCAL, Coordinator

State = Literal["done", "skipped", "failed", "paused", "stopped"]
IO_KINDS = ("device_io", "bwtest", "documents", "notify", "waiting")
"""Where a run's time goes besides the tool's own work (its overhead is the rest)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one step did, in one line for people (``detail``) and in ``data`` for scripts."""

    state: State
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


def done(detail: str, **data: Any) -> Outcome:
    return Outcome("done", detail, data)


def skipped(detail: str, **data: Any) -> Outcome:
    return Outcome("skipped", detail, data)


def failed(detail: str, **data: Any) -> Outcome:
    return Outcome("failed", detail, data)


def paused(detail: str, **data: Any) -> Outcome:
    return Outcome("paused", detail, data)


def stopped(detail: str, **data: Any) -> Outcome:
    return Outcome("stopped", detail, data)


class Reporter(Protocol):
    def step_started(self, name: str) -> None: ...

    def step_finished(self, name: str, outcome: Outcome, seconds: float) -> None: ...

    def device(self, step: str, device: str, state: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Signing:
    """The berita acara's signers given to the run (``--handover FILE``), and its scan once signed."""

    signers: tuple[Any, ...]
    scan: Path | None = None


@dataclass
class RunOptions:
    dry_run: bool = False
    yes: bool = False
    confirm_timeout: int = 120
    bandwidth: Any = None
    """bandwidth.run.Settings for the confirm gate; ``None``: the run's default settings."""
    handover: Signing | None = None
    photos: tuple[Path, ...] = ()
    lock_wait: float = 0.0
    note: str = ""
    """Why (``--note``): e.g. the reason a handover was refused and the installation rolled back."""
    slot_wait: float = 0.0
    """Seconds the run may sleep for the agreed slot to start (``--wait``); longer: it stops (75)."""
    early_reason: str = ""
    """Why the change is pushed outside the agreed slot (``--now --reason``); kept on step 7."""


@dataclass
class RunContext:
    ticket_id: str | None
    """The ticket of a ticket playbook (provision); ``None`` for a fleet playbook (compliance, backup)."""
    store: Any
    inventory_path: Path
    actor: str
    options: RunOptions
    reporter: Reporter
    reports: Path
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(IO_KINDS, 0.0))
    documents: dict[str, str] = field(default_factory=dict)
    plan: Any = None
    diff: Any = None
    results: dict[str, Any] = field(default_factory=dict)
    """What a step leaves for the next ones (e.g. the compliance report)."""
    environment: Any = None
    """Where the change is checked from (sipelangi_net.environment), chosen by the CLI; ``None``: field."""
    drivers: Any = None
    """The devices' driver factory; ``None``: the registry's driver per platform."""
    change: Any = None
    """The change set the ``diff`` step read and the ``confirm`` step approved: what ``deploy`` pushes."""
    coordinator: Coordinator = LOCAL
    """How the run holds its locks (sipelangi_net.coordination), chosen with the store by the CLI."""
    held: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    """Locks a step takes for the rest of the run (the devices of a change, from its diff to its confirm)."""
    clock: Callable[[], dt.datetime] | None = None
    """The run's clock (aware, UTC); ``None``: the wall clock. Tests set it."""
    sleep: Callable[[float], None] = time.sleep
    """How the run sleeps while it waits (for the agreed slot). Tests inject one that moves the clock."""
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def tid(self) -> str:
        """The ticket's id; a step of a ticket playbook run without one is an error."""
        if self.ticket_id is None:
            from sipelangi_net.errors import PlaybookError

            raise PlaybookError("this step needs a ticket: run the playbook with --ticket ID")
        return self.ticket_id

    def ticket(self) -> Any:
        return self.store.get(self.tid)

    @property
    def creds(self) -> Any:
        if "creds" not in self._cache:
            from sipelangi_net.credentials import load_credentials

            self._cache["creds"] = load_credentials()
        return self._cache["creds"]

    @property
    def catalogues(self) -> Any:
        if "catalogues" not in self._cache:
            from sipelangi_net.analysis.catalogues import load_catalogues

            self._cache["catalogues"] = load_catalogues(self.inventory_path)
        return self._cache["catalogues"]

    @property
    def inventory(self) -> Any:
        return self.catalogues.inventory

    def now(self) -> dt.datetime:
        if self.clock is not None:
            return self.clock()
        from sipelangi_net.tickets.sqlite import utcnow

        return utcnow()

    @contextmanager
    def timed(self, kind: str) -> Iterator[None]:
        """Count the block's wall time under ``kind`` (one of :data:`IO_KINDS`)."""
        t0 = time.monotonic()
        try:
            yield
        finally:
            self.timings[kind] += time.monotonic() - t0
