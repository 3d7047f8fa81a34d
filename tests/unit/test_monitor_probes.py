"""The monitor's pinger (one ICMP socket, many addresses at once; made inside a network namespace)
and the interface parsers of the platform specs."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sipelangi_net.faults.interfaces import frr_interfaces, ovs_interfaces
from sipelangi_net.faults.probes import Pinger, echo_request, socket_in_netns
from sipelangi_net.platforms import PLATFORMS, Platform, resolve

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")


@pytest.fixture
def netns() -> Iterator[Path]:
    """A network namespace of its own whose loopback is down (nothing answers in it)."""
    name = f"spl-unit-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield Path("/run/netns") / name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


def test_loopback_answers_at_once() -> None:
    pinger = Pinger()
    pinger.open()
    try:
        got = pinger.ping(["127.0.0.1", "127.0.0.2", "127.3.4.5"], timeout=1.0)
    finally:
        pinger.close()
    assert got == {"127.0.0.1", "127.0.0.2", "127.3.4.5"}


@needs_root
def test_a_socket_made_in_a_namespace_sees_that_namespace(netns: Path) -> None:
    pinger = Pinger(factory=socket_in_netns(netns))
    pinger.open()
    try:
        assert pinger.ping(["127.0.0.1"], timeout=0.5) == frozenset()  # its loopback is down
        subprocess.run(["ip", "-n", netns.name, "link", "set", "lo", "up"], check=True)
        assert pinger.ping(["127.0.0.1"], timeout=1.0) == {"127.0.0.1"}
    finally:
        pinger.close()
    local = Pinger()
    local.open()
    try:  # this thread never left the machine's own namespace
        assert local.ping(["127.0.0.1"], timeout=1.0) == {"127.0.0.1"}
    finally:
        local.close()


def test_echo_request_checksum_verifies() -> None:
    packet = echo_request(0x1234, 7)
    data = packet + (b"\0" if len(packet) % 2 else b"")
    total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    assert total == 0xFFFF


FRR = {
    "lo": {"administrativeStatus": "up", "operationalStatus": "up", "inputErrors": 0},
    "eth0": {"administrativeStatus": "up", "operationalStatus": "up", "inputErrors": 3, "outputErrors": 4},
    "eth1": {
        "administrativeStatus": "down",
        "operationalStatus": "down",
        "inputErrors": 0,
        "outputErrors": 0,
    },
}


def test_frr_interface_table() -> None:
    got = frr_interfaces(json.dumps(FRR))
    assert {name: (s.up, s.errors) for name, s in got.items()} == {
        "lo": (True, 0),
        "eth0": (True, 7),
        "eth1": (False, 0),
    }


OVS = {
    "headings": ["name", "admin_state", "link_state", "statistics"],
    "data": [
        ["eth0", "up", "up", ["map", [["rx_errors", 2], ["tx_errors", 1], ["rx_packets", 99]]]],
        ["eth1", "up", "down", ["map", []]],
        ["br0", "down", "down", ["map", [["rx_errors", 0]]]],
        ["eth2", ["set", []], ["set", []], ["map", []]],
    ],
}


def test_ovs_interface_table() -> None:
    got = ovs_interfaces(json.dumps(OVS))
    assert (got["eth0"].up, got["eth0"].errors) == (True, 3)
    assert not got["eth1"].up and not got["br0"].up and not got["eth2"].up


@pytest.mark.parametrize(
    ("parser", "text", "why"),
    [
        (frr_interfaces, "% Unknown command", "not JSON"),
        (frr_interfaces, "[1, 2]", "not an object"),
        (frr_interfaces, '{"eth0": 5}', "'eth0' is not an object"),
        (ovs_interfaces, '{"data": []}', "unexpected columns"),
        (
            ovs_interfaces,
            '{"headings": ["name", "admin_state", "link_state", "statistics"], "data": [[1]]}',
            "a row",
        ),
    ],
)
def test_an_unreadable_answer_is_refused_with_what_is_wrong(parser: object, text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parser(text)  # type: ignore[operator]


def test_the_lab_platforms_name_their_monitor_read() -> None:
    for platform in (Platform.FRR, Platform.OVS):
        interfaces = PLATFORMS[platform].interfaces
        assert interfaces is not None and interfaces.command
        assert callable(resolve(interfaces.parser))
