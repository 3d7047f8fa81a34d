"""Drivers for the platforms of the lab: FRR (Netmiko ``cisco_ios`` into vtysh) and Open vSwitch
(Netmiko ``ovs_linux`` shell with ``ovs-vsctl``). The revert timer is the device's own
``commit-confirm`` (see sipelangi_net.lab.commit_confirm_script), reached over a separate SSH
exec channel, so it keeps running when this process or its session dies.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from typing import Any, cast

from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers import confirm as device_confirm
from sipelangi_net.drivers.base import DriverBase, ScopeServer
from sipelangi_net.drivers.nornir import netmiko_extras
from sipelangi_net.errors import DeviceError
from sipelangi_net.logs import scrub
from sipelangi_net.platforms import Platform, spec_for

FRR_ERROR = re.compile(r"^% .*$", re.M)
OVS_OK = "SPL-RC=0"


class LabDriver(DriverBase):
    """:class:`~sipelangi_net.drivers.base.DeviceDriver` for ``frr`` and ``ovs``."""

    def __init__(self, *, name: str, host: str, port: int, platform: Platform, creds: Credentials) -> None:
        super().__init__(name=name, host=host, port=port, platform=platform, creds=creds)
        self._conn: Any = None

    def open(self) -> None:
        from netmiko import ConnectHandler

        extras = netmiko_extras(self._creds)
        try:
            self._conn = ConnectHandler(
                device_type=spec_for(self._platform).netmiko_device_type,
                host=self.host,
                port=self.port,
                username=self._creds.username,
                password=self._creds.password,
                **extras,
            )
        except Exception as exc:  # netmiko raises many types; all mean "not connected"
            raise DeviceError(self.name, f"cannot connect: {_first_line(exc)}") from None

    @property
    def conn(self) -> Any:
        if self._conn is None:
            raise DeviceError(self.name, "not connected (call open first)")
        return self._conn

    def _send(self, command: str) -> str:
        """One command's output; a session that dies or stalls is a DeviceError naming the device."""
        conn = self.conn
        try:
            return str(conn.send_command(command, read_timeout=30))
        except Exception as exc:  # netmiko: ReadTimeout, OSError, EOFError, ... all mean "no answer"
            raise DeviceError(
                self.name, f"no answer to {command.split(';', maxsplit=1)[0][:80]!r}: {_first_line(exc)}"
            ) from None

    def get_config(self) -> str:
        return self._send(spec_for(self._platform).config.command)

    def push(self, commands: Sequence[str]) -> str:
        if not commands:
            return ""
        lab = spec_for(self._platform).lab
        if lab is not None and lab.push == "shell":
            return self._push_shell(commands)
        return self._push_vtysh(commands)

    def _push_vtysh(self, commands: Sequence[str]) -> str:
        try:
            output = str(self.conn.send_config_set(list(commands), error_pattern=r"% ", read_timeout=30))
        except Exception as exc:
            # Netmiko stops at the rejected line and leaves the session in config mode.
            with contextlib.suppress(Exception):
                self.conn.exit_config_mode()
            raise DeviceError(self.name, f"rejected the change: {_first_line(exc)}") from None
        bad = FRR_ERROR.search(output)
        if bad:
            raise DeviceError(self.name, f"rejected the change: {bad.group(0)}")
        return output

    def _push_shell(self, commands: Sequence[str]) -> str:
        log = []
        for command in commands:
            out = self._send(f"{command}; echo SPL-RC=$?")
            log.append(out)
            if OVS_OK not in out:
                raise DeviceError(self.name, f"rejected {command!r}: {_first_line(out)}")
        return "\n".join(log)

    def arm(self, seconds: int) -> None:
        device_confirm.arm(self.name, self.host, self.port, self._creds, seconds)

    def confirm(self) -> None:
        device_confirm.confirm(self.name, self.host, self.port, self._creds)

    def rollback(self) -> None:
        device_confirm.rollback(self.name, self.host, self.port, self._creds)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing a dead session is not an error
                self._conn.disconnect()
            self._conn = None


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return scrub(next((ln for ln in text.splitlines() if ln.strip()), type(exc).__name__))[:200]


def open_driver(device: Any, creds: Credentials) -> LabDriver:
    """A driver for an inventory :class:`~sipelangi_net.inventory.Device` of a lab platform.

    Any platform, and the central DHCP server: :func:`sipelangi_net.drivers.registry.open_driver`."""
    if isinstance(device, ScopeServer):
        from sipelangi_net.drivers import registry

        return cast(LabDriver, registry.open_driver(device, creds))
    if spec_for(device.platform).deploy_driver != "lab":
        raise DeviceError(
            device.name, f"{device.platform} is not a lab platform: use the driver registry's open_driver"
        )
    return LabDriver(
        name=device.name, host=device.hostname, port=device.port, platform=device.platform, creds=creds
    )
