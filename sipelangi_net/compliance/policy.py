"""The city's device policy (``inventory/policy.yaml``): one data file every baseline renders from.

NTP servers, DNS resolvers, remote syslog, SNMP (v3), AAA and the login banner: the lines every
device must carry whatever its platform (``templates/<platform>/baseline.j2`` turns them into the
vendor's syntax). Secrets never live here: the SNMPv3 passwords and the AAA shared key stay in
the secrets file (docs/credentials.md); the file names only the SNMPv3 user and group, and
compliance never compares the secret-bearing lines (see :mod:`.compare`).

A missing file is the empty policy (no servers, no banner; syslog ``informational`` /
``local7``), which renders exactly the FRR and Open vSwitch baselines of before the policy
existed. A file that does not fit raises :class:`~sipelangi_net.errors.InventoryError` naming
the file and the field.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from sipelangi_net.capped import read_capped_text
from sipelangi_net.errors import InventoryError

POLICY_FILE = "policy.yaml"
MAX_POLICY_BYTES = 1024 * 1024

CliText = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 .,:;()/_&+'@-]{1,80}$")]
"""Text a device CLI line may carry (the templates' ``cli`` filter): no quotes, no ``!``/``?``/``|``."""
Word = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")]
Domain = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]{0,62}\.)*[a-z0-9-]{1,63}$")]
Severity = Literal[
    "emergencies", "alerts", "critical", "errors", "warnings", "notifications", "informational"
]
Facility = Literal["local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Ntp(_Model):
    servers: tuple[ipaddress.IPv4Address, ...] = ()


class Dns(_Model):
    domain: Domain | None = None
    resolvers: Annotated[tuple[ipaddress.IPv4Address, ...], Field(max_length=3)] = ()


class Syslog(_Model):
    servers: tuple[ipaddress.IPv4Address, ...] = ()
    severity: Severity = "informational"
    facility: Facility = "local7"


class Snmp(_Model):
    """SNMPv3 only (authPriv): the user's passwords are in the secrets file, never here."""

    location: CliText | None = None
    contact: CliText | None = None
    group: Word | None = None
    user: Word | None = None
    trap_hosts: tuple[ipaddress.IPv4Address, ...] = ()


class Aaa(_Model):
    """Remote login accounts with local fallback; the shared key is in the secrets file."""

    protocol: Literal["local", "tacacs", "radius"] = "local"
    servers: tuple[ipaddress.IPv4Address, ...] = ()


class Policy(_Model):
    ntp: Ntp = Ntp()
    dns: Dns = Dns()
    syslog: Syslog = Syslog()
    snmp: Snmp = Snmp()
    aaa: Aaa = Aaa()
    banner: CliText | None = None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        field = ".".join(str(p) for p in err["loc"]) or "(top)"
        parts.append(f"{field}: {err['msg']}")
    return "; ".join(parts)


def parse_policy(raw: Any, path: Path) -> Policy:
    """The policy of the YAML document ``raw`` read from ``path`` (named in errors)."""
    try:
        policy = Policy.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        raise InventoryError(f"{path}: {_describe(exc)}; fix the city policy file") from None
    if policy.aaa.protocol != "local" and not policy.aaa.servers:
        raise InventoryError(f"{path}: aaa.servers: {policy.aaa.protocol} needs at least one server")
    if policy.snmp.trap_hosts and not policy.snmp.user:
        raise InventoryError(f"{path}: snmp.user: SNMPv3 traps need a user (its passwords: secrets file)")
    return policy


def load_policy(inventory_dir: Path) -> Policy:
    """``inventory_dir/policy.yaml``, validated; the empty policy when the file does not exist."""
    path = inventory_dir / POLICY_FILE
    if not path.exists():
        return Policy()
    text = read_capped_text(path, limit=MAX_POLICY_BYTES, error=InventoryError)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InventoryError(f"{where}: YAML error: {getattr(exc, 'problem', None) or exc}") from None
    return parse_policy(raw, path)
