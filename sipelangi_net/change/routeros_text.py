"""MikroTik RouterOS config text in one canonical form (pure), for the diff.

RouterOS ``/export`` prints a menu line (``/ip firewall filter``) followed by its items
(``add ...``/``set ...``), wraps long lines with ``\\`` and prints each item's attributes in its
own order and quoting (``comment=SPL-2026-00001``, ``comment="SPL-2026-00001 dns"``). Commands
and templates write one line per item (``/ip route add dst-address=... comment="..."``) in any
attribute order. :func:`canonical_lines` reads both and gives the same lines for the same items:

- wrapped lines joined, comment lines (``# ...``) and blank lines dropped;
- each item line under its menu, and every line of one menu under that menu's first
  occurrence (the menu order of the text is kept);
- an item's words: the verb, then its target (``0``, ``telnet``, ``[ find default-name=ether1 ]``,
  itself canonical), then the ``key=value`` attributes sorted by key;
- a value quoted only when it needs to be (anything but letters, digits and ``_.,:/!@+*%-``);
  the text inside the quotes is kept as written (escapes included);
- ``disabled=no`` dropped: it is the default, and RouterOS 7 does not print it;
- an ``add`` repeated with the same key (``ITEM_KEYS``) read as the one item the router holds;
- a ``set`` that gives no value (``/disk set sata1``) dropped: it says nothing;
- a ``set`` that unsets a property (``set 0 !comment``, MikroTik's manual) read with its ``!key``
  words last; in the model the item no longer shows the property.

:func:`menu_order` merges the menu orders of two texts (the intended leading), so items are
added after what they depend on (a VLAN interface before the address on it) and removed before it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

VERBS = frozenset({"add", "set", "remove", "unset", "enable", "disable", "move", "reset"})
SAFE_VALUE = re.compile(r"[A-Za-z0-9_.,:/!@+*%-]+")
ATTRIBUTE = re.compile(r"(?P<key>[A-Za-z0-9][A-Za-z0-9_.-]*)=(?P<value>.*)", re.S)
UNSET = re.compile(r"!(?P<key>[A-Za-z0-9][A-Za-z0-9_.-]*)")
"""``!key`` in a ``set``: the property unset, back to its default (MikroTik's manual, Scripting,
"Menu specific commands": "Parameter can be unset by specifying '!' before parameter")."""
COPY_MARK = " ~copy"
"""What the diff's reading (:func:`marked_copies`) appends to the second, third, ... copy of an
item line given more than once (``~`` is no RouterOS syntax outside quotes)."""
DROPPED = frozenset({"disabled=no"})
MENU_INDENT = "    "


def _word_end(text: str, start: int) -> int:
    """Where the word starting at ``start`` ends: a space outside quotes and ``[ ... ]``."""
    depth, quoted, i = 0, False, start
    while i < len(text):
        c = text[i]
        if quoted and c == "\\":
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif not quoted and c in "[]":
            depth += 1 if c == "[" else -1
        elif not quoted and c == " " and depth <= 0:
            return i
        i += 1
    return len(text)


def words(text: str) -> list[str]:
    """The words of one line: quoted values and ``[ ... ]`` stay whole (lenient with bad quoting)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == " ":
            i += 1
            continue
        end = _word_end(text, i)
        out.append(text[i:end])
        i = end
    return out


def _value(value: str) -> str:
    inner = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    return inner if SAFE_VALUE.fullmatch(inner) else f'"{inner}"'


def _word(word: str) -> str:
    if word.startswith("[") and word.endswith("]"):
        inside = canonical_item(word[1:-1].strip())
        return f"[ {inside} ]" if inside else "[ ]"
    found = ATTRIBUTE.fullmatch(word)
    return f"{found['key']}={_value(found['value'])}" if found else word


def canonical_item(text: str) -> str:
    """One item line (``add b=2 a="1"`` → ``add a=1 b=2``; ``set 0 !b a=1`` → ``set 0 a=1 !b``):
    see the module docstring."""
    parts = [_word(w) for w in words(text)]
    attrs = sorted((p for p in parts if ATTRIBUTE.fullmatch(p) and p not in DROPPED), key=_key)
    unsets = sorted(p for p in parts if UNSET.fullmatch(p))
    rest = [p for p in parts if not ATTRIBUTE.fullmatch(p) and not UNSET.fullmatch(p)]
    return " ".join(rest + attrs + unsets)


def _key(attribute: str) -> str:
    return attribute.split("=", 1)[0]


def split_menu(line: str) -> tuple[str | None, str]:
    """``/ip route add x=1`` → (``/ip route``, ``add x=1``); ``add x=1`` → (None, ``add x=1``)."""
    parts = line.split(" ")
    if not parts[0].startswith("/"):
        return None, line
    cut = next((i for i, w in enumerate(parts[1:], 1) if w in VERBS or "=" in w), len(parts))
    menu = "/" + " ".join(" ".join(parts[:cut]).replace("/", " ").split())
    return menu, " ".join(parts[cut:])


def canonical_lines(text: str) -> list[str]:
    """The text as menus and their indented item lines, in canonical form (module docstring)."""
    loose: list[str] = []  # lines before any menu
    menus: dict[str, list[str]] = {}
    menu: str | None = None
    for raw in re.sub(r"\\\r?\n\s*", "", text).splitlines():
        line = " ".join(raw.split())
        if not line or line.startswith("#"):
            continue
        head, rest = split_menu(line)
        if head is not None:
            menu = head
            menus.setdefault(menu, [])
        item = canonical_item(rest) if rest and not rest.startswith("#") else ""
        if item and not _no_op(item):
            (loose if menu is None else menus.setdefault(menu, [])).append(item)
    out = loose
    for name, items in menus.items():
        out.append(name)
        out.extend(MENU_INDENT + item for item in _one_per_key(name, items))
    return out


def _no_op(item: str) -> bool:
    """A ``set`` that gives no value (``/disk set sata1``, printed by RouterOS 7): it says nothing."""
    return item.split(" ", 1)[0] == "set" and not any(
        ATTRIBUTE.fullmatch(w) or UNSET.fullmatch(w) for w in words(item)
    )


def _one_per_key(menu: str, items: list[str]) -> list[str]:
    """``items`` with an ``add`` repeated under the same key (``ITEM_KEYS``) read as one item: the
    router holds one item per key (RouterOS 7.6 and 7.11 printed a ``/routing id`` item twice).
    ValueError if the repeat differs (two items cannot have one name)."""
    seen: dict[tuple[str, ...], str] = {}
    kept: list[str] = []
    for item in items:
        key = item_key(menu, item)
        if key is None or key not in seen:
            kept.append(item)
            if key is not None:
                seen[key] = item
        elif seen[key] != item:
            raise ValueError(f"{menu}: two items named {'/'.join(key)}: {seen[key]!r} and {item!r}")
    return kept


def marked_copies(lines: Sequence[str]) -> list[str]:
    """``lines`` (:func:`canonical_lines`) with the 2nd, 3rd, ... copy of an item line of one menu
    marked (:data:`COPY_MARK`): an export prints each item once, so an unnamed item printed twice
    is two items (``/routing ospf interface-template add ...`` twice); the diff reads them as two
    lines, and :func:`copies_of` names what a marked line is a copy of. A ``set`` given twice says
    the same twice: one line."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for line in lines:
        if not line.startswith(MENU_INDENT):
            seen = {}
            out.append(line)
            continue
        count = seen[line] = seen.get(line, 0) + 1
        if count == 1:
            out.append(line)
        elif not line.strip().startswith("set "):
            out.append(f"{line}{COPY_MARK}{count}")
    return out


def copies_of(text: str) -> tuple[str, int]:
    """A line read by :func:`marked_copies` (or its removal, ``remove [find ... ~copy2]``) →
    (the line, which copy: 1 for the first)."""
    found = re.fullmatch(rf"(?P<line>.*){COPY_MARK}(?P<copy>[0-9]+)(?P<end>\]?)", text)
    return (found["line"] + found["end"], int(found["copy"])) if found else (text, 1)


def menu_order(leading: Sequence[str], other: Sequence[str]) -> list[str]:
    """Both menu orders merged: ``leading``'s order, with ``other``'s menus kept before the
    first of ``leading``'s that follows them in ``other`` (so dependencies stay first)."""
    out: list[str] = []
    pending = list(other)
    for menu in leading:
        if menu in pending:
            while pending and pending[0] != menu:
                taken = pending.pop(0)
                if taken not in out and taken not in leading:
                    out.append(taken)
            pending.pop(0)
        if menu not in out:
            out.append(menu)
    out.extend(m for m in other if m not in out)
    return out


ITEM_KEYS: dict[str, tuple[str, ...]] = {
    "/interface bridge port": ("interface",),
    "/interface bridge vlan": ("bridge", "vlan-ids"),
    "/interface vlan": ("name",),
    "/ip pool": ("name",),
    "/ip dhcp-server": ("name",),
    "/ip dhcp-server network": ("address",),
    "/queue simple": ("name",),
    "/routing id": ("name",),
}
"""Per menu, the attributes that name one item (RouterOS refuses a second item with them): an
``add`` line of the intended text replaces the running item with the same values there, and an
``add`` printed twice is one item. ``/routing id``: its ``name`` is the reference name other menus
use (``/routing ospf instance add router-id=OSPF_ID``; MikroTik's manual, ``routing/id``), so it
names one item."""


def item_key(menu: str, line: str) -> tuple[str, ...] | None:
    """The values that name the item of an ``add`` line in ``menu``; None if it has none."""
    keys = ITEM_KEYS.get(menu)
    if keys is None or not line.startswith("add "):
        return None
    attrs = dict(w.split("=", 1) for w in words(line) if ATTRIBUTE.fullmatch(w))
    values = tuple(attrs.get(k, "") for k in keys)
    return values if any(values) else None


def _attributes(line: str) -> dict[str, str]:
    return dict(w.split("=", 1) for w in words(line) if ATTRIBUTE.fullmatch(w))


def _unsets(line: str) -> list[str]:
    """The properties a ``set`` unsets (``!key``)."""
    return [w[1:] for w in words(line) if UNSET.fullmatch(w)]


def _target(line: str) -> list[str]:
    """The words between the verb and the attributes (``0``, ``telnet``, ``[ find ... ]``)."""
    return [w for w in words(line)[1:] if not ATTRIBUTE.fullmatch(w) and not UNSET.fullmatch(w)]


def _matching(items: list[str], find: str) -> list[str]:
    """The ``add`` items that ``[ find a=b ... ]`` selects: all of whose attributes include a=b..."""
    wanted = _attributes(find[1:-1]).items()
    return [i for i in items if i.startswith("add ") and wanted <= _attributes(i).items()]


def selects(removal: str, item: str) -> bool:
    """Whether ``remove [find a=b ...]`` removes the item ``add ...``: RouterOS's ``find a=b``
    selects every item whose ``a`` is ``b``, whatever else it has (the model's own rule)."""
    inner = removal.removeprefix("remove ")
    return inner.startswith("[find") and bool(_matching([item], f"[{inner[1:-1]}]"))


def _set_line(target: list[str], attrs: Mapping[str, str], unset: Sequence[str] = ()) -> str:
    given = [f"{k}={v}" for k, v in attrs.items()]
    return canonical_item(" ".join(["set", *target, *given, *(f"!{k}" for k in unset)]))


NOT_UNSET: Mapping[tuple[str, str], str] = {
    ("/interface wireless", "ssid"): "the interface needs one",
}
"""(menu, property) a ``set`` cannot unset, and why: the diff refuses to leave them unshown.
``ssid``: the Ansible collection community.routeros (``plugins/module_utils/_api_data.py``, its
data of every menu's properties) marks it required."""


def default_value(target: str, key: str) -> str | None:
    """The value a property has when unshown, where the item itself says it: an ethernet's
    ``name`` is its ``default-name`` (``[ find default-name=ether1 ]``); None elsewhere."""
    found = re.fullmatch(r"\[ find default-name=(\S+) \]", target)
    return found[1] if found and key == "name" else None


def unset_form(menu: str, target: str, key: str) -> str | None:
    """The ``set`` word that gives ``key`` back its default (``!key``, or ``name=ether1`` where
    :func:`default_value` knows it); None if it cannot be unset (:data:`NOT_UNSET`)."""
    if (menu, key) in NOT_UNSET:
        return None
    default = default_value(target, key)
    return f"{key}={default}" if default is not None else f"!{key}"


@dataclass(frozen=True, slots=True, order=True)
class Earlier:
    """A property a ``set`` changes whose earlier value ``/export`` does not show: the value the
    router held, which the compact export leaves out (its default there; on some menus it depends
    on the hardware). The undo of the ``set`` restores what the router holds just before the push:
    the driver reads it (:meth:`read_command`, :func:`earlier_values`) before it sends anything.
    In the model (:func:`apply_commands`) restoring it brings the item back to not showing it."""

    menu: str
    """``/interface ethernet``."""
    target: str
    """What the ``set`` names, as the export prints it: ``[ find default-name=ether1 ]``,
    ``telnet``, ``0``, or empty (a menu of one item: ``/ip dns``)."""
    key: str
    """``disable-running-check``."""

    def read_command(self) -> str:
        """What prints every property of the menu's items, defaults included, in export syntax."""
        return f"{self.menu} export verbose"

    def restore(self, value: str) -> str:
        """The command that puts back ``value`` (an export-syntax value: quoted where needed)."""
        return f"{self.menu} " + _set_line(self.target.split(" ") if self.target else [], {self.key: value})

    def __str__(self) -> str:
        target = f"{self.target} " if self.target else ""
        return f"{self.menu} set {target}{self.key}=(its value before the push)"


Undo = str | Earlier
"""One step of an undo: a command, or an earlier value to restore (read from the router)."""


@dataclass(frozen=True, slots=True)
class SetChange:
    """The ``set`` lines of one menu compared (see :func:`set_changes`)."""

    commands: tuple[str, ...]
    """``set`` commands (without the menu) that make the router show the intended values."""
    undo: tuple[str, ...]
    """``set`` commands (without the menu) that restore the earlier values the export shows."""
    earlier: tuple[Earlier, ...]
    """The properties set whose earlier value the export does not show."""
    to_default: tuple[str, ...]
    """``target key`` the running config sets and the intended config leaves at its default (not
    shown) that no ``set`` can unset (:data:`NOT_UNSET`): the diff refuses these."""


def set_values(items: Sequence[str]) -> dict[str, dict[str, str]]:
    """Per target (``[ find ... ]``, ``telnet``, empty), the attributes its ``set`` lines give
    (a ``!key`` unsets what an earlier line gave)."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        if item.split(" ", 1)[0] == "set":
            values = out.setdefault(" ".join(_target(item)), {})
            values.update(_attributes(item))
            for key in _unsets(item):
                values.pop(key, None)
    return out


def set_changes(menu: str, running: Sequence[str], intended: Sequence[str], *, merge: bool) -> SetChange:
    """The ``set`` lines of ``menu`` compared per property: a changed or new value is set; its undo
    is the earlier value where the running text shows it, else an :class:`Earlier` (read from the
    router before the push). ``merge``: properties the intended text does not give are kept;
    else a property the running text sets and the intended text leaves unshown (at its default)
    is unset (:func:`unset_form`: ``!key``), its undo the running value."""
    have, want = set_values(running), set_values(intended)
    commands: list[str] = []
    undo: list[str] = []
    earlier: list[Earlier] = []
    to_default: list[str] = []
    for target in dict.fromkeys([*want, *have]):
        given, before = want.get(target, {}), have.get(target, {})
        new = {k: v for k, v in given.items() if before.get(k) != v}
        dropped = [] if merge else [k for k in before if k not in given]
        forms = {k: unset_form(menu, target, k) for k in dropped}
        to_default += [f"{target} {k}".strip() for k, form in forms.items() if form is None]
        unset = [form for form in forms.values() if form is not None]
        words_ = target.split(" ") if target else []
        if new or unset:
            commands.append(canonical_item(" ".join([_set_line(words_, new), *unset])))
        known = {k: before[k] for k in [*new, *(k for k, form in forms.items() if form)] if k in before}
        if known:
            undo.append(_set_line(words_, known))
        earlier += [Earlier(menu, target, k) for k in new if k not in before]
    return SetChange(tuple(commands), tuple(undo), tuple(earlier), tuple(to_default))


def with_earlier(config: str, values: Mapping[Earlier, str]) -> str:
    """``config`` (an export) with the earlier values read from the router shown, as the export
    would show them were they not the defaults: what the undo of a push is computed against."""
    menus = _model(config)
    for e, value in values.items():
        _set_one(
            menus.setdefault(e.menu, []),
            _set_line(e.target.split(" ") if e.target else [], {e.key: value}),
            e.menu,
        )
    return _text(menus)


def earlier_values(wanted: Sequence[Earlier], verbose: Mapping[str, str]) -> dict[Earlier, str]:
    """The values of ``wanted`` in the routers' ``export verbose`` output per menu (``verbose``:
    menu → text). KeyError naming the property when the output does not show it."""
    out: dict[Earlier, str] = {}
    for e in wanted:
        items = _model(verbose.get(e.menu, "")).get(e.menu, [])
        found = set_values(items).get(e.target, {})
        if e.key not in found:
            raise KeyError(str(e))
        out[e] = found[e.key]
    return out


def unshown(config: str, commands: Sequence[str]) -> list[Earlier]:
    """The properties ``commands`` set whose earlier value ``config`` (an export) does not show."""
    menus = _model(config)
    out: list[Earlier] = []
    for command in commands:
        head, rest = split_menu(" ".join(command.split()))
        item = canonical_item(rest)
        if head is None or not item.startswith("set"):
            continue
        target = " ".join(_target(item))
        before = set_values(menus.get(head, [])).get(target, {})
        out += [
            Earlier(head, target, k)
            for k, v in _attributes(item).items()
            if k not in before and v != default_value(target, k)
        ]
    return sorted(set(out))


def _restore_unshown(items: list[str], e: Earlier) -> None:
    """The model of restoring ``e``: the item shows the property no longer (its ``set`` line
    dropped when that leaves it showing nothing)."""
    for n, line in enumerate(items):
        if line.startswith("set") and " ".join(_target(line)) == e.target and e.key in _attributes(line):
            attrs = {k: v for k, v in _attributes(line).items() if k != e.key}
            items[n] = _set_line(_target(line), attrs) if attrs else ""
    items[:] = [i for i in items if i]


def _set_one(items: list[str], item: str, menu: str) -> list[Undo]:
    """``set``: the item's line shows the new values (a new ``set`` line if it had none) and no
    longer the unset ones (``!key``, or a value :func:`default_value` knows as the default); the
    undo gives the earlier values back, an :class:`Earlier` where the config did not show one."""
    target = _target(item)
    name = " ".join(target)
    unset = {*_unsets(item), *(k for k, v in _attributes(item).items() if v == default_value(name, k))}
    new = {k: v for k, v in _attributes(item).items() if k not in unset}
    n = next((n for n, old in enumerate(items) if old.startswith("set") and _target(old) == target), None)
    before = _attributes(items[n]) if n is not None else {}
    after = {k: v for k, v in {**before, **new}.items() if k not in unset}
    line = _set_line(target, after) if after else ""
    if n is None:
        items.append(line)
    else:
        items[n] = line
    items[:] = [i for i in items if i]
    known = {k: before[k] for k in [*new, *unset] if k in before}
    return [
        *([_set_line(target, known)] if known else []),
        *(Earlier(menu, name, k) for k in new if k not in before),
    ]


def _apply_one(items: list[str], item: str, menu: str) -> list[Undo]:
    """Apply one canonical item command to the menu's ``items``; what undoes it."""
    verb = item.split(" ", 1)[0]
    target = _target(item)
    if verb == "add":
        items.append(item)
        return [f"remove [find {item.removeprefix('add ')}]"]
    if verb == "remove" and len(target) == 1 and target[0].startswith("[ find"):
        gone = _matching(items, target[0])
        items[:] = [i for i in items if i not in gone]
        return list(gone)
    if verb == "set":
        return _set_one(items, item, menu)
    raise ValueError(f"no model for the command {item!r} (only add, set, remove [find ...])")


def _model(config: str) -> dict[str, list[str]]:
    menus: dict[str, list[str]] = {}
    menu = ""
    for line in canonical_lines(config):
        if line.startswith(MENU_INDENT):
            menus[menu].append(line.strip())
        else:
            menu = line
            menus.setdefault(menu, [])
    return menus


def _run(config: str, commands: Sequence[Undo]) -> tuple[dict[str, list[str]], list[Undo]]:
    menus = _model(config)
    undo: list[Undo] = []
    for command in commands:
        if isinstance(command, Earlier):
            _restore_unshown(menus.setdefault(command.menu, []), command)
            continue
        head, rest = split_menu(" ".join(command.split()))
        if head is None or not rest:
            raise ValueError(f"{command!r} is not '/menu verb ...'")
        done = _apply_one(menus.setdefault(head, []), canonical_item(rest), head)
        undo = [u if isinstance(u, Earlier) else f"{head} {u}" for u in done] + undo
    return menus, undo


def _text(menus: Mapping[str, list[str]]) -> str:
    return "".join(
        f"{m}\n" + "".join(f"{MENU_INDENT}{i}\n" for i in items) for m, items in menus.items() if items
    )


def apply_commands(config: str, commands: Sequence[Undo]) -> str:
    """The config a router would run after ``commands`` (one-line ``/menu add|set|remove [find ...]``,
    or an :class:`Earlier` restored: the item no longer shows it), as its export prints it: a
    model of RouterOS for the round-trip tests. Empty menus are left out."""
    return _text(_run(config, commands)[0])


def undo_commands(config: str, commands: Sequence[str]) -> list[str]:
    """What undoes ``commands`` sent to a router running ``config``, last command first: an ``add``
    is removed, a removed item added again as it was, a ``set`` given its earlier values.
    ValueError when a command cannot be undone that way (a ``set`` of a value the config does
    not show: :func:`unshown` names them, and :func:`with_earlier` completes the config with the
    values read from the router)."""
    undo = _run(config, commands)[1]
    missing = [str(u) for u in undo if isinstance(u, Earlier)]
    if missing:
        raise ValueError(f"cannot undo: no earlier value of {', '.join(missing)}")
    return [u for u in undo if isinstance(u, str)]
