"""The requesters' satisfaction survey (table ``surveys``, accounts schema 3): after a ticket is
closed, a pemohon of its OPD rates the speed, the quality of the installation and the helpdesk's
service from 1 to 5 and may leave a comment, once per ticket (the SPBE evaluation of a public
service asks for this). The pages check who may answer; this stores, refuses a second answer and
summarises a period.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from typing import Literal

from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.errors import StoreError
from sipelangi_net.tickets.sqlite import immediate

Aspect = Literal["speed", "quality", "helpdesk"]
ASPECTS: tuple[tuple[Aspect, str], ...] = (
    ("speed", "Kecepatan layanan"),
    ("quality", "Kualitas hasil instalasi"),
    ("helpdesk", "Pelayanan helpdesk"),
)
"""The questions: the column and its label (Bahasa Indonesia)."""
MAX_COMMENT = 1000


class AlreadyAnswered(StoreError):
    """The ticket's survey has an answer already: it is answered once."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One pemohon's answer for one ticket."""

    ticket_id: str
    opd: str
    speed: int
    quality: int
    helpdesk: int
    comment: str
    answered_at: dt.datetime

    def __post_init__(self) -> None:
        for name, _ in ASPECTS:
            if not 1 <= getattr(self, name) <= 5:
                raise ValueError(f"{name}: a rating from 1 to 5")
        if len(self.comment) > MAX_COMMENT:
            raise ValueError(f"comment: at most {MAX_COMMENT} characters")


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """The answers of a period: how many, the mean of each aspect (None without answers), the
    share of answers rating every aspect 4 or 5, the comments (newest first)."""

    count: int
    means: tuple[tuple[str, float | None], ...]
    satisfied: float | None
    comments: tuple[tuple[str, str, str], ...]
    """(ticket, OPD, comment) of the answers that left one."""


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


class Surveys:
    """The survey's answers over the accounts' database (one connection, locked)."""

    def __init__(self, accounts: SqliteAccounts) -> None:
        self.accounts = accounts
        self._lock = threading.Lock()

    def answered(self, ticket_id: str) -> bool:
        with self._lock:
            row = self.accounts.conn.execute("SELECT 1 FROM surveys WHERE ticket_id = ?", (ticket_id,))
            return row.fetchone() is not None

    def record(self, answer: Answer, *, account_id: int) -> None:
        """Store ``answer``; AlreadyAnswered when the ticket has one (nothing changed)."""
        with self._lock, immediate(self.accounts.conn, where=f"{self.accounts.path}: ") as conn:
            try:
                conn.execute(
                    "INSERT INTO surveys (ticket_id, account_id, opd, speed, quality, helpdesk, comment,"
                    " answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        answer.ticket_id,
                        account_id,
                        answer.opd,
                        answer.speed,
                        answer.quality,
                        answer.helpdesk,
                        answer.comment,
                        _ts(answer.answered_at),
                    ),
                )
            except sqlite3.IntegrityError:
                raise AlreadyAnswered(f"ticket {answer.ticket_id}: the survey is answered already") from None

    def answers(self, *, since: dt.datetime, until: dt.datetime) -> list[Answer]:
        """The answers given in [since, until), newest first."""
        with self._lock:
            rows = self.accounts.conn.execute(
                "SELECT ticket_id, opd, speed, quality, helpdesk, comment, answered_at FROM surveys"
                " WHERE answered_at >= ? AND answered_at < ? ORDER BY answered_at DESC",
                (_ts(since), _ts(until)),
            ).fetchall()
        return [Answer(r[0], r[1], r[2], r[3], r[4], r[5], dt.datetime.fromisoformat(r[6])) for r in rows]

    def close(self) -> None:
        with self._lock:
            self.accounts.close()


def summarise(answers: list[Answer]) -> Satisfaction:
    """The period's figures (pure)."""
    count = len(answers)
    means = tuple(
        (label, sum(getattr(a, name) for a in answers) / count if count else None) for name, label in ASPECTS
    )
    happy = sum(1 for a in answers if min(a.speed, a.quality, a.helpdesk) >= 4)
    comments = tuple((a.ticket_id, a.opd, a.comment) for a in answers if a.comment)
    return Satisfaction(count, means, happy / count if count else None, comments)
