"""The OPD's DHCP scope as a Kea subnet4 entry (sipelangi_net/change/dhcp.py): pure."""

from __future__ import annotations

import copy
from ipaddress import IPv4Address, IPv4Network
from typing import Any

import pytest

from sipelangi_net.change import dhcp
from sipelangi_net.change.dhcp import Scope
from sipelangi_net.errors import ConfigError, DeviceError

A = IPv4Address


def scope(ticket: str = "SPL-2026-00007", net: str = "10.20.7.0/24", **kw: Any) -> Scope:
    base = IPv4Network(net)
    values: dict[str, Any] = {
        "gateway": base.network_address + 1,
        "first": base.network_address + 100,
        "last": base.network_address + 200,
    }
    values.update(kw)
    return Scope(ticket_id=ticket, subnet=base, **values)


def foreign(sid: int, net: str) -> dict[str, Any]:
    """An entry written by hand on the server (no user-context of ours), as Kea prints it."""
    return {"id": sid, "subnet": net, "pools": [], "valid-lifetime": 600, "reservations": []}


def test_the_entry_is_keas_subnet4_shape_selected_by_the_relay_and_marked_with_the_ticket() -> None:
    s = scope(dns=(A("10.0.0.53"), A("10.0.0.54")))
    assert s.id == int(IPv4Address("10.20.7.0")) == 169084672
    assert dhcp.scope_entry(s) == {
        "id": 169084672,
        "subnet": "10.20.7.0/24",
        "pools": [{"pool": "10.20.7.100-10.20.7.200"}],
        "option-data": [
            {"name": "routers", "data": "10.20.7.1"},
            {"name": "domain-name-servers", "data": "10.0.0.53, 10.0.0.54"},
        ],
        "relay": {"ip-addresses": ["10.20.7.1"]},
        "user-context": {"sipelangi": {"ticket": "SPL-2026-00007"}},
    }
    assert [o["name"] for o in dhcp.scope_entry(scope())["option-data"]] == ["routers"]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"first": A("10.20.8.5")}, r"first 10\.20\.8\.5: not a host address of 10\.20\.7\.0/24"),
        ({"gateway": A("10.20.7.255")}, r"gateway 10\.20\.7\.255: not a host address"),
        (
            {"first": A("10.20.7.90"), "last": A("10.20.7.80")},
            r"the pool.s first address 10\.20\.7\.90 is after",
        ),
        ({"gateway": A("10.20.7.150")}, r"the gateway 10\.20\.7\.150 lies in the pool"),
    ],
)
def test_a_scope_that_cannot_work_is_refused_naming_the_ticket(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=r"^ticket SPL-2026-00007: DHCP scope 10\.20\.7\.0/24: " + message):
        scope(**kw)
    with pytest.raises(ConfigError, match="not a LAN subnet"):
        scope(net="10.20.7.0/31", gateway=A("10.20.7.0"), first=A("10.20.7.1"), last=A("10.20.7.1"))


def test_the_scope_is_added_after_the_other_entries_which_stay_untouched_and_in_order() -> None:
    others = [foreign(2, "192.168.50.0/24"), foreign(1, "10.99.0.0/16")]
    before = copy.deepcopy(others)
    after = dhcp.with_scope("kea-pusat", others, scope())
    assert after == [*before, dhcp.scope_entry(scope())]
    assert others == before  # the input is not changed


def test_adding_the_same_scope_again_gives_the_same_list() -> None:
    once = dhcp.with_scope("kea-pusat", [foreign(1, "10.99.0.0/16")], scope())
    assert dhcp.with_scope("kea-pusat", once, scope()) == once
    # as Kea prints it back (its defaults added): kept as it is, so a server's list comes back unchanged
    printed = [once[0], {**once[1], "valid-lifetime": 600, "reservations": []}]
    assert dhcp.with_scope("kea-pusat", printed, scope()) == printed
    # the same ticket's entry for another pool is replaced
    other_pool = [once[0], dhcp.scope_entry(scope(first=A("10.20.7.10")))]
    assert dhcp.with_scope("kea-pusat", other_pool, scope()) == once
    shared = [foreign(scope().id, "172.16.0.0/24")]  # Kea's ids are unique across shared networks too
    with pytest.raises(
        DeviceError, match=r"\(id 169084672, in a shared network, not made by sipelangi-net\)"
    ):
        dhcp.with_scope("kea-pusat", once, scope(), shared=shared)


def test_the_tickets_own_entry_is_replaced_in_place_when_its_scope_changes() -> None:
    old = dhcp.scope_entry(scope(net="10.20.7.128/25", gateway=A("10.20.7.129"), first=A("10.20.7.140"),
                                 last=A("10.20.7.150")))  # fmt: skip
    subnets = [foreign(1, "10.99.0.0/16"), old, foreign(3, "172.16.0.0/24")]
    after = dhcp.with_scope("kea-pusat", subnets, scope())
    assert after == [subnets[0], dhcp.scope_entry(scope()), subnets[2]]


def test_an_overlapping_entry_of_another_ticket_or_not_ours_is_refused_naming_it() -> None:
    theirs = dhcp.scope_entry(scope(ticket="SPL-2026-00003", net="10.20.0.0/16"))
    collides = r"collides with subnet4 10\.20\.0\.0/16 \(id 169082880, ticket SPL-2026-00003\)"
    with pytest.raises(
        DeviceError, match=r"^kea-pusat: ticket SPL-2026-00007: DHCP scope 10\.20\.7\.0/24 .*" + collides
    ):
        dhcp.with_scope("kea-pusat", [theirs], scope())
    with pytest.raises(DeviceError, match=r"subnet4 10\.20\.7\.64/26 \(id 5, not made by sipelangi-net\)"):
        dhcp.with_scope("kea-pusat", [foreign(5, "10.20.7.64/26")], scope())
    # the scope's id taken by another subnet (ids need not follow our rule on a server)
    with pytest.raises(DeviceError, match=r"subnet4 172\.16\.0\.0/24 \(id 169084672, not made"):
        dhcp.with_scope("kea-pusat", [foreign(scope().id, "172.16.0.0/24")], scope())
    shared = [foreign(9, "10.20.7.0/25")]
    with pytest.raises(DeviceError, match=r"\(id 9, in a shared network, not made by sipelangi-net\)"):
        dhcp.with_scope("kea-pusat", [], scope(), shared=shared)


def config(subnet4: Any, shared: Any = None) -> dict[str, Any]:
    dhcp4: dict[str, Any] = {"subnet4": subnet4, "valid-lifetime": 600}
    if shared is not None:
        dhcp4["shared-networks"] = shared
    return {"Dhcp4": dhcp4}


def test_a_servers_list_is_read_and_its_shared_networks_kept_apart() -> None:
    entry = dhcp.scope_entry(scope())
    cfg = config([entry], shared=[{"name": "gedung-a", "subnet4": [foreign(9, "172.16.9.0/24")]}])
    assert dhcp.parse_subnets("kea-pusat", cfg) == [entry]
    assert dhcp.parse_shared_subnets("kea-pusat", cfg) == [foreign(9, "172.16.9.0/24")]
    assert dhcp.parse_subnets("kea-pusat", {"Dhcp4": {}}) == []


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"arguments": {}}, r"no Dhcp4 object"),
        (config({"id": 1}), r"Dhcp4\.subnet4 is not a list"),
        (config(["10.0.0.0/24"]), r"Dhcp4\.subnet4\[0\] is not an object"),
        (config([{"subnet": "10.0.0.0/24"}]), r"Dhcp4\.subnet4\[0\] has no valid id"),
        (config([{"id": "7", "subnet": "10.0.0.0/24"}]), r"has no valid id .*got '7'"),
        (config([{"id": True, "subnet": "10.0.0.0/24"}]), r"has no valid id"),
        (config([foreign(1, "10.0.0.0/24"), {"id": 2, "subnet": "10.0.0.300/24"}]),
         r"Dhcp4\.subnet4\[1\] \(id 2\) has no valid IPv4 subnet \(got '10\.0\.0\.300/24'\)"),
        (config([{"id": 2, "subnet": "10.0.0.1/24"}]), r"has no valid IPv4 subnet"),
        (config([], shared=[{"subnet4": [{"id": 3}]}]),
         r"Dhcp4\.shared-networks\[0\]\.subnet4\[0\] \(id 3\) has no valid IPv4 subnet"),
        (config([], shared={"x": 1}), r"shared-networks is not a list"),
    ],
)  # fmt: skip
def test_a_bad_answer_from_the_server_is_refused_naming_the_server_and_field(cfg: Any, message: str) -> None:
    with pytest.raises(
        DeviceError, match=r"^kea-pusat: the Kea server.s answer cannot be used: .*" + message
    ):
        dhcp.parse_subnets("kea-pusat", cfg)


def test_the_lines_are_canonical_and_sorted_and_the_commands_say_what_changes() -> None:
    ours = dhcp.scope_entry(scope(dns=(A("10.0.0.53"),)))
    printed = {**ours, "pools": [{"pool": "10.20.7.100 - 10.20.7.200", "option-data": []}], "t1-percent": 0.5}
    other = foreign(1, "10.99.0.0/16")
    lines = dhcp.subnet_lines([ours, other])
    assert lines == [
        "id=169084672 subnet=10.20.7.0/24 pools=10.20.7.100-10.20.7.200 routers=10.20.7.1 dns=10.0.0.53"
        " relay=10.20.7.1 ticket=SPL-2026-00007",
        "id=1 subnet=10.99.0.0/16 pools=- routers=- dns=- relay=- ticket=-",
    ]
    assert dhcp.subnet_lines([other, printed]) == lines  # order and Kea's defaults do not matter
    assert dhcp.scope_commands("kea-pusat", [other], [other, ours]) == (f"subnet4 add {lines[0]}",)
    assert dhcp.scope_commands("kea-pusat", [other, printed], [other]) == (f"subnet4 del {lines[0]}",)
    assert dhcp.scope_commands("kea-pusat", [printed, other], [other, ours]) == ()
    moved = dhcp.scope_entry(scope(first=A("10.20.7.50")))
    assert dhcp.scope_commands("kea-pusat", [ours], [moved]) == (
        f"subnet4 del {lines[0]}",
        f"subnet4 add {dhcp.subnet_lines([moved])[0]}",
    )
    with pytest.raises(DeviceError, match=r"^kea-pusat: .*subnet4 entry 0 has no valid id"):
        dhcp.scope_commands("kea-pusat", [{"subnet": "10.0.0.0/8"}], [])
