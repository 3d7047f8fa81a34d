"""Cisco IOS deploy driver: Netmiko CLI with IOS's own revert timer (Configuration Rollback
Confirmed Change, the ``archive`` feature).

* ``arm(N)``: ``configure terminal revert timer M`` (M = N rounded up to whole minutes, 1-120):
  IOS archives the running config and reverts to it by itself after M minutes unless
  ``configure confirm`` comes first, so a tool that dies or a session that drops after the push
  is undone by the device. Needs ``archive`` / ``path flash:archive`` on the device.
* ``push``: the diff's config-mode lines (``send_config_set``); ``% ...`` stops the push.
* ``confirm``: ``configure confirm`` then ``write memory``; ``rollback``: ``configure revert now``.

napalm-ios 5.2 arms the same timer for ``commit_config(revert_in=...)`` of a merge, but loads the
change as a file (SCP or TCL) and ``copy``s it; this driver sends the diff's lines directly so the
device needs no SCP server, and the pushed commands are exactly the dry run's.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Sequence
from typing import Any

from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.base import DriverBase
from sipelangi_net.drivers.cli import close_netmiko, first_line, open_netmiko
from sipelangi_net.errors import DeviceError
from sipelangi_net.platforms import Platform, spec_for

IOS_ERROR = r"^\s*% .*$"
NO_ARCHIVE = ("Please turn config archive on", "Archive feature not enabled")
NOT_PENDING = "No Rollback Confirmed Change pending"
SUCCESS = re.compile(r"Success rate is (\d+) percent \((\d+)/(\d+)\)")


def revert_minutes(seconds: int) -> int:
    """IOS counts the revert timer in whole minutes (1-120): round up, never below one."""
    return min(120, max(1, math.ceil(seconds / 60)))


class IosDriver(DriverBase):
    """:class:`~sipelangi_net.drivers.base.DeviceDriver` for ``cisco_ios``."""

    def __init__(self, *, name: str, host: str, port: int, platform: Platform, creds: Credentials) -> None:
        super().__init__(name=name, host=host, port=port, platform=platform, creds=creds)
        self._conn: Any = None

    def open(self) -> None:
        self._conn = open_netmiko(
            self.name, spec_for(self._platform).netmiko_device_type, self.host, self.port, self._creds
        )

    @property
    def conn(self) -> Any:
        if self._conn is None:
            raise DeviceError(self.name, "not connected (call open first)")
        return self._conn

    def _send(self, command: str) -> str:
        try:
            return str(self.conn.send_command(command, read_timeout=60))
        except Exception as exc:
            raise DeviceError(self.name, f"{command!r}: {first_line(exc)}") from None

    def get_config(self) -> str:
        return self._send("show running-config")

    def arm(self, seconds: int) -> None:
        command = f"configure terminal revert timer {revert_minutes(seconds)}"
        try:
            # read up to any prompt: IOS stays in exec mode when it refuses (no archive)
            out = str(self.conn.send_command(command, expect_string=r"[>#]\s*$", read_timeout=60))
            if self.conn.check_config_mode():
                self.conn.exit_config_mode()
        except Exception as exc:
            raise DeviceError(self.name, f"{command!r} refused: {first_line(exc)}") from None
        if any(marker in out for marker in NO_ARCHIVE):
            raise DeviceError(
                self.name,
                "the revert timer needs the archive feature: configure 'archive' / 'path flash:archive'",
            )
        if re.search(IOS_ERROR, out, re.M):
            raise DeviceError(self.name, f"{command!r} refused: {first_line(out)}")

    def push(self, commands: Sequence[str]) -> str:
        if not commands:
            return ""
        try:
            output = str(self.conn.send_config_set(list(commands), error_pattern=IOS_ERROR, read_timeout=60))
        except Exception as exc:
            with contextlib.suppress(Exception):  # the rejection below is what matters
                self.conn.exit_config_mode()
            raise DeviceError(self.name, f"rejected the change: {_rejected(exc)}") from None
        return output

    def confirm(self) -> None:
        out = self._send("configure confirm")
        if NOT_PENDING in out:
            raise DeviceError(
                self.name, "nothing to confirm: the revert timer has already restored the archive"
            )
        if re.search(IOS_ERROR, out, re.M):
            raise DeviceError(self.name, f"configure confirm refused: {first_line(out)}")
        self._send("write memory")

    def rollback(self) -> None:
        out = self._send("configure revert now")
        # NOT_PENDING: the timer has already reverted; the caller compares running with the backup.
        if NOT_PENDING not in out and re.search(IOS_ERROR, out, re.M):
            raise DeviceError(self.name, f"configure revert now refused: {first_line(out)}")

    def ping(self, destination: str, *, source: str) -> None:
        """Raise unless ``destination`` answers pings sent from the address ``source``."""
        out = self._send(f"ping {destination} source {source}")
        found = SUCCESS.search(out)
        if not found or int(found.group(2)) == 0:
            raise DeviceError(self.name, f"{destination} does not answer from {source}: {first_line(out)}")

    def close(self) -> None:
        close_netmiko(self._conn)
        self._conn = None


def _rejected(exc: object) -> str:
    """The line and the device's own words, from Netmiko's ConfigInvalidException."""
    found = re.search(r"at command:\s*(.*?), matched error:\s*(.*)", str(exc))
    return f"{found.group(1).strip()!r}: {found.group(2).strip()}" if found else first_line(exc)
