"""Faults for people, pure: the categories and their proposed severities, who records which fault step
(every account role x every step), whose faults an account sees, a report's site and draft, and what
the pages show of a fault (its timeline against the standards, late marked; the queues' order)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from test_policy import ACCOUNTS, Account

from sipelangi_net.errors import ConfigError, Forbidden
from sipelangi_net.faults.models import FaultActor, FaultTicket
from sipelangi_net.faults.sop import STEPS, FaultRole, StepKey
from sipelangi_net.faults.standards import DEFAULTS
from sipelangi_net.faults.workflow import move, open_fault
from sipelangi_net.inventory import Inventory, load_inventory
from sipelangi_net.paths import inventory_dir
from sipelangi_net.server import faultdesk
from sipelangi_net.server.pages import fault_view as fv

T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
# account role -> the steps it records through the API and the pages (reported: POST /faults)
RECORDS: dict[str, set[str]] = {
    "pemohon": set(),
    "pemohon_bappeda": set(),
    "helpdesk": {"triaged", "closed"},
    "tim_kerja": {"diagnosed", "fixed", "verified"},
    "kepala_dinas": set(),
    "plt": set(),
    "kepala_bidang": set(),
    "admin": set(),
    "system": set(),
}


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return load_inventory(inventory_dir())


def fault(*, opds: tuple[str, ...] = ("dinkes",), severity: str = "degraded", **more: object) -> FaultTicket:
    return open_fault(
        number=7,
        kind="reported",
        source="pemohon",
        severity=severity,  # type: ignore[arg-type]
        device="sw-dinkes",
        summary="Tidak bisa akses aplikasi SIMPEG",
        opened_at=T0,
        reported_at=T0,
        actor=FaultActor(role=FaultRole.PEMOHON, name="budi"),
        opds=opds,
    )


def test_each_category_proposes_its_severity() -> None:
    assert {c.text: c.severity for c in faultdesk.CATEGORIES} == {
        "jaringan putus": "outage",
        "jaringan lambat": "degraded",
        "sering putus-sambung": "degraded",
        "tidak bisa akses aplikasi": "degraded",
        "lainnya": "minor",
    }
    assert [c.text for c in faultdesk.CATEGORIES if c.application] == ["tidak bisa akses aplikasi"]


@pytest.mark.parametrize("name", sorted(RECORDS))
@pytest.mark.parametrize("key", [s.key for s in STEPS if s.key != "reported"])
def test_each_account_role_records_only_its_fault_steps(name: str, key: StepKey) -> None:
    account = ACCOUNTS[name]
    if key in RECORDS[name]:
        actor = faultdesk.step_actor(fault(), key, account)
        assert actor.name == account.username and actor.role.value in ("Helpdesk", "Tim Kerja")
        return
    with pytest.raises(Forbidden) as refused:
        faultdesk.step_actor(fault(), key, account)
    message = str(refused.value)
    assert message.startswith("GGN-00007: fault step ") and f"({key}:" in message
    assert " is recorded by " in message and f"; account {account.username} is {account.role}" in message


def test_a_refusal_names_the_role_the_step_needs() -> None:
    with pytest.raises(
        Forbidden,
        match=r"fault step 3 \(diagnosed: diagnose\) is recorded by Tim Kerja; account rina is helpdesk",
    ):
        faultdesk.step_actor(fault(), "diagnosed", ACCOUNTS["helpdesk"])
    with pytest.raises(Forbidden, match=r"is recorded by Helpdesk; account andi is tim_kerja"):
        faultdesk.step_actor(fault(), "closed", ACCOUNTS["tim_kerja"])
    gone = Account(9, "rina-lama", "Rina Lama", "helpdesk", disabled=True)
    with pytest.raises(Forbidden, match="disabled"):
        faultdesk.step_actor(fault(), "triaged", gone)


def test_a_pemohon_sees_the_faults_of_their_opds_sites_only(inventory: Inventory) -> None:
    budi = ACCOUNTS["pemohon"]
    assert faultdesk.account_sites(budi, inventory) == {"dinkes"}
    assert faultdesk.account_sites(ACCOUNTS["helpdesk"], inventory) is None
    anywhere = Account(10, "tono", "Tono", "pemohon", opd="kantor kecamatan  GERUNGGANG", sites=())
    assert faultdesk.account_sites(anywhere, inventory) == {"kec-gerunggang"}
    sites = faultdesk.account_sites(budi, inventory)
    assert faultdesk.may_see(fault(opds=("dinkes", "bappeda")), sites)
    assert not faultdesk.may_see(fault(opds=("bappeda",)), sites)
    assert not faultdesk.may_see(fault(opds=()), sites)  # a core device's fault names no OPD
    assert faultdesk.may_see(fault(opds=()), None)


def test_the_site_of_a_report(inventory: Inventory) -> None:
    budi, rina = ACCOUNTS["pemohon"], ACCOUNTS["helpdesk"]
    assert faultdesk.report_site(budi, None, inventory) == "dinkes"
    assert faultdesk.report_site(budi, "dinkes", inventory) == "dinkes"
    with pytest.raises(Forbidden, match="site 'bappeda' needs the role pemohon of its OPD"):
        faultdesk.report_site(budi, "bappeda", inventory)
    assert faultdesk.report_site(rina, "bappeda", inventory) == "bappeda"
    with pytest.raises(ConfigError, match="the helpdesk names the site"):
        faultdesk.report_site(rina, None, inventory)
    with pytest.raises(ConfigError, match="'mars': not a site"):
        faultdesk.report_site(rina, "mars", inventory)
    for name in ("tim_kerja", "kepala_dinas", "admin", "system"):
        with pytest.raises(Forbidden, match=r"reporting a fault .* needs the role pemohon"):
            faultdesk.report_site(ACCOUNTS[name], "dinkes", inventory)


def test_a_report_becomes_a_draft(inventory: Inventory) -> None:
    draft = faultdesk.report_draft(
        category="tidak bisa akses aplikasi",
        application="simpeg",
        description="Sejak pukul 08.00 SIMPEG tidak terbuka.",
        site="dinkes",
        inventory=inventory,
        account=ACCOUNTS["pemohon"],
        now=T0,
    )
    assert re.fullmatch(r"pemohon:\d+", draft.key)  # every report a key of its own (faults/service.py)
    assert (draft.kind, draft.source, draft.severity, draft.opds) == (
        "reported",
        "pemohon",
        "degraded",
        ("dinkes",),
    )
    assert draft.device == inventory.sites["dinkes"].access_switch.device
    assert (
        draft.summary
        == f"Tidak bisa akses aplikasi {inventory.applications['simpeg'].name} — Dinas Kesehatan (Dinkes)"
    )
    assert draft.note == "Dilaporkan oleh Budi Santoso: Sejak pukul 08.00 SIMPEG tidak terbuka."
    with pytest.raises(ConfigError, match="application 'tiktok'"):
        faultdesk.report_draft(
            category="tidak bisa akses aplikasi", application="tiktok", description="x", site="dinkes",
            inventory=inventory, account=ACCOUNTS["pemohon"], now=T0,
        )  # fmt: skip
    down = faultdesk.report_draft(
        category="jaringan putus", application=None, description="Putus total.", site="dinkes",
        inventory=inventory, account=ACCOUNTS["helpdesk"], now=T0,
    )  # fmt: skip
    assert down.severity == "outage" and down.key != draft.key


def walk(f: FaultTicket, *steps: tuple[StepKey, str, int]) -> FaultTicket:
    """``f`` with ``steps`` (step, role, minutes after the fault began) recorded."""
    for key, role, minutes in steps:
        f = move(
            f, key, at=T0 + dt.timedelta(minutes=minutes), actor=FaultActor(role=FaultRole(role), name="x")
        )
    return f


def test_the_timeline_times_each_step_against_its_standard() -> None:
    # degraded: reported 15, triaged 30, diagnosed 60, fixed 240, verified 30, closed 10 (minutes)
    f = walk(fault(), ("triaged", "Helpdesk", 45), ("diagnosed", "Tim Kerja", 60))
    rows = fv.timeline(f, DEFAULTS, now=T0 + dt.timedelta(minutes=400))
    assert [(r.number, r.state, r.late) for r in rows] == [
        (1, "selesai", False),
        (2, "selesai", True),  # 45 minutes against 30
        (3, "selesai", False),
        (4, "berjalan", True),  # fixing for 340 minutes against 240
        (5, "belum", False),
        (6, "belum", False),
    ]
    assert (rows[1].took, rows[1].standard) == ("45 mnt", "30 mnt")
    assert rows[3].took == "5 jam 40 mnt" and rows[4].standard == "30 mnt"
    assert fv.line(f, DEFAULTS, now=T0 + dt.timedelta(minutes=400)).late


def test_a_closed_fault_shows_its_time_to_repair() -> None:
    f = walk(
        fault(),
        ("triaged", "Helpdesk", 5),
        ("diagnosed", "Tim Kerja", 20),
        ("fixed", "Tim Kerja", 80),
        ("verified", "Tim Kerja", 90),
        ("closed", "Helpdesk", 95),
    )
    line = fv.line(f, DEFAULTS, now=T0 + dt.timedelta(days=3))
    assert (line.state, line.repair, line.late, line.next) == ("ditutup", "1 jam 35 mnt", False, ())
    assert [r.state for r in fv.timeline(f, DEFAULTS, now=T0 + dt.timedelta(days=3))] == ["selesai"] * 6


def test_the_queues_put_late_faults_first_then_the_oldest() -> None:
    now = T0 + dt.timedelta(minutes=20)
    fresh = fault(severity="minor")  # reported at T0, 60 minutes to triage: on time
    outage = open_fault(
        number=8, kind="reported", source="pemohon", severity="outage", device="sw-dinkes", summary="Putus",
        opened_at=T0 + dt.timedelta(minutes=1), reported_at=T0 + dt.timedelta(minutes=1),
        actor=FaultActor(role=FaultRole.PEMOHON, name="budi"), opds=("dinkes",),
    )  # fmt: skip  # 10 minutes to triage: late at 20
    verified = walk(fault(severity="minor"), ("verified", "Tim Kerja", 2))
    lines = fv.lines([fresh, outage, verified], DEFAULTS, now=now)
    assert [x.fault.id for x in lines] == [8, 7, 7]
    queue = fv.sections(lines, fv.HELPDESK_SECTIONS)
    assert [(s.key, [x.fault.step for x in s.lines]) for s in queue] == [
        ("pilah", ["reported", "reported"]),
        ("tim-kerja", []),
        ("tutup", ["verified"]),
    ]
