"""``provision --dry-run`` on each vendor platform, over replayed device sessions.

For each of Cisco IOS, Arista EOS, Juniper Junos and MikroTik RouterOS, the Dinkes site's core
router, gateway router and access switch are that platform, replayed from
``tests/fixtures/<platform>/provision/<device>.yaml`` (SSH; an Arista's eAPI in
``<device>.eapi.yaml``, on its own port: the host's ``data.api_port``). Each device first answers
the live-facts commands of step 4 with real device output from public fixture sets
(``../facts/``; step 4 reads the devices that route by their role, an Arista core too),
then the dry-run diff's read of its running config through the platform's deploy driver. The
inventory is adapted to that output (the gateway port is one the facts list without an address,
the switch uplink a trunk of the facts, the parking VLAN the one its unused ports are in), never
the output to the inventory; the other routers cannot be reached (a closed port).

The real CLI runs (``sipelangi-net provision TICKET --dry-run --json`` in a subprocess) on a ticket
approved at step 3 in a temporary ticket store, and the tests check that the analysis read the
replayed facts (the VLAN avoids the ones the switch uses, the access ports are the free ones the
switch lists), that the diff holds the platform's own commands, and that nothing was pushed or
recorded: the cassettes hold no configuration step, so any would fail the replay.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
import pytest
import yaml

from sipelangi_net.platforms import Platform
from tests.replay.replay_eapi import ReplayEapi, load_eapi_cassette, make_certificate
from tests.replay.replay_ssh import PASSWORD, USERNAME, ReplayDevice, load_cassette
from tests.replay.replaying import (
    FIXTURES,
    closed_port,
    new_host_key,
    replay_problems,
    replayed_inventory,
    settle,
)
from tests.unit.ticket_data import REQUEST

SCRIPT = Path(sys.executable).parent / "sipelangi-net"
SITE = ("core-diskominfo", "dist-gerunggang", "sw-dinkes")
"""The devices of the Dinkes request: the core router, the gateway router, the access switch."""
OTHER_ROUTERS = ("dist-tamansari", "dist-bukitintan")
"""Routers step 4 reads too (every router's subnets are in use); here they cannot be reached."""


@dataclass(frozen=True, slots=True)
class Case:
    """One platform: the inventory adapted to its facts, and what the dry run must show."""

    platform: Platform
    gateway_port: str
    """A port the gateway's facts list without an address."""
    uplink: str
    """A trunk of the switch's facts."""
    parking_vlan: int
    """The VLAN the switch's unused access ports are in."""
    vlan: int
    """The OPD VLAN the analysis must choose: the lowest of 100-199 the switch does not use."""
    access_ports: tuple[str, ...]
    """The switch's ports in the parking VLAN, as the facts list them."""
    vendor_lines: dict[str, tuple[str, ...]]
    """Per device: the starts of lines its dry-run diff must hold (the platform's own commands)."""
    configuring: tuple[str, ...]
    """What a command that changes the device holds (none may be played)."""


CASES = {
    Platform.CISCO_IOS: Case(
        Platform.CISCO_IOS,
        gateway_port="GigabitEthernet2/23",
        uplink="GigabitEthernet0/1",
        parking_vlan=1,
        vlan=102,  # the switch's facts show VLANs 1, 100, 101, 110 and 111 in use
        access_ports=("FastEthernet0/1", "GigabitEthernet1/0/1"),
        vendor_lines={
            "core-diskominfo": ("ip route 10.20.0.0 255.255.255.128 ",),
            "dist-gerunggang": ("interface GigabitEthernet2/23", "ip access-list extended "),
            "sw-dinkes": ("interface FastEthernet0/1", "switchport access vlan 102"),
        },
        configuring=("configure", "copy ", "write "),
    ),
    Platform.ARISTA_EOS: Case(
        Platform.ARISTA_EOS,
        gateway_port="Ethernet49/1",
        uplink="Ethernet3/1/1",
        parking_vlan=1,
        vlan=100,  # the switch's facts show VLANs 1 and 10 in use
        access_ports=("Ethernet3/1/4",),
        vendor_lines={
            "core-diskominfo": ("ip route 10.20.0.0/25 ",),
            "dist-gerunggang": ("interface Ethernet49/1", "ip access-list OPD-DINKES"),
            "sw-dinkes": ("interface Ethernet3/1/4", "switchport access vlan 100"),
        },
        configuring=("configure", "copy ", "write "),
    ),
    Platform.JUNIPER_JUNOS: Case(
        Platform.JUNIPER_JUNOS,
        gateway_port="xe-0/1/0",
        uplink="ge-0/0/3",
        parking_vlan=300,
        vlan=100,  # the switch's facts show VLAN 300 in use
        access_ports=("ge-0/0/2",),
        vendor_lines={
            "core-diskominfo": ("set routing-options static route 10.20.0.0/25 next-hop ",),
            "dist-gerunggang": ("set interfaces xe-0/1/0 ", "set firewall family inet filter OPD-DINKES "),
            "sw-dinkes": (
                "set vlans OPD-DINKES vlan-id 100",
                "set interfaces ge-0/0/2 unit 0 family ethernet-switching interface-mode access",
                "set interfaces ge-0/0/2 unit 0 family ethernet-switching vlan members OPD-DINKES",
                "set interfaces ge-0/0/3 unit 0 family ethernet-switching interface-mode trunk",
                "set interfaces ge-0/0/3 unit 0 family ethernet-switching vlan members OPD-DINKES",
            ),
        },
        configuring=("lock-configuration", "load-configuration", "commit-configuration"),
    ),
    Platform.MIKROTIK_ROUTEROS: Case(
        Platform.MIKROTIK_ROUTEROS,
        gateway_port="ether2_UniFi2",
        uplink="ether1",  # tagged in VLANs 2 and 12 of the bridge's VLAN table, its comment 'Uplink'
        parking_vlan=1,
        vlan=100,  # the switch's bridge ports use VLAN 1 only
        # every enabled ethernet bridge port in VLAN 1 but the uplink (natural order)
        access_ports=(
            *(f"ether{n}" for n in (2, 3, 4, 5, 7, 9, 10)),
            "ether6_to_CAM_PZK",
            "ether8_to_pzk5ghz",
        ),
        vendor_lines={
            "core-diskominfo": ("/ip route add comment=SPL-2026-00001 dst-address=10.20.0.0/25 ",),
            "dist-gerunggang": ("/interface vlan add ", "/ip address add ", "/ip firewall filter add "),
            "sw-dinkes": (
                '/interface bridge port add bridge=bridge comment="SPL-2026-00001 akses OPD"'
                " interface=ether2 pvid=100",
                "/interface bridge vlan add ",
            ),
        },
        configuring=(" add ", " remove ", " set ", "/system scheduler", "/system script"),
    ),
}


@pytest.fixture(scope="module")
def host_key(tmp_path_factory: pytest.TempPathFactory) -> paramiko.PKey:
    return new_host_key(tmp_path_factory.mktemp("hostkey") / "key")


@dataclass
class DryRun:
    """One platform's provision --dry-run: the CLI's exit code and JSON summary, the devices."""

    proc: subprocess.CompletedProcess[str]
    summary: dict[str, Any]
    devices: dict[str, list[Any]]
    """Per device: its replayed servers (SSH, eAPI)."""
    recorded: list[int]
    """The SOP steps the ticket records after the run."""

    def step(self, name: str) -> dict[str, Any]:
        step: dict[str, Any] = next(s for s in self.summary["steps"] if s["name"] == name)
        return step


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def cli_env(tmp: Path, known_hosts: Path) -> dict[str, str]:
    """No SIPELANGI_* setting of the caller: this run's store, reports, locks, credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPELANGI_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")]),
        SIPELANGI_DB=str(tmp / "tickets.db"), SIPELANGI_REPORTS=str(tmp / "reports"),
        SIPELANGI_LOCKS=str(tmp / "locks"), SIPELANGI_AUDIT_KEY=str(tmp / "audit.key"),
        SIPELANGI_CHECKPOINTS=str(tmp / "checkpoints.jsonl"), HOME=str(tmp),
        SIPELANGI_LAB_DIR=str(tmp / "no-lab"), SIPELANGI_ENV="field", SIPELANGI_ACTOR="tim-kerja",
        SIPELANGI_USERNAME=USERNAME, SIPELANGI_PASSWORD=PASSWORD, SIPELANGI_KNOWN_HOSTS=str(known_hosts),
    )  # fmt: skip
    return env


def approved_ticket(env: dict[str, str]) -> str:
    """A new Dinkes request in the run's store, approved by the Kepala Dinas (step 3): ready for step 4."""
    from sipelangi_net.tickets.models import Move, Request

    st = store(env)
    try:
        tid = str(st.create(Request.model_validate(REQUEST), helpdesk="Helpdesk").id)
        st.apply(tid, Move(step=3, actor="Kepala Dinas", outcome="approve"))
        return tid
    finally:
        st.close()


def store(env: dict[str, str]) -> Any:
    """The run's ticket store, as the CLI of ``env`` opens it."""
    from sipelangi_net.tickets.sqlite import SqliteStore

    return SqliteStore(
        Path(env["SIPELANGI_DB"]),
        audit_key=Path(env["SIPELANGI_AUDIT_KEY"]),
        checkpoints=Path(env["SIPELANGI_CHECKPOINTS"]),
    )


def replay_parts(folder: Path, name: str, host_key: paramiko.PKey, tls: tuple[Path, Path]) -> list[Any]:
    """``<name>.yaml``: the device's SSH sessions; ``<name>.eapi.yaml``: its eAPI (each on its port)."""
    ssh, https = folder / f"{name}.yaml", folder / f"{name}.eapi.yaml"
    parts: list[Any] = [ReplayDevice(name, load_cassette(ssh), host_key)] if ssh.exists() else []
    return parts + ([ReplayEapi(name, load_eapi_cassette(https), *tls)] if https.exists() else [])


def host_entry(platform: Platform, parts: list[Any]) -> dict[str, Any]:
    """The inventory entry of a replayed device: SSH on ``port``, an API elsewhere on ``data.api_port``."""
    ssh = [p.port for p in parts if isinstance(p, ReplayDevice)]
    api = [p.port for p in parts if not isinstance(p, ReplayDevice)]
    entry: dict[str, Any] = {"platform": platform.value, "hostname": "127.0.0.1", "port": (ssh or api)[0]}
    return entry | ({"data": {"api_port": api[0]}} if api else {})


@dataclass(frozen=True, slots=True)
class Site:
    """A case's replayed devices, the inventory pointing at them, the CLI's environment."""

    parts: dict[str, list[Any]]
    inventory: Path
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``sipelangi-net ARGS --json --inventory INVENTORY``, then wait for the devices' last words."""
        proc = cli(self.env, *args, "--json", "--inventory", str(self.inventory))
        settle(p for ps in self.parts.values() for p in ps)
        return proc

    def recorded(self, tid: str) -> Any:
        st = store(self.env)
        try:
            return st.get(tid)
        finally:
            st.close()


@contextlib.contextmanager
def replayed_site(case: Case, tmp: Path, host_key: paramiko.PKey) -> Iterator[Site]:
    ca, cert, key = make_certificate(tmp)
    parts = {
        name: replay_parts(FIXTURES / case.platform.value / "provision", name, host_key, (cert, key))
        for name in SITE
    }
    every = [p for ps in parts.values() for p in ps]
    for part in every:
        part.start()
    try:
        known_hosts = tmp / "known_hosts"
        known_hosts.write_text("".join(p.known_hosts_line() for p in every if isinstance(p, ReplayDevice)))
        hosts = {name: host_entry(case.platform, parts[name]) for name in SITE}
        hosts |= {name: {"hostname": "127.0.0.1", "port": closed_port()} for name in OTHER_ROUTERS}
        site = {
            "distribution": {"port": case.gateway_port},
            "access_switch": {"uplink": case.uplink, "parking_vlan": case.parking_vlan},
        }
        inventory = replayed_inventory(tmp / "inventory", hosts, {"dinkes": site})
        yield Site(parts, inventory, cli_env(tmp, known_hosts) | {"SSL_CERT_FILE": str(ca)})
    finally:
        for part in every:
            part.stop()


@pytest.fixture(scope="module", params=sorted(CASES), ids=str)
def dry_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, host_key: paramiko.PKey
) -> Iterator[tuple[Case, DryRun]]:
    case = CASES[request.param]
    with replayed_site(case, tmp_path_factory.mktemp(case.platform.value), host_key) as site:
        tid = approved_ticket(site.env)
        proc = site.run("provision", tid, "--dry-run")
        summary = json.loads(proc.stdout.splitlines()[-1]) if proc.stdout.strip() else {}
        steps = [e.step for e in site.recorded(tid).events]
        yield case, DryRun(proc, summary, site.parts, steps)


def test_the_dry_run_exits_as_a_dry_run_with_every_session_played_as_recorded(
    dry_run: tuple[Case, DryRun],
) -> None:
    _, run = dry_run
    assert run.proc.returncode == 0, (run.proc.stdout[-3000:], run.proc.stderr[-3000:])
    assert run.summary["state"] == "stopped", run.summary
    errors, left = replay_problems(p for ps in run.devices.values() for p in ps)
    assert errors == [] and left == {}


def test_the_analysis_reads_the_replayed_facts(dry_run: tuple[Case, DryRun]) -> None:
    case, run = dry_run
    analysis = run.step("analysis")
    assert analysis["state"] == "done", analysis
    assert analysis["detail"].startswith(f"VLAN {case.vlan}, 10.20.0.0/25, target ")
    plan = analysis["data"]["plan"]
    assert plan["vlan"] == case.vlan
    ports = {(p["device"], p["role"]): [] for p in plan["ports"]}
    for p in plan["ports"]:
        ports[(p["device"], p["role"])].append(p["port"])
    assert ports == {
        ("dist-gerunggang", "gateway"): [case.gateway_port],
        ("sw-dinkes", "uplink"): [case.uplink],
        ("sw-dinkes", "access"): list(case.access_ports),
    }
    checks = {c["name"]: c for c in plan["checks"]}
    assert checks["access ports sw-dinkes"]["detail"].startswith(f"sw-dinkes: {len(case.access_ports)} free")


def missing_lines(case: Case, run: DryRun, devices: tuple[str, ...]) -> list[tuple[str, str]]:
    """The (device, line start) of ``case.vendor_lines`` that the dry-run diff of ``devices`` lacks."""
    commands: dict[str, list[str]] = run.step("dry-run diff")["data"]["commands"]
    return [
        (device, start)
        for device in devices
        for start in case.vendor_lines[device]
        if not any(line.strip().startswith(start) for line in commands[device])
    ]


def test_the_diff_holds_the_routers_commands_and_nothing_is_pushed_or_recorded(
    dry_run: tuple[Case, DryRun],
) -> None:
    case, run = dry_run
    diff = run.step("dry-run diff")
    assert diff["state"] == "stopped" and "dry run: stopping here, nothing was changed" in diff["detail"]
    assert sorted(diff["data"]["commands"]) == sorted(SITE)
    assert missing_lines(case, run, ("core-diskominfo", "dist-gerunggang")) == [], diff["data"]["commands"]
    assert [s["name"] for s in run.summary["steps"]][-1] == "dry-run diff"  # stopped before the push
    played = {name: [c for p in ps for c in p.played] for name, ps in run.devices.items()}
    assert not [(n, c) for n, cs in played.items() for c in cs if any(w in c for w in case.configuring)]
    assert run.recorded == [1, 2, 3]  # the dry run records nothing


def test_the_diff_configures_the_access_ports_the_analysis_chose(dry_run: tuple[Case, DryRun]) -> None:
    case, run = dry_run
    missing = missing_lines(case, run, ("sw-dinkes",))
    assert missing == [], run.step("dry-run diff")["data"]["commands"]["sw-dinkes"]


def test_routeros_facts_list_the_switch_ports() -> None:
    from sipelangi_net.analysis.facts import SOURCES

    cassette = FIXTURES / "mikrotik_routeros" / "provision" / "sw-dinkes.yaml"
    steps = yaml.safe_load(cassette.read_text())["steps"]
    answers = {s["cmd"]: (cassette.parent / s["out_file"]).read_text() for s in steps}
    source = SOURCES[Platform.MIKROTIK_ROUTEROS]
    facts = source.parse("sw-dinkes", {c: answers[c] for c in source.commands})
    case = CASES[Platform.MIKROTIK_ROUTEROS]
    assert facts.port_vlans[case.uplink] is None
    assert set(case.access_ports) <= {p for p, vlan in facts.port_vlans.items() if vlan == case.parking_vlan}


def test_a_recorded_analysis_is_the_plan_the_dry_run_diffs(tmp_path: Path, host_key: paramiko.PKey) -> None:
    """RouterOS: ``analyze`` records step 4 from the replayed facts; ``provision --dry-run`` then
    continues from that plan (its analysis is skipped) and diffs it; the ticket keeps the plan."""
    case = CASES[Platform.MIKROTIK_ROUTEROS]
    with replayed_site(case, tmp_path, host_key) as site:
        tid = approved_ticket(site.env)
        analysed = site.run("analyze", tid)
        assert analysed.returncode == 0, analysed.stderr
        proc = site.run("provision", tid, "--dry-run")
        ticket = site.recorded(tid)
        problems = replay_problems(p for ps in site.parts.values() for p in ps)
    assert proc.returncode == 0 and problems == ([], {}), (proc.stdout[-2000:], problems)
    plan = json.loads(analysed.stdout)
    assert plan["vlan"] == case.vlan and plan["available"]
    assert [e.step for e in ticket.events] == [1, 2, 3, 4]
    assert ticket.events[-1].outputs["plan"]["vlan"] == case.vlan
    summary = json.loads(proc.stdout.splitlines()[-1])
    steps = {s["name"]: s for s in summary["steps"]}
    assert steps["analysis"]["state"] == "skipped" and "already analysed" in steps["analysis"]["detail"]
    commands = steps["dry-run diff"]["data"]["commands"]
    assert any(
        c.startswith("/interface vlan add ") and f"vlan-id={case.vlan}" in c
        for c in commands["dist-gerunggang"]
    )
