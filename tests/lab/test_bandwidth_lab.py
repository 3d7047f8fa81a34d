"""SOP step 8 on the lab: the bandwidth test from the OPD host gates the deploy's confirm.

The figures are real: iperf3 across FRR and Open vSwitch over veth links shaped by tc.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sipelangi_net.credentials import Credentials
from tests.lab.conftest import ok_json, run
from tests.lab.deploy_helpers import EARLY, day0, running, scheduled_ticket, the_plan

__all__ = ["day0"]  # the fixture, imported for the tests below
SHAPED_MBIT = 100  # sites.yaml: dinkes uplink (dist-gerunggang eth1 <-> sw-dinkes eth0)
UPLINK = (("dist-gerunggang", "eth1"), ("sw-dinkes", "eth0"))
FAST = ("--seconds", "2", "--no-speedtest")
STEADY_UDP = ("--udp-seconds", "8")
"""A passing gate's UDP stream: a burst the lab's userspace switch drops under load is ~1.7 % of a 2 s
stream, 0.4 % of an 8 s one (docs/lab.md, Limits of the lab)."""
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}


def tracks(measured: float, shaped: float) -> bool:
    """TCP goodput on a tbf-shaped Ethernet link follows the shaped rate: at most the rate, at least
    80 % of it (1448/1514 of the rate at best; on this 2-core machine, with the other test tiers
    running beside the lab's, 85-96 % was measured, the drops at the bucket growing with the load).
    An unshaped link gives gigabits, a wrong shaping another figure: either fails."""
    return 0.80 * shaped <= measured <= shaped


@contextlib.contextmanager
def uplink_rate(mbit: int) -> Iterator[None]:
    """The site's uplink delivering ``mbit`` instead of its catalogue capacity (a degraded radio)."""

    def shape(rate: int) -> None:
        burst = max(16_000, rate * 1_000_000 // 8 // 100)
        for node, dev in UPLINK:
            proc = run(ENV, "lab", "exec", node, "--", "tc", "qdisc", "replace", "dev", dev, "root", "tbf",
                       "rate", f"{rate}mbit", "burst", str(burst), "latency", "50ms")  # fmt: skip
            assert proc.returncode == 0, proc.stderr

    shape(mbit)
    try:
        yield
    finally:
        shape(SHAPED_MBIT)


@contextlib.contextmanager
def iperf_server_unreachable() -> Iterator[None]:
    """srv-iperf loses its routes back to the OPD subnets (its replies go nowhere)."""
    routes = run(ENV, "lab", "exec", "srv-iperf", "--", "ip", "-4", "route", "show").stdout.splitlines()
    via = [r.split() for r in routes if " via " in r]
    for r in via:
        assert run(ENV, "lab", "exec", "srv-iperf", "--", "ip", "route", "del", *r).returncode == 0
    try:
        yield
    finally:
        for r in via:
            run(ENV, "lab", "exec", "srv-iperf", "--", "ip", "route", "replace", *r)


def events(env: dict[str, str], tid: str) -> list[dict[str, Any]]:
    return list(ok_json(env, "ticket", "show", tid)["events"])


def test_a_site_with_enough_capacity_passes_the_gate_and_records_steps_7_and_8(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str]
) -> None:
    tid = scheduled_ticket(env, tmp_path)
    target = the_plan(env, tid).bandwidth
    assert target.down_mbit < SHAPED_MBIT
    report = ok_json(env, "deploy", tid, "--confirm-timeout", "60", "--seconds", "2", *STEADY_UDP, *EARLY)
    assert report["ok"] and {d["state"] for d in report["devices"]} == {"confirmed"}
    bw = report["bwtest"]
    assert bw["verdict"] == "pass" and bw["client"] == "pc-dinkes", bw["reason"]
    assert tracks(bw["iperf"]["download_mbps"], SHAPED_MBIT), bw["iperf"]
    assert tracks(bw["iperf"]["upload_mbps"], SHAPED_MBIT), bw["iperf"]
    assert bw["iperf"]["loss_pct"] <= 1 and bw["speedtest"]["download_mbps"] > 0
    seven, eight = events(env, tid)[-2:]
    assert (seven["step"], seven["outcome"], eight["step"], eight["outcome"]) == (7, "done", 8, "done")
    assert eight["outputs"]["bwtest"] == bw and eight["outputs"]["raw"]["TCP download"]["end"]
    assert seven["ended_at"] <= eight["started_at"] < eight["ended_at"]

    # A later test on its own records step 8 again; an unreachable server is an error, never a pass.
    again = ok_json(env, "bwtest", tid, *FAST, *STEADY_UDP)
    assert again["verdict"] == "pass" and tracks(again["iperf"]["download_mbps"], SHAPED_MBIT)
    with iperf_server_unreachable():
        proc = run(env, "bwtest", tid, *FAST)
    assert proc.returncode == 7 and "bandwidth test not made" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    last = events(env, tid)[-1]
    assert (last["step"], last["outcome"]) == (8, "failed") and "unable to connect" in last["note"]
    assert last["outputs"]["bwtest"]["iperf"] is None


def test_a_site_whose_link_is_below_the_target_fails_the_gate_and_rolls_back(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str]
) -> None:
    tid = scheduled_ticket(env, tmp_path)
    target = the_plan(env, tid).bandwidth.down_mbit
    rate = max(1, target // 2)
    with uplink_rate(rate):
        proc = run(env, "deploy", tid, "--confirm-timeout", "60", "--json", *FAST, *EARLY)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert not report["ok"] and "bandwidth test failed: download" in report["error"]
    assert {(d["state"], d["verified"]) for d in report["devices"]} == {("rolled_back", True)}
    bw = report["bwtest"]
    assert bw["verdict"] == "fail" and tracks(bw["iperf"]["download_mbps"], rate), bw["iperf"]
    assert running(creds) == day0, "the change must be rolled back when the test fails"
    last = events(env, tid)[-1]
    assert (last["step"], last["outcome"]) == (7, "failed") and "bandwidth test failed" in last["note"]
    assert last["outputs"]["bwtest"]["verdict"] == "fail"
