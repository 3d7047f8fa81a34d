"""Compare a device's running config with its intended config, per feature (pure).

Lines are compared as hier_config reads them (the platform's rules of
:data:`sipelangi_net.change.diff.HIER_RULES`: volatile lines such as ``frr version`` and the
device's hidden defaults are ignored on both sides), so a line counts as missing or extra
only when a ``replace`` diff would change it. The remediation is that diff
(:func:`sipelangi_net.change.diff.diff_device` with ``scope="replace"``), cut into features.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence

from hier_config import HConfig, get_hconfig

from sipelangi_net.change.diff import (
    HIER_RULES,
    OVS_LINE,
    _drop_hidden_defaults,
    _running,
    diff_device,
    ovs_port_lines,
)
from sipelangi_net.compliance.features import feature_names, feature_of
from sipelangi_net.compliance.models import DeviceCompliance, FeatureResult
from sipelangi_net.errors import ConfigError, DeviceError, SipelangiError
from sipelangi_net.platforms import Platform

Path_ = tuple[str, ...]
CLOSING = re.compile(r"^(exit|exit-vrf|end)$")


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
    rules = HIER_RULES[platform]
    try:
        have = _running(platform, running)
    except DeviceError as exc:  # the cached parser names no device
        raise DeviceError(device, str(exc).removeprefix(f"{exc.host}: ")) from None
    try:
        want = _drop_hidden_defaults(rules, get_hconfig(rules.driver(), intended))
    except (ValueError, TypeError, IndexError) as exc:
        raise ConfigError(f"{device}: intended config cannot be read: {exc}") from None
    return have, want


def _sides(
    device: str, platform: Platform, running: str, intended: str
) -> tuple[list[Path_], list[Path_], str]:
    """(running, intended, indentation): every line of each side as its section path, in config order."""
    if platform is Platform.OVS:
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
    if platform is Platform.OVS:
        commands += _ovs_unset(extra, intended)
    return tuple(commands)


def check_device(
    device: str, platform: Platform, running: str, intended: str, *, site: str | None = None
) -> DeviceCompliance:
    """The compliance of one device (pure). Bad input gives status ``error``, never an exception."""
    try:
        have, want, indent = _sides(device, platform, running, intended)
        have_set, want_set = set(have), set(want)
        missing = [p for p in want if p not in have_set]
        extra = [p for p in have if p not in want_set]
        commands = remediation(device, platform, running, intended, extra)
    except SipelangiError as exc:
        return DeviceCompliance(device, platform.value, "error", site=site, error=str(exc))
    present = {feature_of(platform, p[0]) for p in (*have, *want)}
    blocks = _blocks(commands)
    features = []
    for name in feature_names(platform):
        mine = [p for p in missing if feature_of(platform, p[0]) == name]
        theirs = [p for p in extra if feature_of(platform, p[0]) == name]
        fixes = [ln for b in blocks if feature_of(platform, b[0]) == name for ln in b]
        if name not in present and not fixes:
            continue
        features.append(
            FeatureResult(
                name=name,
                compliant=not (mine or theirs or fixes),
                missing=tuple(_format(mine, indent)),
                extra=tuple(_format(theirs, indent)),
                remediation=tuple(fixes),
            )
        )
    drift = any(not f.compliant for f in features)
    return DeviceCompliance(
        device, platform.value, "drift" if drift else "compliant", site=site, features=tuple(features)
    )
