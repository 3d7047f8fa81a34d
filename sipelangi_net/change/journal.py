"""The journal of a change run: what each device went through, on disk before the ticket hears of it.

One file per run, ``reports/<ticket>/runs/<run-id>.jsonl`` (private), one JSON object per line,
flushed to the disk (fsync) as each is written, before the run goes on:

- ``start``: pid, the confirm timeout; then ``change``: the change set about to be pushed;
- per device, in order: ``backup`` (sha256, path), ``arming``/``armed`` (until when its timer
  restores it), ``pushed``, ``verified`` (the running config's digest after the push),
  ``confirming`` (about to be confirmed), ``confirmed``, ``rolled_back`` (verified), ``put_back``
  (undone after it had been confirmed);
- ``bwtest``: the bandwidth test's result and raw outputs (before anything is confirmed);
- ``report``: the run's whole report, once the devices are done;
- ``recorded``: the ticket store holds it — the journal is closed. ``settled``: nothing stayed
  changed (the devices' own timers restored them), the journal is closed.

A journal that is not closed is *pending*: the run stopped before the ticket store took its
record (the store was locked, the process was killed). The next run on the ticket reads it
first (:func:`pending`, :func:`read`) and records what it says (sipelangi_net.change.install).
What is read back is untrusted like any stored value: :class:`Entry` validates each line, and a
line that does not parse is an error naming the file and line — except a torn last line (the
process died while writing it), which is ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sipelangi_net.errors import ConfigError, StorageError
from sipelangi_net.private import BINARY, private_dir, unwritable

RUNS = "runs"
CLOSING = frozenset({"recorded", "settled"})
MAX_BYTES = 32 * 1024 * 1024
Kind = Literal[
    "start", "change", "backup", "arming", "armed", "pushed", "verified", "confirming", "confirmed",
    "rolled_back", "put_back", "bwtest", "report", "recorded", "settled",
]  # fmt: skip


class Entry(BaseModel):
    """One line of a journal."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: float = Field(ge=0)
    kind: Kind
    device: str = Field(default="", pattern=r"^[A-Za-z0-9._-]{0,64}$")
    data: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Journal:
    """The journal of one run, open for appending."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.stem

    @classmethod
    def start(cls, folder: Path, **data: Any) -> Journal:
        """A new run's journal under ``folder/runs``; StorageError (nothing was pushed) when it cannot."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        journal = cls(private_dir(folder / RUNS) / f"{stamp}-{os.getpid()}.jsonl")
        journal.note("", "start", {"pid": os.getpid(), **data})
        return journal

    def note(self, device: str, kind: str, data: Mapping[str, Any]) -> None:
        """Append one entry and put it on the disk before returning."""
        line = json.dumps({"at": time.time(), "kind": kind, "device": device, "data": dict(data)})
        try:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | BINARY
            fd = os.open(self.path, flags, 0o600)
            try:
                os.write(fd, line.encode() + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise unwritable(
                exc, self.path.parent, f"cannot write the run journal {self.path.name}"
            ) from None


def read(path: Path) -> list[Entry]:
    """The entries of the journal at ``path`` (see the module docstring for what is trusted)."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"{path}: a run journal larger than {MAX_BYTES} bytes")
        lines = path.read_bytes().split(b"\n")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the run journal ({exc.strerror or exc})") from None
    torn = lines[-1] != b""  # every entry ends with a newline; a last one without it was cut short
    body = lines[:-1]
    entries = []
    for number, raw in enumerate(body, start=1):
        try:
            entries.append(Entry.model_validate_json(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "line"
            raise ConfigError(f"{path}: line {number}: {where}: {first['msg']}") from None
    del torn  # a torn last line is the write the process died in: nothing it promised happened
    return entries


def pending(folder: Path) -> list[Path]:
    """The journals under ``folder/runs`` that are not closed, oldest first."""
    runs = folder / RUNS
    if not runs.is_dir():
        return []
    found = []
    for path in sorted(runs.glob("*.jsonl")):
        if not re.fullmatch(r"[0-9TZ]+-[0-9]+\.jsonl", path.name):
            continue
        entries = read(path)
        if not entries or entries[-1].kind not in CLOSING:
            found.append(path)
    return found


def close(path: Path, kind: Literal["recorded", "settled"], **data: Any) -> None:
    """Mark a journal done; one that cannot be marked is read again (and recorded once) next run."""
    try:
        Journal(path).note("", kind, data)
    except StorageError:
        return
