"""Platforms are data: one enum, one spec per platform, one module per spec.

Everything the pipeline knows about a platform sits in its module (``platforms/frr.py``,
``ovs.py``, ``cisco_ios.py``, ``arista_eos.py``, ``juniper_junos.py``,
``mikrotik_routeros.py``): its kind, the config command and format, the diff rules, the facts
source (commands, parser, TextFSM templates, error lines), the compliance features and
baseline, the redaction rules, the display name, the deploy driver, the Netmiko and NAPALM
names and how it was verified (the README's platform table is checked against the specs).
Every stage derives its tables from :data:`PLATFORMS`; none branches on the platform.

Adding a platform: a module here defining ``SPEC``, a row in :data:`PLATFORMS`, a template
folder ``templates/<platform>/`` and a README row (``tests/unit/test_platforms.py`` says which
is missing). Specs name our own functions as ``"module:attr"`` (:func:`resolve`), so this
package imports no stage package.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from sipelangi_net.platforms import arista_eos, cisco_ios, frr, juniper_junos, mikrotik_routeros, ovs
from sipelangi_net.platforms.spec import (
    ComplianceSpec,
    ConfigSpec,
    DeploySpec,
    DiffSpec,
    FactsSpec,
    InterfacesSpec,
    LabSpec,
    Platform,
    PlatformSpec,
    RedactSpec,
    TemplateSpec,
    resolve,
)

__all__ = [
    "LAB_PLATFORMS",
    "PLATFORMS",
    "ComplianceSpec",
    "ConfigSpec",
    "DeploySpec",
    "DiffSpec",
    "FactsSpec",
    "InterfacesSpec",
    "LabSpec",
    "Platform",
    "PlatformSpec",
    "RedactSpec",
    "TemplateSpec",
    "readme_table",
    "resolve",
    "spec_for",
]

PLATFORMS: Mapping[Platform, PlatformSpec] = MappingProxyType(
    {
        s.platform: s
        for s in (
            frr.SPEC,
            ovs.SPEC,
            cisco_ios.SPEC,
            arista_eos.SPEC,
            juniper_junos.SPEC,
            mikrotik_routeros.SPEC,
        )
    }
)
"""Every platform's spec, in the README's order."""

LAB_PLATFORMS = frozenset(p for p, spec in PLATFORMS.items() if spec.verified_on == "lab")


def spec_for(platform: Platform | str) -> PlatformSpec:
    """The spec of ``platform`` (a :class:`Platform`, or its value)."""
    return PLATFORMS[Platform(platform)]


def readme_table() -> str:
    """The README's platform table (section "Platforms"), as the specs give it."""
    head = "| platform | driven by | verified on |\n|---|---|---|\n"
    return head + "".join(spec.readme_row() + "\n" for spec in PLATFORMS.values())
