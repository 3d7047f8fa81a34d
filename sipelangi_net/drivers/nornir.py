"""Build a Nornir object from the inventory directory and the credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sipelangi_net.credentials import Credentials
from sipelangi_net.logs import register_secret, scrub
from sipelangi_net.platforms import Platform, spec_for


def netmiko_extras(creds: Credentials) -> dict[str, Any]:
    """Netmiko connection arguments: strict host keys, no agent, keys from the secrets."""
    extras: dict[str, Any] = {
        "ssh_strict": True,
        "system_host_keys": False,
        "alt_host_keys": creds.known_hosts is not None,
        "allow_agent": False,
        "conn_timeout": 10,
        "auth_timeout": 10,
        "banner_timeout": 10,
    }
    if creds.known_hosts is not None:
        extras["alt_key_file"] = str(creds.known_hosts)
    if creds.ssh_key is not None:
        extras["use_keys"] = True
        extras["key_file"] = str(creds.ssh_key)
    return extras


def open_nornir(inventory: Path, creds: Credentials, *, workers: int = 20) -> Any:
    """A Nornir with the threaded runner whose hosts carry the credentials."""
    from nornir import InitNornir
    from nornir.core.inventory import ConnectionOptions

    register_secret(creds.password)
    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": workers}},
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(inventory / "hosts.yaml"),
                "group_file": str(inventory / "groups.yaml"),
                "defaults_file": str(inventory / "defaults.yaml"),
            },
        },
        logging={"enabled": False},
    )
    extras = netmiko_extras(creds)
    for host in nr.inventory.hosts.values():
        host.username = creds.username
        host.password = creds.password
        spec = spec_for(Platform(str(host.platform)))
        host.connection_options["netmiko"] = ConnectionOptions(
            platform=spec.netmiko_device_type, extras=dict(extras)
        )
    return nr


def root_exception(multi: Any) -> BaseException | None:
    """The innermost exception of a failed Nornir MultiResult (not the subtask wrapper)."""
    from nornir.core.exceptions import NornirSubTaskError

    found: BaseException | None = None
    for result in multi:
        exc = result.exception
        if exc is not None and not isinstance(exc, NornirSubTaskError):
            found = exc
    return found or next((r.exception for r in multi if r.exception is not None), None)


def describe_failure(host: str, multi: Any) -> str:
    """One clear line for a failed host: host-key, authentication, timeout or the device's words."""
    exc = root_exception(multi)
    if exc is None:
        return "failed"
    text = str(exc)
    name = type(exc).__name__
    if "not found in known_hosts" in text:
        return "host key is not in known_hosts: refusing to connect"
    if name == "BadHostKeyException" or "does not match" in text:
        return "host key differs from known_hosts: refusing to connect (possible man-in-the-middle)"
    if "Authentication" in name or "Authentication" in text.split("\n", 1)[0]:
        return "authentication refused"
    if "Timeout" in name:
        return "no answer (timeout)"
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), name)
    return scrub(f"{name}: {first}")
