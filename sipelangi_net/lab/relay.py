"""The DHCP relay of a lab router's host (run inside the router's namespaces).

``python -m sipelangi_net.lab.relay --server 10.10.10.40 --port eth1 --port eth2 --pidfile F``

FRR has no DHCP relay: on a Linux router the host relays with ISC ``dhcrelay``, which reads its
interfaces' addresses once, when it starts. An OPD port gets its gateway address only with the
change (SOP step 7), so the host restarts the relay whenever the set of OPD ports that have an
address changes, as a Linux router's network manager does on a reload (ifupdown2 restarts
dhcrelay on ``ifreload``): it follows the kernel's address events (``ip monitor address``). The
relay itself, the DHCP server (ISC Kea, the city's central server) and the OPD PC's client are
the real programs.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

log = logging.getLogger("sipelangi_net.lab.relay")
RESTART_WAIT_S = 5.0


def addressed(ports: Sequence[str], answer: str) -> tuple[str, ...]:
    """The ``ports`` that have an IPv4 address in ``ip -o -4 addr show``'s ``answer``, in order."""
    have = {line.split()[1].split("@")[0] for line in answer.splitlines() if len(line.split()) > 3}
    return tuple(p for p in ports if p in have)


def interfaces(answer: str) -> tuple[str, ...]:
    """Every interface of ``ip -o link show``'s ``answer`` but ``lo``."""
    names = []
    for line in answer.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            name = parts[1].strip().split("@")[0]
            if name and name != "lo":
                names.append(name)
    return tuple(names)


def relay_argv(server: str, downstream: Sequence[str], upstream: Sequence[str], pidfile: str) -> list[str]:
    """ISC dhcrelay in the foreground, relaying ``downstream``'s clients to ``server``."""
    argv = ["dhcrelay", "-4", "-d", "-q", "-pf", pidfile]
    for port in downstream:
        argv += ["-id", port]
    for port in upstream:
        argv += ["-iu", port]
    return [*argv, server]


class Relay:
    """dhcrelay on the addressed OPD ports, restarted when they change."""

    def __init__(self, server: str, ports: Sequence[str], pidfile: str) -> None:
        self.server = server
        self.ports = tuple(ports)
        self.pidfile = pidfile
        self.child: subprocess.Popen[bytes] | None = None
        self.serving: tuple[str, ...] = ()

    def update(self) -> None:
        show = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, check=True)
        wanted = addressed(self.ports, show.stdout)
        if wanted == self.serving and (self.child is None or self.child.poll() is None):
            return
        self.stop()
        self.serving = wanted
        if not wanted:
            log.info("no OPD port has an address; not relaying")
            return
        links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True)
        upstream = [i for i in interfaces(links.stdout) if i not in self.ports]
        argv = relay_argv(self.server, wanted, upstream, self.pidfile)
        log.info("relaying: %s", " ".join(argv))
        self.child = subprocess.Popen(argv, stdin=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(RESTART_WAIT_S)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()
        self.child = None


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="sipelangi_net.lab.relay")
    ap.add_argument("--server", required=True)
    ap.add_argument("--port", action="append", required=True)
    ap.add_argument("--pidfile", required=True)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s relay: %(message)s")
    relay = Relay(args.server, args.port, args.pidfile.removesuffix(".pid") + "-dhcrelay.pid")

    def finish(_signum: int, _frame: FrameType | None) -> None:
        relay.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    with open(args.pidfile, "w", encoding="ascii") as f:
        f.write(f"{os.getpid()}\n")
    monitor = subprocess.Popen(["ip", "-o", "monitor", "address"], stdout=subprocess.PIPE)
    assert monitor.stdout is not None
    relay.update()
    try:
        while monitor.stdout.readline():
            time.sleep(0.05)  # one change brings several events: read the result once
            relay.update()
    finally:
        relay.stop()
    return 1  # the monitor ended: the namespace is going away


if __name__ == "__main__":
    raise SystemExit(main())
