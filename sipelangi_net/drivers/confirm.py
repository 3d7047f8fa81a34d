"""The device's own revert timer, over SSH: arm, confirm, roll back, ask.

The timer lives on the device (lab devices: the ``commit-confirm`` helper of
their SSH session, see sipelangi_net/lab/commit_confirm_script.py), so a change
is undone even when this process dies or its session drops before it confirms.
Each call is one SSH exec with strict host keys (:func:`exec_command`); the
device answers one JSON object, and anything but ``"ok": true`` raises
:class:`DeviceError` naming the device.

Answers (all carry ``ok`` and ``device``, the device's hostname):

* ``arm``: ``armed`` (True), ``token``, ``seconds``, ``expires_at`` (ISO 8601, UTC), ``timer_pid``.
* ``confirm``: ``confirmed`` (True), ``token``, ``timer_stopped``.
* ``rollback``: ``action`` ("rolled_back"), ``at``, ``token``, ``restored``, ``verified`` (the running
  config equals the snapshot), ``restore_seconds``, ``verify_seconds``; FRR adds ``startup``, OVS
  ``applied``. A restore that does not verify raises, with the difference in the message.
* ``status``: ``armed``, ``expires_at`` (None when not armed), ``last`` (None, or ``action``
  "confirmed" | "rolled_back" | "expired", ``at``, ``token``, ``verified``, ...); when armed also
  ``token``, ``seconds_left``, ``timer_running``.
"""

from __future__ import annotations

import json
from typing import Any

from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.ssh import exec_command
from sipelangi_net.errors import DeviceError

ACTION_TIMEOUT = 60.0  # a restore takes seconds; confirm may wait for an expiry in progress


def arm(
    name: str, host: str, port: int, creds: Credentials, seconds: int, *, timeout: float = 30.0
) -> dict[str, Any]:
    """Snapshot the running config of ``name`` and start its timer: restored after ``seconds``."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TypeError(f"seconds must be an int, got {seconds!r}")
    return _call(name, host, port, creds, f"arm {seconds}", timeout=timeout)


def confirm(
    name: str, host: str, port: int, creds: Credentials, *, timeout: float = ACTION_TIMEOUT
) -> dict[str, Any]:
    """Keep the change: stop the timer. Raises when nothing is armed (e.g. it already expired)."""
    return _call(name, host, port, creds, "confirm", timeout=timeout)


def rollback(
    name: str, host: str, port: int, creds: Credentials, *, timeout: float = ACTION_TIMEOUT
) -> dict[str, Any]:
    """Restore the snapshot now and disarm; raises unless the device verified the restore."""
    return _call(name, host, port, creds, "rollback", timeout=timeout)


def status(
    name: str, host: str, port: int, creds: Credentials, *, timeout: float = ACTION_TIMEOUT
) -> dict[str, Any]:
    """Whether ``name`` is armed, until when, and the outcome of its last armed change."""
    return _call(name, host, port, creds, "status", timeout=timeout)


def _call(
    name: str, host: str, port: int, creds: Credentials, command: str, *, timeout: float
) -> dict[str, Any]:
    out = exec_command(name, host, port, creds, f"commit-confirm {command}", timeout=timeout)
    verb = command.split(maxsplit=1)[0]
    try:
        reply = json.loads(out)
    except ValueError:
        first = next((ln.strip() for ln in out.splitlines() if ln.strip()), "no output")
        raise DeviceError(
            name,
            f"commit-confirm {verb}: not a commit-confirm answer ({first[:200]}); does the device have it?",
        ) from None
    if not isinstance(reply, dict):
        raise DeviceError(name, f"commit-confirm {verb}: unexpected answer {out.strip()[:200]!r}")
    if reply.get("ok") is not True:
        detail = f"\n{reply['detail']}" if reply.get("detail") else ""
        raise DeviceError(name, f"commit-confirm {verb}: {reply.get('error') or 'refused'}{detail}")
    return reply
