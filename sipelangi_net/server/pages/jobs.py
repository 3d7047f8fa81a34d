"""The Tim Kerja's background jobs: a CLI run (``provision``, ``diff``) started by the server for a
ticket, outliving the request that started it.

A job is a folder ``<jobs>/<ticket>/<job-id>/`` (0700, outside anything served) holding
``job.json`` (what, who, when, the runner's pid, the id of the short-lived token), ``log`` (the
run's output) and, once it ended, ``rc`` (its exit code, written atomically by the runner,
:mod:`sipelangi_net.server.pages.jobrun`). The runner is started in a session of its own, so the
request, a closed browser tab or the server's shutdown never stops it, and the server never
kills it; the exit code is the runner's file, not the server's memory, so a restarted server
still reads it. One job per ticket at a time: :meth:`Jobs.start` refuses a second while the
first runs (a lock file per ticket, and the live pid's command line naming the job's folder).

The account's API token is given to the runner in its environment (``SIPELANGI_TOKEN``), never
on its command line or in a file; the server revokes it once it sees the job ended.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sipelangi_net.capped import read_capped_text
from sipelangi_net.locks import open_lock, read_holder, try_lock, unlock, wait_lock
from sipelangi_net.logs import scrub

JOB_ID = re.compile(r"^\d{8}T\d{6}Z-\d{1,10}$")
TAIL_BYTES = 64 * 1024
RUNNER = "sipelangi_net.server.pages.jobrun"
RUNNER_LOCK = "runner.lock"
"""In a job's folder: locked by its runner from its start to its end, then naming it (``pid N``)."""
STARTING_S = 30.0
"""A job whose runner has not taken its lock yet counts as running this long after it was written."""


class JobBusy(Exception):
    """A job of the ticket is still running (its :class:`Job`)."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"ticket {job.ticket_id}: job {job.id} ({job.kind}) is still running")
        self.job = job


@dataclass(frozen=True, slots=True)
class Job:
    """One job as its folder records it."""

    ticket_id: str
    id: str
    kind: str
    username: str
    started_at: dt.datetime
    pid: int
    token_id: int
    folder: Path
    exit_code: int | None

    @property
    def running(self) -> bool:
        return self.exit_code is None and _alive(self.pid, self.folder)

    @property
    def lost(self) -> bool:
        """Ended without an exit code (the runner was killed, or the machine restarted)."""
        return self.exit_code is None and not _alive(self.pid, self.folder)

    def tail(self, lines: int = 40) -> list[str]:
        """The log's last ``lines`` lines, secrets and secret-looking values hidden."""
        log = self.folder / "log"
        try:
            with log.open("rb") as f:
                f.seek(max(0, log.stat().st_size - TAIL_BYTES))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return []
        return [scrub(line) for line in text.splitlines()[-lines:]]


def _alive(pid: int, folder: Path) -> bool:
    """Whether the job in ``folder`` still runs: on Linux, ``pid`` is still its runner (not a reused
    pid, read from /proc); elsewhere (macOS, Windows), its runner still holds its lock."""
    if not sys.platform.startswith("linux"):
        return runner_holds_lock(folder)
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text(errors="replace") if Path(f"/proc/{pid}/stat").exists() else ""
    zombie = stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]
    return not zombie and str(folder).encode() in cmdline


def runner_holds_lock(folder: Path) -> bool:
    """Whether the runner of the job in ``folder`` holds :data:`RUNNER_LOCK` (or has not started yet)."""
    try:
        with open_lock(folder / RUNNER_LOCK) as handle:
            if not try_lock(handle):
                return True
            started = bool(read_holder(handle))
            unlock(handle)
    except OSError:
        return False
    if started:
        return False
    try:
        return time.time() - (folder / "job.json").stat().st_mtime < STARTING_S
    except OSError:
        return True  # job.json is being written: the runner was started a moment ago


class Jobs:
    """The jobs folder of a server."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _ticket_dir(self, ticket_id: str) -> Path:
        path = self.folder / ticket_id
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    def read(self, ticket_id: str, job_id: str) -> Job | None:
        if not JOB_ID.match(job_id):
            return None
        folder = self.folder / ticket_id / job_id
        try:
            doc = json.loads(read_capped_text(folder / "job.json", limit=64 * 1024, what="job"))
            rc_text = (folder / "rc").read_text().strip() if (folder / "rc").exists() else ""
            return Job(
                ticket_id=str(doc["ticket_id"]),
                id=job_id,
                kind=str(doc["kind"]),
                username=str(doc["username"]),
                started_at=dt.datetime.fromisoformat(str(doc["started_at"])),
                pid=int(doc["pid"]),
                token_id=int(doc.get("token_id", 0)),
                folder=folder,
                exit_code=int(rc_text) if rc_text.lstrip("-").isdigit() else None,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def of(self, ticket_id: str) -> list[Job]:
        """The ticket's jobs, newest first."""
        folder = self.folder / ticket_id
        if not folder.is_dir():
            return []
        found = (self.read(ticket_id, p.name) for p in sorted(folder.iterdir(), reverse=True) if p.is_dir())
        return [j for j in found if j is not None]

    def latest(self, ticket_id: str, kind: str | None = None) -> Job | None:
        return next((j for j in self.of(ticket_id) if kind is None or j.kind == kind), None)

    @contextmanager
    def _locked(self, ticket_id: str) -> Iterator[None]:
        with open_lock(self._ticket_dir(ticket_id) / ".lock") as handle:
            wait_lock(handle)
            yield

    def start(
        self,
        ticket_id: str,
        kind: str,
        argv: Sequence[str],
        *,
        username: str,
        token_id: int = 0,
        env: Mapping[str, str],
        now: dt.datetime,
    ) -> Job:
        """Start ``argv`` as the ticket's job (JobBusy while another of the ticket runs)."""
        with self._locked(ticket_id):
            running = next((j for j in self.of(ticket_id) if j.running), None)
            if running is not None:
                raise JobBusy(running)
            job_id = f"{now:%Y%m%dT%H%M%SZ}-{os.getpid()}{len(self.of(ticket_id))}"
            folder = self._ticket_dir(ticket_id) / job_id
            folder.mkdir(mode=0o700)
            log_fd = os.open(folder / "log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                process = subprocess.Popen(
                    [sys.executable, "-m", RUNNER, str(folder), "--", *argv],
                    stdin=subprocess.DEVNULL,
                    stdout=log_fd,
                    stderr=subprocess.STDOUT,
                    env=dict(env),
                    start_new_session=True,  # not in the server's process group: none of its signals
                    creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),  # the same, on Windows
                    close_fds=True,
                )
            finally:
                os.close(log_fd)
            doc = {
                "ticket_id": ticket_id,
                "kind": kind,
                "username": username,
                "started_at": now.isoformat(),
                "pid": process.pid,
                "token_id": token_id,
                "argv": list(argv),
            }
            fd = os.open(folder / "job.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(doc, out)
            _reap_later(process)
        job = self.read(ticket_id, job_id)
        assert job is not None  # just written
        return job


def _reap_later(process: subprocess.Popen[bytes]) -> None:
    """Collect the runner's exit in a daemon thread, so it leaves no zombie while the server runs."""
    import threading

    threading.Thread(target=process.wait, name=f"job-{process.pid}", daemon=True).start()


@dataclass(frozen=True, slots=True)
class WorkConfig:
    """What the Tim Kerja's pages need beyond the others': the database and inventory the CLI runs
    are given, where jobs and uploaded berita acara scans go, and the reports folder (the CLI's)."""

    db: Path
    inventory: Path
    jobs: Path
    scans: Path
    reports: Path
    cli: tuple[str, ...] = ()
    """The command that runs the CLI (default: ``sipelangi-net`` beside this Python)."""

    def command(self) -> list[str]:
        if self.cli:
            return list(self.cli)
        beside = Path(sys.executable).parent / "sipelangi-net"
        return [str(beside)] if beside.exists() else ["sipelangi-net"]
