"""Compare a device's running config with its intended config, per feature (pure).

Lines are compared as hier_config reads them (the platform's rules of
:data:`sipelangi_net.change.diff.HIER_RULES`: volatile lines such as ``frr version`` and the
device's hidden defaults are ignored on both sides), so a line counts as missing or extra
only when a ``replace`` diff would change it. The remediation is that diff
(:func:`sipelangi_net.change.diff.diff_device` with ``scope="replace"``), cut into features.

FRR and Open vSwitch: the intended config is the device's whole config. The vendor platforms
(:data:`POLICY_ONLY`) run much the city never wrote down: there the intended config is the city
policy's lines plus what tickets installed, and only the policy's features
(:data:`POLICY_FEATURES`) are compared both ways (a line missing or extra is drift, fixed by a
``replace`` diff of those features); in every other feature only the intended lines must be
present (a ``merge`` diff adds them), the device's other lines are not the city's to judge.
Lines holding a secret or a local account (:data:`UNCOMPARED`: ``username``, RADIUS/TACACS+
keys, SNMPv3 user keys) are never compared: their values live in the secrets file.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from hier_config import HConfig

from sipelangi_net.change.diff import (
    HIER_RULES,
    OVS_LINE,
    _running,
    diff_device,
    ovs_port_lines,
    read_intended,
)
from sipelangi_net.compliance.features import feature_names, feature_of
from sipelangi_net.compliance.models import DeviceCompliance, FeatureResult, Status
from sipelangi_net.errors import ConfigError, DeviceError, SipelangiError
from sipelangi_net.platforms import PLATFORMS, Platform, spec_for

Path_ = tuple[str, ...]
CLOSING = re.compile(r"^(exit|exit-vrf|end)$")

POLICY_ONLY = frozenset(p for p, s in PLATFORMS.items() if s.compliance.policy_only)
"""Platforms whose baseline is the city policy's lines, not the whole config (see above)."""
POLICY_FEATURES = frozenset({"hostname", "banner", "logging", "ntp", "dns", "snmp", "aaa"})
"""The features the city policy owns: compared both ways on every platform of :data:`POLICY_ONLY`."""


@dataclass(frozen=True, slots=True)
class Uncompared:
    """Per platform: lines dropped from both sides, and secret values cut from lines."""

    lines: re.Pattern[str]
    values: re.Pattern[str] | None = None


UNCOMPARED: Mapping[Platform, Uncompared] = MappingProxyType(
    {
        p: Uncompared(
            re.compile(s.compliance.uncompared_lines),
            re.compile(s.compliance.uncompared_values) if s.compliance.uncompared_values else None,
        )
        for p, s in PLATFORMS.items()
        if s.compliance.uncompared_lines
    }
)
"""Lines never compared (local accounts, secrets: the secrets file's business) and secret
values cut from lines that are compared (a RADIUS server's ``key 7 ...``)."""


def without_secrets(platform: Platform, text: str) -> str:
    """``text`` without the lines and values compliance does not compare (see :data:`UNCOMPARED`)."""
    rule = UNCOMPARED.get(platform)
    if rule is None:
        return text
    out = []
    for line in text.splitlines():
        if rule.lines.search(line):
            continue
        out.append(rule.values.sub("", line) if rule.values else line)
    return "\n".join(out) + "\n"


def _paths(config: HConfig) -> list[Path_]:
    return [tuple(child.path()) for child in config.all_children()]


def _format(paths: Sequence[Path_], indent: str) -> list[str]:
    """Config lines for ``paths`` (in config order), each preceded by its section headers once."""
    out: list[str] = []
    shown: set[Path_] = set()
    for path in paths:
        for depth in range(len(path)):
            prefix = path[: depth + 1]
            if prefix not in shown:
                shown.add(prefix)
                out.append(indent * depth + path[depth])
    return out


def _hier_sides(device: str, platform: Platform, running: str, intended: str) -> tuple[HConfig, HConfig]:
    try:
        have = _running(platform, running)
    except DeviceError as exc:  # the cached parser names no device
        raise DeviceError(device, str(exc).removeprefix(f"{exc.host}: ")) from None
    try:  # read as the diff reads it: FRR's in the form FRR prints (its defaults, 'vrf' lines, ...)
        want = read_intended(device, platform, intended)
    except (ValueError, TypeError, IndexError) as exc:
        raise ConfigError(f"{device}: intended config cannot be read: {exc}") from None
    return have, want


def _sides(
    device: str, platform: Platform, running: str, intended: str
) -> tuple[list[Path_], list[Path_], str]:
    """(running, intended, indentation): every line of each side as its section path, in config order."""
    if spec_for(platform).config.format == "ovs-json":
        have_lines, want_lines = ovs_port_lines(device, running), _ovs_intended(intended)
        return [(ln,) for ln in have_lines], [(ln,) for ln in want_lines], ""
    have, want = _hier_sides(device, platform, running, intended)
    return _paths(have), _paths(want), " " * have.driver.rules.indentation


def _ovs_intended(intended: str) -> list[str]:
    out = []
    for line in intended.splitlines():
        match = OVS_LINE.fullmatch(line.strip())
        if match:
            out.append(f"port {match['port']} {match['key']}={match['value'].strip()}")
    return out


def _ovs_unset(extra: Iterable[Path_], intended: str) -> list[str]:
    """Commands removing port attributes the switch has and the intended config does not name."""
    named = {(m["port"], m["key"]) for m in map(OVS_LINE.fullmatch, intended.splitlines()) if m}
    out = []
    for (line,) in extra:
        match = OVS_LINE.fullmatch(line)
        if match is None or (match["port"], match["key"]) in named:
            continue
        port = shlex.quote(match["port"])
        if match["key"] == "tag":
            out.append(f"ovs-vsctl set port {port} 'tag=[]'")
        else:
            out.append(f"ovs-vsctl remove port {port} external_ids description")
    return out


def _blocks(commands: Sequence[str]) -> list[list[str]]:
    """Commands cut at each top-level line; indented lines and ``exit`` stay with their section."""
    blocks: list[list[str]] = []
    for line in commands:
        if blocks and (line[:1].isspace() or CLOSING.match(line)):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def remediation(
    device: str, platform: Platform, running: str, intended: str, extra: Iterable[Path_] = ()
) -> tuple[str, ...]:
    """Every command that makes ``device`` run exactly ``intended``, in order."""
    commands = list(diff_device(device, platform, running, intended, scope="replace").commands)
    if spec_for(platform).config.format == "ovs-json":
        commands += _ovs_unset(extra, intended)
    return tuple(commands)


@dataclass(frozen=True, slots=True)
class _Findings:
    """Both sides' lines (as section paths) and what differs: the input of the per-feature report."""

    compared: list[Path_]
    missing: list[Path_]
    extra: list[Path_]
    commands: tuple[str, ...]
    indent: str
    note: str = ""
    """Why there is no remediation although lines differ (the diff refused to write one)."""


def _whole(device: str, platform: Platform, running: str, intended: str) -> _Findings:
    """FRR and OVS: the intended text is the whole config."""
    have, want, indent = _sides(device, platform, running, intended)
    have_set, want_set = set(have), set(want)
    missing = [p for p in want if p not in have_set]
    extra = [p for p in have if p not in want_set]
    commands = remediation(device, platform, running, intended, extra)
    return _Findings([*have, *want], missing, extra, commands, indent)


def _only(platform: Platform, config: HConfig, *, owned: bool) -> HConfig:
    """``config`` (edited) keeping only the top-level sections the policy owns (or only the others)."""
    for child in tuple(config.children):
        if (feature_of(platform, child.text) in POLICY_FEATURES) != owned:
            child.delete()
    return config


def _text(config: HConfig, *, end: bool) -> str:
    lines = [child.cisco_style_text() for child in config.all_children()]
    return "\n".join([*lines, "end"] if end else lines) + "\n"


def _policy_only(device: str, platform: Platform, running: str, intended: str) -> _Findings:
    """The vendor platforms: the policy's features both ways, tickets' lines only as present."""
    running, intended = without_secrets(platform, running), without_secrets(platform, intended)
    have_all, want_all = _hier_sides(device, platform, running, intended)
    have = _only(platform, have_all.deep_copy(), owned=True)
    want = _only(platform, want_all.deep_copy(), owned=True)
    added = _only(platform, want_all.deep_copy(), owned=False)
    every, have_p, want_p, added_p = set(_paths(have_all)), _paths(have), _paths(want), _paths(added)
    missing = [p for p in want_p if p not in set(have_p)] + [p for p in added_p if p not in every]
    extra = [p for p in have_p if p not in set(want_p)]
    end = HIER_RULES[platform].ends_with_end
    note = ""
    try:
        commands = diff_device(
            device, platform, _text(have, end=end), _text(want, end=False), scope="replace"
        ).commands
        if added_p:
            commands += diff_device(
                device, platform, running, _text(added, end=False), scope="merge"
            ).commands
    except ConfigError as exc:  # e.g. a RouterOS `set` the diff cannot undo by a command
        commands, note = (), f"no remediation: {exc}"
    indent = " " * have_all.driver.rules.indentation
    return _Findings([*have_p, *want_p, *added_p], missing, extra, commands, indent, note)


def check_device(
    device: str, platform: Platform, running: str, intended: str, *, site: str | None = None
) -> DeviceCompliance:
    """The compliance of one device (pure). Bad input gives status ``error``, never an exception."""
    compare = _policy_only if platform in POLICY_ONLY else _whole
    try:
        found = compare(device, platform, running, intended)
    except SipelangiError as exc:
        return DeviceCompliance(device, platform.value, "error", site=site, error=str(exc))
    present = {feature_of(platform, p[0]) for p in found.compared}
    blocks = _blocks(found.commands)
    features = []
    for name in feature_names(platform):
        mine = [p for p in found.missing if feature_of(platform, p[0]) == name]
        theirs = [p for p in found.extra if feature_of(platform, p[0]) == name]
        fixes = [ln for b in blocks if feature_of(platform, b[0]) == name for ln in b]
        if name not in present and not fixes:
            continue
        features.append(
            FeatureResult(
                name=name,
                compliant=not (mine or theirs or fixes),
                missing=tuple(_format(mine, found.indent)),
                extra=tuple(_format(theirs, found.indent)),
                remediation=tuple(fixes),
            )
        )
    drift = any(not f.compliant for f in features)
    status: Status = "drift" if drift else "compliant"
    return DeviceCompliance(
        device, platform.value, status, site=site, features=tuple(features), error=found.note
    )
