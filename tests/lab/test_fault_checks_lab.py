"""``fault diagnose`` and ``fault retest`` on the lab: a backbone link taken down inside the lab is
the hop the diagnosis names; once it is up again the re-test passes against the OPD's plan.

Real FRR and Open vSwitch: the devices are read over SSH with their host keys verified, the path
is pinged from a server of the Diskominfo segment (its namespace), the re-test is step 8's iperf3
from the OPD's PC.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

from sipelangi_net.credentials import Credentials
from sipelangi_net.faults.models import FaultActor
from sipelangi_net.faults.records import FaultDraft
from sipelangi_net.faults.sop import FaultRole
from sipelangi_net.tickets.sqlite import SqliteStore
from tests.lab.conftest import lab_exec, ok_json, run
from tests.lab.deploy_helpers import EARLY, day0, scheduled_ticket

__all__ = ["day0"]  # the fixture, imported for the tests below
LINK = "link:core-diskominfo:eth2--dist-gerunggang:eth0"
FAR_END = "10.255.0.6"  # links.yaml: dist-gerunggang eth0
FAST = ("--seconds", "2", "--no-speedtest")


@contextlib.contextmanager
def link_down() -> Iterator[None]:
    """dist-gerunggang's end of its backbone link down (an interface down in its namespace)."""
    lab_exec("dist-gerunggang", "ip", "link", "set", "eth0", "down")
    try:
        yield
    finally:
        lab_exec("dist-gerunggang", "ip", "link", "set", "eth0", "up", check=False)


def answers(address: str, within: float = 20) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if lab_exec("srv-apps", "ping", "-c", "1", "-W", "1", address, check=False).returncode == 0:
            return True
    return False


def opened(db: Path) -> str:
    store = SqliteStore(db)
    try:
        now = dt.datetime.now(dt.UTC)
        draft = FaultDraft(
            key=f"monitor:{LINK}:down",
            kind="link_down",
            source="monitor",
            severity="outage",
            device="core-diskominfo",
            summary="backbone core-diskominfo - dist-gerunggang down",
            opened_at=now,
            opds=("dinkes",),
        )
        fault, _ = store.faults.open(draft, actor=FaultActor(role=FaultRole.MONITOR, name="lab"), at=now)
        return fault.label
    finally:
        store.close()


def test_diagnose_names_the_link_that_is_down_and_retest_passes_once_it_is_up(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str]
) -> None:
    tid = scheduled_ticket(env, tmp_path)
    assert ok_json(env, "deploy", tid, "--confirm-timeout", "60", *FAST, *EARLY)["ok"]
    label = opened(Path(env["SIPELANGI_DB"]))
    started = time.monotonic()
    with link_down():
        proc = run(env, "fault", "diagnose", label, "--json")
        assert proc.returncode == 1, proc.stderr
        found = json.loads(proc.stdout)
        assert found["environment"] == "lab" and found["broken"] == LINK, found["summary"]
        link = next(h for h in found["hops"] if h["target"] == LINK)
        assert {"check": "reach", "status": "broken"}.items() <= link["evidence"][0].items()
        assert any("dist-gerunggang eth0 administratively down" in e["detail"] for e in link["evidence"])
        before = [h for h in found["hops"][: found["hops"].index(link)]]
        assert all(h["status"] == "ok" for h in before), before
    assert answers(FAR_END)
    result = ok_json(env, "fault", "retest", label, *FAST)
    assert result["passed"] and result["opds"][0]["ticket"] == tid, result["summary"]
    assert time.monotonic() - started < 60
    kinds = [r["kind"] for r in ok_json(env, "fault", "show", label)["records"]]
    assert kinds == ["diagnosis", "retest"]
