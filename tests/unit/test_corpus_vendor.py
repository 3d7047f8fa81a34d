"""The public vendor corpus in CI: a few representative real configurations per vendor platform
go round the circle (tests/unit/corpus_vendor.py): diff from a running config, the platform's
model after the commands is the intended config, the second diff is empty, the rollback restores
the running config. bench/corpus_bench.py runs the whole corpus (figures in docs/corpus.md).
"""

from __future__ import annotations

import pytest
from corpus_vendor import CORPUS, DAY0, changed, config_text, corpus_files, round_trip

from sipelangi_net.change.diff import diff_device
from sipelangi_net.change.routeros_text import Earlier
from sipelangi_net.errors import DeviceError
from sipelangi_net.platforms import Platform

IOS, EOS, JUNOS, ROS = (
    Platform.CISCO_IOS,
    Platform.ARISTA_EOS,
    Platform.JUNIPER_JUNOS,
    Platform.MIKROTIK_ROUTEROS,
)
CASES = [
    (IOS, "batfish-example-live-as1border1.cfg", ("day0", "changed", "batfish-example-live-as1border2.cfg")),
    (IOS, "batfish-testconfigs-ios_bgp_show_run_all.cfg", ("day0", "changed")),
    (IOS, "batfish-hybrid-cloud-aws-lhr-border-02.cfg", ("day0", "changed")),
    (EOS, "avd-dual-dc-l3ls-dc1-leaf1a.cfg", ("day0", "changed", "avd-dual-dc-l3ls-dc1-leaf2a.cfg")),
    (EOS, "batfish-dc-as-reuse-pod_0_leaf_0.cfg", ("day0", "changed")),
    (
        JUNOS,
        "batfish-example-juniper-as1border1.cfg",
        ("day0", "changed", "batfish-srx-testbed-junos-srx-1.cfg"),
    ),
    (JUNOS, "batfish-testconfigs-evpn-type5-juniper.conf", ("day0", "changed")),  # published hierarchical
    (ROS, "auliaarifin-gns3-vrrp-R-1.rsc", ("day0", "changed", "li-lab2-router.rsc")),
    (ROS, "likwrk-config.rsc", ("day0", "changed", "vanoha-lab2-router1.rsc")),  # unsets what day0 sets
    (ROS, "vanoha-lab2-router1.rsc", ("likwrk-hex-config.rsc",)),  # much to unset
    (ROS, "donina-lab2-router1.rsc", ("changed", "donina-lab2-router2.rsc")),  # /routing id printed twice
    (ROS, "gavrilushkin-lab2-R1.rsc", ("gavrilushkin-lab2-R2.rsc",)),  # a removal that selects more
    (ROS, "gavrilushkin-lab2-R2.rsc", ("gavrilushkin-lab2-R1.rsc",)),
]
"""(platform, intended file, running configs): day0, the file before a change, another file."""


def running_text(platform: Platform, intended: str, running: str) -> str:
    if running == "day0":
        return DAY0[platform]
    if running == "changed":
        return changed(platform, intended)
    return config_text(platform, CORPUS / platform.value / running)


@pytest.mark.parametrize(
    ("platform", "name", "running"),
    [(p, name, running) for p, name, runnings in CASES for running in runnings],
)
def test_a_corpus_config_goes_round_the_circle(platform: Platform, name: str, running: str) -> None:
    intended = config_text(platform, CORPUS / platform.value / name)
    outcome = round_trip(platform, name, intended, running, running_text(platform, intended, running))
    assert outcome.held, f"{outcome.stage}: {outcome.first_difference}"
    assert outcome.rolled_back


def test_every_vendor_platform_has_twenty_public_configs_with_their_source() -> None:
    for platform in (IOS, EOS, JUNOS, ROS):
        files = corpus_files(platform)
        assert len(files) >= 20, platform
        source = (CORPUS / platform.value / "SOURCE.md").read_text()
        assert all(f"`{f.name}`" in source for f in files), platform


def test_a_hierarchical_junos_file_is_read_in_set_form() -> None:
    path = CORPUS / "juniper_junos" / "batfish-testconfigs-evpn-type5-juniper.conf"
    assert "{" in path.read_text()
    lines = config_text(JUNOS, path).splitlines()
    assert lines and all(ln.startswith("set ") for ln in lines)
    assert "set routing-instances vrf1 instance-type vrf" in lines


def test_a_routeros_set_of_a_value_the_export_does_not_show_is_undone_by_the_routers_value() -> None:
    """A day-0 router's export does not show the earlier value of what the corpus config sets
    (``disable-running-check`` of ether1): the diff sends it and names it in ``earlier`` (the
    driver reads it from the router before the push); the round trip's rollback restores it."""
    name = "auliaarifin-gns3-vrrp-R-1.rsc"
    intended = config_text(ROS, CORPUS / ROS.value / name)
    diff = diff_device("corpus", ROS, DAY0[ROS], intended, scope="replace")
    assert (
        Earlier("/interface ethernet", "[ find default-name=ether1 ]", "disable-running-check")
        in diff.earlier
    )
    assert round_trip(ROS, name, intended, "day0", DAY0[ROS]).held


def test_a_routeros_property_left_at_its_unshown_default_is_unset() -> None:
    """The day-0 router names itself; the corpus config leaves the identity at RouterOS's default
    (not shown): the diff unsets it (``!name``) and the round trip holds."""
    name = "auliaarifin-gns3-vrrp-R-3.rsc"
    intended = config_text(ROS, CORPUS / ROS.value / name)
    diff = diff_device("corpus", ROS, DAY0[ROS], intended, scope="replace")
    assert "/system identity set !name" in diff.commands
    assert "/system identity set name=day0" in diff.rollback
    assert round_trip(ROS, name, intended, "day0", DAY0[ROS]).held


def test_a_routeros_property_that_cannot_be_unset_is_refused_with_the_line() -> None:
    """A router with wireless against a config of a router without it: the ssid cannot be unset
    (community.routeros marks it required): refused, naming the property, nothing sent."""
    running = config_text(ROS, CORPUS / ROS.value / "likwrk-config.rsc")
    name = "donina-lab2-router2.rsc"
    outcome = round_trip(ROS, name, config_text(ROS, CORPUS / ROS.value / name), "likwrk", running)
    assert outcome.stage == "refused"
    assert "wlan1 ] ssid' back to its default" in outcome.first_difference


def test_a_routeros_unnamed_item_printed_twice_goes_round_the_circle() -> None:
    """``sbitnev-lab2-chr1`` prints one OSPF interface template twice: two items, added twice."""
    name = "sbitnev-lab2-chr1.rsc"
    intended = config_text(ROS, CORPUS / ROS.value / name)
    assert round_trip(ROS, name, intended, "day0", DAY0[ROS]).held
    other = config_text(ROS, CORPUS / ROS.value / "donina-lab2-router1.rsc")
    assert round_trip(ROS, name, intended, "donina-lab2-router1.rsc", other).held


# --- Junos: the form Junos prints -----------------------------------------------------------------


def test_junos_comment_lines_are_no_statements() -> None:
    running = "## Last commit: 2024-01-01 by admin\nset system host-name r1\n"
    intended = "# RANCID-CONTENT-TYPE: juniper\n#\nset system host-name r1\n/* a note */\n"
    assert diff_device("r1", JUNOS, running, intended, scope="replace").commands == ()


def test_a_junos_statement_with_children_is_printed_as_its_children() -> None:
    """``set P`` given beside ``set P x`` is not deleted on its own: deleting ``P`` would delete
    ``P x`` on the router too (the rollback of adding ``set P`` broke the running config)."""
    send = "set protocols bgp family inet unicast add-path send"
    running = f"set system host-name r1\n{send} multipath\n"
    intended = f"set system host-name r1\n{send}\n{send} multipath\n{send} path-count 2\n"
    diff = diff_device("r1", JUNOS, running, intended, scope="replace")
    assert diff.commands == (f"{send} path-count 2",)
    assert diff.rollback == (f"delete {send.removeprefix('set ')} path-count 2",)


# --- Cisco IOS / Arista EOS: X and no X in one config ---------------------------------------------


@pytest.mark.parametrize("platform", [IOS, EOS])
def test_of_x_and_no_x_in_one_section_the_last_given_stands(platform: Platform) -> None:
    """A hand-written config with ``no aaa new-model`` and later ``aaa new-model`` (batfish's
    example network): the device keeps the last, and so does the diff (it used to fail on a
    duplicate line in the remediation)."""
    both = "hostname r1\nno aaa new-model\ninterface Loopback0\n shutdown\n no shutdown\naaa new-model\nend\n"
    assert (
        diff_device(
            "r1", platform, both, "hostname r1\ninterface Loopback0\naaa new-model\nend\n", scope="replace"
        ).commands
        == ()
    )
    diff = diff_device(
        "r1", platform, "hostname r1\ninterface Loopback0\nno aaa new-model\nend\n", both, scope="replace"
    )
    assert diff.commands == ("aaa new-model",)
    assert diff.rollback == ("no aaa new-model",)


@pytest.mark.parametrize("platform", [IOS, EOS])
def test_a_single_valued_line_given_twice_in_one_section_means_the_last(platform: Platform) -> None:
    """batfish's ``ios_interface_show_run_all.cfg`` gives ``description`` twice in one interface:
    the device keeps the last (a later description replaces the earlier), and so does the diff;
    another line given twice in that section is still refused as repeated."""
    twice = (
        "hostname r0\ninterface Port-channel1\n description first\n mtu 9000\n description last\n"
        " description last\nhostname r1\nend\n"
    )
    once = "hostname r1\ninterface Port-channel1\n mtu 9000\n description last\nend\n"
    assert diff_device("r1", platform, twice, once, scope="replace").commands == ()
    diff = diff_device("r1", platform, once.replace("last", "old"), twice, scope="replace")
    assert [c.strip() for c in diff.commands if c.strip() != "exit"] == [
        "interface Port-channel1",
        "description last",
    ]
    with pytest.raises(DeviceError, match=r"repeated in one section.*mtu 9000"):
        diff_device("r1", platform, once.replace(" mtu 9000\n", " mtu 9000\n mtu 9000\n"), once)


def test_the_ios_capture_with_a_description_twice_goes_round_the_circle() -> None:
    name = "batfish-testconfigs-ios_interface_show_run_all.cfg"
    intended = config_text(IOS, CORPUS / IOS.value / name)
    for running in ("day0", "changed"):
        outcome = round_trip(IOS, name, intended, running, running_text(IOS, intended, running))
        assert outcome.held, f"{outcome.stage}: {outcome.first_difference}"
