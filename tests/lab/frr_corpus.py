"""The public FRR corpus (tests/fixtures/corpus/frr/) on a lab router, for
bench/frr_corpus_lab.py (the whole corpus, or a subset).

The intended config of one round trip is the router's day-0 config with the corpus config's
routing parts merged in (:func:`merged`), so the router keeps its management and its lab links:

- kept from day-0, whatever the corpus says: everything the router has (hostname, logging,
  ``service``, forwarding, its interfaces and their addresses, its static default route);
- taken from the corpus config: its routing sections and lines, :data:`ROUTING` (``router ...``,
  ``route-map``, prefix-lists, access-lists, community and as-path lists, ``ip route`` /
  ``ipv6 route``, ``vrf``, ``nexthop-group``, ...) and its ``interface`` sections *except* those
  named like an interface of the day-0 config (``eth0``, ``lo``: the lab's links and loopback),
  and its default routes of the default VRF (``ip route 0.0.0.0/0 ...``, ``ipv6 route ::/0
  ...``: the router's own default route carries its lab traffic);
- dropped from the corpus config: what is the router's own (``hostname``, ``password``,
  ``log``, ``line vty``, ``debug``, ``service``, ``frr version``/``defaults``, ...).

A section is its top-level line with the indented lines under it; ``!``, ``exit``,
``exit-vrf`` and ``end`` close it and are not copied. The corpus lines are copied as published
(the diff has to read them as FRR does).

One round trip (:func:`lab_round_trip`): read the running config, diff it with the merged
intended config (``scope="replace"``), arm the router's commit-confirm, push the diff (a line
FRR refuses fails it), read it again: the second diff must be empty; push the diff's own
rollback and compare with the day-0 config; then the commit-confirm rollback, which must
restore the day-0 config exactly (it is always run, so the router is left as it was).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sipelangi_net.change.diff import diff_device
from sipelangi_net.change.push import normalise
from sipelangi_net.errors import SipelangiError
from sipelangi_net.platforms import Platform

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "frr"
FRR = Platform.FRR
ROUTING = re.compile(
    r"^(router |route-map |ip prefix-list |ipv6 prefix-list |access-list |ip access-list |ipv6 access-list "
    r"|mac access-list |bgp |ip community-list |ip extcommunity-list |ip large-community-list |ip as-path "
    r"|ip route |ipv6 route |vrf |nexthop-group |ip protocol |ipv6 protocol |ip nht |ipv6 nht "
    r"|ip import-table |router-id |zebra )"
)
"""Top-level lines of the corpus config that are routing configuration (taken into the intended)."""
DEFAULT_ROUTE = re.compile(r"^(ip route 0\.0\.0\.0/0|ipv6 route ::/0) ")
CLOSERS = frozenset({"!", "exit", "exit-vrf", "end"})
SUBSET = (
    "frr-topotests-ospf_multi_vrf_bgp_route_leak-r2.conf",
    "frr-topotests-ospf_metric_propagation-r1.conf",
    "frr-topotests-bgp_confederation_linkbw_as_test-r1.conf",
    "frr-topotests-bgp_route_map_comm_list-r2.conf",
    "frr-topotests-bgp_vrf_import_route_map-r2.conf",
    "frr-topotests-ospf_nssa_topo2-r2.conf",
    "frr-topotests-static_cross_vrf_nexthop-r1.conf",
    "frr-topotests-bgp_addpath_disable_rx-r6.conf",
)
"""The CI subset: OSPF with VRFs and BGP leaking, OSPF metrics, BGP confederation with link
bandwidth, community lists, VRF import route-maps, NSSA areas, cross-VRF static routes, add-path
with as-path prepending."""


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix == ".conf")


def sections(text: str) -> list[list[str]]:
    """The top-level sections of an FRR config: each its top-level line and the lines under it."""
    out: list[list[str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or (line == stripped and stripped in CLOSERS):
            continue
        if line[0].isspace() and out:
            if stripped not in CLOSERS or stripped == "exit-address-family":
                out[-1].append(line)
        elif not line[0].isspace():
            out.append([line])
    return out


def interfaces(text: str) -> set[str]:
    """The interface names a config has sections for (``interface eth0 vrf x`` → ``eth0``)."""
    heads = (s[0].split() for s in sections(text))
    return {words[1] for words in heads if words[0] == "interface" and len(words) > 1}


def merged(day0: str, corpus: str) -> str:
    """The day-0 config with the corpus config's routing parts (see the module docstring)."""
    own = interfaces(day0)
    kept = [ln for ln in day0.splitlines() if ln.strip() != "end"]
    taken: list[str] = []
    for section in sections(corpus):
        head = section[0]
        is_link = head.startswith("interface ") and head.split()[1:2] and head.split()[1] in own
        if DEFAULT_ROUTE.match(head):
            continue
        if ROUTING.match(head) or (head.startswith("interface ") and not is_link):
            opens = len(section) > 1 or head.startswith(("interface ", "router "))
            taken += [*section, "exit" if opens else "!"]
    return "\n".join([*kept, "!", *taken, "end"]) + "\n"


class Router(Protocol):
    """What :func:`lab_round_trip` needs of the lab driver (sipelangi_net.drivers.lab.LabDriver)."""

    name: str

    def get_config(self) -> str: ...
    def push(self, commands: Sequence[str]) -> str: ...
    def arm(self, seconds: int) -> None: ...
    def rollback(self) -> None: ...


@dataclass(frozen=True, slots=True)
class LabOutcome:
    """One corpus file on a lab router."""

    name: str
    commands: int = 0
    refused: str = ""
    """Why the diff refused it, or the line FRR refused ('' when neither)."""
    second_diff: tuple[str, ...] = ()
    engine_rollback: str = ""
    """The diff's own rollback pushed after the change: ``exact``, ``refused: ...`` or
    ``differs: <first differing line>``."""
    restored: bool = False
    first_difference: str = ""

    @property
    def converged(self) -> bool:
        return not self.refused and not self.second_diff and self.restored


def first_difference(want: str, got: str) -> str:
    a, b = want.splitlines(), got.splitlines()
    for x, y in zip(a, b, strict=False):
        if x != y:
            return f"- {x} / + {y}"
    return f"- {a[len(b)]}" if len(a) > len(b) else (f"+ {b[len(a)]}" if len(b) > len(a) else "")


def _engine_rollback(router: Router, rollback: Sequence[str], day0: str) -> str:
    try:
        router.push(rollback)
    except SipelangiError as exc:
        return f"refused: {str(exc).splitlines()[0][:200]}"
    now, want = normalise(FRR, router.get_config()), normalise(FRR, day0)
    return "exact" if now == want else f"differs: {first_difference(want, now)}"


def lab_round_trip(router: Router, name: str, corpus: str, *, timer: int = 600) -> LabOutcome:
    """One corpus config on ``router`` (module docstring); the router is restored at the end."""
    day0 = router.get_config()
    intended = merged(day0, corpus)
    try:
        diff = diff_device(router.name, FRR, day0, intended, scope="replace")
    except SipelangiError as exc:
        return LabOutcome(name, refused=f"diff: {str(exc).splitlines()[0][:200]}", restored=True)
    router.arm(timer)
    refused, second, engine = "", (), ""
    try:
        try:
            router.push(diff.commands)
        except SipelangiError as exc:
            refused = f"FRR: {str(exc).splitlines()[0][:200]}"
        if not refused:
            second = diff_device(router.name, FRR, router.get_config(), intended, scope="replace").commands
            engine = _engine_rollback(router, diff.rollback, day0)
    finally:
        router.rollback()
    after = router.get_config()
    restored = normalise(FRR, after) == normalise(FRR, day0)
    return LabOutcome(
        name,
        commands=len(diff.commands),
        refused=refused,
        second_diff=tuple(second),
        engine_rollback=engine,
        restored=restored,
        first_difference="" if restored else first_difference(normalise(FRR, day0), normalise(FRR, after)),
    )
