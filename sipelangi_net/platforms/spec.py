"""The shape of a platform spec: the enum, the frozen spec and its parts (pure data).

Nothing here imports a stage package (analysis, change, compliance, drivers): where a spec
names one of our functions or classes it gives ``"module:attr"``, resolved by :func:`resolve`
where it is used; everything else is data the stage reads.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal


class Platform(StrEnum):
    FRR = "frr"
    OVS = "ovs"
    CISCO_IOS = "cisco_ios"
    MIKROTIK_ROUTEROS = "mikrotik_routeros"
    ARISTA_EOS = "arista_eos"
    JUNIPER_JUNOS = "juniper_junos"


Ref = str
"""``"package.module:attr"``: one of our functions or classes, imported where it is used."""

Lineage = tuple[tuple[str, str], ...]
"""A hier_config match lineage as data: one ``(field, value)`` per level, ``field`` one of
hier_config ``MatchRule``'s ``equals``, ``startswith``, ``re_search``."""

Pairs = tuple[tuple[str, str], ...]
"""``(regex, replacement)`` or ``(regex, why)`` rows."""

ConfigFormat = Literal["cli", "set", "routeros", "ovs-json"]


def resolve(ref: Ref) -> Any:
    """The object ``ref`` (``"module:attr"``) names, its module imported now."""
    module, sep, attr = ref.partition(":")
    if not sep or not attr:
        raise ValueError(f"{ref!r} is not 'module:attr'")
    return getattr(importlib.import_module(module), attr)


def interface(child: str) -> Lineage:
    """The lineage of an interface's ``child`` line (``interface X`` / `` description ...``)."""
    return (("startswith", "interface "), ("startswith", child))


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ConfigSpec:
    """The running config: how it is read and what its text is."""

    command: str
    """The command whose answer is the config the diff and compliance read (and backups keep)."""
    format: ConfigFormat
    """``cli`` (indented sections), ``set`` (Junos ``set`` lines), ``routeros`` (``/export``),
    ``ovs-json`` (the OVS port table as ovs-vsctl JSON): the stages read the text by this."""
    extension: str = "cfg"
    """The file extension of a backup of this text."""
    normaliser: Ref | None = None
    """``(config) -> str`` dropping the text's volatile parts; None: blank lines and the
    ``Building configuration`` / ``Current configuration`` header are dropped."""


@dataclass(frozen=True, slots=True)
class NormaliseSpec:
    """How a config text is put in the form the device prints (sipelangi_net.change.frr_text):
    the rules FRR's own tools leave to us, each what the device does when it prints the line."""

    normaliser: Ref
    """``(spec, lines, fail) -> lines``: the text as the device prints it."""
    dropped: str | None = None
    """Regex of lines that are no configuration (``configure terminal`` in a script)."""
    commands: tuple[str, ...] = ()
    """Command words given as a prefix (``int``, ``no shut``) are written as these in full."""
    numbered_lists: str | None = None
    """Regex of a list entry (groups ``list``, ``seq`` or none, ``rest``): an entry without a
    number gets the one the device gives it (the list's highest, rounded down to 5, plus 5)."""
    line_forms: Pairs = ()
    """(regex, replacement) on a line: the form the device prints (``NULL0`` -> ``Null0``); a
    replacement with a newline is printed as two lines."""
    address_lines: str | None = None
    """Regex of lines whose IPv6 addresses (with host bits) the device prints compressed."""
    float_lines: str | None = None
    """Regex of lines whose numbers the device prints with C's ``%g`` (``10e+10`` -> ``1e+11``)."""
    replacing: Pairs = ()
    """(regex, key): lines with one key (``re.sub``) replace each other; the last one stays."""
    unprinted_empty: tuple[str, ...] = ()
    """Sections (by how they start) the device does not print while they are empty."""
    unprinted_defaults: tuple[tuple[str, str, str], ...] = ()
    """(section regex, line regex, parent line): a line the device does not print in a section
    whose header matches, because it is the default, unless the parent section (the top-level
    one) has the given line ('' for none) that turns the default off."""
    moved_into: tuple[tuple[str, str, str], ...] = ()
    """(section regex, line regex, sub-section): a line written in such a top-level section that
    the device reads as a line of that sub-section and prints there (bgpd: ``neighbor X route-map
    R out`` under ``router bgp`` is ipv4 unicast's)."""
    implied: tuple[tuple[str, str, str, str], ...] = ()
    """(section regex, line regex, section template, unless regex): a top-level section the device
    creates and prints on its own when such a section holds such a line (at any depth) and no
    top-level section matches ``unless`` (bgpd: ``import vrf`` in ``router bgp N vrf V`` makes
    the default instance ``router bgp N``)."""
    section_forms: tuple[tuple[str, str, str], ...] = ()
    """(section regex, line regex, replacement): a line of such a top-level section the device
    prints in another form (ospfd: ``router-id X`` is printed ``ospf router-id X``)."""
    relocated: tuple[tuple[str, str, str, str], ...] = ()
    """(section regex, line regex, section template, line template): a line of such a top-level
    section that the device prints as another line of another top-level section (``re`` match
    templates; ospfd: ``passive-interface X`` of ``router ospf`` is ``ip ospf passive`` under
    ``interface X``)."""
    printed_in: Pairs = ()
    """(line regex, section start): a global setting the device prints inside each such
    top-level section when there is one, and at the top when there is none (bgpd: ``bgp route-map
    delay-timer`` in ``router bgp``); read at the top, so the diff sets and unsets it there and
    deleting the section does not seem to delete it."""


@dataclass(frozen=True, slots=True)
class DiffSpec:
    """How a running config is diffed with the intended text (sipelangi_net.change.diff)."""

    differ: Ref
    """``(device, platform, running, intended, *, scope) -> DeviceDiff``."""
    driver: Ref | None = None
    """Our hier_config driver class (None with :attr:`hier_platform`, or no hier_config at all)."""
    hier_platform: str | None = None
    """hier_config's own driver of this hier_config ``Platform`` value."""
    single_valued: tuple[Lineage, ...] = ()
    """Lines where a new value replaces the old (idempotent commands added to the driver's)."""
    ends_with_end: bool = False
    """The running config's last line is ``end``; without it the answer is taken as truncated."""
    indented: bool = True
    """Indentation gives the hierarchy: an indented line before any section header is refused."""
    replace_sets: tuple[Lineage, ...] = ()
    """merge: where the snippet gives lines of one of these kinds in a section, they replace all
    the running lines of that kind in that section."""
    kept_sections: tuple[str, ...] = ()
    """Sections that exist whatever the config says: emptied line by line, never negated."""
    hidden_defaults: tuple[Lineage, ...] = ()
    """Lines the device never shows because they are its defaults."""
    section_headers: str | None = None
    """Regex of top-level lines that open a section: closed by ``exit`` even with no lines."""
    refused_intended: Pairs = ()
    """(regex, why): intended lines the device cannot take."""
    refused_commands: Pairs = ()
    """(regex on a command, why): a diff needing such a command is refused."""
    refused_negations: Pairs = ()
    """(regex on a command, why): a diff needing such a command to undo a line (not to add an
    intended one) is refused: the negation would turn something on or delete a section."""
    negation_forms: Pairs = ()
    """(regex, replacement) on a negation: the form the device takes (``no password X`` ->
    ``no password``)."""
    undone_by_lines: tuple[str, ...] = ()
    """Sub-sections (by how they start) the device removes by undoing their lines, not by
    ``no`` of the header (FRR ``link-params``): kept, emptied line by line."""
    normalise: NormaliseSpec | None = None
    """The text put in the form the device prints before the diff (None: as it is)."""
    exit_at_parent_level: bool = False
    """Print a section's ``exit`` at the header's indentation, not at its children's."""
    item_key: Ref | None = None
    """merge: ``(section, line) -> key | None``: a snippet line replaces the running lines of its
    section with the same key."""
    one_line: bool = False
    """Print each changed line as one command (its section path joined by spaces)."""
    vlan_lists: bool = False
    """merge: a snippet's ``switchport trunk allowed vlan add N`` is read against the running
    list the device prints (sipelangi_net.change.diff ``fold_allowed_vlans``)."""
    access_members: bool = False
    """merge (Junos ELS): where the snippet makes a port ``interface-mode access``, its ``vlan
    members`` replace the running port's (an access port is in one VLAN; a trunk's members add)."""
    negation_last_wins: bool = False
    """A section's ``X`` and ``no X`` (a config written by hand; the device prints one): the one
    given last stands, as when the device loads it."""
    last_wins: tuple[Lineage, ...] = ()
    """Single-valued lines where a config that gives one twice in a section (a config written by
    hand: IOS ``description`` twice in one interface) means the last given, as when the device
    loads it (a later value replaces the earlier one); the same value twice is read as one."""

    @property
    def uses_hier(self) -> bool:
        return self.driver is not None or self.hier_platform is not None


@dataclass(frozen=True, slots=True)
class FactsSpec:
    """Where the live facts of SOP step 4 come from (sipelangi_net.analysis.facts)."""

    commands: tuple[str, ...]
    parser: Ref
    """``(device, answers by command) -> DeviceFacts``."""
    templates: Mapping[str, str] = field(default_factory=_empty)
    """command → the ntc-templates TextFSM template that reads its answer."""
    untemplated: tuple[str, ...] = ()
    """Commands ntc-templates has no template for: the parser reads their answers itself."""
    error_lines: tuple[str, ...] = ()
    """How the CLI starts a line that refuses the command (lower case)."""
    headers: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    """command → lines one of which every answer holds (for a template that skips unknown lines)."""


@dataclass(frozen=True, slots=True)
class ComplianceSpec:
    """The nightly compliance check (sipelangi_net.compliance)."""

    baseline: str
    """The template (under ``templates/``) of a device's baseline."""
    features: Pairs
    """(feature, regex on a top-level line) in matching order; ``other`` takes the rest."""
    policy_only: bool = False
    """The baseline is the city policy's lines, not the whole config."""
    uncompared_lines: str | None = None
    """Regex of lines never compared (local accounts, secrets)."""
    uncompared_values: str | None = None
    """Regex of secret values cut from the lines that are compared."""


@dataclass(frozen=True, slots=True)
class RedactSpec:
    """Secrets out of the config text (sipelangi_net.redact)."""

    napalm: str | None = None
    """The name of NAPALM's table in ``napalm.base.constants`` (imported on first use)."""
    own: Pairs = ()
    """(regex, replacement) line rules of ours."""
    blocks: Pairs = ()
    """(regex, replacement) rules spanning lines."""


@dataclass(frozen=True, slots=True)
class DeploySpec:
    """How a change is pushed (sipelangi_net.drivers)."""

    driver: Literal["lab", "napalm", "ios", "routeros"]
    """The deploy driver of sipelangi_net.drivers.registry."""
    driven_by: str
    """For people (README): the library, transport and revert mechanism."""
    revert_unit: int = 1
    """The device's revert timer counts in units of this many seconds (Junos: minutes)."""
    napalm_transport: Literal["eapi", "pyez"] | None = None
    """NAPALM drivers: how the device is reached."""


@dataclass(frozen=True, slots=True)
class LabSpec:
    """A platform of the lab (real software here)."""

    probe: str
    """The command whose answer names the device (``lab status``)."""
    show_command: str
    """The command ``lab show`` summarises."""
    push: Literal["vtysh", "shell"]
    """How the lab driver sends commands: vtysh config mode, or one shell command each."""


@dataclass(frozen=True, slots=True)
class InterfacesSpec:
    """How a device shows every interface's state and counters (sipelangi_net.faults.interfaces):
    read by the monitor each round and by ``fault diagnose``; read-only."""

    command: str
    parser: Ref
    """``(answer) -> {name: InterfaceState}``."""


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """What the platform's ``templates/<platform>/opd.j2`` can do (sipelangi_net.change.opd_context)."""

    tagged_gateway: bool = False
    """As the OPD gateway it can face a trunk (a tagged sub-interface, SVI or VLAN interface)."""
    trunk_uplink: bool = False
    """As the access switch it can make its uplink a trunk carrying the OPD VLAN."""
    dhcp: Literal["serves", "relays"] = "serves"
    """As the OPD gateway: ``serves`` the OPD LAN by DHCP from its own config (its ``opd.j2``), or
    ``relays`` it to the city's central DHCP server (``servers.yaml`` ``dhcp``), to which the
    change adds the OPD's scope (sipelangi_net.change.dhcp)."""
    port_names: Mapping[tuple[str, int], str] = field(default_factory=_empty)
    """(protocol, port) → the name the device prints for that port in a filter rule (IOS and EOS
    print ``eq 53`` back as ``eq domain``). ``opd.j2`` gets it as ``port_names`` and writes a rule
    as the device will print it, or the post-push check would miss the line; other ports by number."""


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """Everything the pipeline knows about one platform."""

    platform: Platform
    kind: Literal["router", "switch"]
    display_name: str
    """In documents for officials (Bahasa Indonesia)."""
    netmiko_device_type: str
    napalm_driver: str | None
    verified_on: Literal["lab", "fixtures"]
    """``lab``: real software in the project's lab; ``fixtures``: replayed sessions only."""
    verified: str
    """For people (README): what was verified, on what."""
    config: ConfigSpec
    deploy: DeploySpec
    facts: FactsSpec
    diff: DiffSpec
    compliance: ComplianceSpec
    redact: RedactSpec = RedactSpec()
    templates: TemplateSpec = TemplateSpec()
    lab: LabSpec | None = None
    interfaces: InterfacesSpec | None = None
    """``None``: the monitor sees only whether the device answers; ``fault diagnose`` marks its
    interfaces unknown."""

    @property
    def deploy_driver(self) -> str:
        return self.deploy.driver

    @property
    def running_config_command(self) -> str:
        return self.config.command

    def readme_row(self) -> str:
        """This platform's row of the README's platform table."""
        return f"| `{self.platform.value}` ({self.kind}) | {self.deploy.driven_by} | {self.verified} |"
