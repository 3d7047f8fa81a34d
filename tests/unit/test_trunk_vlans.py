"""The access switch's trunk line: ``switchport trunk allowed vlan add N`` read against the list
the switch prints (Cisco IOS, Arista EOS)."""

from __future__ import annotations

import re

import pytest

from sipelangi_net.analysis.facts_model import vlan_list
from sipelangi_net.change.diff import diff_device, vlan_spec
from sipelangi_net.platforms import Platform

SNIPPET = "interface eth0\n switchport mode trunk\n switchport trunk allowed vlan add 100\n"


def running(*lines: str) -> str:
    body = "".join(f" {ln}\n" for ln in lines)
    return f"hostname sw\ninterface eth0\n switchport mode trunk\n{body}end\n"


def allowed(commands: tuple[str, ...]) -> list[str]:
    return [c.strip() for c in commands if "allowed vlan" in c]


@pytest.mark.parametrize("platform", [Platform.CISCO_IOS, Platform.ARISTA_EOS])
def test_a_vlan_already_in_the_printed_list_sends_nothing(platform: Platform) -> None:
    diff = diff_device("sw", platform, running("switchport trunk allowed vlan 1,99-101"), SNIPPET)
    assert diff.commands == ()


@pytest.mark.parametrize("platform", [Platform.CISCO_IOS, Platform.ARISTA_EOS])
def test_a_trunk_allowing_every_vlan_already_carries_it(platform: Platform) -> None:
    assert diff_device("sw", platform, running(), SNIPPET).commands == ()


def test_a_new_vlan_is_sent_as_the_whole_list_and_undone_to_the_old_one() -> None:
    diff = diff_device("sw", Platform.CISCO_IOS, running("switchport trunk allowed vlan 1,20"), SNIPPET)
    assert allowed(diff.commands) == ["switchport trunk allowed vlan 1,20,100"]
    assert allowed(diff.rollback) == ["switchport trunk allowed vlan 1,20"]


def test_a_long_list_ios_continues_on_add_lines_is_read_whole() -> None:
    text = running("switchport trunk allowed vlan 1-3,5", "switchport trunk allowed vlan add 7,100")
    assert diff_device("sw", Platform.CISCO_IOS, text, SNIPPET).commands == ()


def test_vlan_lists_read_and_print_canonically() -> None:
    assert vlan_list("1,10-12,5") == {1, 5, 10, 11, 12}
    assert vlan_list("none") == vlan_list("") == frozenset()
    assert vlan_list("4094,1-2") == {1, 2, 4094}
    assert vlan_spec(frozenset({1, 2, 5, 6, 7, 100})) == "1,2,5-7,100"


@pytest.mark.parametrize("text", ["all", "except 5", "0", "1-4095", "12-10", "1,,2", "1,", " 1", "10-", "+5"])
def test_a_vlan_list_that_is_not_one_is_refused_naming_it(text: str) -> None:
    with pytest.raises(ValueError, match=f"^bad VLAN list {re.escape(repr(text))}$"):
        vlan_list(text)
