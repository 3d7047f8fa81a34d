"""MikroTik RouterOS deploy driver (Netmiko ``mikrotik_routeros``), with a revert timer on the router.

RouterOS has no commit-confirm. Engineers use *safe mode* (Ctrl-X) interactively: changes are
undone when the session ends abnormally, but only after the TCP timeout (9 minutes), never on a
timer, with at most 100 actions, and a session that hangs keeps them. So this driver arms a timer
the router owns, the way RouterOS engineers schedule a "revert unless cancelled", and the revert
is the router's own commands, never a reboot:

* ``arm(N)``: read ``/export`` (the snapshot) and the router's clock (``/system clock print``),
  then ``/system scheduler add name=sipelangi-revert`` at clock + N seconds, ``interval=0``,
  whose ``on-event`` runs the script ``sipelangi-revert`` (if there is one) and then removes
  the script and itself.
* ``push``: first the earlier values the snapshot does not show: a ``set`` of a property
  ``/export`` leaves out (its default there, which may depend on the hardware) is undone by the
  value the router holds now, read by ``<menu> export verbose`` (every property, defaults
  included, in export syntax) of each menu concerned
  (:func:`~sipelangi_net.change.routeros_text.unshown`, ``earlier_values``, ``with_earlier``:
  the snapshot completed with them); then ``/system script add name=sipelangi-revert source=...``:
  the commands that undo this push, computed before anything is sent
  (:func:`~sipelangi_net.change.routeros_text.undo_commands`: an ``add`` removed by its
  attributes, a removed item added back as ``/export`` printed it, a ``set`` given its earlier
  values, last command first); then one command per line (``/ip route add ...``); any RouterOS
  error (``failure: ...``, ``syntax error``, ``bad command name``, ``input does not match``,
  ``expected ...``) stops it. If this process dies or its session drops, the router runs the
  undo script itself when the timer fires: removing an item that is not there is no error, so a
  push cut half-way is undone too.
* ``confirm``: remove the scheduler entry and the script, then check the entry is gone.
* ``rollback`` (this process alive): send the commands that undo the push, computed by the pure
  diff of the current ``/export`` against the snapshot completed with the earlier values (what
  the router really runs, not what was meant to be sent), then disarm; if undoing fails the
  scheduler is left armed, so the router still runs the undo script.

Limits: the timer is the router's wall clock (set NTP); the undo restores what the push changed,
nothing else (a change made by someone else meanwhile stays); RouterOS 7 (RouterOS 6 prints
``disabled=no`` and leaves new DHCP servers disabled).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from sipelangi_net.change.routeros_text import (
    Earlier,
    earlier_values,
    undo_commands,
    unshown,
    with_earlier,
)
from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.base import DriverBase
from sipelangi_net.drivers.cli import close_netmiko, first_line, open_netmiko
from sipelangi_net.errors import DeviceError
from sipelangi_net.platforms import Platform, spec_for

TAG = "sipelangi-revert"
ROS_ERROR = re.compile(
    r"^(failure: .*|.*\(line \d+ column \d+\).*|bad command name .*|input does not match .*|"
    r"expected .*|no such item.*|invalid value .*|ambiguous value .*)$",
    re.M,
)
CLOCK_TIME = re.compile(r"^\s*time: (\d\d:\d\d:\d\d)\s*$", re.M)
CLOCK_DATE = re.compile(r"^\s*date: (\S+)\s*$", re.M)
RECEIVED = re.compile(r"\breceived=(\d+)")


def parse_clock(text: str) -> dt.datetime:
    """The router's local time from ``/system clock print`` (v7.10+: 2026-01-05; older: jan/05/2026)."""
    time_ = CLOCK_TIME.search(text)
    date_ = CLOCK_DATE.search(text)
    if not time_ or not date_:
        raise ValueError("no time/date in /system clock print")
    day = date_.group(1)
    fmt = "%Y-%m-%d" if "-" in day else "%b/%d/%Y"
    return dt.datetime.strptime(f"{day.capitalize()} {time_.group(1)}", f"{fmt} %H:%M:%S")


def ros_string(text: str) -> str:
    """``text`` as a RouterOS quoted string: backslash, quote, ``$``, ``?`` and newline escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("?", "\\?")
    return '"' + escaped.replace("\n", "\\n") + '"'


ON_EVENT = (
    f":do {{/system script run {TAG}}} on-error={{}}; /system script remove [find name={TAG}];"
    f" /system scheduler remove [find name={TAG}]"
)
"""What the router does when the timer fires: run the undo script, then clean up."""
POLICY = "read,write,policy,test"


def scheduler_command(at: dt.datetime) -> str:
    """The scheduler entry that runs the undo script at ``at`` (router time), once."""
    return (
        f"/system scheduler add name={TAG} start-date={at:%Y-%m-%d} start-time={at:%H:%M:%S} interval=0"
        f' policy={POLICY} comment="SiPelangi: revert unless confirmed" on-event={ros_string(ON_EVENT)}'
    )


def script_command(undo: Sequence[str]) -> str:
    """The script the timer runs: ``undo``, one command a line."""
    return f"/system script add name={TAG} policy={POLICY} source={ros_string(chr(10).join(undo))}"


class RouterOSDriver(DriverBase):
    """:class:`~sipelangi_net.drivers.base.DeviceDriver` for ``mikrotik_routeros``."""

    def __init__(self, *, name: str, host: str, port: int, platform: Platform, creds: Credentials) -> None:
        super().__init__(name=name, host=host, port=port, platform=platform, creds=creds)
        self._conn: Any = None
        self._last_config: str | None = None
        self._snapshot: str | None = None
        self._known: str | None = None
        """The snapshot with the earlier values the push's ``set`` commands change shown (read
        from the router before the push): what the undo restores."""

    def open(self) -> None:
        self._conn = open_netmiko(
            self.name, spec_for(self._platform).netmiko_device_type, self.host, self.port, self._creds
        )

    def _send(self, command: str) -> str:
        if self._conn is None:
            raise DeviceError(self.name, "not connected (call open first)")
        try:
            return str(self._conn.send_command(command, read_timeout=60))
        except Exception as exc:
            raise DeviceError(self.name, f"{command!r}: {first_line(exc)}") from None

    def _run(self, command: str) -> str:
        out = self._send(command)
        bad = ROS_ERROR.search(out)
        if bad:
            raise DeviceError(self.name, f"rejected {command!r}: {bad.group(0).strip()}")
        return out

    def get_config(self) -> str:
        self._last_config = self._send("/export")
        return self._last_config

    def arm(self, seconds: int) -> None:
        self._snapshot = self._last_config if self._last_config is not None else self.get_config()
        self._known = None
        try:
            now = parse_clock(self._run("/system clock print"))
        except ValueError as exc:
            raise DeviceError(self.name, f"cannot read the router's clock: {exc}") from None
        self._run(scheduler_command(now + dt.timedelta(seconds=seconds)))

    def push(self, commands: Sequence[str]) -> str:
        if self._snapshot is None:
            raise DeviceError(self.name, "not armed: arm the revert timer before pushing")
        try:
            self._known = with_earlier(self._snapshot, self._earlier(unshown(self._snapshot, commands)))
            undo = undo_commands(self._known, commands)
        except ValueError as exc:
            raise DeviceError(self.name, f"nothing sent: {exc}") from None
        self._run(script_command(undo))
        return self._send_all(commands)

    def _earlier(self, wanted: Sequence[Earlier]) -> dict[Earlier, str]:
        """The values the router holds now of ``wanted`` (properties ``/export`` did not show):
        one ``<menu> export verbose`` per menu."""
        verbose = {menu: self._run(f"{menu} export verbose") for menu in sorted({e.menu for e in wanted})}
        try:
            return earlier_values(wanted, verbose)
        except KeyError as exc:
            raise DeviceError(
                self.name, f"nothing sent: 'export verbose' does not show the earlier value of {exc.args[0]}"
            ) from None

    def _send_all(self, commands: Sequence[str]) -> str:
        return "\n".join(self._run(command) for command in commands)

    def _disarm(self) -> None:
        self._run(f"/system scheduler remove [find name={TAG}]")
        self._run(f"/system script remove [find name={TAG}]")
        left = self._run(f"/system scheduler print count-only where name={TAG}").strip()
        if left != "0":
            raise DeviceError(self.name, f"the revert timer is still armed ({left!r} entries left)")

    def confirm(self) -> None:
        self._disarm()

    def rollback(self) -> None:
        from sipelangi_net.change.diff import diff_device

        if self._snapshot is None:
            raise DeviceError(self.name, "nothing armed: no snapshot to roll back to")
        earlier = self._known if self._known is not None else self._snapshot
        undo = diff_device(self.name, self._platform, self.get_config(), earlier, scope="replace")
        try:
            self._send_all(undo.commands)
        except DeviceError as exc:
            raise DeviceError(
                self.name, f"undo failed ({exc}); the router's timer runs its undo script itself"
            ) from None
        self._disarm()

    def ping(self, destination: str, *, source: str) -> None:
        """Raise unless ``destination`` answers pings sent from the address ``source``."""
        out = self._send(f"/ping {destination} src-address={source} count=3")
        found = RECEIVED.search(out)
        if not found or int(found.group(1)) == 0:
            raise DeviceError(self.name, f"{destination} does not answer from {source}")

    def close(self) -> None:
        close_netmiko(self._conn)
        self._conn = None
