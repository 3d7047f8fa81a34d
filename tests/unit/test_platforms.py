"""The platform specs: one per platform, complete, consistent with the README, and the only
place that knows a platform (the stages have no platform branches)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest
from hier_config.models import Platform as HPlatform

from sipelangi_net.drivers.registry import DRIVERS
from sipelangi_net.platforms import PLATFORMS, Platform, PlatformSpec, readme_table, resolve, spec_for

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sipelangi_net"
SPECS = [pytest.param(spec, id=spec.platform.value) for spec in PLATFORMS.values()]
NAMES = "|".join(p.value for p in Platform)


def _readme_table() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Platforms\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return "".join(line + "\n" for line in rows)


def _refs(spec: PlatformSpec) -> list[str]:
    refs = [spec.facts.parser, spec.diff.differ, DRIVERS[spec.deploy.driver]]
    optional = (spec.config.normaliser, spec.diff.driver, spec.diff.item_key)
    return refs + [r for r in optional if r is not None]


def _regexes(spec: PlatformSpec) -> list[str]:
    c, d, r = spec.compliance, spec.diff, spec.redact
    found = [pattern for _, pattern in c.features]
    found += [p for p in (c.uncompared_lines, c.uncompared_values, d.section_headers) if p]
    found += [pattern for pattern, _ in (*d.refused_intended, *d.refused_commands, *r.own, *r.blocks)]
    found += [
        value
        for lineage in d.hidden_defaults + d.replace_sets + d.single_valued
        for kind, value in lineage
        if kind == "re_search"
    ]
    return found


def test_every_platform_has_exactly_one_spec_naming_it() -> None:
    assert set(PLATFORMS) == set(Platform)
    for platform, spec in PLATFORMS.items():
        assert spec.platform is platform
        assert spec_for(platform.value) is spec


def test_the_readme_platform_table_is_the_specs() -> None:
    """A platform added without its README row (or a row edited by hand) fails here: paste
    ``sipelangi_net.platforms.readme_table()`` into README.md's "Platforms" section."""
    assert _readme_table() == readme_table()


@pytest.mark.parametrize("spec", SPECS)
def test_every_template_a_spec_names_exists(spec: PlatformSpec) -> None:
    templates = ROOT / "templates"
    assert (templates / spec.platform.value).is_dir()
    assert (templates / spec.compliance.baseline).is_file()
    assert spec.compliance.baseline.startswith(f"{spec.platform.value}/")
    for command in spec.facts.commands:
        if spec.facts.templates and command not in spec.facts.untemplated:
            name = spec.facts.templates[command]
            assert (files("ntc_templates") / "templates" / f"{name}.textfsm").is_file(), name
    assert set(spec.facts.templates) <= set(spec.facts.commands)
    assert set(spec.facts.untemplated) <= set(spec.facts.commands) - set(spec.facts.templates)
    assert set(spec.facts.headers) <= set(spec.facts.commands)


@pytest.mark.parametrize("spec", SPECS)
def test_every_function_a_spec_names_resolves(spec: PlatformSpec) -> None:
    for ref in _refs(spec):
        assert callable(resolve(ref)), ref
    if spec.diff.hier_platform is not None:
        assert spec.diff.hier_platform in HPlatform.__members__
    with pytest.raises(ValueError, match="not 'module:attr'"):
        resolve("sipelangi_net.platforms")


@pytest.mark.parametrize("spec", SPECS)
def test_every_spec_is_consistent(spec: PlatformSpec) -> None:
    for pattern in _regexes(spec):
        re.compile(pattern)
    names = [name for name, _ in spec.compliance.features]
    assert len(names) == len(set(names)) and "other" not in names
    assert spec.facts.commands
    assert (spec.lab is not None) == (spec.verified_on == "lab") == (spec.deploy.driver == "lab")
    assert (spec.deploy.napalm_transport is not None) == (spec.deploy.driver == "napalm")
    assert spec.deploy.driver != "napalm" or spec.napalm_driver is not None
    assert spec.diff.uses_hier != (spec.config.format == "ovs-json")
    assert spec.readme_row().count("|") == 4


def test_the_platforms_package_imports_no_stage_and_nothing_heavy() -> None:
    stages = ("analysis", "change", "compliance", "drivers", "lab", "documents", "tickets", "server", "cli")
    heavy = ("hier_config", "napalm", "netmiko", "nornir", "pydantic", "jinja2", "textfsm", "paramiko")
    code = (
        "import json, sys; import sipelangi_net.platforms; "
        "print(json.dumps(sorted({m.split('.')[0] if not m.startswith('sipelangi_net.') "
        "else '.'.join(m.split('.')[:2]) for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    loaded = set(json.loads(out.stdout))
    assert not loaded & {f"sipelangi_net.{s}" for s in stages}
    assert not loaded & set(heavy)


BRANCH = re.compile(
    rf"""(\b(is|is not|==|!=)\s*Platform\.[A-Z_]+\b)"""
    rf"""|((==|!=)\s*["']({NAMES})["'])|(["']({NAMES})["']\s*(==|!=))"""
    rf"""|(^\s*Platform\.[A-Z_]+\s*:)|(^\s*["']({NAMES})["']\s*:)""",
    re.MULTILINE,
)
"""A platform branch (``is Platform.OVS``, ``== "ovs"``) or a per-platform table row
(``Platform.OVS: ...``, ``"ovs": ...``)."""


def _stage_modules() -> list[Path]:
    skip = {PACKAGE / "platforms", PACKAGE / "lab"}
    return sorted(p for p in PACKAGE.rglob("*.py") if not any(s in p.parents for s in skip))


def test_no_stage_module_branches_on_the_platform_or_keeps_a_table_of_platforms() -> None:
    """Outside sipelangi_net/platforms (the specs) and sipelangi_net/lab (the lab builds its FRR
    and OVS devices), what differs per platform is read from the spec."""
    found = [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0).strip()}"
        for path in _stage_modules()
        for text in [path.read_text(encoding="utf-8")]
        for m in BRANCH.finditer(text)
    ]
    assert found == []


def test_the_branch_guard_sees_a_branch_and_a_table() -> None:
    assert BRANCH.search("    if platform is Platform.OVS:")
    assert BRANCH.search('    if platform != "ovs":')
    assert BRANCH.search('    "mikrotik_routeros": "MikroTik RouterOS",')
    assert BRANCH.search("        Platform.FRR: CLI_FEATURES,")
    assert not BRANCH.search("    facts = _Facts(device, Platform.CISCO_IOS)")
