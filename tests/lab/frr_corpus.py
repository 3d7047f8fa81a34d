"""The public FRR corpus (tests/fixtures/corpus/frr/) on a lab router, for
tests/lab/test_frr_corpus_lab.py (every file, in CI) and bench/frr_corpus_lab.py (the figures).

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

import contextlib
import dataclasses
import re
import time
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
DAEMON_DOWN = "Warning: connecting to"
DAEMON_WAIT = 60.0
"""How long a round trip waits for watchfrr to start a dead daemon again (the lab's restart
interval: 2 s, doubling up to 10 s when it dies again soon)."""
CLOSERS = frozenset({"!", "exit", "exit-vrf", "end"})


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
    def confirm(self) -> None: ...
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
    """The commit-confirm restore's failure: its error, or the first line that differs from day-0."""

    @property
    def converged(self) -> bool:
        return not self.refused and not self.second_diff and self.restored


def first_difference(want: str, got: str) -> str:
    a, b = want.splitlines(), got.splitlines()
    for x, y in zip(a, b, strict=False):
        if x != y:
            return f"- {x} / + {y}"
    return f"- {a[len(b)]}" if len(a) > len(b) else (f"+ {b[len(a)]}" if len(b) > len(a) else "")


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _engine_rollback(router: Router, rollback: Sequence[str], day0: str) -> str:
    try:
        router.push(rollback)
    except SipelangiError as exc:
        return f"refused: {_first_line(exc)}"
    now, want = normalise(FRR, router.get_config()), normalise(FRR, day0)
    return "exact" if now == want else f"differs: {first_difference(want, now)}"


def _change(
    router: Router, diff: Sequence[str], rollback: Sequence[str], intended: str, day0: str
) -> LabOutcome:
    """Push the diff, diff again, push the diff's rollback (the router is armed)."""
    try:
        router.push(diff)
    except SipelangiError as exc:
        return LabOutcome("", refused=f"FRR: {_first_line(exc)}")
    second = diff_device(router.name, FRR, router.get_config(), intended, scope="replace").commands
    return LabOutcome("", second_diff=tuple(second), engine_rollback=_engine_rollback(router, rollback, day0))


def restore_day0(router: Router, day0: str) -> str:
    """The commit-confirm rollback, then the check that the day-0 config is back: '' when it is,
    else why not. A failed restore never leaves the router armed for the next round trip: the
    router is disarmed (confirm) and the day-0 config pushed as a diff of its own."""
    try:
        router.rollback()
    except SipelangiError as exc:
        why = f"commit-confirm: {_first_line(exc)}"
        with contextlib.suppress(SipelangiError):
            router.confirm()  # disarm: its timer would otherwise restore under the next round trip
        back = diff_device(router.name, FRR, settled_config(router), day0, scope="replace")
        router.push(back.commands)
    else:
        why = ""
    after, want = normalise(FRR, settled_config(router)), normalise(FRR, day0)
    if after != want:
        return why or f"differs: {first_difference(want, after)}"
    return why


def settled_config(router: Router, *, wait: float = DAEMON_WAIT) -> str:
    """The running config once every daemon answers: after a daemon died (bgpd of FRR 8.4.4 crashed
    on one corpus config) ``show running-config`` starts with "Warning: connecting to bgpd...failed!"
    until watchfrr has started it again (the lab's routers run it, as real FRR routers do)."""
    deadline = time.monotonic() + wait
    while DAEMON_DOWN in (text := router.get_config()) and time.monotonic() < deadline:
        time.sleep(1)
    return text


def lab_round_trip(router: Router, name: str, corpus: str, *, timer: int = 600) -> LabOutcome:
    """One corpus config on ``router`` (module docstring); the router is restored at the end, and
    left unarmed at its day-0 config whatever failed (:func:`restore_day0`)."""
    day0 = settled_config(router)
    intended = merged(day0, corpus)
    try:
        diff = diff_device(router.name, FRR, day0, intended, scope="replace")
    except SipelangiError as exc:
        return LabOutcome(name, refused=f"diff: {_first_line(exc)}", restored=True)
    router.arm(timer)
    try:
        outcome = _change(router, diff.commands, diff.rollback, intended, day0)
    except SipelangiError as exc:
        outcome = LabOutcome("", refused=f"round trip: {_first_line(exc)}")
    finally:
        why = restore_day0(router, day0)
    return dataclasses.replace(
        outcome, name=name, commands=len(diff.commands), restored=not why, first_difference=why
    )
