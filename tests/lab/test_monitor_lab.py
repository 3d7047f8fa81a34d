"""The monitor on the lab (issue 19): one monitor run, every 2 s, over a provisioned OPD (dinkes).

In sequence, against real FRR and Open vSwitch over their kept-open SSH sessions, pings from the
Diskominfo server segment's namespace and iperf3 from the OPD's PC:

1. a quiet half minute (ten minutes: bench/monitor_quiet.py): every target observed up, no device
   silent, no fault opened;
2. the uplink's port taken down on the distribution router (``ip link set eth1 down`` in its
   namespace): a fault ticket opens for it within 30 s, and its mail reaches the helpdesk and
   the OPD's PIC (``ticket notify`` through a real SMTP server);
3. the port back up: the fault ticket is verified and closed by the monitor;
4. the uplink shaped far below the plan (``tc tbf``, as the lab shapes its links): a degradation
   fault opens for the uplink;
5. SIGTERM: the monitor closes its sessions and exits 0.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.credentials import Credentials
from tests.lab.conftest import CLI, ok_json, run
from tests.lab.deploy_helpers import EARLY, day0, scheduled_ticket, the_plan
from tests.lab.mail import Mailbox, smtp_server
from tests.lab.test_bandwidth_lab import ENV, uplink_rate

__all__ = ["day0"]  # the fixture, imported for the tests below
INTERVAL = "2"
QUIET_S = 30
UPLINK = "uplink:dinkes"


class Rounds:
    """The monitor's JSON lines, read by a thread as they come."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip():
                self.lines.put(json.loads(line))

    def until(self, wanted: Callable[[dict[str, Any]], bool], within: float) -> list[dict[str, Any]]:
        """Rounds until one matches ``wanted`` (all of them), or fail after ``within`` seconds."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                doc = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            got.append(doc)
            self.seen.append(doc)
            if wanted(doc):
                return got
        pytest.fail(f"not seen within {within:.0f} s; last rounds: {got[-3:]}")

    def during(self, seconds: float) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                doc = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                continue
            got.append(doc)
            self.seen.append(doc)
        return got


def decided(action: str, target: str, kind: str) -> Callable[[dict[str, Any]], bool]:
    return lambda doc: any(
        (d["action"], d["target"], d["kind"]) == (action, target, kind) for d in doc["decisions"]
    )


@pytest.fixture
def mailbox(env: dict[str, str], tmp_path: Path) -> Iterator[Mailbox]:
    """A real SMTP server, and a helpdesk address in the officials file."""
    officials = tmp_path / "officials.yaml"
    officials.write_text("helpdesk:\n  email: helpdesk@diskominfo.example.go.id\n")
    with smtp_server() as (box, port):
        env.update(SIPELANGI_SMTP_HOST="127.0.0.1", SIPELANGI_SMTP_PORT=str(port))
        env.update(SIPELANGI_OFFICIALS=str(officials))
        yield box


@pytest.fixture
def monitoring(
    env: dict[str, str], tmp_path: Path, day0: dict[str, str], mailbox: Mailbox
) -> Iterator[Rounds]:
    """dinkes provisioned (deploy with its bandwidth test), then the monitor running on it."""
    tid = scheduled_ticket(env, tmp_path)
    assert the_plan(env, tid).bandwidth.down_mbit >= 4
    fast = ("--seconds", "1", "--no-speedtest")
    report = ok_json(env, "deploy", tid, "--confirm-timeout", "60", *fast, *EARLY)
    assert report["ok"], report
    argv = [CLI, "monitor", "--json", "--interval", INTERVAL, "--throughput-every", "2", "--read-timeout=2"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield Rounds(proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def link(state: str) -> None:
    proc = run(ENV, "lab", "exec", "dist-gerunggang", "--", "ip", "link", "set", "eth1", state)
    assert proc.returncode == 0, proc.stderr


def fault(env: dict[str, str], label: str) -> dict[str, Any]:
    found = [f for f in ok_json(env, "fault", "list")["faults"] if f["id"] == label]
    assert len(found) == 1, label
    return found[0]


def test_the_monitor_sees_a_link_go_down_come_back_and_degrade(
    monitoring: Rounds, env: dict[str, str], mailbox: Mailbox, creds: Credentials
) -> None:
    first = monitoring.until(lambda doc: True, within=40)[0]  # sessions opened, the PC attached
    quiet = [first, *monitoring.during(QUIET_S)]
    assert len(quiet) >= QUIET_S // int(INTERVAL) - 3, quiet[-1:]
    assert all(not d["decisions"] for d in quiet), [d["decisions"] for d in quiet if d["decisions"]]
    assert all(not d["problems"] and not d["silent"] for d in quiet), quiet[-1]
    assert first["observed"] >= 20  # every device, link, uplink, the OPD's gateway and host
    probes = [d["probe"] for d in quiet if d["probe"]]
    assert probes and all(p["mbps"] and not p["low"] for p in probes), probes

    link("down")
    try:
        t0 = time.monotonic()
        opened = monitoring.until(decided("open", UPLINK, "down"), within=30)
        took = time.monotonic() - t0
        assert took < 30
        assert "uplink:dinkes=down" in opened[-1]["problems"]
        decision = next(d for d in opened[-1]["decisions"] if d["target"] == UPLINK)
        assert decision["opds"] == ["dinkes"]
        labels = opened[-1]["faults"]["opened"]
        assert labels, opened[-1]
        ticket = next(f for f in map(lambda lb: fault(env, lb), labels) if f["kind"] == "link_down")
        assert (ticket["source"], ticket["severity"], ticket["opds"]) == ("monitor", "outage", ["dinkes"])
        assert ok_json(env, "ticket", "notify")["sent"] >= 2
        to = {str(m["To"]) for m in mailbox.messages}
        assert {"helpdesk@diskominfo.example.go.id", "budi@dinkes.pangkalpinangkota.go.id"} <= to, to
        assert any(ticket["id"] in str(m["Subject"]) for m in mailbox.messages)
    finally:
        link("up")
    closed = monitoring.until(decided("close", UPLINK, "down"), within=30)
    assert ticket["id"] in closed[-1]["faults"]["closed"]
    assert fault(env, ticket["id"])["step"] == "closed"

    with uplink_rate(1):
        monitoring.until(decided("open", UPLINK, "degraded"), within=45)
    low = [d["probe"] for d in monitoring.seen if d["probe"] and d["probe"]["low"]]
    assert low and all(p["mbps"] < 2 for p in low), low

    monitoring.proc.send_signal(signal.SIGTERM)
    stderr = monitoring.proc.stderr
    assert monitoring.proc.wait(timeout=20) == 0, stderr.read() if stderr else ""
