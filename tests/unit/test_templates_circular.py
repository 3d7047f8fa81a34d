"""Circular tests of the OPD change templates, per platform (hier_config ``tests/circular`` style).

For every router/switch pair of tests/replay/test_render_golden.py (and every router facing a
Junos access switch) and every device the Dinkes
plan touches: render the change, diff it against a running config of that platform (the
fixtures' recorded or published configs; a bare one where the fixtures have none), apply the
diff's commands to a model of that config (hier_config's ``future`` for the CLI platforms,
``routeros_text.apply_commands`` for RouterOS, the ``list Port`` table for OVS) and check that
nothing is left to send; apply the rollback to the result and check the running config is back.
And every line a template renders is one the device prints back: the rendered text read as a
running config leaves nothing to send.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from hier_config import HConfig, get_hconfig

import tests.replay.test_render_golden as golden
from sipelangi_net.change.diff import HIER_RULES, diff_device
from sipelangi_net.change.render import Intended, render_plan
from sipelangi_net.change.routeros_text import apply_commands
from sipelangi_net.platforms import Platform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RUNNING = {
    (Platform.CISCO_IOS, "core-diskominfo"): "cisco_ios/driver_deploy/core-diskominfo.running.txt",
    (Platform.CISCO_IOS, "dist-gerunggang"): "cisco_ios/driver_deploy/dist-gerunggang.running.txt",
    (Platform.CISCO_IOS, "sw-dinkes"): "cisco_ios/driver_deploy/sw-dinkes.running.txt",
    (Platform.ARISTA_EOS, "core-diskominfo"): "arista_eos/driver_deploy/core-diskominfo.running.txt",
    (Platform.ARISTA_EOS, "dist-gerunggang"): "arista_eos/driver_deploy/dist-gerunggang.running.txt",
    (Platform.ARISTA_EOS, "sw-dinkes"): "arista_eos/compliance/sw-bappeda.running.txt",
    (Platform.JUNIPER_JUNOS, "core-diskominfo"): "juniper_junos/driver_deploy/core-diskominfo.running.txt",
    (Platform.JUNIPER_JUNOS, "dist-gerunggang"): "juniper_junos/driver_deploy/dist-gerunggang.running.txt",
    (
        Platform.MIKROTIK_ROUTEROS,
        "core-diskominfo",
    ): "mikrotik_routeros/driver_confirm/core-diskominfo.export.txt",
    (
        Platform.MIKROTIK_ROUTEROS,
        "dist-gerunggang",
    ): "mikrotik_routeros/driver_gateway/dist-gerunggang.export.txt",
    (Platform.MIKROTIK_ROUTEROS, "sw-dinkes"): "diff/mikrotik_routeros/real-7.5-switch.export.txt",
    (Platform.FRR, "core-diskominfo"): "frr/show_core-diskominfo/show_running-config.txt",
    (Platform.FRR, "dist-gerunggang"): "frr/facts_dist-gerunggang/running-config.txt",
    (Platform.OVS, "sw-dinkes"): "ovs/facts_sw-dinkes/ports.json",
}
"""A running config per (platform, device) of the golden inventory."""

PAIRS = golden.VARIANTS | {
    f"{router.value}-juniper_junos": (router, Platform.JUNIPER_JUNOS)
    for router in (Platform.CISCO_IOS, Platform.ARISTA_EOS, Platform.MIKROTIK_ROUTEROS)
}
"""The golden pairs, and every router facing a Junos access switch (FRR and Junos: golden)."""
CASES = [
    (variant, device)
    for variant in sorted(PAIRS)
    for device in ("core-diskominfo", "dist-gerunggang", "sw-dinkes")
]


def rendered(variant: str, device: str) -> Intended:
    return render_plan(golden.PLAN, golden.inventory_as(*PAIRS[variant]))[device]


# --- models of a device's config ---------------------------------------------------------------


def hier(platform: Platform, text: str) -> HConfig:
    """``text`` (a running config, or commands with their ``exit`` lines) read by the platform's driver."""
    kept = "\n".join(ln for ln in text.splitlines() if ln.strip() not in ("exit", "end"))
    return get_hconfig(HIER_RULES[platform].driver(), kept)


def hier_text(platform: Platform, config: HConfig) -> str:
    end = "end\n" if HIER_RULES[platform].ends_with_end else ""
    return "\n".join(config.dump_simple()) + "\n" + end


def hier_apply(platform: Platform, running: str, commands: tuple[str, ...]) -> str:
    """The config after ``commands``: hier_config's ``future`` with the platform's rules."""
    return hier_text(platform, hier(platform, running).future(hier(platform, "\n".join(commands))))


def ovs_apply(ports_json: str, commands: tuple[str, ...]) -> str:
    """The ``list Port`` table after ``ovs-vsctl set port P tag=N|external_ids:description=T``."""
    doc = json.loads(ports_json)
    rows = {row[0]: row for row in doc["data"]}
    for command in commands:
        words = shlex.split(command)
        assert words[:3] == ["ovs-vsctl", "set", "port"], command
        row = rows[words[3]]
        key, value = words[4].split("=", 1)
        if key == "tag":
            row[1] = ["set", []] if value == "[]" else int(value)
        else:
            ids = dict(row[2][1])
            ids[key.removeprefix("external_ids:")] = value
            row[2] = ["map", sorted(ids.items())]
    return json.dumps(doc)


def junos_apply(running: str, commands: tuple[str, ...]) -> str:
    """Junos set format: ``set P`` adds the statement (a new ``description`` replaces the old one:
    a single value), ``delete P`` removes it and all under it."""
    lines = [ln for ln in running.splitlines() if ln.strip()]
    for command in commands:
        if command.startswith("set "):
            single = re.match(r"^(set .+ description )", command)
            lines = [ln for ln in lines if not (single and ln.startswith(single[1]))]
            lines += [] if command in lines else [command]
        else:
            path = "set " + command.removeprefix("delete ")
            lines = [ln for ln in lines if ln != path and not ln.startswith(path + " ")]
    return "\n".join(lines) + "\n"


def apply(platform: Platform, running: str, commands: tuple[str, ...]) -> str:
    if platform is Platform.JUNIPER_JUNOS:
        return junos_apply(running, commands)
    if platform is Platform.OVS:
        return ovs_apply(running, commands)
    if platform is Platform.MIKROTIK_ROUTEROS:
        return apply_commands(running, commands)
    return hier_apply(platform, running, commands)


def running_config(platform: Platform, device: str) -> str:
    path = RUNNING.get((platform, device))
    if path is not None:
        return (FIXTURES / path).read_text()
    # no fixture: the bare config of a device that has only its name
    return "set system host-name sw-dinkes\n" if platform is Platform.JUNIPER_JUNOS else "hostname x\nend\n"


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("variant", "device"), CASES)
def test_the_diffs_commands_applied_to_the_running_config_give_the_intended_config(
    variant: str, device: str
) -> None:
    intended = rendered(variant, device)
    platform = Platform(intended.platform)
    running = running_config(platform, device)
    diff = diff_device(device, platform, running, intended.text)
    assert diff.changed, f"{variant} {device}: the change is already there?"
    after = apply(platform, running, diff.commands)
    assert diff_device(device, platform, after, intended.text).commands == ()
    undone = apply(platform, after, diff.rollback)
    if platform in (Platform.MIKROTIK_ROUTEROS, Platform.OVS):
        assert apply(platform, undone, ()) == apply(platform, running, ())
    else:
        assert diff_device(device, platform, undone, running, scope="replace").commands == ()


@pytest.mark.parametrize(("variant", "device"), CASES)
def test_every_rendered_line_is_one_the_device_prints_back(variant: str, device: str) -> None:
    intended = rendered(variant, device)
    platform = Platform(intended.platform)
    if platform is Platform.OVS:  # the table the switch would show: the base ports with the tags
        as_running = ovs_apply(running_config(platform, device), ())
        as_running = apply(
            platform, as_running, diff_device(device, platform, as_running, intended.text).commands
        )
    elif platform is Platform.MIKROTIK_ROUTEROS:
        as_running = apply_commands("", intended.text.splitlines())
    else:
        as_running = hier_text(platform, hier(platform, intended.text))
    assert diff_device(device, platform, as_running, intended.text).commands == ()
