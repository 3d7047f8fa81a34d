"""The needs analysis (SOP step 4) is a pure function: checked on synthetic live facts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import math
from pathlib import Path
from typing import Any

import pytest
from analysis_data import NOW, catalogues, day0_facts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inventory_edit import copy_inventory, edit_yaml
from ticket_data import request

from sipelangi_net.analysis.analyze import Inputs, allocate_subnet, analyze, hosts_needed
from sipelangi_net.analysis.facts import DeviceFacts, LiveFacts
from sipelangi_net.analysis.plan import Allocation, Plan
from sipelangi_net.analysis.steps import site_devices
from sipelangi_net.errors import InventoryError
from sipelangi_net.platforms import Platform, spec_for
from sipelangi_net.tickets.models import Request

CAT = catalogues()
FACTS = day0_facts(CAT)
APPS = sorted(CAT.inventory.applications)
SITES = sorted(CAT.inventory.sites)


def plan_for(
    req: Request,
    *,
    facts: LiveFacts = FACTS,
    existing: tuple[Allocation, ...] = (),
    ticket: str = "SPL-2026-00001",
) -> Plan:
    return analyze(Inputs(ticket, req, CAT, facts, existing, NOW))


def allocation(plan: Plan) -> Allocation:
    return Allocation.of(plan)


def test_dinkes_plan() -> None:
    plan = plan_for(request())
    assert plan.available, plan.problems
    # 40 users: simpeg 12 active x 256 + eoffice 20 active x 512 = 13312 kbit/s down; x 1.3 -> 18 Mbit/s
    assert plan.bandwidth.demand_down_kbit == 13312 and plan.bandwidth.down_mbit == 18
    assert plan.bandwidth.up_mbit == math.ceil((12 * 64 + 20 * 256) * 1.3 / 1000)
    assert plan.vlan == 100
    assert plan.addressing is not None and plan.addressing.subnet == ipaddress.IPv4Network("10.20.0.0/25")
    assert str(plan.addressing.gateway) == "10.20.0.1/25"
    assert plan.addressing.dhcp_first == ipaddress.IPv4Address("10.20.0.12")
    roles = {(p.role, p.device, p.port) for p in plan.ports}
    assert ("gateway", "dist-gerunggang", "eth1") in roles and ("uplink", "sw-dinkes", "eth0") in roles
    assert ("access", "sw-dinkes", "eth1") in roles
    (route,) = plan.routes
    assert (route.device, str(route.prefix), str(route.nexthop)) == (
        "core-diskominfo",
        "10.20.0.0/25",
        "10.255.0.6",
    )
    names = {(r.name, r.protocol, r.port) for r in plan.access_rules}
    assert {
        ("simpeg", "tcp", 8001),
        ("eoffice", "tcp", 8002),
        ("dns", "udp", 53),
        ("ntp", "udp", 123),
    } <= names
    assert all(r.name in {"simpeg", "eoffice", "dns", "ntp"} for r in plan.access_rules)
    items = {i.item: i.count for i in plan.equipment}
    assert items["Access point"] == math.ceil(40 * 0.6 / 25)
    assert plan.schedule is not None and plan.schedule.start >= NOW + dt.timedelta(hours=24)


def test_subnet_avoids_addresses_live_on_devices() -> None:
    dist = FACTS.devices["dist-tamansari"]
    busy = dataclasses.replace(
        dist, addresses={**dist.addresses, "eth9": (ipaddress.IPv4Interface("10.20.0.1/24"),)}
    )
    facts = LiveFacts(devices={**FACTS.devices, "dist-tamansari": busy}, gathered_at=NOW)
    plan = plan_for(request(), facts=facts)
    assert plan.addressing is not None
    assert not plan.addressing.subnet.overlaps(ipaddress.IPv4Network("10.20.0.0/24"))


def test_vlan_used_on_the_switch_is_skipped() -> None:
    sw = FACTS.devices["sw-dinkes"]
    busy = dataclasses.replace(sw, port_vlans={**sw.port_vlans, "eth4": 100})
    plan = plan_for(request(), facts=LiveFacts(devices={**FACTS.devices, "sw-dinkes": busy}, gathered_at=NOW))
    assert plan.vlan == 101
    assert all(p.port != "eth4" for p in plan.ports if p.role == "access")


def test_uplink_capacity_verdict_names_the_link_and_figures() -> None:
    plan = plan_for(
        request(
            site="kec-bukitintan",
            opd="Kantor Kecamatan Bukit Intan",
            users=60,
            applications=["simpeg", "eoffice", "vicon"],
        )
    )
    assert not plan.available
    assert any(
        p.startswith("uplink dist-bukitintan eth1: 10 Mbit/s free of 10, ") and p.endswith("Mbit/s needed")
        for p in plan.problems
    ), plan.problems


def test_existing_plans_use_up_the_uplink() -> None:
    first = plan_for(
        request(site="kec-gerunggang", opd="Kecamatan Gerunggang", users=25), ticket="SPL-2026-00001"
    )
    assert first.available
    second = plan_for(
        request(site="kec-gerunggang", opd="Kelurahan Bukit Sari", users=25),
        existing=(allocation(first),),
        ticket="SPL-2026-00002",
    )
    need = max(second.bandwidth.down_mbit, second.bandwidth.up_mbit)
    expected = (
        f"uplink dist-gerunggang eth2: {20 - first.bandwidth.down_mbit} Mbit/s free of 20 (SPL-2026-00001)"
    )
    assert f"{expected}, {need} Mbit/s needed" in second.problems or second.available == (
        20 - first.bandwidth.down_mbit >= need
    )


def test_unreachable_switch_and_taken_gateway_port() -> None:
    dist = FACTS.devices["dist-gerunggang"]
    taken = dataclasses.replace(
        dist, addresses={**dist.addresses, "eth1": (ipaddress.IPv4Interface("10.30.0.1/24"),)}
    )
    down = DeviceFacts(device="sw-dinkes", platform="ovs", reachable=False, error="no answer (timeout)")
    facts = LiveFacts(devices={**FACTS.devices, "dist-gerunggang": taken, "sw-dinkes": down}, gathered_at=NOW)
    plan = plan_for(request(), facts=facts)
    assert not plan.available
    assert "cannot check sw-dinkes: no answer (timeout)" in plan.problems
    assert "dist-gerunggang eth1 already carries 10.30.0.1/24" in plan.problems
    assert "sw-dinkes: no free access port (none left in parking VLAN 999)" in plan.problems


def test_too_many_users_for_one_subnet() -> None:
    plan = plan_for(request(users=1000))
    assert plan.addressing is None and any("more than a /22 holds" in p for p in plan.problems)


def test_allocate_subnet_skips_overlaps_and_aligns() -> None:
    pool = ipaddress.IPv4Network("10.20.0.0/16")
    used = [ipaddress.IPv4Network("10.20.0.0/26"), ipaddress.IPv4Network("10.20.0.128/25")]
    assert allocate_subnet(pool, 26, used) == ipaddress.IPv4Network("10.20.0.64/26")
    assert allocate_subnet(pool, 24, used) == ipaddress.IPv4Network("10.20.1.0/24")
    assert allocate_subnet(ipaddress.IPv4Network("10.20.0.0/25"), 25, used) is None


# --- properties ---------------------------------------------------------------
requests = st.builds(
    lambda site, users, apps: request(site=site, users=users, applications=apps),
    st.sampled_from(SITES),
    st.integers(1, 600),
    st.lists(st.sampled_from(APPS), min_size=1, max_size=len(APPS), unique=True),
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@SETTINGS
@given(req=requests)
def test_subnet_holds_the_users_with_growth(req: Request) -> None:
    plan = plan_for(req)
    if plan.addressing is None:
        assert hosts_needed(req.users, CAT.ipam) > 2 ** (32 - CAT.ipam.largest_prefix) - 2
        return
    a = plan.addressing
    dhcp = int(a.dhcp_last) - int(a.dhcp_first) + 1
    assert dhcp >= math.ceil(req.users * (1 + CAT.ipam.growth))
    assert a.gateway.ip in a.subnet and a.dhcp_first in a.subnet and a.dhcp_last in a.subnet
    assert a.subnet.subnet_of(CAT.ipam.opd_pool)  # type: ignore[arg-type]


@SETTINGS
@given(reqs=st.lists(requests, min_size=2, max_size=12))
def test_plans_never_overlap_and_vlans_are_unique_per_site(reqs: list[Request]) -> None:
    existing: list[Allocation] = []
    for i, req in enumerate(reqs):
        plan = plan_for(req, existing=tuple(existing), ticket=f"SPL-2026-{i + 1:05d}")
        existing.append(allocation(plan))
    subnets = [a.subnet for a in existing if a.subnet is not None]
    for i, a in enumerate(subnets):
        for b in subnets[i + 1 :]:
            assert not a.overlaps(b)
        assert all(not a.overlaps(s) for s in FACTS.subnets_in_use())
    per_site: dict[str, list[int]] = {}
    for a in existing:
        if a.vlan is not None:
            per_site.setdefault(a.site, []).append(a.vlan)
    assert all(len(v) == len(set(v)) for v in per_site.values())


@SETTINGS
@given(req=requests, more_users=st.integers(0, 300), extra=st.sampled_from(APPS))
def test_bandwidth_never_decreases_with_more_users_or_apps(req: Request, more_users: int, extra: str) -> None:
    base = plan_for(req).bandwidth
    bigger = plan_for(req.model_copy(update={"users": min(1000, req.users + more_users)})).bandwidth
    apps = req.applications if extra in req.applications else [*req.applications, extra]
    wider = plan_for(req.model_copy(update={"applications": apps})).bandwidth
    for other in (bigger, wider):
        assert other.down_mbit >= base.down_mbit and other.up_mbit >= base.up_mbit


@SETTINGS
@given(req=requests)
def test_same_inputs_same_plan(req: Request) -> None:
    assert plan_for(req) == plan_for(req)


def _dump(plan: Plan) -> dict[str, Any]:
    return plan.model_dump(mode="json")


def test_plan_round_trips_through_json() -> None:
    plan = plan_for(request())
    assert Plan.model_validate(_dump(plan)) == plan


@pytest.mark.parametrize(
    ("name", "old", "new", "field"),
    [
        ("ipam.yaml", "growth: 0.3", "growth: -7", "growth"),
        ("ipam.yaml", "first: 100", "first: 5000", "vlans.first"),
        ("ipam.yaml", "largest_prefix: 22", "largest_prefix: 29", "largest_prefix must be a larger block"),
        ("devices.yaml", "wired_share: 0.4", "wired_share: 4", "planning.wired_share"),
        ("devices.yaml", "default_switch: poe-24", "default_switch: poe-99", "unknown switch model 'poe-99'"),
        ("calendar.yaml", "min_lead_hours: 24", "min_lead_hours: -1", "min_lead_hours"),
    ],
)
def test_broken_planning_catalogue_names_the_file(
    tmp_path: Any, name: str, old: str, new: str, field: str
) -> None:
    import shutil

    from sipelangi_net.analysis.catalogues import load_catalogues
    from sipelangi_net.errors import InventoryError

    inv = tmp_path / "inventory"
    shutil.copytree(catalogues().inventory.path, inv)
    text = (inv / name).read_text()
    assert old in text
    (inv / name).write_text(text.replace(old, new, 1))
    with pytest.raises(InventoryError) as err:
        load_catalogues(inv)
    assert str(inv / name) in str(err.value) and field in str(err.value)


def test_an_eos_core_is_read_and_its_subnets_are_avoided(tmp_path: Path) -> None:
    """Step 4 reads the devices that route by their role, not their platform's kind: an Arista EOS
    core (an L3 switch) is read, and a subnet it carries is not planned again."""
    inventory = copy_inventory(tmp_path / "inventory")
    edit_yaml(inventory / "hosts.yaml", lambda hosts: hosts["core-diskominfo"].update(platform="arista_eos"))
    cat = catalogues(inventory)
    core = cat.inventory.devices["core-diskominfo"]
    assert core.platform is Platform.ARISTA_EOS and spec_for(core.platform).kind == "switch"
    read = site_devices(cat.inventory, "dinkes")
    assert read == ["core-diskominfo", "dist-bukitintan", "dist-gerunggang", "dist-tamansari", "sw-dinkes"]
    live = dataclasses.replace(
        FACTS.devices["core-diskominfo"],
        platform="arista_eos",
        addresses={"Vlan20": (ipaddress.IPv4Interface("10.20.0.1/24"),)},
    )
    facts = LiveFacts(devices={n: FACTS.devices[n] for n in read} | {core.name: live}, gathered_at=NOW)
    plan = analyze(Inputs("SPL-2026-00001", request(), cat, facts, (), NOW))
    assert plan.available, plan.problems
    assert plan.addressing is not None
    assert not plan.addressing.subnet.overlaps(ipaddress.IPv4Network("10.20.0.0/24"))
    assert plan.addressing.subnet == ipaddress.IPv4Network("10.20.1.0/25")


def test_an_unknown_site_names_the_site() -> None:
    with pytest.raises(InventoryError, match="site 'nowhere' is not in the inventory"):
        site_devices(CAT.inventory, "nowhere")
