"""Set-up shared by the replay tests: host keys, inventories pointed at replayed devices, waiting.

A replay test starts its devices (:class:`~tests.replay.replay_ssh.ReplayDevice`,
:class:`~tests.replay.replay_eapi.ReplayEapi`), writes a copy of the shipped inventory whose
hosts are moved to the replay ports (:func:`replayed_inventory`), runs the real code, then waits
for the clients' last words (:func:`settle`) before it reads what was played.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import paramiko
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sipelangi_net.workspace import SOURCE_ROOT as PROJECT_ROOT

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


class Replayed(Protocol):
    """What every replayed device offers the tests."""

    name: str
    port: int
    played: list[str]
    errors: list[str]
    remaining: list[Any]


def new_host_key(path: Path) -> paramiko.PKey:
    """A fresh Ed25519 host key, written to ``path`` (OpenSSH format)."""
    key = Ed25519PrivateKey.generate()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
    )
    return paramiko.Ed25519Key.from_private_key_file(str(path))


def settle(devices: Iterable[Replayed], seconds: float = 3.0) -> None:
    """Wait (up to ``seconds``) until every cassette is played: a client's last words (Netmiko's
    ``exit`` on disconnect) are sent without waiting for an answer."""
    devices = list(devices)
    deadline = time.monotonic() + seconds
    while any(d.remaining for d in devices) and time.monotonic() < deadline:
        time.sleep(0.05)


def replay_problems(devices: Iterable[Replayed]) -> tuple[list[str], dict[str, list[Any]]]:
    """(every device's errors, the steps each device never played)."""
    devices = list(devices)
    errors = [e for d in devices for e in d.errors]
    left = {
        d.name: [getattr(s, "expect", None) or getattr(s, "cmds", s) for s in d.remaining]
        for d in devices
        if d.remaining
    }
    return errors, left


def closed_port() -> int:
    """A port of 127.0.0.1 nothing listens on (a device that cannot be reached)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def replayed_inventory(
    folder: Path,
    hosts: Mapping[str, Mapping[str, Any]],
    sites: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """A copy of the shipped inventory in ``folder``, each host of ``hosts`` updated with its
    values (``platform``, ``hostname``, ``port``), each site of ``sites`` with its parts
    (``{"dinkes": {"distribution": {"port": ...}}}`` changes that one key)."""
    inventory = Path(shutil.copytree(PROJECT_ROOT / "inventory", folder))
    _update(inventory / "hosts.yaml", hosts)
    _update(inventory / "sites.yaml", sites or {})
    return inventory


def _update(path: Path, changes: Mapping[str, Mapping[str, Any]]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name, values in changes.items():
        for key, value in values.items():
            if isinstance(value, Mapping) and isinstance(data[name].get(key), dict):
                data[name][key].update(value)
            else:
                data[name][key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
