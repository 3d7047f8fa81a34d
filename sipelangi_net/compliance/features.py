"""Config features as data: which lines belong to which feature, per platform (its spec's
``compliance.features``).

Like Nautobot Golden Config's "compliance rules", a feature is a name and the top-level lines
it owns (a regex on the line, ``no`` stripped, so a remediation ``no ip route ...`` belongs to
the same feature as ``ip route ...``). The first matching feature wins; ``other`` takes the
rest, so no line is ever left unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sipelangi_net.platforms import PLATFORMS, Platform

OTHER = "other"


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    pattern: re.Pattern[str]
    """Matches the top-level line (without a leading ``no``) of the lines the feature owns."""


def _features(rows: Iterable[tuple[str, str]]) -> tuple[Feature, ...]:
    return tuple(Feature(name, re.compile(pattern)) for name, pattern in rows)


FEATURES: Mapping[Platform, tuple[Feature, ...]] = MappingProxyType(
    {p: _features(s.compliance.features) for p, s in PLATFORMS.items()}
)
"""Per platform: its features in matching order (``other`` is implied, last)."""


def feature_of(platform: Platform, line: str) -> str:
    """The feature that owns the top-level ``line`` (a leading ``no`` is ignored; Junos: a
    ``delete`` is read as the ``set`` it removes)."""
    text = line.strip()
    text = text.removeprefix("no ") if text.startswith("no ") else text
    text = "set " + text.removeprefix("delete ") if text.startswith("delete ") else text
    for feature in FEATURES[platform]:
        if feature.pattern.search(text):
            return feature.name
    return OTHER


def feature_names(platform: Platform) -> tuple[str, ...]:
    return (*(f.name for f in FEATURES[platform]), OTHER)
