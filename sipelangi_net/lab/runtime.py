"""Low-level lab I/O: state paths, commands, namespaces, processes."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipelangi_net.errors import LabError

log = logging.getLogger(__name__)

NETNS_PREFIX = "spl-"
LAB_USER = "sipelangi-lab"
NETNS_DIR = Path("/run/netns")


@dataclass(frozen=True, slots=True)
class LabPaths:
    """Everything the lab writes lives under ``root`` (default /run/sipelangi-net/lab)."""

    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def ns(self) -> Path:
        return self.root / "ns"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets.yaml"

    @property
    def client_key(self) -> Path:
        return self.root / "client" / "id_ed25519"

    @property
    def home(self) -> Path:
        return self.root / "home"

    def node(self, name: str) -> Path:
        return self.root / "nodes" / name

    def mnt_ns(self, name: str) -> Path:
        return self.ns / f"{name}.mnt"

    def uts_ns(self, name: str) -> Path:
        return self.ns / f"{name}.uts"


def netns_name(node: str) -> str:
    return f"{NETNS_PREFIX}{node}"


def netns_path(node: str) -> Path:
    return NETNS_DIR / netns_name(node)


def run(
    cmd: Sequence[str],
    *,
    input: str | None = None,
    check: bool = True,
    timeout: float = 30,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; on failure raise :class:`LabError` with its stderr."""
    try:
        proc = subprocess.run(
            list(cmd),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise LabError(f"{cmd[0]}: no answer after {timeout:.0f} s ({' '.join(cmd)})") from None
    except FileNotFoundError:
        raise LabError(f"{cmd[0]}: command not found") from None
    if check and proc.returncode != 0:
        detail = " / ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        shown = " ".join(cmd[:6]) + (" ..." if len(cmd) > 6 else "")
        raise LabError(f"{shown}: {detail or f'exit {proc.returncode}'}")
    return proc


def nsenter(
    paths: LabPaths, node: str, *, net: bool = True, mount: bool = True, uts: bool = True
) -> list[str]:
    """The ``nsenter`` prefix that enters ``node``'s namespaces."""
    cmd = ["nsenter"]
    if net:
        cmd.append(f"--net={netns_path(node)}")
    if mount and paths.mnt_ns(node).exists():
        cmd.append(f"--mount={paths.mnt_ns(node)}")
    if uts and paths.uts_ns(node).exists():
        cmd.append(f"--uts={paths.uts_ns(node)}")
    return [*cmd, "--"]


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def runs_inventory(paths: LabPaths, inventory: Path) -> bool:
    """Whether the lab that is up was built from the inventory folder ``inventory``."""
    manifest = read_json(paths.manifest)
    return bool(manifest) and manifest.get("inventory") == str(inventory.resolve())


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise LabError(f"{path}: unreadable lab state ({exc}); run 'sipelangi-net lab down'") from None


def our_netns() -> list[str]:
    """Names of the lab's network namespaces that exist now."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(NETNS_PREFIX))


def _ns_inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


def pids_in_namespaces(ns_files: Iterable[Path]) -> list[int]:
    """PIDs of live processes whose net, mount or UTS namespace is one of ``ns_files``."""
    inodes = {ino for f in ns_files if (ino := _ns_inode(f)) is not None}
    if not inodes:
        return []
    found = []
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        for kind in ("net", "mnt", "uts"):
            ino = _ns_inode(entry / "ns" / kind)
            if ino in inodes and is_alive(int(entry.name)):
                found.append(int(entry.name))
                break
    return found


def is_alive(pid: int) -> bool:
    """True when ``pid`` runs (a zombie waiting for its reaper does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


def stop_pids(pids: Iterable[int], *, grace: float = 3.0) -> list[int]:
    """SIGTERM each PID, then SIGKILL what is left after ``grace`` seconds."""
    pending = [p for p in pids if is_alive(p)]
    for pid in pending:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pending and time.monotonic() < deadline:
        time.sleep(0.05)
        pending = [p for p in pending if is_alive(p)]
    for pid in pending:
        log.warning("pid %d: did not stop on SIGTERM, sending SIGKILL", pid)
        _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + 2
    while pending and time.monotonic() < deadline:
        time.sleep(0.05)
        pending = [p for p in pending if is_alive(p)]
    return pending


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None
