"""Leases: who holds a ticket, a device or the installation calendar, decided by the shared store.

When engineers' laptops share one SiPelangi server, a per-machine ``flock``
(:mod:`sipelangi_net.locks`) keeps apart only the runs of one machine. A lease is the server's
word: a set of names (``ticket:SPL-2026-00001``, ``device:core-diskominfo``,
``calendar:installations``) taken all or nothing in one write transaction, held by an account
(id and display name) on a host and pid for a purpose, until it expires. The holder renews it
(:func:`renew`) while it works; a lease that has expired is taken over by the next caller (logged),
and its holder's next renewal finds it lost. Only the holder's account (or an admin) releases it.

The functions here run inside the caller's write transaction
(:meth:`~sipelangi_net.tickets.sqlite.SqliteStore.acquire_leases` and its siblings).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import sqlite3
from collections.abc import Sequence
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from sipelangi_net.errors import Busy, Forbidden, LeaseLost
from sipelangi_net.tickets.models import RequiredText

logger = logging.getLogger(__name__)

MIGRATION = """
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    lease_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX leases_by_id ON leases (lease_id);
"""

KINDS = ("ticket", "device", "calendar", "playbook", "ipam")
NAME_PATTERN = r"^(ticket|device|calendar|playbook|ipam):[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
MAX_NAMES = 64
MIN_TTL_S = 1
MAX_TTL_S = 3600
LeaseName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
_NAME = re.compile(NAME_PATTERN)


def lease_name(kind: str, name: str) -> str:
    """``kind:name`` as the store keys it (``device:core-diskominfo``)."""
    return f"{kind}:{name}"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Holder(_Model):
    """Who holds a lease: the account (id and display name), and where its run is."""

    account_id: RequiredText
    display_name: RequiredText
    host: RequiredText
    pid: int = Field(ge=0, le=2**31)


class Lease(_Model):
    """A set of names held together by one holder until ``expires_at`` (renewable)."""

    lease_id: str
    names: tuple[LeaseName, ...]
    holder: Holder
    purpose: RequiredText
    acquired_at: AwareDatetime
    expires_at: AwareDatetime

    def describe(self) -> str:
        """``device x is held by NAME (account N) on HOST pid P for 'PURPOSE' until T``."""
        h = self.holder
        return (
            f"{', '.join(n.replace(':', ' ', 1) for n in self.names)} held by {h.display_name}"
            f" (account {h.account_id}) on {h.host} pid {h.pid} for {self.purpose!r}"
            f" until {self.expires_at.isoformat(timespec='seconds')}"
        )


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


_COLUMNS = "name, lease_id, size, account_id, display_name, host, pid, purpose, acquired_at, expires_at"
_Row = tuple[str, str, int, str, str, str, int, str, str, str]


def _grouped(rows: Sequence[_Row]) -> list[Lease]:
    """Rows (one per name) → leases, in the order their ids first appear."""
    names: dict[str, list[str]] = {}
    first: dict[str, _Row] = {}
    for row in rows:
        names.setdefault(row[1], []).append(row[0])
        first.setdefault(row[1], row)
    return [
        Lease(
            lease_id=lid,
            names=tuple(sorted(names[lid])),
            holder=Holder(account_id=r[3], display_name=r[4], host=r[5], pid=r[6]),
            purpose=r[7],
            acquired_at=dt.datetime.fromisoformat(r[8]),
            expires_at=dt.datetime.fromisoformat(r[9]),
        )
        for lid, r in first.items()
    ]


def _rows(conn: sqlite3.Connection, where: str, args: Sequence[object]) -> list[_Row]:
    sql = f"SELECT {_COLUMNS} FROM leases WHERE {where} ORDER BY lease_id, name"  # noqa: S608
    return list(conn.execute(sql, tuple(args)))


def _check_names(names: Sequence[str]) -> list[str]:
    wanted = sorted(set(names))
    if not wanted or len(wanted) > MAX_NAMES:
        raise ValueError(f"a lease names 1 to {MAX_NAMES} things, not {len(wanted)}")
    bad = [n for n in wanted if not _NAME.fullmatch(n)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a lease name (kind:name, kind one of {', '.join(KINDS)})")
    return wanted


def acquire(
    conn: sqlite3.Connection,
    names: Sequence[str],
    *,
    holder: Holder,
    purpose: str,
    ttl_s: float,
    now: dt.datetime,
) -> Lease:
    """All of ``names`` as one new lease, or :class:`Busy` naming who holds what (nothing taken).

    Run inside a write transaction. A lease past its expiry is taken over (its rows removed,
    logged): its holder stopped renewing it.
    """
    wanted = _check_names(names)
    marks = ",".join("?" * len(wanted))
    found = _grouped(_rows(conn, f"name IN ({marks})", wanted))
    live = [lease for lease in found if lease.expires_at > now]
    if live:
        held = "; ".join(lease.describe() for lease in live)
        raise Busy(f"{held}; this run changed nothing (try again later)")
    for dead in found:
        logger.warning("lease %s expired, taken over: %s", dead.lease_id, dead.describe())
        conn.execute("DELETE FROM leases WHERE lease_id = ?", (dead.lease_id,))
    lease = Lease(
        lease_id=secrets.token_hex(16),
        names=tuple(wanted),
        holder=holder,
        purpose=purpose,
        acquired_at=now,
        expires_at=now + dt.timedelta(seconds=ttl_s),
    )
    conn.executemany(
        f"INSERT INTO leases ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        [
            (
                n,
                lease.lease_id,
                len(wanted),
                holder.account_id,
                holder.display_name,
                holder.host,
                holder.pid,
                purpose,
                _ts(now),
                _ts(lease.expires_at),
            )
            for n in wanted
        ],
    )
    return lease


def _own(conn: sqlite3.Connection, lease_id: str, account_id: str, *, admin: bool) -> list[_Row]:
    rows = _rows(conn, "lease_id = ?", [lease_id])
    if rows and rows[0][3] != account_id and not admin:
        raise Forbidden(
            f"lease {lease_id} is held by {rows[0][4]} (account {rows[0][3]}); only that account"
            " (or an admin) may renew or release it"
        )
    return rows


def renew(
    conn: sqlite3.Connection, lease_id: str, *, account_id: str, ttl_s: float, now: dt.datetime
) -> Lease:
    """Extend the lease to ``now + ttl_s``; :class:`LeaseLost` when it (or any of its names) is gone."""
    rows = _own(conn, lease_id, account_id, admin=False)
    if not rows or len(rows) < rows[0][2]:
        conn.execute("DELETE FROM leases WHERE lease_id = ?", (lease_id,))
        raise LeaseLost(f"lease {lease_id}: no longer held (it expired and was taken over, or was released)")
    conn.execute(
        "UPDATE leases SET expires_at = ? WHERE lease_id = ?",
        (_ts(now + dt.timedelta(seconds=ttl_s)), lease_id),
    )
    return _grouped(_rows(conn, "lease_id = ?", [lease_id]))[0]


def release(conn: sqlite3.Connection, lease_id: str, *, account_id: str, admin: bool) -> bool:
    """Give the lease up (its holder's account, or an admin: Forbidden otherwise); False: not held."""
    rows = _own(conn, lease_id, account_id, admin=admin)
    conn.execute("DELETE FROM leases WHERE lease_id = ?", (lease_id,))
    return bool(rows)


def current(conn: sqlite3.Connection, *, now: dt.datetime) -> list[Lease]:
    """The leases held now (not expired), oldest first."""
    leases = _grouped(_rows(conn, "expires_at > ?", [_ts(now)]))
    return sorted(leases, key=lambda lease: (lease.acquired_at, lease.lease_id))
