"""Netmiko sessions for the CLI deploy drivers (Cisco IOS, MikroTik RouterOS).

One place that connects with the project's SSH rules (strict host keys from the credentials'
known_hosts, no agent; :func:`~sipelangi_net.drivers.nornir.netmiko_extras`) and turns Netmiko's
many exception types into :class:`~sipelangi_net.errors.DeviceError` subclasses naming the device.
"""

from __future__ import annotations

import contextlib
from typing import Any

from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.nornir import netmiko_extras
from sipelangi_net.errors import DeviceAuthError, DeviceError, DeviceTimeout, HostKeyError
from sipelangi_net.logs import register_secret, scrub


def first_line(exc: object) -> str:
    """The first non-empty line of an exception or an answer, scrubbed of secrets."""
    text = str(exc).strip()
    return scrub(next((ln for ln in text.splitlines() if ln.strip()), type(exc).__name__))[:200]


def connect_error(name: str, host: str, port: int, exc: BaseException) -> DeviceError:
    """The error for a failed connection: host key, authentication, timeout or other."""
    text, kind = str(exc), type(exc).__name__
    if (
        "known_hosts" in text
        or "does not match" in text
        or kind in ("BadHostKeyException", "SSHUnknownHostError")
    ):
        return HostKeyError(
            name, f"{host}:{port}: host key unknown or changed ({first_line(exc)}); refusing to connect"
        )
    if "Authentication" in kind or "uthentication" in text.split("\n", 1)[0]:
        return DeviceAuthError(name, f"{host}:{port}: credentials refused")
    if "Timeout" in kind or isinstance(exc, TimeoutError):
        return DeviceTimeout(name, f"{host}:{port}: no answer (timeout)")
    return DeviceError(name, f"cannot connect to {host}:{port}: {first_line(exc)}")


def open_netmiko(name: str, device_type: str, host: str, port: int, creds: Credentials) -> Any:
    """A Netmiko session to ``host:port`` with verified host key."""
    from netmiko import ConnectHandler

    register_secret(creds.password)
    try:
        return ConnectHandler(
            device_type=device_type,
            host=host,
            port=port,
            username=creds.username,
            password=creds.password,
            **netmiko_extras(creds),
        )
    except Exception as exc:  # netmiko raises many types; all mean "not connected"
        raise connect_error(name, host, port, exc) from None


def close_netmiko(conn: Any) -> None:
    if conn is not None:
        with contextlib.suppress(Exception):  # closing a dead session is not an error
            conn.disconnect()
