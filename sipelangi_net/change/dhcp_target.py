"""The city's central DHCP server as a target of a change (a gateway that relays DHCP).

A plan whose gateway's platform relays DHCP (its spec's ``templates.dhcp``) needs the OPD's
scope on the central server (``servers.yaml`` ``dhcp``). The change reads the server's scopes
with the devices' configs; the scope's commands are part of the change set the engineer
approves; the scopes are backed up with the devices' configs; the scope is set before any device
is armed (a server that refuses it stops the change with nothing pushed) and the backup is set
back whenever the devices roll back. The server has no revert timer of its own: a run killed
after setting the scope leaves it there, unused (no gateway has its address once the devices'
timers have restored them), and the ticket's next run finds it already in place.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from sipelangi_net.change.changeset import ScopeChange
from sipelangi_net.change.dhcp import (
    Scope,
    entry_network,
    scope_commands,
    subnet_lines,
    ticket_of,
    with_scope,
)
from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.base import ScopeControl, ScopeServer
from sipelangi_net.errors import DeviceError, StorageError
from sipelangi_net.inventory import relays_dhcp
from sipelangi_net.private import private_dir, write_private


@dataclass
class ScopeResult:
    """The DHCP server's part of a deploy report."""

    server: str
    subnet: str
    commands: tuple[str, ...] = ()
    backup_sha256: str = ""
    backup_path: str = ""
    state: Literal["unchanged", "confirmed", "rolled_back", "failed"] = "unchanged"
    verified: bool | None = None
    error: str = ""


def lines_digest(subnets: Sequence[dict[str, Any]]) -> str:
    """The SHA-256 of the scopes' canonical lines (what the change set records)."""
    return hashlib.sha256("\n".join(subnet_lines(subnets)).encode()).hexdigest()


@dataclass
class DhcpTarget:
    """The scope of one change on the central server: read, backed up, set, restored."""

    server: str
    control: ScopeControl
    scope: Scope
    running: list[dict[str, Any]] = field(default_factory=list)
    intended: list[dict[str, Any]] = field(default_factory=list)
    applied: bool = False
    result: ScopeResult = field(init=False)

    def __post_init__(self) -> None:
        self.result = ScopeResult(server=self.server, subnet=str(self.scope.subnet))

    def read(self) -> None:
        self.running = self.control.subnets()
        self.intended = with_scope(self.server, self.running, self.scope)
        self.result.commands = scope_commands(self.server, self.running, self.intended)

    def change(self) -> ScopeChange:
        return ScopeChange(self.server, lines_digest(self.running), self.result.commands)

    def backup(self, folder: Path) -> tuple[str, str]:
        """The server's scopes before the change, as JSON under ``folder`` (no secrets: scopes only)."""
        text = json.dumps(self.running, indent=2, sort_keys=True) + "\n"
        digest = hashlib.sha256(text.encode()).hexdigest()
        try:
            private_dir(folder)
            path = write_private(folder / f"{self.server}.{digest[:12]}.json", text)
        except StorageError as exc:
            raise exc.but("nothing was pushed to any device (no backup, no change)") from None
        self.result.backup_sha256, self.result.backup_path = digest, str(path)
        return digest, str(path)

    def apply(self) -> None:
        self.applied = True  # set first: a server that fails half-way is restored all the same
        self.control.set_subnets(self.intended)
        self.result.state = "confirmed"

    def restore(self) -> None:
        """The backed-up scopes again (``set_subnets`` reads them back and checks them)."""
        if not self.applied:
            return
        try:
            self.control.set_subnets(self.running)
        except DeviceError as exc:
            self.result.state, self.result.verified = "failed", False
            self.result.error = (
                f"NOT restored: {exc}; its scopes before the change: {self.result.backup_path}"
            )
            raise
        self.result.state, self.result.verified = "rolled_back", True

    def close(self) -> None:
        self.control.close()


def dhcp_target(
    plan: Any, inventory: Any, creds: Credentials, factory: Callable[[Any, Credentials], Any]
) -> DhcpTarget | None:
    """The central server's part of ``plan``'s change, opened through the change's driver
    ``factory`` (given a :class:`ScopeServer`); None unless its gateway relays DHCP."""
    server = scope_server(plan, inventory)
    if server is None:
        return None
    a = plan.addressing
    dns = tuple(inventory.defaults.data.get("dns_servers", []))
    scope = Scope(
        ticket_id=plan.ticket_id,
        subnet=a.subnet,
        gateway=a.gateway.ip,
        first=a.dhcp_first,
        last=a.dhcp_last,
        dns=tuple(ipaddress.IPv4Address(str(d)) for d in dns),
    )
    return DhcpTarget(server.name, cast(ScopeControl, factory(server, creds)), scope)


def scope_server(plan: Any, inventory: Any) -> ScopeServer | None:
    """The central DHCP server ``plan``'s change gives the OPD's scope: None unless the site's
    gateway relays DHCP (its platform spec's ``templates.dhcp``) and ``servers.yaml`` names one."""
    service = inventory.servers.dhcp
    site = inventory.sites.get(plan.site)
    if service is None or site is None or plan.addressing is None:
        return None
    if not relays_dhcp(inventory, site.distribution.device):
        return None
    return ScopeServer(service.server, service.control_url)


def remove_scope(
    ticket_id: str,
    server: ScopeServer,
    subnet: str,
    factory: Callable[[Any, Credentials], Any],
    creds: Credentials,
) -> ScopeResult:
    """The ticket's scope off the central server (its installation undone, SOP step 9 refused).

    Only the entry the ticket made for ``subnet`` goes; every other scope stays as the server has
    it now (other tickets may have added theirs since); ``set_subnets`` reads them back and checks.
    """
    result = ScopeResult(server=server.name, subnet=subnet)
    control = cast(ScopeControl, factory(server, creds))
    try:
        running = control.subnets()
        kept = [
            e
            for e in running
            if not (ticket_of(e) == ticket_id and str(entry_network(server.name, e)) == subnet)
        ]
        if len(kept) == len(running):
            return result
        result.commands = scope_commands(server.name, running, kept)
        control.set_subnets(kept)  # read back and checked
    except DeviceError as exc:
        result.state, result.verified, result.error = "failed", False, str(exc)
        return result
    finally:
        control.close()
    result.state, result.verified = "rolled_back", True
    return result
