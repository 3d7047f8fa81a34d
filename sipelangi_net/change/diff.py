"""The dry-run diff (pure): what to send to one device so that it runs the intended config.

:func:`diff_device` compares a device's running config with the intended text
rendered for it and returns a :class:`DeviceDiff`: the exact ``commands`` to
send, in order, and the ``rollback`` commands that undo them. Nothing here
talks to a device; the deploy stage sends the commands.

Scopes
------
``merge`` (provisioning a ticket)
    ``intended`` is a *snippet*: only what the ticket needs. The device is
    made to contain it: missing lines are added, lines the snippet redefines
    are replaced, and nothing outside the snippet's sections is touched.
``replace`` (compliance)
    ``intended`` is the whole config: lines the device has beyond it are
    removed too.

Platforms (a platform spec's ``diff``: a row of :data:`HIER_RULES`, or :func:`diff_ovs`)
-----------------------------------------------------------------------------------------
``frr``
    hier_config's Cisco IOS driver with FRR rules (:class:`HConfigDriverFRR`):

    - both texts are first put in the form FRR prints (:mod:`sipelangi_net.change.frr_text`:
      FRR's own parser ``vtysh -m`` for the structure, frr-reload.py for contexts and line
      forms, the spec's ``normalise`` rules for the rest): per-daemon files are merged,
      abbreviations written in full, a line FRR refuses in its mode refused with its number;
    - negations in the form FRR takes (spec ``negation_forms``: ``no password``), sections
      FRR removes by their lines (``link-params``) emptied, and a negation that would turn
      something on (``no ipv6 nd suppress-ra``) refused, naming the line and why;
    - dropped when reading: ``Building configuration...``, ``Current
      configuration:``, ``frr version``, ``frr defaults``, ``!``, ``end``,
      ``exit`` (and ``exit-vrf``, ``exit-address-family``) and blank lines;
    - single-valued (a new value replaces the old, no ``no`` first):
      ``hostname``, interface ``description`` and ``bandwidth``,
      ``bgp router-id``, ``ospf router-id``;
    - ``ip address`` is *not* single-valued: FRR adds a second address, so a
      snippet giving ``ip address A`` where the device has ``ip address B``
      yields ``no ip address B`` then ``ip address A`` (in ``merge`` the
      snippet's addresses replace all of that interface's addresses);
    - ``no description`` takes no argument on FRR (``no description X`` is
      refused by vtysh), so removing a description sends ``no description``;
    - ``no interface X`` fails while the kernel interface exists: an
      interface missing from a ``replace`` config (or negated by a snippet)
      is emptied line by line, never deleted, and a diff that would still
      send ``no interface`` is refused;
    - intended ``ip address`` lines must use the ``A.B.C.D/LEN`` form and no
      ``secondary`` (vtysh knows neither a netmask nor ``secondary``);
    - hidden defaults (``ip forwarding``, ``ipv6 forwarding``, interface
      ``no shutdown``) are never shown by FRR, so they are left out of both
      sides: never sent again, never removed; a running ``no ip forwarding``
      against an intended ``ip forwarding`` still yields ``ip forwarding``;
    - an interface with no lines is no configuration: an interface new to the
      config is filled (and its rollback empties it), never created/deleted;
    - commands are vtysh config-mode lines: the section header
      (``interface eth1``), its lines indented by one space, then ``exit``
      at column 0 (``exit-vrf``, `` exit-address-family`` where FRR has them;
      a section header with no lines, such as ``router bgp 65001``, is
      closed too), as FRR prints them, ready for Netmiko ``send_config_set``.

    The running config must end with ``end`` (a truncated answer would make a
    ``replace`` diff remove whatever was cut off).
``ovs``
    The running config is the JSON answer of ``ovs-vsctl --format=json
    --columns=name,tag,external_ids list Port``. The intended text has one
    port attribute per line::

        # comment (and blank lines) ignored
        port eth1 tag=100
        port eth1 description=SPL-2026-00001 akses OPD

    ``tag`` is a VLAN id 1-4094; ``description`` is the rest of the line
    (spaces allowed, surrounding blanks stripped, not empty) and is stored in
    ``external_ids:description``. Any other key, a port the switch does not
    have, or a port attribute given twice is a :class:`ConfigError`. Commands
    are one ``ovs-vsctl`` shell command per line with shell-quoted arguments
    (a value that starts with ``"`` or is empty goes in ovsdb's JSON-quoted
    form). Rollback restores the previous values, in reverse order: ``tag=[]``
    where there was no tag, ``ovs-vsctl remove port P external_ids
    description`` where there was no description. ``replace`` is the same as
    ``merge``: ports and attributes the text does not name are left alone
    (nothing says which untagged ports are meant to be untagged).
``cisco_ios``, ``arista_eos``, ``juniper_junos``
    hier_config's own drivers (Junos: :class:`HConfigDriverJunos`, which reads what Junos
    prints: no comment lines, a statement with children only as its children). ``merge`` is
    ``running.future(snippet)``: running plus the snippet, where the driver's single-valued commands
    replace. Added to hier_config's rules: interface ``description`` on EOS,
    and ``description`` / ``system host-name`` on Junos, are single-valued
    (without that, the rollback of a changed description deletes it);
    interface ``no shutdown`` is a hidden default on IOS and EOS (as on FRR). Junos ELS: a port's
    ``family ethernet-switching interface-mode`` is single-valued, and where the snippet makes a
    port ``interface-mode access`` its ``vlan members`` replace the running ones (an access port
    is in one VLAN; a trunk's members, and a snippet's ``set`` of one, add up).
``mikrotik_routeros``
    hier_config's generic driver, configured (:class:`HConfigDriverRouterOS`):
    ``/export`` text and one-line commands (``/ip route add ...``) are both
    read into one canonical form (:mod:`sipelangi_net.change.routeros_text`:
    wrapped lines joined, a menu's lines under one section however often the
    menu is given, attributes sorted, quotes only where needed, ``disabled=no``
    dropped), so what ``/export`` prints after a push reads as the template's
    line. Removing an ``add`` line sends ``/menu remove [find <its
    attributes>]``, which removes every item with those values: the items
    it also selects that stay (an identical copy, an item with more
    attributes) are added back after it; an unnamed item printed twice is
    two items (``routeros_text.marked_copies``). ``set`` lines of one target (``set``, ``set 0``,
    ``set telnet``, ``set [ find ... ]``) replace each other; in ``merge``, an
    ``add`` line of a menu whose items have a name
    (``routeros_text.ITEM_KEYS``: bridge port by interface, VLAN interface by
    name, ...) replaces the running item of that name. Commands are one-line
    (``/ip route add ...``), in the canonical form: removals first, dependents
    before what they depend on, then additions in the intended text's menu
    order. Firewall rule order is not modelled. ``set`` lines are compared per
    property (a ``set`` changes only what it names): the undo of a property
    the running export does not show is the value the router holds before the
    push (``DeviceDiff.earlier``: the driver reads it); a property the running
    export sets and a ``replace`` config leaves at its (unshown) default is
    unset (``set <item> !prop``, MikroTik's manual; ``routeros_text.
    unset_form``), its undo the running value; one that cannot be unset
    (``routeros_text.NOT_UNSET``), and any other line no command can undo
    (``no ...``), is refused (:class:`ConfigError`).

Errors
------
A running config the diff cannot trust raises
:class:`~sipelangi_net.errors.DeviceError` (it came from the device); a bad
intended text or argument raises :class:`~sipelangi_net.errors.ConfigError`.
Never another exception.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import pairwise
from types import MappingProxyType
from typing import Literal, Protocol

from hier_config import HConfig, WorkflowRemediation, get_hconfig, get_hconfig_driver
from hier_config.child import HConfigChild
from hier_config.exceptions import DuplicateChildError
from hier_config.models import (
    IdempotentCommandsRule,
    MatchRule,
    NegationSubRule,
    OrderingRule,
    ParentAllowsDuplicateChildRule,
    PerLineSubRule,
    SectionalExitingRule,
)
from hier_config.models import Platform as HPlatform
from hier_config.platforms.cisco_ios.driver import HConfigDriverCiscoIOS
from hier_config.platforms.driver_base import HConfigDriverBase, HConfigDriverRules
from hier_config.platforms.generic.driver import HConfigDriverGeneric
from hier_config.platforms.juniper_junos.driver import HConfigDriverJuniperJUNOS

from sipelangi_net.analysis.facts import MAX_ANSWER, parse_ovs
from sipelangi_net.analysis.facts_model import vlan_list
from sipelangi_net.change.routeros_text import (
    NOT_UNSET,
    Earlier,
    SetChange,
    canonical_lines,
    copies_of,
    marked_copies,
    menu_order,
    selects,
    set_changes,
)
from sipelangi_net.errors import ConfigError, DeviceError
from sipelangi_net.platforms import PLATFORMS, Platform, resolve
from sipelangi_net.platforms.spec import DiffSpec, Lineage
from sipelangi_net.validate import printable, unsafe_character

Scope = Literal["merge", "replace"]
SCOPES: tuple[Scope, ...] = ("merge", "replace")


@dataclass(frozen=True, slots=True)
class DeviceDiff:
    """What the deploy stage would send to one device, and how to undo it."""

    device: str
    platform: str
    commands: tuple[str, ...]
    """Exactly what would be sent, in order: config-mode lines (FRR: vtysh lines with
    section headers, indented children and ``exit``; OVS: one ``ovs-vsctl`` shell command each)."""
    rollback: tuple[str, ...]
    """Commands that undo ``commands`` (for devices without a snapshot restore)."""
    earlier: tuple[Earlier, ...] = ()
    """RouterOS: properties ``commands`` set whose earlier value the running config does not show
    (``/export`` leaves defaults out). Undoing them restores the value the device holds just
    before the push, which the driver reads first (:class:`~sipelangi_net.drivers.routeros.RouterOSDriver`);
    ``rollback`` leaves them out."""

    @property
    def changed(self) -> bool:
        return bool(self.commands)


# --- hier_config drivers ----------------------------------------------------------------------


def _interface(child: str) -> tuple[MatchRule, MatchRule]:
    return (MatchRule(startswith="interface "), MatchRule(startswith=child))


class HConfigDriverFRR(HConfigDriverCiscoIOS):
    """hier_config's Cisco IOS driver with the rules of FRR's vtysh (see the module docstring)."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        ios = HConfigDriverCiscoIOS._instantiate_rules()
        per_line_sub = [rule for rule in ios.per_line_sub if rule.search != "^ no ip address"]
        per_line_sub += [
            PerLineSubRule(search=r"^frr (version|defaults)\b.*", replace=""),
            PerLineSubRule(search=r"^\s*exit(-[a-z]+)*$", replace=""),
            PerLineSubRule(search=r"^\s*end$", replace=""),
        ]
        return ios.model_copy(
            update={
                "indentation": 1,
                "per_line_sub": per_line_sub,
                "idempotent_commands": [
                    IdempotentCommandsRule(match_rules=(MatchRule(startswith="hostname "),)),
                    IdempotentCommandsRule(match_rules=_interface("description ")),
                    IdempotentCommandsRule(match_rules=_interface("bandwidth ")),
                    IdempotentCommandsRule(
                        match_rules=(
                            MatchRule(startswith="router bgp "),
                            MatchRule(startswith="bgp router-id "),
                        )
                    ),
                    IdempotentCommandsRule(
                        match_rules=(
                            MatchRule(startswith="router ospf"),
                            MatchRule(startswith="ospf router-id "),
                        )
                    ),
                ],
                "negation_sub": [
                    NegationSubRule(
                        match_rules=_interface("description "),
                        search=r"^no description .*$",
                        replace="no description",
                    ),
                ],
                "negate_with": [],
                # bgpd refuses to delete the default instance while a VRF instance exists
                # ("Cannot delete default BGP instance"): 'no router bgp N' after the VRFs' ones;
                # 'no vrf X' deletes the VRF's own interface X with its addresses, so its
                # 'interface X' lines are undone before it ("% Can't find address" after)
                "ordering": [
                    OrderingRule(match_rules=(MatchRule(re_search=r"^no router bgp \d+$"),), weight=600),
                    OrderingRule(match_rules=(MatchRule(re_search=r"^no vrf \S+$"),), weight=700),
                ],
                "sectional_exiting": [
                    SectionalExitingRule(
                        match_rules=(
                            MatchRule(startswith="router bgp "),
                            MatchRule(startswith="address-family "),
                        ),
                        exit_text="exit-address-family",
                    ),
                    SectionalExitingRule(match_rules=(MatchRule(startswith="vrf "),), exit_text="exit-vrf"),
                    SectionalExitingRule(
                        match_rules=(MatchRule(startswith="interface "), MatchRule(equals="link-params")),
                        exit_text="exit-link-params",
                    ),
                ],
                "post_load_callbacks": [],  # IOS ACL renumbering and VLAN list splitting do not apply
            }
        )


class HConfigDriverRouterOS(HConfigDriverGeneric):
    """hier_config's generic driver reading MikroTik ``/export`` text as menus and their lines
    (an unnamed item given twice is two lines: ``routeros_text.marked_copies``)."""

    @staticmethod
    def config_preprocessor(config_text: str) -> str:
        return "\n".join(marked_copies(canonical_lines(config_text)))

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        in_menu = MatchRule(startswith="/")
        return HConfigDriverRules(
            idempotent_commands=[
                IdempotentCommandsRule(  # one per target: set [ find ... ] / set 0 / set telnet / set
                    match_rules=(in_menu, MatchRule(re_search=r"^set(?: (\[ [^]]* \]|[^\s=]+(?= |$)))?"))
                ),
            ],
            negation_sub=[
                NegationSubRule(
                    match_rules=(in_menu, MatchRule(startswith="add ")),
                    search=r"^no add (.*)$",
                    replace=r"remove [find \1]",
                ),
            ],
        )


JUNOS_COMMENT = re.compile(r"^\s*(#|/\*.*\*/\s*$)")
"""A Junos comment line: ``# ...`` (RANCID's header, ``## Last commit``) or ``/* ... */``."""


def _junos_leaves(lines: list[str]) -> list[str]:
    """``lines`` without a ``set P`` that another ``set P ...`` line implies: ``display set``
    prints a statement with children only as its children (so deleting ``P`` would delete them)."""
    ordered = sorted(lines)
    implied = {a for a, b in pairwise(ordered) if b.startswith(a + " ")}
    return [ln for ln in lines if ln not in implied or not ln.startswith("set ")]


class HConfigDriverJunos(HConfigDriverJuniperJUNOS):
    """hier_config's Junos driver reading what Junos prints: comment lines dropped (Junos ignores
    them in ``load set`` and prints none in ``display set``; hier_config would read ``# x`` as the
    statement ``set # x``), and a statement given with its children only as its children."""

    @staticmethod
    def config_preprocessor(config_text: str) -> str:
        kept = "\n".join(ln for ln in config_text.splitlines() if not JUNOS_COMMENT.match(ln))
        converted = HConfigDriverJuniperJUNOS.config_preprocessor(kept).splitlines()
        return "\n".join(_junos_leaves(converted))


# --- trunk VLAN lists (Cisco IOS, Arista EOS) -------------------------------------------------

ALLOWED_VLAN = "switchport trunk allowed vlan "
"""An interface's allowed VLAN list. IOS and EOS print the resulting list (``1,100``, ranges
``10-12``; IOS continues a long one on ``... add`` lines) or nothing when every VLAN is allowed;
a snippet adds its VLAN with ``... add N`` (never dropping the others)."""


def vlan_spec(vlans: frozenset[int]) -> str:
    """The canonical text of a VLAN list: ascending, runs of three or more as ranges."""
    parts: list[str] = []
    ordered = sorted(vlans)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{ordered[i]}-{ordered[j]}")
        else:
            parts.extend(str(v) for v in ordered[i : j + 1])
        i = j + 1
    return ",".join(parts) or "none"


def _allowed_vlans(iface: HConfig | HConfigChild) -> tuple[list[HConfigChild], frozenset[int] | None]:
    """(its allowed-vlan lines, the VLANs they allow: None for every VLAN or an unknown form)."""
    lines = [c for c in iface.children if c.text.startswith(ALLOWED_VLAN)]
    vlans: set[int] = set()
    for line in lines:
        try:
            vlans |= vlan_list(line.text.removeprefix(ALLOWED_VLAN).removeprefix("add "))
        except ValueError:
            return lines, None
    return lines, frozenset(vlans) if lines else None


def fold_allowed_vlans(config: HConfig) -> None:
    """Post-load rule: an interface's allowed-VLAN list as one line in the canonical form.

    A list continued on ``add`` lines (IOS) becomes one line; ``all`` is the default, which
    the device does not print, so it is dropped. An interface with ``add`` lines only (a
    snippet adding its VLAN) is left as it is: :func:`_merge_vlan_adds` reads it against the
    running list.
    """
    for iface in config.get_children(startswith="interface "):
        lines, vlans = _allowed_vlans(iface)
        if lines and all(c.text.startswith(ALLOWED_VLAN + "add ") for c in lines):
            continue
        if lines and lines[0].text == ALLOWED_VLAN + "all":
            lines[0].delete()
        elif vlans is not None:
            for line in lines:
                line.delete()
            iface.add_child(ALLOWED_VLAN + vlan_spec(vlans))


def _merge_vlan_adds(base: HConfig, snippet: HConfig) -> None:
    """merge: the snippet's ``... allowed vlan add N`` as the list the device will print.

    Where the running port allows every VLAN (no list) or its list holds N, N is already
    allowed: nothing to send. Otherwise the line becomes the running list plus N, which
    replaces the running list (whose rollback restores it).
    """
    for iface in snippet.get_children(startswith="interface "):
        adds = [c for c in iface.children if c.text.startswith(ALLOWED_VLAN + "add ")]
        if not adds:
            continue
        running = base.children.get(iface.text)
        have = _allowed_vlans(running)[1] if running is not None else None
        wanted = _allowed_vlans(iface)[1]
        for line in adds:
            line.delete()
        if have is not None and wanted is not None and not wanted <= have:
            iface.add_child(ALLOWED_VLAN + vlan_spec(have | wanted))


# --- access port VLAN (Junos ELS) --------------------------------------------------------------

ACCESS_MODE = re.compile(r"^set (interfaces \S+ unit \d+ family ethernet-switching )interface-mode access$")
"""A Junos ELS port made an access port; group 1 the path of its ``vlan members`` lines."""


def _merge_access_members(base: HConfig, snippet: HConfig) -> None:
    """merge: a snippet port made ``interface-mode access`` is in the snippet's VLAN only.

    ``vlan members`` is a list (a trunk's members add up, and so does a snippet's ``set``), but an
    access port has one VLAN: its running members (the parking VLAN) are dropped from the target,
    so the diff deletes them and their rollback restores them.
    """
    for line in snippet.children:
        match = ACCESS_MODE.match(line.text)
        if match is None:
            continue
        members = f"set {match[1]}vlan members "
        if not any(c.text.startswith(members) for c in snippet.children):
            continue
        for old in tuple(base.children):
            if old.text.startswith(members) and old.text not in snippet.children:
                old.delete()


Fail = Callable[[str], Exception]


class Normaliser(Protocol):
    """``(lines, fail, *, before) -> lines``: a text in the form the device prints; ``before``
    the running config's top-level lines when the text is a snippet merged into it."""

    def __call__(self, lines: Sequence[str], fail: Fail, *, before: Sequence[str] = ()) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class HierRules:
    """How the text of one platform is diffed with hier_config: a row of data per platform."""

    driver: Callable[[], HConfigDriverBase]
    ends_with_end: bool = False
    """The running config's last line is ``end``; without it the answer is taken as truncated."""
    indented: bool = True
    """Indentation gives the hierarchy: an indented line before any section header is refused."""
    replace_sets: tuple[tuple[MatchRule, ...], ...] = ()
    """merge: where the snippet gives lines of one of these kinds in a section, they replace
    all the running lines of that kind in that section (not only one of them)."""
    kept_sections: tuple[str, ...] = ()
    """Sections that exist whatever the config says (FRR: kernel interfaces): an empty one is the
    same as none, so they are emptied line by line, never negated, and their lines undone
    one by one."""
    hidden_defaults: tuple[tuple[MatchRule, ...], ...] = ()
    """Lines the device never shows because they are its defaults (FRR ``ip forwarding``,
    interface ``no shutdown``): left out of the target, so they are sent only to undo a
    running line that says otherwise, and a device that already runs them shows no change."""
    section_headers: str | None = None
    """Regex of top-level lines that open a section: closed by ``exit`` even with no lines in it."""
    refused_intended: tuple[tuple[str, str], ...] = ()
    """(regex, why): intended lines the device cannot take."""
    refused_commands: tuple[tuple[str, str], ...] = ()
    """(regex on a command's text, why): a diff needing such a command is refused."""
    refused_negations: tuple[tuple[str, str], ...] = ()
    """(regex on a command's text, why): refused where the command undoes a line (it is not a
    line of the config the commands lead to): FRR ``no ipv6 nd suppress-ra`` turns RAs on."""
    negation_forms: tuple[tuple[str, str], ...] = ()
    """(regex, replacement) on a command: the negation in the form the device takes."""
    undone_by_lines: tuple[str, ...] = ()
    """Sub-sections the device removes by undoing their lines (FRR ``link-params``)."""
    normaliser: Normaliser | None = None
    """The text put in the form the device prints (FRR: :mod:`sipelangi_net.change.frr_text`)."""
    replacing: tuple[tuple[str, str], ...] = ()
    """(regex, key) of lines that replace each other on the device (FRR ``ip route ... tag``):
    in merge, a snippet line replaces the running lines of its section with its key."""
    exit_at_parent_level: bool = False
    """Print a section's ``exit`` at the header's indentation (FRR), not at its children's."""
    item_key: Callable[[str, str], object] | None = None
    """merge: (section, line) → what names the item of that line (None: nothing); a snippet line
    replaces the running lines of its section with the same name (RouterOS: ``routeros_text.ITEM_KEYS``)."""
    one_line: bool = False
    """Print each changed line as one command: its section path joined by spaces (RouterOS),
    removals first (see :func:`_emit_one_line`)."""
    vlan_lists: bool = False
    """merge: a snippet's ``switchport trunk allowed vlan add N`` is read against the running
    list (see :func:`fold_allowed_vlans` and :func:`_merge_vlan_adds`)."""
    access_members: bool = False
    """merge: an access port's ``vlan members`` replace the running ones (see
    :func:`_merge_access_members`)."""


def _match(lineage: Lineage) -> tuple[MatchRule, ...]:
    return tuple(MatchRule(**{kind: value}) for kind, value in lineage)


def keep_last_of_negated(config: HConfig) -> None:
    """A section's ``X`` and ``no X``: the one given last stands, as on the device (which prints
    only that one); without this the remediation of such a config fails on a duplicate line."""
    for node in (config, *tuple(config.all_children())):
        seen: dict[str, HConfigChild] = {}
        for child in tuple(node.children):
            key = child.text.removeprefix("no ")
            earlier = seen.get(key)
            if earlier is not None and earlier.text != child.text:
                earlier.delete()
            seen[key] = child


def keep_last_given(kinds: tuple[tuple[MatchRule, ...], ...], config: HConfig) -> None:
    """Of a section's lines of one single-valued kind (``kinds``: ``DiffSpec.last_wins``), the one
    given last stands, as when the device loads the config (a later value replaces the earlier);
    any other line given twice in such a section is still refused as repeated."""
    for node in (config, *tuple(config.all_children())):
        latest: dict[int, HConfigChild] = {}
        for child in tuple(node.children):
            kind = next((n for n, rules in enumerate(kinds) if child.is_lineage_match(rules)), None)
            if kind is not None:
                if kind in latest:
                    latest[kind].delete()
                latest[kind] = child
        if isinstance(node, HConfigChild) and any(node.is_lineage_match(r[:-1]) for r in kinds):
            texts = Counter(child.text for child in node.children)
            repeated = next((text for text, count in texts.items() if count > 1), None)
            if repeated is not None:
                raise DuplicateChildError(f"Found a duplicate section: {(*node.path(), repeated)}")


def _last_wins_parents(kinds: tuple[tuple[MatchRule, ...], ...]) -> list[ParentAllowsDuplicateChildRule]:
    """hier_config refuses a repeated line while reading: in the sections of ``kinds``, it may
    read one (:func:`keep_last_given` keeps the last and refuses any other repeat)."""
    return [ParentAllowsDuplicateChildRule(match_rules=rules[:-1]) for rules in kinds if len(rules) > 1]


def _driver(diff: DiffSpec) -> Callable[[], HConfigDriverBase]:
    """The hier_config driver the spec names (ours, or hier_config's own), with its extra
    single-valued lines."""
    extra = tuple(IdempotentCommandsRule(match_rules=_match(lineage)) for lineage in diff.single_valued)
    if diff.vlan_lists:
        extra += (IdempotentCommandsRule(match_rules=_interface(ALLOWED_VLAN)),)
    made: Callable[[], HConfigDriverBase] = (
        resolve(diff.driver)
        if diff.driver is not None
        else partial(get_hconfig_driver, HPlatform[str(diff.hier_platform)])
    )
    last_wins = tuple(map(_match, diff.last_wins))
    own_callbacks = [
        *([fold_allowed_vlans] if diff.vlan_lists else []),
        *([keep_last_of_negated] if diff.negation_last_wins else []),
        *([partial(keep_last_given, last_wins)] if last_wins else []),
    ]
    if not extra and not own_callbacks:
        return made

    def make() -> HConfigDriverBase:
        driver = made()
        rules = [*driver.rules.idempotent_commands, *extra]
        callbacks = [*driver.rules.post_load_callbacks, *own_callbacks]
        parents = [*driver.rules.parent_allows_duplicate_child, *_last_wins_parents(last_wins)]
        driver.rules = driver.rules.model_copy(
            update={
                "idempotent_commands": rules,
                "post_load_callbacks": callbacks,
                "parent_allows_duplicate_child": parents,
            }
        )
        return driver

    return make


def hier_rules(diff: DiffSpec) -> HierRules:
    """A platform's diff spec as hier_config rules."""
    return HierRules(
        driver=_driver(diff),
        ends_with_end=diff.ends_with_end,
        indented=diff.indented,
        replace_sets=tuple(map(_match, diff.replace_sets)),
        kept_sections=diff.kept_sections,
        hidden_defaults=tuple(map(_match, diff.hidden_defaults)),
        section_headers=diff.section_headers,
        refused_intended=diff.refused_intended,
        refused_commands=diff.refused_commands,
        refused_negations=diff.refused_negations,
        negation_forms=diff.negation_forms,
        undone_by_lines=diff.undone_by_lines,
        normaliser=partial(resolve(diff.normalise.normaliser), diff.normalise) if diff.normalise else None,
        replacing=diff.normalise.replacing if diff.normalise else (),
        exit_at_parent_level=diff.exit_at_parent_level,
        item_key=resolve(diff.item_key) if diff.item_key else None,
        one_line=diff.one_line,
        vlan_lists=diff.vlan_lists,
        access_members=diff.access_members,
    )


HIER_RULES: Mapping[Platform, HierRules] = MappingProxyType(
    {p: hier_rules(s.diff) for p, s in PLATFORMS.items() if s.diff.uses_hier}
)
"""Per hier_config platform: its driver and the rules hier_config has no field for."""


# --- input checks -----------------------------------------------------------------------------


def _failures(device: str) -> tuple[Fail, Fail]:
    """(running, intended): how to complain about each input of ``device``."""

    def running(why: str) -> Exception:
        return DeviceError(device, f"unexpected running config: {why}")

    def intended(why: str) -> Exception:
        return ConfigError(f"{device}: intended config: {why}; fix the template or the ticket data")

    return running, intended


def _excerpt(text: str, limit: int = 60) -> str:
    short = text if len(text) <= limit else text[:limit] + "..."
    return repr(short)  # escapes control and format characters


def _lines(text: object, fail: Fail) -> list[str]:
    """The lines of ``text`` (CRLF accepted), each free of control and format characters."""
    if not isinstance(text, str):
        raise fail(f"not text but {type(text).__name__}")
    if len(text) > MAX_ANSWER:
        raise fail(f"{len(text)} characters, more than {MAX_ANSWER}")
    lines = text.replace("\r\n", "\n").split("\n")
    for lineno, line in enumerate(lines, 1):
        bad = unsafe_character(line)
        if bad:
            raise fail(f"line {lineno}: forbidden character {bad} in {_excerpt(line)}")
    return lines


def _content(driver: HConfigDriverBase, lines: list[str]) -> Iterator[tuple[int, str]]:
    """(line number, line) of the lines the driver keeps (its per-line rules applied)."""
    for lineno, line in enumerate(lines, 1):
        kept = " " * (len(line) - len(line.lstrip())) + " ".join(line.split())
        for rule in driver.rules.per_line_sub:
            kept = re.sub(rule.search, rule.replace, kept)
        if kept.strip():
            yield lineno, kept


def _check(
    rules: HierRules, driver: HConfigDriverBase, lines: list[str], fail: Fail, *, intended: bool
) -> bool:
    """Structural checks of one input; whether it has any content."""
    content = list(_content(driver, lines))
    if rules.indented and content and content[0][1][0].isspace():
        lineno, line = content[0]
        raise fail(f"line {lineno}: {_excerpt(line.strip())} is indented but follows no section header")
    for lineno, line in enumerate(lines, 1):
        if line.lstrip().startswith("% "):
            raise fail(f"line {lineno}: the device said {_excerpt(line.strip())}")
        for pattern, why in rules.refused_intended if intended else ():
            if re.search(pattern, line):
                raise fail(f"line {lineno}: {_excerpt(line.strip())}: {why}")
    if (
        not intended
        and rules.ends_with_end
        and next((ln.strip() for ln in reversed(lines) if ln.strip()), "") != "end"
    ):
        raise fail("no final 'end' line (truncated or not a running config)")
    return bool(content)


def _parse(driver: HConfigDriverBase, lines: list[str], fail: Fail) -> HConfig:
    try:
        return get_hconfig(driver, "\n".join(lines))
    except DuplicateChildError as exc:
        raise fail(f"a line is repeated in one section: {printable(str(exc))}") from None
    except (ValueError, TypeError, IndexError) as exc:  # hier_config's complaints about odd text
        raise fail(f"cannot be read: {printable(str(exc))}") from None


# --- hier_config diff -------------------------------------------------------------------------


def _node(config: HConfig, path: tuple[str, ...]) -> HConfig | HConfigChild | None:
    node: HConfig | HConfigChild | None = config
    for text in path:
        node = node.children.get(text) if node is not None else None
    return node


def _is(child: HConfigChild, rule: MatchRule) -> bool:
    return child.is_match(
        equals=rule.equals,
        startswith=rule.startswith,
        endswith=rule.endswith,
        contains=rule.contains,
        re_search=rule.re_search,
    )


def _drop_same_items(rules: HierRules, base: HConfig, snippet: HConfig) -> None:
    """Delete the items of ``base`` that a snippet line names by ``rules.item_key`` (but changes)."""
    if rules.item_key is None:
        return
    for section in snippet.children:
        old_section = base.children.get(section.text)
        given = {rules.item_key(section.text, c.text) for c in section.children} - {None}
        for old in tuple(old_section.children if old_section is not None else ()):
            if old.text not in section.children and rules.item_key(section.text, old.text) in given:
                old.delete()


def _replacing_key(rules: HierRules, text: str) -> str | None:
    for pattern, key in rules.replacing:
        if re.search(pattern, text):
            return re.sub(pattern, key, text)
    return None


def _drop_replaced(rules: HierRules, base: HConfig, snippet: HConfig) -> None:
    """Delete the lines of ``base`` a snippet line replaces on the device (``rules.replacing``),
    so the diff's rollback restores them."""
    for given in tuple(snippet.all_children()):
        key = _replacing_key(rules, given.text)
        parent = _node(base, tuple(given.path())[:-1]) if key is not None else None
        for old in tuple(parent.children if parent is not None else ()):
            if old.text != given.text and _replacing_key(rules, old.text) == key:
                old.delete()


def _merge_target(rules: HierRules, base: HConfig, snippet: HConfig) -> HConfig:
    """The running config ``base`` (a private copy, edited here) with ``snippet`` merged in."""
    _drop_same_items(rules, base, snippet)
    _drop_replaced(rules, base, snippet)
    if rules.vlan_lists:
        _merge_vlan_adds(base, snippet)
    if rules.access_members:
        _merge_access_members(base, snippet)
    for kind in rules.replace_sets:
        for given in tuple(snippet.get_children_deep(kind)):
            section = _node(base, tuple(given.parent.path()))
            for old in tuple(section.children if section is not None else ()):
                if _is(old, kind[-1]):
                    old.delete()
    return base.future(snippet)


def _add_kept(rules: HierRules, config: HConfig, other: HConfig) -> None:
    """Give ``config`` an empty copy of each kept section only ``other`` has.

    A kept section (an FRR interface) exists whether or not it has lines, so an
    empty one is no change: the diff then empties it instead of deleting it, and
    fills it instead of creating it (whose undo would be a delete).
    """
    for child in other.children:
        if child.text.startswith(rules.kept_sections) and child.text not in config.children:
            config.add_child(child.text)
    if rules.undone_by_lines:
        for section in tuple(other.all_children()):
            if section.text.startswith(rules.undone_by_lines):
                _add_path(config, tuple(section.path()))


def _add_path(config: HConfig, path: tuple[str, ...]) -> None:
    """Give ``config`` the (empty) sections of ``path`` it lacks."""
    node: HConfig | HConfigChild = config
    for text in path:
        node = node.children.get(text) or node.add_child(text)


def _drop_hidden_defaults(rules: HierRules, config: HConfig) -> HConfig:
    """``config`` without the device's defaults: neither side of the diff may state them."""
    for lineage in rules.hidden_defaults:
        for child in tuple(config.get_children_deep(lineage)):
            child.delete()
    return config


def _emit_one_line(
    config: HConfig,
    rules: HierRules,
    order: Sequence[str],
    fail: Fail,
    *,
    sets: Mapping[str, Sequence[str]] = MappingProxyType({}),
    wanted: HConfig | None = None,
) -> tuple[str, ...]:
    """One command per changed item (its menu and its line): removals first, in the reverse of
    ``order`` (dependents before what they depend on), then the rest in ``order``, a menu's
    ``sets`` (its ``set`` commands, compared apart: :func:`_split_sets`) after its other lines.
    Copies of one item line (:func:`_copies`) are added one by one and removed all at once."""
    rank = {menu: i for i, menu in enumerate(order)}
    removals: list[str] = []
    others: list[str] = []
    tops = {c.text: c for c in config.children}
    for name in sorted({*tops, *sets}, key=lambda m: rank.get(m, len(rank))):
        top = tops.get(name)
        items = () if top is None else top.children or ((top,) if not name.startswith("/") else ())
        for item in items:
            for pattern, why in rules.refused_commands:
                if re.search(pattern, item.text):
                    raise fail(f"the diff needs {_excerpt(' '.join(item.path()))}: {why}")
        kept = wanted.children.get(name) if wanted is not None and top is not None else None
        gone, given = _copies(
            [item.text for item in items], [] if kept is None else [c.text for c in kept.children]
        )
        prefix = f"{name} " if top is not None and top.children else ""
        removals += [prefix + text for text in gone]
        others += [prefix + text for text in given]
        others.extend(f"{name} {command}" for command in sets.get(name, ()))
    return (*reversed(removals), *others)


def _copies(texts: Sequence[str], after: Sequence[str]) -> tuple[list[str], list[str]]:
    """A menu's changed lines (RouterOS; copies of one item line marked: ``routeros_text.
    marked_copies``) as (removals, others). A copy of an item line is added as the item is.
    ``remove [find a=b ...]`` removes every item with those values: every copy of the line, and
    any item that has them and more (``a=b c=d``). So the items of the menu after (``after``: its
    lines then) that a removal selects and the diff does not add are added back after it: the
    router ends with what ``after`` says (keeping one of two identical items is removing both and
    adding one back)."""
    lines = [copies_of(text)[0] for text in texts]
    removals = list(dict.fromkeys(line for line in lines if line.startswith("remove [")))
    others = [line for line in lines if not line.startswith("remove [")]
    added = Counter(others)
    kept = Counter(copies_of(text)[0] for text in after if text.startswith("add "))
    for item, count in kept.items():
        if any(selects(removal, item) for removal in removals):
            others += [item] * (count - added[item])
    return removals, others


def _split_sets(
    current: HConfig, target: HConfig, wanted: HConfig, fail: Fail, *, merge: bool
) -> dict[str, SetChange]:
    """RouterOS ``set`` lines compared per property (:func:`routeros_text.set_changes`: a ``set``
    changes the properties it names, nothing else) and taken out of ``current`` and ``target``,
    so hier_config does not compare them as whole lines. A property the running config sets and
    the intended config leaves at its (unshown) default is refused: no command gives it back."""
    changes: dict[str, SetChange] = {}
    for menu in dict.fromkeys([*(c.text for c in current.children), *(c.text for c in wanted.children)]):
        have, want = current.children.get(menu), wanted.children.get(menu)
        change = set_changes(
            menu,
            [c.text for c in have.children] if have is not None else [],
            [c.text for c in want.children] if want is not None else [],
            merge=merge,
        )
        if change.to_default:
            key = change.to_default[0].rsplit(" ", 1)[-1]
            raise fail(
                f"the diff needs {_excerpt(f'{menu} set {change.to_default[0]}')} back to its default,"
                f" which /export does not show, and it cannot be unset ({NOT_UNSET[menu, key]});"
                " give its intended value instead"
            )
        changes[menu] = change
    for config in (current, target):
        for section in config.children:
            for item in tuple(section.children):
                if item.text.split(" ", 1)[0] == "set":
                    item.delete()
    return changes


def _command(child: HConfigChild, rules: HierRules, fail: Fail, wanted: HConfig | None) -> str:
    """``child``'s command text in the form the device takes, or refused (see the rules)."""
    text = child.text
    for pattern, replacement in rules.negation_forms:
        text = re.sub(pattern, replacement, text)
    for pattern, why in rules.refused_commands:
        if re.search(pattern, text):
            raise fail(f"the diff needs {_excerpt(' '.join(child.path()))}: {why}")
    path = tuple(child.path())
    intended = wanted is not None and _node(wanted, path) is not None
    for pattern, why in () if intended else rules.refused_negations:
        if re.search(pattern, text):
            raise fail(f"the diff needs {_excerpt(' / '.join((*path[:-1], text)))}: {why}")
    return text


def _emit(
    config: HConfig,
    rules: HierRules,
    fail: Fail,
    order: Sequence[str] = (),
    wanted: HConfig | None = None,
    *,
    sets: Mapping[str, Sequence[str]] = MappingProxyType({}),
) -> tuple[str, ...]:
    """The commands of ``config`` (a remediation) as the device takes them; ``wanted`` is the
    config they lead to (a line of it is no negation); ``sets``: see :func:`_emit_one_line`."""
    if rules.one_line:
        return _emit_one_line(config, rules, order, fail, sets=sets, wanted=wanted)
    out: list[str] = []
    indent = " " * config.driver.rules.indentation

    def walk(node: HConfig | HConfigChild) -> None:
        for child in sorted(node.children):
            out.append(indent * (child.depth() - 1) + _command(child, rules, fail, wanted))
            walk(child)
            opens = child.children or (
                child.depth() == 1 and rules.section_headers and re.search(rules.section_headers, child.text)
            )
            exit_text = (child.sectional_exit or "exit") if opens else None
            if exit_text:
                parent_level = rules.exit_at_parent_level or child.sectional_exit_text_parent_level
                out.append(indent * (child.depth() - 1 if parent_level else child.depth()) + exit_text)

    walk(config)
    return tuple(out)


@lru_cache(maxsize=128)
def _running(platform: Platform, running: str) -> HConfig:
    """The parsed running config without hidden defaults (cached: callers get deep copies).

    One device's running config is compared with many snippets (a dry run over many
    tickets, a benchmark); parsing it once saves hier_config's per-line rules.
    """
    rules = HIER_RULES[platform]
    driver = rules.driver()
    bad_running, _ = _failures("-")
    lines = _lines(running, bad_running)
    _check(rules, driver, lines, bad_running, intended=False)
    if rules.normaliser is not None:
        lines = rules.normaliser(lines, bad_running)
    return _drop_hidden_defaults(rules, _parse(driver, lines, bad_running))


def read_intended(device: str, platform: Platform, intended: str) -> HConfig:
    """The intended config of a :data:`HIER_RULES` platform as :func:`diff_hier` reads it for
    ``replace`` (in the device's printed form, hidden defaults dropped): what compliance compares."""
    rules = HIER_RULES[platform]
    _, bad_intended = _failures(device)
    lines = _lines(intended, bad_intended)
    if rules.normaliser is not None:
        lines = rules.normaliser(lines, bad_intended)
    return _drop_hidden_defaults(rules, _parse(rules.driver(), lines, bad_intended))


def diff_hier(device: str, platform: Platform, running: str, intended: str, *, scope: Scope) -> DeviceDiff:
    """:func:`diff_device` for the platforms of :data:`HIER_RULES`."""
    rules = HIER_RULES[platform]
    driver = rules.driver()
    _, bad_intended = _failures(device)
    intended_lines = _lines(intended, bad_intended)
    try:
        parsed = _running(platform, running)
    except DeviceError as exc:  # raised under a placeholder name by the cached parser
        raise DeviceError(device, str(exc).removeprefix(f"{exc.host}: ")) from None
    if not _check(rules, driver, intended_lines, bad_intended, intended=True) and scope == "replace":
        raise bad_intended("empty, and scope 'replace' would then remove the whole config")
    current = parsed.deep_copy()
    if rules.normaliser is not None:
        on_device = tuple(c.text for c in parsed.children) if scope == "merge" else ()
        intended_lines = rules.normaliser(intended_lines, bad_intended, before=on_device)
    wanted = _parse(driver, intended_lines, bad_intended)
    try:
        target = _merge_target(rules, parsed.deep_copy(), wanted) if scope == "merge" else wanted
        _drop_hidden_defaults(rules, target)
        sets = (
            _split_sets(current, target, wanted, bad_intended, merge=scope == "merge")
            if rules.one_line
            else {}
        )
        _add_kept(rules, target, current)
        _add_kept(rules, current, target)
        flow = WorkflowRemediation(current, target)
        commands, rollback = flow.remediation_config, flow.rollback_config
    except (ValueError, TypeError, DuplicateChildError) as exc:
        raise bad_intended(f"cannot be compared with the running config: {printable(str(exc))}") from None
    order = menu_order([c.text for c in wanted.children], [c.text for c in current.children])
    return DeviceDiff(
        device=device,
        platform=platform.value,
        commands=_emit(
            commands, rules, bad_intended, order, target, sets={m: c.commands for m, c in sets.items()}
        ),
        rollback=_emit(
            rollback, rules, bad_intended, order, current, sets={m: c.undo for m, c in sets.items()}
        ),
        earlier=tuple(e for c in sets.values() for e in c.earlier),
    )


# --- Open vSwitch -----------------------------------------------------------------------------

OVS_LINE = re.compile(r"port (?P<port>\S+) (?P<key>[^\s=]+)=(?P<value>.*)")
OVS_KEYS = ("tag", "description")


@dataclass(frozen=True, slots=True)
class OvsPort:
    """The attributes of one switch port that the diff manages."""

    tag: int | None
    description: str | None


def ovs_ports(device: str, ports_json: str) -> dict[str, OvsPort]:
    """The port table of ``ovs-vsctl --format=json --columns=name,tag,external_ids list Port``.

    Checked by :func:`~sipelangi_net.analysis.facts.parse_ovs` (:class:`DeviceError` on
    anything odd); descriptions are kept verbatim, not escaped.
    """
    facts = parse_ovs(device, ports_json)
    doc = json.loads(ports_json)
    name_col, ids_col = doc["headings"].index("name"), doc["headings"].index("external_ids")
    ports: dict[str, OvsPort] = {}
    for row in doc["data"]:
        name = row[name_col]
        ports[name] = OvsPort(facts.port_vlans[name], dict(row[ids_col][1]).get("description"))
    return ports


def ovs_port_lines(device: str, ports_json: str) -> list[str]:
    """The port table as the diff's intended lines (``port NAME tag=N`` / ``port NAME description=TEXT``)."""
    lines = []
    for port, attrs in sorted(ovs_ports(device, ports_json).items()):
        if attrs.tag is not None:
            lines.append(f"port {port} tag={attrs.tag}")
        if attrs.description is not None:
            lines.append(f"port {port} description={attrs.description}")
    return lines


def _ovs_value(lineno: int, key: str, value: str, fail: Fail) -> int | str:
    if key == "tag":
        if not re.fullmatch(r"[0-9]{1,4}", value) or not 1 <= int(value) <= 4094:
            raise fail(f"line {lineno}: tag {_excerpt(value)} is not a VLAN id 1-4094")
        return int(value)
    if not value.strip():
        raise fail(f"line {lineno}: the description is empty")
    return value.strip()


def _ovs_intended(
    lines: list[str], ports: Mapping[str, OvsPort], fail: Fail
) -> list[tuple[str, str, int | str]]:
    """(port, key, value) per line of the intended text, in order."""
    seen: dict[tuple[str, str], int] = {}
    wanted: list[tuple[str, str, int | str]] = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = OVS_LINE.fullmatch(line.strip())
        if match is None:
            raise fail(f"line {lineno}: {_excerpt(line.strip())} is not 'port NAME KEY=VALUE'")
        port, key = match["port"], match["key"]
        if key not in OVS_KEYS:
            raise fail(f"line {lineno}: unknown key {_excerpt(key)} (known: {', '.join(OVS_KEYS)})")
        if port not in ports or port.startswith("-"):
            raise fail(
                f"line {lineno}: the switch has no port {_excerpt(port)} (it has {', '.join(sorted(ports))})"
            )
        if (port, key) in seen:
            raise fail(f"line {lineno}: port {port} {key} was already given on line {seen[port, key]}")
        seen[port, key] = lineno
        wanted.append((port, key, _ovs_value(lineno, key, match["value"], fail)))
    return wanted


def _ovs_string(value: str) -> str:
    """An ovsdb string as ovs-vsctl reads it: bare, or JSON-quoted when bare would misread."""
    return json.dumps(value, ensure_ascii=False) if not value or value.startswith('"') else value


def _ovs_set(port: str, key: str, value: int | str | None) -> str:
    base = f"ovs-vsctl set port {shlex.quote(port)}"
    if key == "tag":
        return f"{base} {shlex.quote(f'tag={value}' if value is not None else 'tag=[]')}"
    if value is None:
        return f"ovs-vsctl remove port {shlex.quote(port)} external_ids description"
    return f"{base} external_ids:description={shlex.quote(_ovs_string(str(value)))}"


def diff_ovs(device: str, platform: Platform, running: str, intended: str, *, scope: Scope) -> DeviceDiff:
    """:func:`diff_device` for Open vSwitch (``scope`` changes nothing: see the module docstring)."""
    bad_running, bad_intended = _failures(device)
    ports = ovs_ports(device, running)
    commands: list[str] = []
    rollback: list[str] = []
    for port, key, value in _ovs_intended(_lines(intended, bad_intended), ports, bad_intended):
        old = ports[port].tag if key == "tag" else ports[port].description
        if old == value:
            continue
        if isinstance(old, str) and unsafe_character(old):
            raise bad_running(f"port {port}'s description {_excerpt(old)} cannot be restored by a command")
        commands.append(_ovs_set(port, key, value))
        rollback.insert(0, _ovs_set(port, key, old))
    return DeviceDiff(
        device=device, platform=platform.value, commands=tuple(commands), rollback=tuple(rollback)
    )


# --- entry point ------------------------------------------------------------------------------

Differ = Callable[..., DeviceDiff]
DIFFERS: Mapping[Platform, Differ] = MappingProxyType(
    {p: resolve(s.diff.differ) for p, s in PLATFORMS.items()}
)
"""Per platform: the function that diffs its text."""


def diff_device(
    device: str, platform: Platform, running: str, intended: str, *, scope: Scope = "merge"
) -> DeviceDiff:
    """The commands that make ``device`` run ``intended`` (see the module docstring), and their undo.

    Pure and deterministic. A bad running config raises :class:`DeviceError`; a bad
    intended text, platform or scope raises :class:`ConfigError`.
    """
    try:
        known = Platform(platform)
    except ValueError:
        raise ConfigError(f"{device}: no diff for platform {_excerpt(str(platform))}") from None
    if scope not in SCOPES:
        raise ConfigError(f"{device}: scope must be one of {', '.join(SCOPES)}, not {_excerpt(str(scope))}")
    return DIFFERS[known](device, known, running, intended, scope=scope)
