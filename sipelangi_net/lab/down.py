"""``lab down``: remove everything ``lab up`` made, even after a crash.

What to remove is found twice over: from the manifest, and from the machine
itself (network namespaces named ``spl-*``, processes inside the lab's
namespaces, the lab user marked by its comment), so a half-finished ``up``
whose manifest is incomplete is still cleaned up.
"""

from __future__ import annotations

import logging
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path

from sipelangi_net.lab.runtime import (
    LAB_USER,
    NETNS_DIR,
    LabPaths,
    our_netns,
    pids_in_namespaces,
    read_json,
    run,
    stop_pids,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DownReport:
    processes: int
    namespaces: int
    removed_user: bool
    survivors: tuple[int, ...]


def _lab_user_is_ours() -> bool:
    from sipelangi_net.lab.up import USER_COMMENT

    try:
        entry = pwd.getpwnam(LAB_USER)
    except KeyError:
        return False
    return entry.pw_gecos == USER_COMMENT


def leftovers(paths: LabPaths) -> bool:
    """True when anything of a lab exists on this machine."""
    return bool(our_netns()) or paths.root.exists() or _lab_user_is_ours()


def _mounted(path: Path) -> bool:
    target = str(path)
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as f:
            return any(line.split()[4] == target for line in f)
    except OSError:
        return False


def _ns_files(paths: LabPaths) -> list[Path]:
    files = [NETNS_DIR / name for name in our_netns()]
    if paths.ns.is_dir():
        files += sorted(paths.ns.iterdir())
    return files


def _unmount_ns(paths: LabPaths) -> None:
    if not paths.ns.is_dir():
        return
    for f in sorted(paths.ns.iterdir()):
        if _mounted(f):
            run(["umount", str(f)], check=False)
    if _mounted(paths.ns):
        run(["umount", str(paths.ns)], check=False)


def _remove_created_dirs(dirs: list[str]) -> None:
    for d in reversed(dirs):
        path = Path(d)
        if not path.is_dir() or any(path.iterdir()):
            continue
        for _ in range(4):  # /run/netns: 'ip netns add' bind-mounts it onto itself
            if not _mounted(path):
                break
            run(["umount", str(path)], check=False)
        path.rmdir()


def lab_down(paths: LabPaths) -> DownReport:
    manifest = read_json(paths.manifest) if paths.root.exists() else None
    ns_files = _ns_files(paths)
    pids = pids_in_namespaces(ns_files)
    survivors = stop_pids(pids)
    _unmount_ns(paths)
    names = our_netns()
    if names:
        run(["ip", "-batch", "-"], input="".join(f"netns delete {n}\n" for n in names), check=False)
    removed_user = False
    if _lab_user_is_ours():
        run(["userdel", LAB_USER], check=False)
        removed_user = True
    if isinstance(manifest, dict):
        _remove_created_dirs(manifest.get("created_dirs", []))
    if paths.root.exists():
        shutil.rmtree(paths.root, ignore_errors=True)
    parent = paths.root.parent
    if parent.name == "sipelangi-net" and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
    if survivors:
        log.warning("lab down: processes still alive after SIGKILL: %s", survivors)
    return DownReport(len(pids), len(names), removed_user, tuple(survivors))
