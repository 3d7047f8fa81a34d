"""The audit chain's anchors outside the database: the audit key and the checkpoint file (I/O edge).

- **The audit key** (``SIPELANGI_AUDIT_KEY``, default ``~/.config/sipelangi-net/audit.key``,
  beside ``secrets.yaml``): 32 random bytes, created mode 600 on first use, refused when
  group or others can read it. Every event and every ticket head is sealed with an
  HMAC-SHA256 under it; the database holds the MACs and the key's id (a MAC of a constant),
  never the key. Whoever edits the database without the key cannot make a valid MAC.
- **The checkpoint file** (``SIPELANGI_CHECKPOINTS``, default
  ``reports/compliance/ticket-checkpoints.jsonl``, beside the compliance backups): one JSON
  line per write, ``{store, ticket, seq, head, at, mac}``, appended after the commit. A
  ticket whose events fall behind its latest checkpoint lost events (deleted, or an older
  copy of the database was restored); a ticket in the checkpoints but not in the store was
  deleted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sipelangi_net.errors import SecretsError, StoreError
from sipelangi_net.locks import wait_lock
from sipelangi_net.paths import config_dir, reports_dir
from sipelangi_net.private import BINARY, open_to_others

logger = logging.getLogger(__name__)

KEY_ENV = "SIPELANGI_AUDIT_KEY"
CHECKPOINTS_ENV = "SIPELANGI_CHECKPOINTS"
KEY_BYTES = 32
MAX_CHECKPOINT_LINE = 4096


def key_path() -> Path:
    env = os.environ.get(KEY_ENV)
    return Path(env) if env else config_dir() / "audit.key"


def checkpoints_path() -> Path:
    env = os.environ.get(CHECKPOINTS_ENV)
    return Path(env) if env else reports_dir() / "compliance" / "ticket-checkpoints.jsonl"


def _mac(secret: bytes, kind: str, *parts: str | int) -> str:
    message = "\0".join(["sipelangi-net", kind, "v1", *map(str, parts)]).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditKey:
    """The key that seals the chain; ``secret`` never leaves this object (not in repr, the DB or logs)."""

    secret: bytes = field(repr=False)
    path: Path

    @property
    def key_id(self) -> str:
        """Names the key without revealing it (stored in the database to tell keys apart)."""
        return _mac(self.secret, "key-id")[:16]

    def event_mac(self, store_id: str, ticket_id: str, seq: int, event_hash: str) -> str:
        return _mac(self.secret, "event", store_id, ticket_id, seq, event_hash)

    def head_mac(self, store_id: str, ticket_id: str, seq: int, event_hash: str) -> str:
        return _mac(self.secret, "head", store_id, ticket_id, seq, event_hash)

    def checkpoint_mac(self, store_id: str, ticket_id: str, seq: int, head: str, at: str) -> str:
        return _mac(self.secret, "checkpoint", store_id, ticket_id, seq, head, at)


def load_key(path: Path | None = None, *, create: bool) -> AuditKey | None:
    """The audit key at ``path`` (default :func:`key_path`); made when absent and ``create``, else None."""
    from sipelangi_net.logs import register_secret

    path = path or key_path()
    if not path.exists():
        if not create:
            return None
        _create_key(path)
    try:
        st = path.stat()
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretsError(f"{path}: cannot read the audit key: {type(exc).__name__}") from None
    if open_to_others(st):
        raise SecretsError(f"{path}: the audit key is accessible by group or others; run: chmod 600 {path}")
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < KEY_BYTES:
        raise SecretsError(f"{path}: not an audit key (expected {KEY_BYTES * 2} hex digits)")
    register_secret(text)
    return AuditKey(secret=secret, path=path)


def _create_key(path: Path) -> None:
    """Write a new key atomically (a temporary file linked into place): a racing process keeps its own."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | BINARY, 0o600)
        try:
            os.write(fd, (secrets.token_hex(KEY_BYTES) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
            logger.warning("%s: created a new audit key (keep it apart from the ticket database)", path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    except OSError as exc:
        raise SecretsError(
            f"{path}: cannot create the audit key: {exc.strerror or exc}; set {KEY_ENV} to a writable path"
        ) from None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A ticket's head as it was at ``at``: ``seq`` events, the last one's hash ``head``."""

    store: str
    ticket: str
    seq: int
    head: str
    at: str
    mac: str

    def to_json(self) -> dict[str, str | int]:
        return {
            "store": self.store,
            "ticket": self.ticket,
            "seq": self.seq,
            "head": self.head,
            "at": self.at,
            "mac": self.mac,
        }


def checkpoint(key: AuditKey, store_id: str, ticket_id: str, seq: int, head: str) -> Checkpoint:
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return Checkpoint(
        store_id, ticket_id, seq, head, at, key.checkpoint_mac(store_id, ticket_id, seq, head, at)
    )


def append_checkpoints(path: Path, points: Iterable[Checkpoint]) -> None:
    """Append ``points`` under an exclusive lock; a failure is logged (the events are already committed)."""
    data = "".join(json.dumps(p.to_json(), sort_keys=True) + "\n" for p in points).encode()
    if not data:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | BINARY, 0o600)
        with os.fdopen(fd, "ab", buffering=0) as fh:
            wait_lock(fh)
            fh.write(data)
    except OSError as exc:
        logger.warning(
            "%s: checkpoint not written (%s); once it is writable, run"
            " 'sipelangi-net ticket verify --all --adopt'",
            path,
            exc.strerror or exc,
        )


@dataclass(frozen=True, slots=True)
class CheckpointFile:
    """What the checkpoint file holds: the checkpoints read, and the lines that could not be read."""

    path: Path
    exists: bool
    points: tuple[Checkpoint, ...] = ()
    unreadable: tuple[str, ...] = ()


def read_checkpoints(path: Path) -> CheckpointFile:
    try:
        with path.open("rb") as fh:
            with contextlib.suppress(OSError):
                wait_lock(fh, shared=True)
            raw = fh.read()
    except FileNotFoundError:
        return CheckpointFile(path=path, exists=False)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the checkpoint file: {exc.strerror or exc}") from None
    points, bad = [], []
    for number, line in enumerate(raw.splitlines(), start=1):
        point = _parse_line(line)
        if point is None:
            bad.append(f"{path}:{number}: not a checkpoint line")
        else:
            points.append(point)
    return CheckpointFile(path=path, exists=True, points=tuple(points), unreadable=tuple(bad))


def _parse_line(line: bytes) -> Checkpoint | None:
    if len(line) > MAX_CHECKPOINT_LINE:
        return None
    try:
        data = json.loads(line)
        point = Checkpoint(
            store=data["store"],
            ticket=data["ticket"],
            seq=data["seq"],
            head=data["head"],
            at=data["at"],
            mac=data["mac"],
        )
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(point.seq, int) or not all(
        isinstance(v, str) for v in (point.store, point.ticket, point.head, point.at, point.mac)
    ):
        return None
    return point
