"""The agreed installation slot as a change window (pure): may a ticket's change be pushed now?

A change is pushed inside the slot agreed with the requester (SOP step 6, outputs ``start`` and
``end``). Before its start the run waits: it stops, saying when to run again, or sleeps until
the start (``provision --wait``). After its end the slot is gone: a change outside its window
needs an explicit override. ``--now --reason TEXT`` pushes outside the slot, early or late, and
the reason is kept on step 7's record (:class:`~sipelangi_net.tickets.outputs.SlotRecord`).
A step 6 recorded by hand with only a label (no start and end) cannot be checked: the push goes
ahead and the record says ``unchecked``.

:func:`check_window` is the one check: the ``window`` playbook action, the ``deploy`` action and
the ``deploy`` command ask it with the run's clock; :func:`wait_until` sleeps with an injected
sleeper, so tests never sleep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sipelangi_net.analysis.schedule import Slot
from sipelangi_net.tickets.messages import WIB
from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.outputs import Agreed, SlotRecord, outputs_of
from sipelangi_net.tickets.workflow import completed
from sipelangi_net.validate import printable

Verdict = Literal["go", "wait", "refused"]
WAIT_STEP_S = 60.0
"""The longest single sleep while waiting for a slot: the clock is read again after each."""


@dataclass(frozen=True, slots=True)
class WindowCheck:
    """The answer for one moment: ``go`` (with the record to keep), ``wait`` or ``refused``."""

    verdict: Verdict
    message: str
    record: SlotRecord | None = None
    """What step 7 keeps when the change is pushed (``go`` only)."""
    start: dt.datetime | None = None
    """The slot's start (``wait``: when to run again)."""
    wait_s: float = 0.0
    """Seconds until the slot starts (``wait`` only)."""

    @property
    def go(self) -> bool:
        return self.verdict == "go"


def agreed_slot(ticket: Ticket) -> tuple[Slot | None, str]:
    """The slot of the ticket's latest done step 6 (None when it kept no start and end), and its label."""
    event = completed(ticket, 6)
    if event is None:
        return None, ""
    out = outputs_of(ticket, event, Agreed)
    label = out.schedule or out.jadwal
    if out.start is None or out.end is None:
        return None, label
    return Slot(start=out.start, end=out.end), label


def describe_slot(slot: Slot) -> str:
    """'Rabu, 2 Desember 2026 pukul 09.00-12.15 WIB (2026-12-02T09:00:00+07:00/...)' (en dash)."""
    start, end = slot.start.astimezone(WIB), slot.end.astimezone(WIB)
    return f"{slot.label_id()} ({start.isoformat()}/{end.isoformat()})"


def _span(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    return " ".join(parts)


def check_window(ticket: Ticket, *, now: dt.datetime, reason: str = "") -> WindowCheck:
    """May ``ticket``'s change be pushed at ``now``? ``reason``: the engineer's ``--now --reason``."""
    slot, label = agreed_slot(ticket)
    reason = printable(reason.strip())[:2000]
    if slot is None:
        if completed(ticket, 6) is None:  # a dry run before step 6; a real push is refused by the workflow
            return WindowCheck(
                "go", "no slot agreed yet (step 6 not done)", SlotRecord(at=now, position="unchecked")
            )
        what = f"recorded by hand as {printable(label)!r}" if label else "recorded without one"
        record = SlotRecord(at=now, position="unchecked", reason=reason)
        return WindowCheck("go", f"the agreed slot has no start and end ({what}): not checked", record)
    where = describe_slot(slot)
    if slot.start <= now < slot.end:
        record = SlotRecord(start=slot.start, end=slot.end, at=now, position="inside")
        return WindowCheck("go", f"inside the agreed slot {where}", record)
    position: Literal["early", "late"] = "early" if now < slot.start else "late"
    if reason:
        record = SlotRecord(start=slot.start, end=slot.end, at=now, position=position, reason=reason)
        when = "before the agreed slot" if position == "early" else "after the agreed slot"
        return WindowCheck("go", f"pushing now, {when} {where}, because: {reason}", record)
    if position == "early":
        left = (slot.start - now).total_seconds()
        return WindowCheck(
            "wait",
            f"ticket {ticket.id}: the agreed installation slot {where} starts in {_span(left)}: nothing was"
            f" pushed. Run it again from {slot.start.astimezone(WIB).isoformat()}"
            f" ({slot.start.astimezone(WIB):%d-%m-%Y %H.%M} WIB), wait for it (provision --wait SECONDS),"
            " or push now with --now --reason TEXT (kept on the ticket)",
            start=slot.start,
            wait_s=left,
        )
    again = (
        f"agree a new slot with the requester and record it ('sipelangi-net schedule {ticket.id} --agreed"
        " ISO-TIME'), or "
        if ticket.events[-1].step == 6
        else ""
    )
    return WindowCheck(
        "refused",
        f"ticket {ticket.id}: the agreed installation slot {where} ended"
        f" {_span((now - slot.end).total_seconds())} ago: nothing was pushed; {again}push outside the slot"
        " with --now --reason TEXT (kept on the ticket)",
    )


def wait_until(
    when: dt.datetime,
    *,
    now: Callable[[], dt.datetime],
    sleep: Callable[[float], None],
    step: float = WAIT_STEP_S,
) -> None:
    """Sleep until ``now()`` reaches ``when``, reading the clock again at least every ``step`` seconds.

    Ctrl-C (KeyboardInterrupt) passes through: the CLI exits 130 and nothing was pushed.
    """
    while (left := (when - now()).total_seconds()) > 0:
        sleep(min(left, step))
