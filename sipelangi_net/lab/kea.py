"""A real ISC Kea DHCPv4 server and its Control Agent, for the lab and for the tests.

Everything lives in one directory (:class:`KeaPaths`): the two configuration files, kea-dhcp4's
control socket, its lease file, the logs and the PID files the daemons write themselves
(``KEA_PIDFILE_DIR``/``KEA_LOCKFILE_DIR`` point there, so nothing goes to /run/kea).
:func:`start` writes the configurations, starts both daemons detached (kea-dhcp4 behind an
optional command prefix: the lab passes its ``nsenter`` into the server's namespaces; the
Control Agent runs where the caller runs, on loopback) and waits until the Control Agent answers
for kea-dhcp4. :func:`stop` ends exactly the PIDs of those PID files.

The Control Agent's configuration holds the password: it is written mode 0600 and no line this
module logs or raises carries it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipelangi_net.errors import DeviceError, LabError
from sipelangi_net.lab.runtime import is_alive, read_pid, stop_pids

KEA_DHCP4 = "/usr/sbin/kea-dhcp4"
KEA_CTRL_AGENT = "/usr/sbin/kea-ctrl-agent"
REALM = "sipelangi-lab"
MAX_SOCKET_PATH = 100  # sun_path is 108 bytes


@dataclass(frozen=True, slots=True)
class KeaPaths:
    """The files of one Kea server under ``root``."""

    root: Path

    @property
    def dhcp4_conf(self) -> Path:
        return self.root / "kea-dhcp4.conf"

    @property
    def ca_conf(self) -> Path:
        return self.root / "kea-ctrl-agent.conf"

    @property
    def socket(self) -> Path:
        return self.root / "kea4-ctrl.sock"

    @property
    def leases(self) -> Path:
        return self.root / "kea-leases4.csv"

    @property
    def dhcp4_log(self) -> Path:
        return self.root / "kea-dhcp4.log"

    @property
    def ca_log(self) -> Path:
        return self.root / "kea-ctrl-agent.log"

    @property
    def dhcp4_pidfile(self) -> Path:  # Kea names it <config file stem>.<program>.pid
        return self.root / "kea-dhcp4.kea-dhcp4.pid"

    @property
    def ca_pidfile(self) -> Path:
        return self.root / "kea-ctrl-agent.kea-ctrl-agent.pid"

    def output(self, program: str) -> Path:
        """Where a daemon's stdout and stderr go (what it says before its logger is set up)."""
        return self.root / f"{program}.out"


@dataclass(frozen=True, slots=True)
class KeaServer:
    """A started server: its files, the Control Agent's URL and the daemons' PIDs."""

    paths: KeaPaths
    url: str
    dhcp4_pid: int
    ca_pid: int


def dhcp4_config(paths: KeaPaths, interfaces: Sequence[str]) -> dict[str, Any]:
    """kea-dhcp4's configuration: no subnet yet (a change adds them), files under ``paths``."""
    return {
        "Dhcp4": {
            # udp sockets: the central server only hears relays (unicast), never a LAN's broadcast
            "interfaces-config": {"interfaces": list(interfaces), "dhcp-socket-type": "udp"},
            "control-socket": {"socket-type": "unix", "socket-name": str(paths.socket)},
            "lease-database": {
                "type": "memfile",
                "persist": True,
                "name": str(paths.leases),
                "lfc-interval": 0,
            },
            "valid-lifetime": 600,
            "subnet4": [],
            "loggers": [_logger("kea-dhcp4", paths.dhcp4_log)],
        }
    }


def ca_config(paths: KeaPaths, *, host: str, port: int, username: str, password: str) -> dict[str, Any]:
    """The Control Agent's configuration: HTTP on ``host:port`` with basic auth, kea-dhcp4 behind it."""
    return {
        "Control-agent": {
            "http-host": host,
            "http-port": port,
            "authentication": {
                "type": "basic",
                "realm": REALM,
                "clients": [{"user": username, "password": password}],
            },
            "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": str(paths.socket)}},
            "loggers": [_logger("kea-ctrl-agent", paths.ca_log)],
        }
    }


def _logger(name: str, path: Path) -> dict[str, Any]:
    return {"name": name, "severity": "INFO", "output_options": [{"output": str(path)}]}


def write_configs(
    paths: KeaPaths,
    *,
    interfaces: Sequence[str],
    host: str,
    port: int,
    username: str,
    password: str,
) -> None:
    """Write both configuration files (the Control Agent's, with the password, mode 0600)."""
    paths.root.mkdir(parents=True, exist_ok=True)
    if len(str(paths.socket)) > MAX_SOCKET_PATH:
        raise LabError(f"{paths.socket}: too long for a unix socket path; use a shorter Kea directory")
    paths.dhcp4_conf.write_text(json.dumps(dhcp4_config(paths, interfaces), indent=2), encoding="utf-8")
    text = json.dumps(ca_config(paths, host=host, port=port, username=username, password=password), indent=2)
    fd = os.open(paths.ca_conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(text)


def start(
    directory: Path,
    *,
    port: int,
    username: str,
    password: str,
    interfaces: Sequence[str] = (),
    host: str = "127.0.0.1",
    prefix: Sequence[str] = (),
    agent_prefix: Sequence[str] = (),
    dhcp_ports: tuple[int, int] | None = None,
    timeout: float = 15.0,
) -> KeaServer:
    """Start kea-dhcp4 (behind ``prefix``) and the Control Agent on ``host:port`` (behind
    ``agent_prefix``: the lab's server mount namespace, network of this machine); wait for both.

    ``dhcp_ports`` (server, client) replace DHCP's 67 and 68 (``kea-dhcp4 -p/-P``): the tests relay
    to a server on ``lo`` without taking the real ports. Replies to a relay go to its client port.

    On failure (a daemon exits, no answer within ``timeout`` seconds) whatever started is stopped
    and a :class:`LabError` carries the tail of the logs.
    """
    paths = KeaPaths(directory)
    write_configs(paths, interfaces=interfaces, host=host, port=port, username=username, password=password)
    url = f"http://{host}:{port}/"
    ports = ["-p", str(dhcp_ports[0]), "-P", str(dhcp_ports[1])] if dhcp_ports else []
    _detach(paths, [*prefix, "setsid", "--fork", KEA_DHCP4, "-c", str(paths.dhcp4_conf), *ports], "kea-dhcp4")
    _detach(
        paths, [*agent_prefix, "setsid", "--fork", KEA_CTRL_AGENT, "-c", str(paths.ca_conf)], "kea-ctrl-agent"
    )
    try:
        return _wait(paths, url, username, password, time.monotonic() + timeout)
    except LabError:
        stop(directory)
        raise


def _detach(paths: KeaPaths, cmd: list[str], program: str) -> None:
    env = {**os.environ, "KEA_PIDFILE_DIR": str(paths.root), "KEA_LOCKFILE_DIR": str(paths.root)}
    with open(paths.output(program), "ab") as out:
        # setsid --fork detaches the daemon; this child returns at once.
        proc = subprocess.run(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=paths.root, env=env,
            timeout=30, check=False,
        )  # fmt: skip
    if proc.returncode != 0:
        raise LabError(f"{program}: could not be started (exit {proc.returncode}){_tails(paths)}")


def _wait(paths: KeaPaths, url: str, username: str, password: str, deadline: float) -> KeaServer:
    from sipelangi_net.drivers.kea import KeaControl  # the lab's edge uses the toolkit's own client

    last = "no answer yet"
    started = time.monotonic()
    with KeaControl(name="kea", url=url, username=username, password=password, timeout=2.0) as kea:
        while time.monotonic() < deadline:
            dead = [name for name, conf in _daemons(paths.root) if _find(name, conf) is None]
            if dead and time.monotonic() - started > 1.0:
                raise LabError(f"Kea at {url}: {', '.join(dead)} exited{_tails(paths)}")
            try:
                kea.command("config-get")
            except DeviceError as exc:
                last = str(exc)
                time.sleep(0.1)
                continue
            return KeaServer(paths, url, _pid(paths.dhcp4_pidfile, 0), _pid(paths.ca_pidfile, 1))
    raise LabError(
        f"Kea at {url}: no answer from kea-dhcp4 through the Control Agent ({last}){_tails(paths)}"
    )


def _daemons(directory: Path) -> tuple[tuple[str, Path], ...]:
    paths = KeaPaths(directory)
    return ((KEA_DHCP4, paths.dhcp4_conf), (KEA_CTRL_AGENT, paths.ca_conf))


def _find(program: str, conf: Path) -> int | None:
    """The PID of the process running exactly ``program -c conf`` (ours: its config is in our directory)."""
    wanted = _command(program, conf)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _argv(int(entry.name))[:3] == wanted and is_alive(int(entry.name)):
            return int(entry.name)
    return None


def _command(program: str, conf: Path) -> list[bytes]:
    """How a daemon of ours starts: ``program -c conf`` (the first words of its command line)."""
    return [program.encode(), b"-c", str(conf).encode()]


def _argv(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
    except OSError:
        return []


def _pid(pidfile: Path, which: int) -> int:
    pid = read_pid(pidfile) or _find(*_daemons(pidfile.parent)[which])
    if pid is None:
        raise LabError(f"{pidfile}: Kea answers but its process cannot be found; stop it by hand")
    return pid


def _tails(paths: KeaPaths, lines: int = 5) -> str:
    parts = []
    for path in (paths.output("kea-dhcp4"), paths.dhcp4_log, paths.output("kea-ctrl-agent"), paths.ca_log):
        try:
            tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        except OSError:
            continue
        if tail:
            parts.append(f"\n--- {path}:\n" + "\n".join(tail))
    return "".join(parts)


def stop(directory: Path) -> list[int]:
    """Stop the daemons of ``directory``: the PIDs of their PID files, when they still run that
    program with that directory's configuration (a stale PID file may name a PID reused since).
    Returns the PIDs that would not stop."""
    paths = KeaPaths(directory)
    pids = []
    for pidfile, (program, conf) in zip(
        (paths.dhcp4_pidfile, paths.ca_pidfile), _daemons(paths.root), strict=True
    ):
        pid = read_pid(pidfile)
        if pid is not None and _argv(pid)[:3] == _command(program, conf):
            pids.append(pid)
    left = stop_pids(pids)
    for pidfile in (paths.ca_pidfile, paths.dhcp4_pidfile):
        pidfile.unlink(missing_ok=True)
    return left
