"""FRR config text in the form FRR prints it (pure but for one run of FRR's own ``vtysh -m``).

:func:`canonical_lines` reads an FRR config (``show running-config`` or the text people write:
per-daemon files, abbreviations, odd indentation) and returns it the way ``show
running-config`` would print it, so the diff compares like with like:

1. FRR's own parser gives the structure: the text goes through ``vtysh -m -f -`` (no daemon
   needed), which walks FRR's command tree line by line and marks where each section ends with
   ``exit``; a line FRR does not know in the mode it is in is refused with its line number. So
   an over-indented line, ``int eth1`` or a second ``interface eth1`` section is read as FRR
   reads it, never by its indentation.
2. frr-reload.py (frr-pythontools) reads that marked text into contexts (its ``Config``
   class, as ``frr-reload.py`` itself does): sections with one name are merged (per-daemon
   files), and its line normalisation is applied (IPv6 addresses compressed, a prefix with host
   bits as its network in ``ip route``, ``ip prefix-list`` and BGP ``network``, ``null0`` as
   ``Null0``, ``ip route ... vrf X`` as a line of ``vrf X``, ``le``/``ge`` in FRR's order).
3. The rules of the platform spec (:class:`~sipelangi_net.platforms.spec.NormaliseSpec`),
   each one what FRR's source does when it prints the line: command words given as a prefix
   expanded (checked by ``vtysh -m`` on the expanded text), ``seq`` numbers of prefix-lists
   and access-lists, interface ``ipv6 address`` compressed, numbers printed with ``%g``, lines
   that replace each other on the device folded to the last, sections FRR does not print
   when empty dropped, repeated lines once; lines a daemon does not print because they are its
   default (bgpd's ``neighbor X activate`` in ipv4 unicast, ``send-community``) dropped, and
   global lines it prints inside a section (``bgp route-map delay-timer``) read at the top level.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
import subprocess
import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from sipelangi_net.errors import ConfigError
from sipelangi_net.platforms.spec import NormaliseSpec

FRR_RELOAD = Path("/usr/lib/frr/frr-reload.py")
"""frr-reload.py of frr-pythontools: its Config class reads and normalises the contexts."""
VTYSH = "/usr/bin/vtysh"
"""FRR's shell: ``vtysh -m -f -`` marks the contexts of a config with FRR's own parser."""
TIMEOUT = 60.0

Fail = Callable[[str], Exception]
Contexts = dict[tuple[str, ...], list[str]]


@lru_cache(maxsize=1)
def frr_reload() -> ModuleType:
    """frr-reload.py imported as a module (ConfigError when frr-pythontools is missing)."""
    spec = importlib.util.spec_from_file_location("frr_reload", FRR_RELOAD)
    if not FRR_RELOAD.is_file() or spec is None or spec.loader is None:
        raise ConfigError(
            f"{FRR_RELOAD} is missing: FRR configs are read with FRR's own tools;"
            " install them with 'apt-get install frr frr-pythontools' (see sipelangi-net doctor)"
        )
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():  # its regexes are written with '\S' in plain strings
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        spec.loader.exec_module(module)
    return module


def mark(text: str, fail: Fail) -> str:
    """``vtysh -m -f -`` of ``text``: the same lines, each section closed by ``exit``."""
    try:
        proc = subprocess.run(
            [VTYSH, "-m", "-f", "-"], input=text, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise ConfigError(
            f"{VTYSH} is missing: FRR configs are read with FRR's own parser;"
            " install it with 'apt-get install frr' (see sipelangi-net doctor)"
        ) from None
    except subprocess.TimeoutExpired:
        raise fail(f"FRR's parser (vtysh -m) gave no answer in {TIMEOUT:.0f} s") from None
    if proc.returncode != 0:
        said = " ".join(proc.stderr.split()) or f"exit status {proc.returncode}"
        raise fail(f"FRR's parser (vtysh -m) refuses it: {said[:200]}")
    return proc.stdout


class _Marked:
    """What frr-reload's ``Config`` asks of its Vtysh: the marked text of a file."""

    def __init__(self, marked: str) -> None:
        self.marked = marked

    def mark_file(self, filename: str) -> str:
        return self.marked


def contexts(text: str, fail: Fail) -> Contexts:
    """The contexts of ``text`` as frr-reload.py reads them (keys: the section path)."""
    config: Any = frr_reload().Config(_Marked(mark(text, fail)))
    config.load_from_file("-")
    return {tuple(key): list(ctx.lines) for key, ctx in config.contexts.items()}


# --- the spec's rules -------------------------------------------------------------------------


def _expand(spec: NormaliseSpec, line: str) -> str:
    """``line`` with its leading command words written in full where they are a prefix of one
    of the spec's commands (``int eth1`` -> ``interface eth1``, ``no shut`` -> ``no shutdown``)."""
    words = line.split()
    found: dict[tuple[int, int], list[list[str]]] = {}
    for command in spec.commands:
        full = command.split()
        if len(words) >= len(full) and all(f.startswith(w) for w, f in zip(words, full, strict=False)):
            exact = sum(w == f for w, f in zip(words, full, strict=False))
            found.setdefault((len(full), exact), []).append(full)
    best = found[max(found)] if found else []
    if len(best) != 1:  # none, or two commands read it as well: left to FRR as written
        return line
    return " ".join([*best[0], *words[len(best[0]) :]])


def expanded(spec: NormaliseSpec, lines: Sequence[str]) -> list[str]:
    """The lines with command words expanded (indentation kept)."""
    out = []
    for line in lines:
        indent = line[: len(line) - len(line.lstrip())]
        out.append(indent + _expand(spec, line.strip()) if line.strip() else line)
    return out


def _number(word: str) -> str:
    try:
        return f"{float(word):g}" if re.fullmatch(r"[0-9.]+(e[+-]?[0-9]+)?", word) else word
    except ValueError:
        return word


def _address(word: str) -> str:
    try:
        return str(ipaddress.ip_interface(word)) if ":" in word else word
    except ValueError:
        return word


def _line(spec: NormaliseSpec, line: str) -> str:
    line = " ".join(line.split())
    for pattern, replacement in spec.line_forms:
        line = re.sub(pattern, replacement, line)
    if spec.float_lines and re.search(spec.float_lines, line):
        line = " ".join(_number(w) if i else w for i, w in enumerate(line.split()))
    if spec.address_lines and re.search(spec.address_lines, line):
        line = " ".join(_address(w) for w in line.split())
    return line


def _sequenced(
    spec: NormaliseSpec, keys: list[tuple[str, ...]], before: Sequence[str]
) -> list[tuple[str, ...]]:
    """Top-level list entries without ``seq`` given the number FRR gives them: the highest
    number of the list so far, rounded down to a multiple of 5, plus 5. ``before``: the lines
    already on the device (a snippet's entry continues its list; an entry it already has,
    written without a number, is that entry)."""
    if not spec.numbered_lists:
        return keys
    highest: dict[str, int] = {}
    have: dict[tuple[str, str], str] = {}
    for line in before:
        match = re.match(spec.numbered_lists, line)
        if match is not None and match["seq"] is not None:
            highest[match["list"]] = max(highest.get(match["list"], 0), int(match["seq"]))
            have.setdefault((match["list"], match["rest"]), match["seq"])
    out = []
    for key in keys:
        match = re.match(spec.numbered_lists, key[0]) if len(key) == 1 else None
        if match is None:
            out.append(key)
            continue
        name, seq = match["list"], match["seq"]
        if seq is None:
            seq = have.get((name, match["rest"])) or str(highest.get(name, 0) // 5 * 5 + 5)
        highest[name] = max(highest.get(name, 0), int(seq))
        rest = match.start("rest")
        out.append((f"{key[0][:rest]}seq {seq} {key[0][rest:]}",) if match["seq"] is None else key)
    return out


def _folded(spec: NormaliseSpec, lines: Sequence[str]) -> list[str]:
    """Each line once; of lines that replace each other on the device, the last."""
    last: dict[str, int] = {}
    for i, line in enumerate(lines):
        last[_replaces(spec, line)] = i
    return [line for i, line in enumerate(lines) if last[_replaces(spec, line)] == i]


def _replaces(spec: NormaliseSpec, line: str) -> str:
    for pattern, key in spec.replacing:
        if re.search(pattern, line):
            return re.sub(pattern, key, line)
    return line


def _unprinted(spec: NormaliseSpec, key: tuple[str, ...], ctx: Contexts) -> bool:
    """A section FRR does not print while it has nothing in it."""
    if not any(key[-1].startswith(s) for s in spec.unprinted_empty):
        return False
    return not any(k[: len(key)] == key and lines for k, lines in ctx.items())


def _is_default(spec: NormaliseSpec, header: str, line: str, parent: Sequence[str]) -> bool:
    return any(
        re.search(section, header) and re.search(pattern, line) and not (off and off in parent)
        for section, pattern, off in spec.unprinted_defaults
    )


def _moved(spec: NormaliseSpec, key: tuple[str, ...], lines: list[str], into: Contexts) -> list[str]:
    """``lines`` of section ``key`` without those the device reads as a sub-section's; those are
    collected in ``into`` under that sub-section's key."""
    for section, pattern, sub in spec.moved_into:
        if len(key) != 1 or not re.search(section, key[0]):
            continue
        moved = [line for line in lines if re.search(pattern, line)]
        if moved:
            into.setdefault((key[0], sub), []).extend(moved)
            lines = [line for line in lines if line not in moved]
    return lines


def _relocated(spec: NormaliseSpec, key: tuple[str, ...], lines: list[str], into: Contexts) -> list[str]:
    """``lines`` of section ``key`` without those the device prints as a line of another
    top-level section; those are collected in ``into``, in their printed form."""
    for section, pattern, target, printed in spec.relocated:
        if len(key) != 1 or not re.search(section, key[0]):
            continue
        found = {line: match for line in lines if (match := re.search(pattern, line))}
        for match in found.values():
            into.setdefault((match.expand(target),), []).append(match.expand(printed))
        lines = [line for line in lines if line not in found]
    return lines


def _printed(spec: NormaliseSpec, ctx: Contexts) -> Contexts:
    """``ctx`` without the lines the device does not print (its defaults), and with the global
    lines it prints inside other sections read at the top, where they are set and unset."""
    out: Contexts = {}
    into: Contexts = {}
    lifted: list[str] = []
    for key, lines in ctx.items():
        parent = ctx.get(key[:1], [])
        kept = [line for line in lines if not _is_default(spec, key[-1], line, parent)]
        if len(key) == 1:
            kept = [_section_form(spec, key[0], line) for line in kept]
            glob = [line for line in kept if _global(spec, key[0], line)]
            lifted.extend(line for line in glob if line not in lifted)
            kept = [line for line in kept if line not in glob]
        out[key] = _moved(spec, key, _relocated(spec, key, kept, into), into)
    for key, lines in into.items():
        out.setdefault(key, []).extend(lines)
    tops = [key[0] for key in out if len(key) == 1 and not out[key] and _global(spec, "", key[0], top=True)]
    first: Contexts = {(line,): [] for line in [*tops, *lifted]}
    return first | {key: lines for key, lines in out.items() if key not in first}


def _implied(spec: NormaliseSpec, ctx: Contexts) -> Contexts:
    """``ctx`` with the top-level sections the device creates on its own (empty, after the rest)."""
    out = dict(ctx)
    for section, pattern, template, unless in spec.implied:
        if any(len(key) == 1 and re.search(unless, key[0]) for key in out):
            continue
        for key, lines in ctx.items():
            match = re.search(section, key[0])
            if match and any(re.search(pattern, line) for line in lines):
                out.setdefault((match.expand(template),), [])
    return out


def _section_form(spec: NormaliseSpec, header: str, line: str) -> str:
    for section, pattern, form in spec.section_forms:
        if re.search(section, header) and re.search(pattern, line):
            return re.sub(pattern, form, line)
    return line


def _global(spec: NormaliseSpec, header: str, line: str, *, top: bool = False) -> bool:
    """``line`` of section ``header`` (or at the top) is a global setting printed there."""
    return any(
        (top or header.startswith(where)) and re.search(pattern, line) for pattern, where in spec.printed_in
    )


def _text(ctx: Contexts, indent: str = " ") -> list[str]:
    """The contexts as config text: each section, its lines, then its sub-sections."""
    out: list[str] = []
    for key, lines in ctx.items():
        depth = len(key) - 1
        out.append(indent * depth + key[-1])
        out.extend(indent * (depth + 1) + line for line in lines)
    return out


def canonical_lines(
    spec: NormaliseSpec, lines: Sequence[str], fail: Fail, *, before: Sequence[str] = ()
) -> list[str]:
    """``lines`` (an FRR config) as FRR prints them, in FRR's indentation (see the module
    docstring); ``before``: the top-level lines already on the device, when ``lines`` is a
    snippet added to them (its list entries without ``seq`` continue the device's lists)."""
    kept = ["!" if re.search(spec.dropped, line) else line for line in lines] if spec.dropped else list(lines)
    full = expanded(spec, kept)
    if full != kept:  # FRR takes the text as written (each prefix names one word), then in full
        mark("\n".join(kept) + "\n", fail)
    ctx = contexts("\n".join(full) + "\n", fail)
    ordered = _sequenced(spec, [tuple(_line(spec, k) for k in key) for key in ctx], before)
    merged: Contexts = {}
    for key, old in zip(ordered, ctx, strict=True):
        merged.setdefault(key, []).extend(part for line in ctx[old] for part in _line(spec, line).split("\n"))
    merged = _implied(spec, _printed(spec, merged))
    tops = _folded(spec, [key[0] for key in merged if len(key) == 1 and not merged[key]])
    out: Contexts = {}
    for key, body in merged.items():
        if len(key) == 1 and not body and key[0] not in tops:
            continue
        if _unprinted(spec, key, merged):
            continue
        out[key] = _folded(spec, body)
    return _nested(out)


def _nested(ctx: Contexts) -> list[str]:
    """The contexts in FRR's order: a section's sub-sections right after it (each section with
    every section under it, in the order read, at its first place)."""
    under: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for key in ctx:  # every key under each of its prefixes (itself included), in the order read
        for depth in range(1, len(key) + 1):
            under.setdefault(key[:depth], []).append(key)
    order: dict[tuple[str, ...], None] = {}
    for key in ctx:
        if key not in order:
            order.update(dict.fromkeys(k for k in under[key] if k not in order))
    return _text({k: ctx[k] for k in order})
