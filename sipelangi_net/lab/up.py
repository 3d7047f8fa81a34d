"""``lab up``: build the topology on this machine.

Every step is recorded in the lab's manifest before it runs, so ``lab down``
can undo a half-finished ``up``; any failure tears down what was built.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sipelangi_net.change.render import render
from sipelangi_net.errors import LabError
from sipelangi_net.inventory import Inventory
from sipelangi_net.lab import down as lab_down_mod
from sipelangi_net.lab.preflight import check_machine
from sipelangi_net.lab.probe import DHCP_CLIENT_SCRIPT, dhcp_client_script
from sipelangi_net.lab.runtime import (
    LAB_USER,
    LabPaths,
    netns_name,
    nsenter,
    read_json,
    run,
    write_json,
)
from sipelangi_net.lab.ssh import install_ssh
from sipelangi_net.lab.topology import LabTopology, Node, build_topology
from sipelangi_net.platforms import Platform

log = logging.getLogger(__name__)
Progress = Callable[[str], None]

FRR_DAEMONS = ("zebra", "staticd", "ospfd", "bgpd")
"""The FRR daemons of a lab router: the routing protocols of the city's routers (and of the public
configurations the diff is tested on) run, not only static routes."""
FRR_PROFILE = "traditional"
FRR_OPTIONS = ("-P", "0", "--log", "file:/run/frr/frr.log")
"""A lab FRR daemon's options (after ``-d -F traditional``): no vty TCP port, its log in the
router's /run/frr."""
WATCHFRR = "/usr/lib/frr/watchfrr"
"""FRR's own supervisor, as on every FRR router: it restarts a daemon that died (a crash on a
configuration) through /usr/lib/frr/watchfrr.sh, which reads the router's /etc/frr/daemons
(:func:`frr_daemons_file`) and loads the daemon's part of the saved config (``vtysh -b -d``)."""
WATCHFRR_OPTIONS = ("--min-restart-interval", "2", "--max-restart-interval", "10")
"""A restarted daemon that dies again is restarted after 2 s, doubling up to 10 s (FRR's defaults:
60 s up to 600 s): the corpus runs crash FRR 8.4.4's bgpd on some files, one after another."""
FRR_BINDS = {"etc": "/etc/frr", "run": "/run/frr", "tmp": "/var/tmp/frr"}
OVS_BINDS = {"etc": "/etc/openvswitch", "run": "/run/openvswitch", "log": "/var/log/openvswitch"}
USER_COMMENT = "sipelangi-net lab devices"
VERIFY_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class UpReport:
    already_up: bool
    seconds: float
    devices: int
    hosts: int
    steps: tuple[tuple[str, float], ...]


def _binds(node: Node) -> dict[str, str]:
    if node.platform is Platform.FRR:
        return FRR_BINDS
    if node.platform is Platform.OVS:
        return OVS_BINDS
    return {}


class _Build:
    def __init__(self, topo: LabTopology, paths: LabPaths, inventory: Inventory, progress: Progress) -> None:
        self.topo = topo
        self.paths = paths
        self.inventory = inventory
        self.progress = progress
        self.manifest: dict[str, object] = {}
        self.steps: list[tuple[str, float]] = []

    def step(self, name: str, fn: Callable[[], None]) -> None:
        self.progress(name)
        t0 = time.monotonic()
        fn()
        self.steps.append((name, time.monotonic() - t0))
        log.debug("lab up: %s took %.3f s", name, self.steps[-1][1])

    def save(self) -> None:
        write_json(self.paths.manifest, self.manifest)

    # --- state, namespaces -------------------------------------------------
    def state(self) -> None:
        p = self.paths
        p.root.mkdir(parents=True, exist_ok=True)
        os.chmod(p.root, 0o755)
        self.manifest = {
            "state": "building",
            "inventory": str(self.inventory.path.resolve()),
            "started": time.time(),
            "created_dirs": [],
            "created_user": False,
            "nodes": {
                n.name: {
                    "kind": n.kind,
                    "platform": n.platform.value if n.platform else None,
                    "host": n.mgmt_host,
                    "port": n.mgmt_port,
                }
                for n in self.topo.nodes.values()
            },
        }
        self.save()
        p.ns.mkdir(exist_ok=True)
        run(["mount", "--bind", str(p.ns), str(p.ns)])
        run(["mount", "--make-private", str(p.ns)])
        dirs = ("/run/netns", "/run/sshd", *OVS_BINDS.values(), *FRR_BINDS.values())
        missing = [d for d in dirs if not Path(d).exists()]
        self.manifest["created_dirs"] = missing  # recorded before they exist: down removes them
        self.save()
        for d in missing:
            Path(d).mkdir(parents=True)
        script = dhcp_client_script(p)
        script.write_text(DHCP_CLIENT_SCRIPT)
        script.chmod(0o755)

    def user(self) -> None:
        try:
            import pwd

            pwd.getpwnam(LAB_USER)
        except KeyError:
            self.manifest["created_user"] = True
            self.save()
            run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--home-dir",
                    str(self.paths.home),
                    "--shell",
                    "/bin/sh",
                    "--groups",
                    "frrvty,frr",
                    "--comment",
                    USER_COMMENT,
                    LAB_USER,
                ]
            )
        self.paths.home.mkdir(exist_ok=True)
        password = secrets.token_urlsafe(18)
        run(["chpasswd"], input=f"{LAB_USER}:{password}\n")
        self.manifest["password"] = password  # moved into secrets.yaml by ssh step, then dropped
        self.save()

    def namespaces(self) -> None:
        lines = [f"netns add {netns_name(n)}" for n in self.topo.nodes]
        run(["ip", "-batch", "-"], input="\n".join(lines) + "\n")
        for node in self.topo.nodes.values():
            self._persistent_ns(node)

    def _persistent_ns(self, node: Node) -> None:
        p = self.paths
        ndir = p.node(node.name)
        ndir.mkdir(parents=True, exist_ok=True)
        p.uts_ns(node.name).touch()
        script = [f"hostname {node.name}"]
        args = ["unshare", f"--uts={p.uts_ns(node.name)}"]
        binds = _binds(node)
        if binds:
            p.mnt_ns(node.name).touch()
            args += [f"--mount={p.mnt_ns(node.name)}", "--propagation", "private"]
            owner = "frr:frr" if node.platform is Platform.FRR else f"{LAB_USER}:{LAB_USER}"
            for sub, target in binds.items():
                (ndir / sub).mkdir(exist_ok=True)
                shutil.chown(ndir / sub, *owner.split(":"))
                os.chmod(ndir / sub, 0o775)
                script.append(f"mount --bind {ndir / sub} {target}")
        run([*args, "sh", "-ec", "; ".join(script)])

    # --- links --------------------------------------------------------------
    def links(self) -> None:
        lines = []
        for w in self.topo.wires:
            lines.append(
                f"link add name {w.a_port} netns {netns_name(w.a_node)} type veth"
                f" peer name {w.b_port} netns {netns_name(w.b_node)}"
            )
        for node in self.topo.nodes.values():
            for iface in node.interfaces:
                if not iface.wired:
                    ns = netns_name(node.name)
                    peer = f"{iface.name}-nc"
                    lines.append(
                        f"link add name {iface.name} netns {ns} type veth peer name {peer} netns {ns}"
                    )
        run(["ip", "-batch", "-"], input="\n".join(lines) + "\n")
        capacity = {}
        for w in self.topo.wires:
            capacity[(w.a_node, w.a_port)] = w.capacity_mbit
            capacity[(w.b_node, w.b_port)] = w.capacity_mbit
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda n: self._node_links(n, capacity), self.topo.nodes.values()))

    def _node_links(self, node: Node, capacity: dict[tuple[str, str], int]) -> None:
        ns = netns_name(node.name)
        ip = ["link set dev lo up"]
        tc = []
        for iface in node.interfaces:
            ip.append(f"link set dev {iface.name} up")
            if node.kind == "host" and iface.address is not None:
                ip.append(f"addr add {iface.address} dev {iface.name}")
            rate = capacity.get((node.name, iface.name))
            if rate:
                burst = max(16_000, rate * 1_000_000 // 8 // 100)
                tc.append(
                    f"qdisc replace dev {iface.name} root tbf rate {rate}mbit burst {burst} latency 50ms"
                )
        if node.kind == "host":
            ip += [f"route add {r.prefix} via {r.nexthop}" for r in node.routes]
        run(["ip", "-n", ns, "-batch", "-"], input="\n".join(ip) + "\n")
        if tc:
            run(["tc", "-n", ns, "-batch", "-"], input="\n".join(tc) + "\n")
        # Open vSwitch's userspace datapath does not fill in offloaded checksums:
        # every interface on a path through a switch computes its own.
        for iface in node.interfaces:
            run(["ip", "netns", "exec", ns, "ethtool", "-K", iface.name, "tx", "off"], check=False)

    # --- daemons ------------------------------------------------------------
    def daemons(self) -> None:
        starters = {"router": self._start_frr, "switch": self._start_ovs, "host": self._start_host}
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(starters[n.kind], n) for n in self.topo.nodes.values()]
            for f in futures:
                f.result()

    def _start_frr(self, node: Node) -> None:
        etc = self.paths.node(node.name) / "etc"
        (etc / "vtysh.conf").write_text("service integrated-vtysh-config\n")
        (etc / "frr.conf").write_text(render("frr/base.j2", node=node))
        (etc / "daemons").write_text(frr_daemons_file())
        for f in ("vtysh.conf", "frr.conf", "daemons"):
            shutil.chown(etc / f, "frr", "frr")
            os.chmod(etc / f, 0o660)
        enter = nsenter(self.paths, node.name)
        for daemon in FRR_DAEMONS:
            run([*enter, f"/usr/lib/frr/{daemon}", "-d", "-F", FRR_PROFILE, *FRR_OPTIONS])
        run([*enter, "vtysh", "-b"])
        run([*enter, WATCHFRR, "-d", *WATCHFRR_OPTIONS, *FRR_DAEMONS])
        if node.relay_ports and node.relay_to is not None:
            self._start_relay(node, enter)

    def _start_relay(self, node: Node, enter: list[str]) -> None:
        """The router's host relays its OPD ports' DHCP to the central server (sipelangi_net.lab.relay)."""
        ndir = self.paths.node(node.name)
        args = [*enter, "setsid", "--fork", sys.executable, "-m", "sipelangi_net.lab.relay"]
        args += ["--server", str(node.relay_to), "--pidfile", str(ndir / "relay.pid")]
        for port in node.relay_ports:
            args += ["--port", port]
        with open(ndir / "relay.log", "ab") as out:
            subprocess.run(args, stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=True, timeout=10)

    def _start_ovs(self, node: Node) -> None:
        enter = nsenter(self.paths, node.name)
        user = f"--user={LAB_USER}:{LAB_USER}"
        run(
            [
                *enter,
                "ovsdb-tool",
                "create",
                "/etc/openvswitch/conf.db",
                "/usr/share/openvswitch/vswitch.ovsschema",
            ]
        )
        for f in (self.paths.node(node.name) / "etc").iterdir():
            shutil.chown(f, LAB_USER, LAB_USER)
        run(
            [
                *enter,
                "ovsdb-server",
                "/etc/openvswitch/conf.db",
                "--remote=punix:/run/openvswitch/db.sock",
                "--pidfile",
                "--detach",
                "--log-file",
                "-vconsole:off",
                user,
            ]
        )
        run([*enter, "ovs-vsctl", "--no-wait", "init"])
        run(
            [
                *enter,
                *DATAPATH_PRIORITY,
                "ovs-vswitchd",
                "unix:/run/openvswitch/db.sock",
                "--pidfile",
                "--detach",
                "--log-file",
                "-vconsole:off",
            ]
        )
        commands: list[str] = []
        for line in render("ovs/base.j2", node=node).splitlines():
            if line.strip():
                commands += ["--", *_split(line)]
        run([*enter, "ovs-vsctl", "--timeout=20", *commands[1:]])

    def _start_host(self, node: Node) -> None:
        enter = nsenter(self.paths, node.name)
        ndir = self.paths.node(node.name)
        http = [
            f"{name}:{port}" for name, proto, port in node.services if name != "iperf3" and proto == "tcp"
        ]
        for name, _proto, port in node.services:
            if name == "iperf3":
                run(
                    [
                        *enter,
                        *DATAPATH_PRIORITY,
                        "iperf3",
                        "-s",
                        "-D",
                        "-p",
                        str(port),
                        "--pidfile",
                        str(ndir / f"iperf3-{port}.pid"),
                        "--logfile",
                        str(ndir / f"iperf3-{port}.log"),
                    ]
                )
        dhcp = self.inventory.servers.dhcp
        if dhcp is not None and dhcp.server == node.name:
            self._start_dhcp(node, enter, dhcp.control_url)
        if http:
            args = [*enter, "setsid", "--fork", sys.executable, "-m", "sipelangi_net.lab.appserver"]
            args += ["--host", node.name, "--pidfile", str(ndir / "appserver.pid")]
            for item in http:
                args += ["--serve", item]
            with open(ndir / "appserver.log", "ab") as out:
                # setsid --fork detaches the server; this child returns at once.
                subprocess.run(args, stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=True, timeout=10)

    def _start_dhcp(self, node: Node, enter: list[str], control_url: str) -> None:
        """The city's central DHCP server: kea-dhcp4 in the server's namespaces, its Control Agent on
        the management (loopback) address of ``servers.yaml`` ``dhcp.control_url``, with the lab's
        credentials (the toolkit talks to it as to the devices)."""
        from sipelangi_net.lab import kea

        url = urllib.parse.urlsplit(control_url)
        kea.start(
            self.paths.node(node.name) / "kea",
            host=url.hostname or "127.0.0.1",
            port=url.port or 80,
            username=LAB_USER,
            password=str(self.manifest["password"]),
            interfaces=[iface.name for iface in node.interfaces],
            prefix=enter,
            agent_prefix=nsenter(self.paths, node.name, net=False),
        )

    def ssh(self) -> None:
        password = str(self.manifest.pop("password"))
        install_ssh(self.topo, self.paths, password=password)
        self.save()

    def verify(self) -> None:
        """Every device must answer over SSH, with its host key and its own name."""
        from sipelangi_net.credentials import load_credentials
        from sipelangi_net.lab.status import probe

        creds = load_credentials(self.paths.secrets)
        pending = list(self.topo.devices)
        deadline = time.monotonic() + VERIFY_SECONDS
        while True:
            with ThreadPoolExecutor(8) as pool:
                results = list(
                    pool.map(lambda n: probe(n.name, n.platform, n.mgmt_host, n.mgmt_port, creds), pending)
                )
            failed = [r for r in results if not r.answers]
            if not failed:
                return
            if time.monotonic() > deadline:
                raise LabError(
                    "devices do not answer after lab up: " + "; ".join(f"{r.name}: {r.error}" for r in failed)
                )
            names = {r.name for r in failed}
            pending = [n for n in pending if n.name in names]
            time.sleep(0.2)


DATAPATH_PRIORITY = ("nice", "-n", "-10")
"""The switches' datapath (Open vSwitch's userspace ``ovs-vswitchd``) and the iperf3 server run
before the tests' own processes: a switch forwards in hardware whatever its management plane is
doing, and on a 2-core machine running the test tiers beside the lab an ``ovs-vswitchd`` held off
the CPU for some 90 ms overflowed its packet sockets (212992 bytes, about 90 frames; not settable
in a namespace) and dropped 1-3.5 % of step 8's 18 Mbit/s UDP stream, failing the 1 % gate on a
link with capacity to spare. Routers forward in the kernel and need nothing."""


def frr_daemons_file() -> str:
    """/etc/frr/daemons of a lab router (its mount namespace has its own /etc/frr): the daemons
    watchfrr.sh may restart, with the lab's command line."""
    lines = [f"{daemon}=yes" for daemon in FRR_DAEMONS]
    lines += [f'frr_profile="{FRR_PROFILE}"', f'frr_global_options="{" ".join(FRR_OPTIONS)}"']
    return "\n".join(lines) + "\n"


def _split(line: str) -> list[str]:
    import shlex

    return shlex.split(line)


def _check_management_free(topo: LabTopology, inventory: Inventory) -> None:
    """Refuse to start when another program already answers on a device's management address (or
    on the central DHCP server's Control Agent address)."""
    import socket

    addresses = []
    for node in topo.devices:
        assert node.mgmt_host is not None and node.mgmt_port is not None
        addresses.append((node.name, node.mgmt_host, node.mgmt_port, "hosts.yaml"))
    if inventory.servers.dhcp is not None:
        url = urllib.parse.urlsplit(inventory.servers.dhcp.control_url)
        addresses.append((inventory.servers.dhcp.server, url.hostname or "", url.port or 80, "servers.yaml"))
    for name, host, port, where in addresses:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                pass
        except OSError:
            continue
        raise LabError(
            f"{name}: management address {host}:{port} is already in use by another"
            f" program; stop it or change the address in {where}"
        )


def lab_up(
    inventory: Inventory,
    paths: LabPaths,
    *,
    progress: Progress | None = None,
    fresh: bool = False,
) -> UpReport:
    """Build the lab for ``inventory``; tear everything down again on failure.

    A lab that is already up and healthy is kept as it is (with every change made to
    its devices since); ``fresh`` rebuilds it at day-0 instead.
    """
    check_machine()
    topo = build_topology(inventory)  # validates the whole inventory before anything is touched
    say = progress or (lambda _msg: None)
    manifest = read_json(paths.manifest)
    if manifest is not None and manifest.get("state") == "up":
        from sipelangi_net.lab.status import lab_status

        status = lab_status(paths)
        same = status.healthy and manifest.get("inventory") == str(inventory.path.resolve())
        if same and not fresh:
            return UpReport(True, 0.0, len(topo.devices), len(topo.hosts), ())
        say(
            "rebuilding the lab at day-0 (--fresh): tearing the running one down first"
            if same
            else "the existing lab is stale or from another inventory: tearing it down first"
        )
    if manifest is not None or lab_down_mod.leftovers(paths):
        lab_down_mod.lab_down(paths)
    _check_management_free(topo, inventory)
    t0 = time.monotonic()
    b = _Build(topo, paths, inventory, say)
    try:
        b.step("state", b.state)
        b.step("user", b.user)
        b.step("namespaces", b.namespaces)
        b.step("links", b.links)
        b.step("daemons", b.daemons)
        b.step("ssh", b.ssh)
        b.step("verify", b.verify)
    except BaseException:
        log.debug("lab up failed; tearing down what was built", exc_info=True)
        lab_down_mod.lab_down(paths)
        raise
    b.manifest["state"] = "up"
    b.manifest["up_seconds"] = round(time.monotonic() - t0, 3)
    b.save()
    return UpReport(False, time.monotonic() - t0, len(topo.devices), len(topo.hosts), tuple(b.steps))
