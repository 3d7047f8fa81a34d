"""Undo a ticket's installation when the requester refuses the handover (SOP step 9 not signed).

Every device the ticket's deploy confirmed is put back to the backup taken just before that
deploy — through the same safe push (backup, device-side commit-confirm, a post-check that the
device runs exactly that backup again, confirm or roll back). A device whose config changed
after the ticket's deploy (another ticket, a hand edit) is refused before anything is sent:
restoring its old backup would undo someone else's change. The ticket then records step 9 as
failed, with the reason and the devices' results; the request is closed without a connection.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sipelangi_net.change.dhcp_target import remove_scope
from sipelangi_net.change.push import DeviceResult, backup_intended
from sipelangi_net.change.render import Intended
from sipelangi_net.coordination import LOCAL, Coordinator
from sipelangi_net.drivers.base import ScopeServer
from sipelangi_net.errors import ConfigError, WorkflowError
from sipelangi_net.tickets import workflow
from sipelangi_net.tickets.acting import bound_account
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.outputs import DeployRecord, DeviceRecord, Installed, outputs_of
from sipelangi_net.validate import printable


def backup_text(
    ticket_id: str, d: DeviceRecord | DeviceResult, reports: Path, *, source: str = "outputs.deploy"
) -> str:
    """The device's pre-deploy backup: a file under ``reports/<ticket>/`` with the recorded SHA-256.

    The path and digest come from a stored record (the ticket, or a run's journal: ``source``),
    which is untrusted: a path outside the ticket's folder or a file that is not the backup
    taken then is refused, never pushed.
    """
    folder = (reports / ticket_id).resolve()
    path = Path(d.backup_path)
    where = f"ticket {ticket_id}: {d.device}: {source} backup_path"
    if not d.backup_path or not path.resolve().is_relative_to(folder):
        raise ConfigError(f"{where} {printable(d.backup_path)!r} is not a backup under {folder}")
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"ticket {ticket_id}: {d.device}: backup {path} cannot be read ({why})") from None
    if hashlib.sha256(data).hexdigest() != d.backup_sha256:
        raise ConfigError(f"{where}: {path} is not the backup taken before the deploy (SHA-256 differs)")
    return text


def _deployed(ticket: Any) -> DeployRecord | None:
    """The deploy report of the ticket's step 7."""
    event = workflow.completed(ticket, 7)
    if event is None:
        raise WorkflowError(f"ticket {ticket.id}: nothing to roll back: step 7 (installation) is not done")
    return outputs_of(ticket, event, Installed).deploy


def _targets(
    ticket: Any, report: DeployRecord | None, reports: Path
) -> tuple[dict[str, Intended], dict[str, str]]:
    intended: dict[str, Intended] = {}
    expect: dict[str, str] = {}
    for d in report.devices if report is not None else ():
        if d.state != "confirmed":
            continue
        name = d.device
        if not d.after_sha256:
            raise ConfigError(f"ticket {ticket.id}: {name}: no record of its config after the deploy")
        text = backup_text(ticket.id, d, reports)
        intended[name] = backup_intended(name, d.platform, text)
        expect[name] = d.after_sha256
    if not intended:
        raise WorkflowError(f"ticket {ticket.id}: its deploy changed no device: nothing to roll back")
    return intended, expect


def uninstall_ticket(
    st: Any,
    ticket_id: str,
    inventory: Any,
    *,
    actor: str,
    creds: Any,
    reports: Path,
    reason: str,
    confirm_seconds: int = 120,
    lock_wait: float = 0.0,
    coordinator: Coordinator = LOCAL,
) -> Any:
    """Put the ticket's devices back to their pre-deploy backups; record step 9 failed when done."""
    from sipelangi_net.change.install import changing
    from sipelangi_net.compliance.remediate import remediate
    from sipelangi_net.drivers.registry import open_driver
    from sipelangi_net.tickets.sqlite import utcnow

    ticket = st.get(ticket_id)
    note = f"berita acara not signed; installation rolled back: {printable(reason)}"[:2000]
    refused = Move(step=9, actor=actor, outcome="failed", note=note)
    workflow.may_do(ticket, refused, now=utcnow(), account=bound_account(st))  # before any device is touched
    deployed = _deployed(ticket)
    intended, expect = _targets(ticket, deployed, reports)
    scope = _scope(ticket, deployed, inventory)
    names = [*intended, *([scope[0].name] if scope is not None else [])]
    held = changing(st, ticket_id, names, purpose="rollback", lock_wait=lock_wait, coordinator=coordinator)
    with held:  # recordable first
        report = remediate(
            intended, inventory, creds, driver_factory=open_driver, backups=reports / ticket_id / "rollback",
            confirm_seconds=confirm_seconds, run_id=ticket_id, expect=expect,
        )  # fmt: skip
        if report.ok and scope is not None:  # the devices are back: the OPD's scope goes too
            report.dhcp = remove_scope(ticket_id, scope[0], scope[1], open_driver, creds)
            if report.dhcp.error:
                refused = refused.model_copy(
                    update={"note": f"{refused.note}; DHCP: {report.dhcp.error}"[:2000]}
                )
        if report.ok:
            st.apply(ticket_id, refused.model_copy(update={"outputs": {"rollback": report.to_json()}}))
    return report


def _scope(ticket: Any, report: DeployRecord | None, inventory: Any) -> tuple[ScopeServer, str] | None:
    """The central DHCP server and the subnet of the scope the ticket's deploy set there, if any."""
    service = inventory.servers.dhcp
    if report is None or report.dhcp is None or report.dhcp.state != "confirmed" or service is None:
        return None
    if report.dhcp.server != service.server:
        raise ConfigError(
            f"ticket {ticket.id}: its scope is on DHCP server {report.dhcp.server}, but servers.yaml names"
            f" {service.server}: remove the scope {report.dhcp.subnet} there by hand"
        )
    return ScopeServer(service.server, service.control_url), report.dhcp.subnet
