"""Circular round trips of the public vendor corpus (tests/fixtures/corpus/<platform>/) through the
project's diff and the platform's model of the device, for tests/unit/test_corpus_vendor.py (a few
files) and bench/corpus_bench.py (the whole corpus).

One round trip: a corpus configuration is the intended config (``scope="replace"``: the whole
config) against a running config, which is one of

- ``day0``: a small day-0 config of the platform (a hostname, a management address);
- ``changed``: the same file as it was before a realistic change: every 6th line of it missing
  (a child line, or a top-level line without children) and the hostname different;
- another corpus file of the platform (a router re-purposed: everything differs).

It holds when ``intended == future(running, diff.commands)`` in the platform's model, the diff of
that result against the intended config is empty (the post-push check passes), and
``future(future(running, commands), rollback) == running`` (the rollback restores it). The model
is hier_config's ``future()`` with the platform's rules (Cisco IOS, Arista EOS, Junos set format)
and the project's RouterOS model (:func:`sipelangi_net.change.routeros_text.apply_commands`;
the RouterOS rollback includes ``diff.earlier``, the properties whose earlier value the running
export did not show: restoring one brings the item back to not showing it).
One addition to ``future()``: a toggle sent where the config had its other form (``aaa
new-model`` where it had ``no aaa new-model``) is printed after, when the round trip's two
configs show that form (``future()`` only removes the other form: right for a hidden default,
wrong for a toggle the device prints both ways). Junos uses a set-line model instead
(:func:`junos_apply`): ``future()`` keeps a ``delete`` line as a statement.
A Junos file published in the hierarchical form is read in set form, converted by hier_config's
own ``convert_to_set_commands`` (what the project reads from a device is
``show configuration | display set``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hier_config import HConfig, get_hconfig
from hier_config.child import HConfigChild
from hier_config.platforms.functions import convert_to_set_commands

from sipelangi_net.change.diff import HIER_RULES, DeviceDiff, diff_device
from sipelangi_net.change.routeros_text import apply_commands
from sipelangi_net.errors import SipelangiError
from sipelangi_net.platforms import PLATFORMS, Platform

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
VENDORS = (Platform.CISCO_IOS, Platform.ARISTA_EOS, Platform.JUNIPER_JUNOS, Platform.MIKROTIK_ROUTEROS)
SUFFIXES = {
    Platform.CISCO_IOS: ".cfg",
    Platform.ARISTA_EOS: ".cfg",
    Platform.JUNIPER_JUNOS: "",
    Platform.MIKROTIK_ROUTEROS: ".rsc",
}
DAY0 = {
    Platform.CISCO_IOS: (
        "hostname day0\n!\ninterface GigabitEthernet0/0\n description management\n"
        " ip address 192.0.2.10 255.255.255.0\n!\nip route 0.0.0.0 0.0.0.0 192.0.2.1\n!\nend\n"
    ),
    Platform.ARISTA_EOS: (
        "hostname day0\n!\ninterface Management1\n description management\n ip address 192.0.2.10/24\n"
        "!\nip route 0.0.0.0/0 192.0.2.1\n!\nend\n"
    ),
    Platform.JUNIPER_JUNOS: (
        "set system host-name day0\n"
        "set interfaces fxp0 unit 0 family inet address 192.0.2.10/24\n"
        "set routing-options static route 0.0.0.0/0 next-hop 192.0.2.1\n"
    ),
    Platform.MIKROTIK_ROUTEROS: (
        "/ip address\nadd address=192.0.2.10/24 interface=ether1 network=192.0.2.0\n"
        "/ip route\nadd dst-address=0.0.0.0/0 gateway=192.0.2.1\n/system identity\nset name=day0\n"
    ),
}
"""A day-0 config per vendor platform: what a router has before its real config."""

HOSTNAME = {
    Platform.CISCO_IOS: (r"^hostname (\S+)", r"hostname \1-old"),
    Platform.ARISTA_EOS: (r"^hostname (\S+)", r"hostname \1-old"),
    Platform.JUNIPER_JUNOS: (r"^set system host-name (\S+)", r"set system host-name \1-old"),
    Platform.MIKROTIK_ROUTEROS: (
        r"^(/system identity\s+set name=|/system identity set name=)(\S+)",
        r"\1\2-old",
    ),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """One round trip: which configs, whether it held, and where it failed."""

    platform: Platform
    intended: str
    running: str
    held: bool
    rolled_back: bool
    stage: str = ""
    """Where it failed: ``refused`` (the diff refused the input, with its reason), ``future``
    (the model after the commands is not the intended config), ``second diff`` (not empty),
    ``rollback`` (did not restore running)."""
    first_difference: str = ""


def corpus_files(platform: Platform) -> list[Path]:
    """The corpus files of ``platform``, by name."""
    return sorted(p for p in (CORPUS / platform.value).iterdir() if p.name != "SOURCE.md")


def config_text(platform: Platform, path: Path) -> str:
    """The file as the device would print it: Junos in set form (converted by hier_config if
    published hierarchical), an IOS/EOS running config ending with ``end``."""
    text = path.read_text()
    if platform is Platform.JUNIPER_JUNOS and not any(ln.startswith("set ") for ln in text.splitlines()):
        text = convert_to_set_commands(text)
    if platform in (Platform.CISCO_IOS, Platform.ARISTA_EOS):
        body = text.rstrip()
        text = body + "\n" if body.endswith("\nend") else body + "\nend\n"
    return text


def _droppable(lines: Sequence[str], i: int, platform: Platform) -> bool:
    line = lines[i]
    if not line.strip() or line.lstrip().startswith(("!", "#")) or line.strip() == "end":
        return False
    if platform is Platform.MIKROTIK_ROUTEROS:
        # an item added to a menu (a ``set`` has no undo without its earlier value)
        whole = not line.rstrip().endswith("\\") and not lines[i - 1].rstrip().endswith("\\")
        return whole and bool(re.match(r"(/[\w /-]+ )?add ", line))
    if platform is Platform.JUNIPER_JUNOS:
        return line.startswith("set ")
    following = lines[i + 1] if i + 1 < len(lines) else ""
    indent = len(line) - len(line.lstrip())
    return len(following) - len(following.lstrip()) <= indent  # no children of its own


def changed(platform: Platform, text: str, every: int = 6) -> str:
    """``text`` before a realistic change: every ``every``-th droppable line missing, the hostname
    different."""
    lines = text.splitlines()
    candidates = [i for i in range(len(lines)) if _droppable(lines, i, platform)]
    dropped = set(candidates[every - 1 :: every])
    kept = [ln for i, ln in enumerate(lines) if i not in dropped]
    pattern, repl = HOSTNAME[platform]
    return re.sub(pattern, repl, "\n".join(kept) + "\n", count=1, flags=re.M)


# --- the platform's model ----------------------------------------------------------------------


def _hier(platform: Platform, text: str, *, shown: bool = True) -> HConfig:
    kept = "\n".join(ln for ln in text.splitlines() if ln.strip() not in ("exit", "end"))
    config = get_hconfig(HIER_RULES[platform].driver(), kept)
    for lineage in HIER_RULES[platform].hidden_defaults if shown else ():  # the device never shows them
        for child in tuple(config.get_children_deep(lineage)):
            child.delete()
    return config


def _single_valued(line: str) -> re.Pattern[str] | None:
    """The Junos spec's single-valued statement ``line`` is (as a prefix to replace), if any."""
    for lineage in PLATFORMS[Platform.JUNIPER_JUNOS].diff.single_valued:
        kind, value = lineage[-1]
        prefix = re.escape(value) if kind == "startswith" else value.removeprefix("^")
        found = re.match(prefix, line)
        if found:
            return re.compile(re.escape(found[0]))
    return None


def junos_apply(running: str, commands: Sequence[str]) -> str:
    """Junos set format, as the router applies it: ``set P`` adds the statement (a single-valued
    one replaces the old value), ``delete P`` removes it and everything under it.

    (hier_config's ``future()`` keeps a ``delete`` line as a line: it models no Junos negation.)
    """
    lines = [ln for ln in running.splitlines() if ln.startswith("set ")]
    for command in commands:
        if command.startswith("set "):
            single = _single_valued(command)
            lines = [ln for ln in lines if not (single and single.match(ln))]
            lines += [] if command in lines else [command]
        elif command.startswith("delete "):
            path = "set " + command.removeprefix("delete ")
            lines = [ln for ln in lines if ln != path and not ln.startswith(path + " ")]
    return "\n".join(lines) + "\n"


def _node(config: HConfig, path: Sequence[str]) -> HConfig | HConfigChild | None:
    node: HConfig | HConfigChild | None = config
    for text in path:
        node = node.children.get(text) if node is not None else None
    return node


def _toggles_shown(before: HConfig, sent: HConfig, after: HConfig, shown: frozenset[str]) -> None:
    """``X`` sent where the config had ``no X`` (or the reverse): hier_config's ``future()`` only
    removes the other form; the device prints the form it was given when the two configs of the
    round trip show that form (both forms printed: neither is a hidden default)."""
    for child in sent.all_children():
        other = child.text.removeprefix("no ") if child.text.startswith("no ") else f"no {child.text}"
        parent = tuple(child.path())[:-1]
        was = _node(before, parent)
        if was is None or other not in was.children or " / ".join(child.path()) not in shown:
            continue
        node = _node(after, parent)
        if node is not None and child.text not in node.children:
            node.add_child(child.text)


def apply(
    platform: Platform, running: str, commands: Sequence[str], shown: frozenset[str] = frozenset()
) -> str:
    """The config after ``commands``, as the platform's model prints it (``shown``: the lines,
    as :func:`model` gives them, that the device is known to print)."""
    if platform is Platform.MIKROTIK_ROUTEROS:
        return apply_commands(running, commands)
    if platform is Platform.JUNIPER_JUNOS:
        return junos_apply("\n".join(_hier(platform, running).dump_simple()), commands)
    before, sent = _hier(platform, running), _hier(platform, "\n".join(commands), shown=False)
    after = before.future(sent)
    _toggles_shown(before, sent, after, shown)
    end = "end\n" if HIER_RULES[platform].ends_with_end else ""
    return "\n".join(after.dump_simple()) + "\n" + end


def model(platform: Platform, text: str) -> list[str]:
    """``text`` in the platform's model: every line with its parents (compared sorted: the order
    of items, firewall rules included, is not modelled)."""
    if platform is Platform.MIKROTIK_ROUTEROS:
        return apply_commands(text, []).splitlines()
    return sorted(" / ".join(c.path()) for c in _hier(platform, text).all_children())


def first_difference(want: list[str], got: list[str]) -> str:
    """The first line only one side has (``-`` wanted but missing, ``+`` there but not wanted)."""
    missing, extra = Counter(want) - Counter(got), Counter(got) - Counter(want)
    lines = [f"- {ln}" for ln in want if ln in missing] + [f"+ {ln}" for ln in got if ln in extra]
    return lines[0] if lines else "(same lines, other order)"


# --- round trips -------------------------------------------------------------------------------


def round_trip(
    platform: Platform, intended_name: str, intended: str, running_name: str, running: str
) -> Outcome:
    """One circular test: diff, the model after the commands, the second diff, the rollback."""
    base = Outcome(platform, intended_name, running_name, held=False, rolled_back=False)
    try:
        diff = diff_device("corpus", platform, running, intended, scope="replace")
        shown = frozenset(model(platform, intended)) | frozenset(model(platform, running))
        after = apply(platform, running, diff.commands, shown)
        second = diff_device("corpus", platform, after, intended, scope="replace").commands
    except (SipelangiError, ValueError) as exc:
        return _failed(base, "refused", str(exc).splitlines()[0][:200])
    want, got = model(platform, intended), model(platform, after)
    undone = model(platform, rolled_back_config(platform, after, diff, shown))
    rolled_back = sorted(undone) == sorted(model(platform, running))
    if sorted(want) != sorted(got):
        return _failed(base, "future", first_difference(want, got), rolled_back=rolled_back)
    if second:
        return _failed(base, "second diff", second[0], rolled_back=rolled_back)
    if not rolled_back:
        return _failed(base, "rollback", first_difference(model(platform, running), undone))
    return Outcome(platform, intended_name, running_name, held=True, rolled_back=True)


def rolled_back_config(platform: Platform, after: str, diff: DeviceDiff, shown: frozenset[str]) -> str:
    """The config after the diff's rollback. RouterOS: with the properties whose earlier value the
    running export did not show restored (``diff.earlier``; the driver reads their values from the
    router before the push): the item no longer shows them."""
    if platform is Platform.MIKROTIK_ROUTEROS:
        return apply_commands(after, [*diff.rollback, *diff.earlier])
    return apply(platform, after, diff.rollback, shown)


def _failed(base: Outcome, stage: str, why: str, *, rolled_back: bool = False) -> Outcome:
    return Outcome(
        base.platform, base.intended, base.running, False, rolled_back, stage=stage, first_difference=why
    )


def round_trips(platform: Platform, names: Sequence[str] | None = None, others: int = 0) -> Iterator[Outcome]:
    """For each corpus file of ``platform`` (or only ``names``): from ``day0``, from ``changed``,
    and from the next ``others`` corpus files (in name order, wrapping; -1: all others)."""
    files = corpus_files(platform)
    texts = {p.name: config_text(platform, p) for p in files}
    order = list(texts)
    for name in names if names is not None else order:
        intended = texts[name]
        yield round_trip(platform, name, intended, "day0", DAY0[platform])
        yield round_trip(platform, name, intended, "changed", changed(platform, intended))
        count = len(order) - 1 if others < 0 else others
        start = order.index(name)
        for step in range(1, count + 1):
            other = order[(start + step) % len(order)]
            if other != name:
                yield round_trip(platform, name, intended, other, texts[other])
