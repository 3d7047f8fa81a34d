"""Checks that this machine can run the lab, before anything is touched."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sipelangi_net.errors import MissingPackageError, NotRootError

# program -> Debian package that provides it
REQUIRED: dict[str, str] = {
    "ip": "iproute2",
    "tc": "iproute2",
    "nsenter": "util-linux",
    "unshare": "util-linux",
    "mount": "mount",
    "ethtool": "ethtool",
    "/usr/lib/frr/zebra": "frr",
    "/usr/lib/frr/staticd": "frr",
    "vtysh": "frr",
    "/usr/lib/frr/frr-reload.py": "frr-pythontools",
    "ovsdb-server": "openvswitch-switch",
    "ovs-vswitchd": "openvswitch-switch",
    "ovs-vsctl": "openvswitch-switch",
    "ovsdb-tool": "openvswitch-switch",
    "iperf3": "iperf3",
    "/usr/sbin/sshd": "openssh-server",
    "ssh-keygen": "openssh-client",
    "useradd": "passwd",
    "userdel": "passwd",
    "chpasswd": "passwd",
}


def _exists(program: str) -> bool:
    if program.startswith("/"):
        return os.access(program, os.X_OK)
    return shutil.which(program, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is not None


def missing_programs() -> dict[str, str]:
    return {prog: pkg for prog, pkg in REQUIRED.items() if not _exists(prog)}


def check_machine() -> None:
    """Raise a clear error when the lab cannot run here; change nothing."""
    if os.geteuid() != 0:
        raise NotRootError(
            "the lab needs root (it creates network namespaces and starts FRR, Open vSwitch"
            " and sshd); run it with sudo or as root"
        )
    missing = missing_programs()
    if missing:
        pkgs = sorted(set(missing.values()))
        progs = ", ".join(sorted(missing))
        raise MissingPackageError(
            f"missing {progs}; install with: apt-get install {' '.join(pkgs)} (or ./dev.sh setup)"
        )
    if not Path("/proc/self/ns/net").exists():
        raise MissingPackageError("this kernel has no network namespaces")
