"""Set-up shared by the replay tests: host keys, inventories pointed at replayed devices, waiting.

A replay test starts its devices (:class:`~tests.replay.replay_ssh.ReplayDevice`,
:class:`~tests.replay.replay_eapi.ReplayEapi`), writes a copy of the shipped inventory whose
hosts are moved to the replay ports (:func:`replayed_inventory`), runs the real code, then waits
for the clients' last words (:func:`settle`) before it reads what was played.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import paramiko
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sipelangi_net.paths import PROJECT_ROOT

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


class SharedPort:
    """One port for a device that answers SSH and HTTPS (an Arista EOS: the live facts and
    compliance read it over SSH, its deploy driver talks eAPI): each connection goes to ``ssh`` or
    ``https`` by its first byte (a TLS handshake starts with 0x16, SSH with ``SSH-``)."""

    def __init__(self, name: str, ssh: Any, https: Any) -> None:
        self.name = name
        self.parts = (ssh, https)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self.port = 0

    @property
    def played(self) -> list[str]:
        return [c for part in self.parts for c in part.played]

    @property
    def errors(self) -> list[str]:
        return [e for part in self.parts for e in part.errors]

    @property
    def remaining(self) -> list[Any]:
        return [s for part in self.parts for s in part.remaining]

    @property
    def sessions(self) -> int:
        return int(getattr(self.parts[0], "sessions", 0))

    def start(self) -> SharedPort:
        for part in self.parts:
            part.start()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._spawn(self._accept)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()
        self._sock.close()
        for thread in self._threads:
            thread.join(timeout=5)
        for part in self.parts:
            part.stop()

    def known_hosts_line(self) -> str:
        key = self.parts[0].host_key
        return f"[127.0.0.1]:{self.port} {key.get_name()} {key.get_base64()}\n"

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self._spawn(self._route, conn)

    def _route(self, conn: socket.socket) -> None:
        self._conns.append(conn)
        conn.settimeout(10)
        try:
            first = conn.recv(1, socket.MSG_PEEK)
            backend = socket.create_connection(("127.0.0.1", self.parts[first == b"\x16"].port))
        except OSError:
            conn.close()
            return
        self._conns.append(backend)
        conn.settimeout(None)
        self._spawn(_pipe, backend, conn)
        _pipe(conn, backend)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source`` to ``sink`` until either ends; then end both."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for sock in (source, sink):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
