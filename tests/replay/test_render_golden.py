"""Rendered configs of every platform match their golden files (``--update`` rewrites them).

The plan is the Dinkes request analysed against the lab inventory; for the platforms that
cannot run here, the same devices are given another platform in a copy of the inventory.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from analysis_data import NOW, catalogues, day0_facts
from ticket_data import request

from sipelangi_net.analysis.analyze import Inputs, analyze
from sipelangi_net.change.render import render_plan
from sipelangi_net.errors import ConfigError
from sipelangi_net.platforms import Platform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAT = catalogues()
PLAN = analyze(Inputs("SPL-2026-00001", request(), CAT, day0_facts(CAT), (), NOW))
# (router platform for dist + core, switch platform for the access switch)
VARIANTS = {
    "frr": (Platform.FRR, Platform.OVS),
    "cisco_ios": (Platform.CISCO_IOS, Platform.CISCO_IOS),
    "arista_eos": (Platform.ARISTA_EOS, Platform.ARISTA_EOS),
    "juniper_junos": (Platform.JUNIPER_JUNOS, Platform.JUNIPER_JUNOS),
    "mikrotik_routeros": (Platform.MIKROTIK_ROUTEROS, Platform.MIKROTIK_ROUTEROS),
    # mixed pairs: a vendor gateway facing the lab's OVS switch, FRR facing a vendor switch (untagged)
    "cisco_ios-ovs": (Platform.CISCO_IOS, Platform.OVS),
    "frr-cisco_ios": (Platform.FRR, Platform.CISCO_IOS),
    "frr-juniper_junos": (Platform.FRR, Platform.JUNIPER_JUNOS),
}


def inventory_as(router: Platform, switch: Platform):  # type: ignore[no-untyped-def]
    inv = CAT.inventory
    devices = {
        name: dataclasses.replace(dev, platform=router if dev.platform is Platform.FRR else switch)
        for name, dev in inv.devices.items()
    }
    return dataclasses.replace(inv, devices=devices)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rendered_opd_config_matches_golden(variant: str, update: bool) -> None:
    rendered = render_plan(PLAN, inventory_as(*VARIANTS[variant]))
    assert set(rendered) == {"core-diskominfo", "dist-gerunggang", "sw-dinkes"}
    for device, intended in rendered.items():
        golden = FIXTURES / intended.platform / f"render_opd_{variant}" / f"{device}.txt"
        if update:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(intended.text)
        assert intended.text == golden.read_text(), f"{golden} differs; run pytest tests/replay --update"
        assert "SPL-2026-00001" in intended.text or device == "core-diskominfo"


def test_only_requested_applications_are_permitted() -> None:
    text = render_plan(PLAN, inventory_as(Platform.CISCO_IOS, Platform.CISCO_IOS))["dist-gerunggang"].text
    acl = text.split("ip access-list extended OPD-DINKES\n", 1)[1].split("\n deny", 1)[0]
    permits = [ln for ln in acl.splitlines() if " host " in ln]
    # the requested applications, DNS, NTP, and the bandwidth-test servers of servers.yaml
    hosts = ("10.10.10.10", "10.10.10.53", "10.10.10.123", "10.10.10.20", "10.10.10.30")
    assert permits and all(any(f"host {h} " in ln for h in hosts) for ln in permits)
    assert "eq 8003" not in text  # sipd was not requested


@pytest.mark.parametrize(
    "text", ["Dinkes? show run", "Dinkes ! comment", 'Dinkes "quoted"', "Dinkes | include"]
)
def test_text_a_device_cli_would_interpret_is_refused(text: str) -> None:
    ports = tuple(p.model_copy(update={"description": text}) for p in PLAN.ports)
    with pytest.raises(ConfigError, match="cannot be sent to a device CLI"):
        render_plan(PLAN.model_copy(update={"ports": ports}), CAT.inventory)
