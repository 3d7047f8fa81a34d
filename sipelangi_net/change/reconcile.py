"""Before a ticket's deploy touches any device: record what earlier runs' journals say happened.

A run's journal (sipelangi_net.change.journal) is closed once the ticket store holds its record.
One left open means the run stopped before that: the store was locked past its busy timeout
when the run tried to record, or the process was killed. :func:`reconcile` reads each open
journal of the ticket, oldest first, and records it:

- it has the run's ``report``: that report is recorded as it was — step 7 with the backups
  taken before the change and, when the change was kept, step 8 with the bandwidth result;
- it stops earlier (the process was killed): the report is rebuilt from the devices' entries.
  Devices armed but never confirmed are restored by their own timers: the run waits until the
  latest of them has fired. When only some devices were confirmed, those are put back to their
  backups through the safe push (``undo``), so no device keeps the change unless all do;
- a run whose record is already on the ticket (its run id on step 7) is only closed: a journal
  is never recorded twice.

When the ticket then has step 7 done, the installation was kept: the caller pushes nothing again.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sipelangi_net.change.dhcp_target import ScopeResult
from sipelangi_net.change.journal import Entry, close, pending, read
from sipelangi_net.change.push import (
    DeployReport,
    DeviceResult,
    Expected,
    Undo,
    backup_intended,
    config_digest,
)
from sipelangi_net.change.record import record_installation
from sipelangi_net.errors import ConfigError, OutputsError
from sipelangi_net.platforms import Platform
from sipelangi_net.tickets import workflow
from sipelangi_net.validate import printable

SETTLE_MARGIN_S = 5.0
MAX_TIMER_S = 3600 + 60
"""No revert timer runs longer than the longest ``--confirm-timeout`` (3600 s); a journal that says
otherwise is not believed beyond it."""


@dataclass(frozen=True, slots=True)
class Earlier:
    """What the ticket's earlier runs left: the installation they kept (if any), the time waited."""

    report: DeployReport | None = None
    tested: Any = None
    waited_s: float = 0.0


def reconcile(
    st: Any,
    ticket_id: str,
    folder: Path,
    *,
    actor: str,
    undo: Undo,
    sleep: Callable[[float], None] = time.sleep,
) -> Earlier:
    """Record every open journal under ``folder/runs`` (see the module docstring)."""
    waited = 0.0
    kept: tuple[DeployReport, Any] | None = None
    for path in pending(folder):
        entries = read(path)
        report_entry = _last(entries, "report")
        if _recorded(
            st.get(ticket_id), path.stem
        ):  # stopped between its step 7 and step 8, or before closing
            _step8(st, ticket_id, path, report_entry, actor)
            close(path, "recorded")
            continue
        if report_entry is not None:
            report, tested, slot, who, started = _from_report(path, ticket_id, report_entry, actor)
        else:
            waited += _settle(entries, sleep)
            rebuilt = _rebuild(path, ticket_id, entries, folder.parent, undo)
            if rebuilt is None:
                close(path, "settled", why="stopped before any device was armed")
                continue
            report, tested = rebuilt
            slot, who, started = None, _actor(entries, actor), None
        report.run_id = path.stem
        record_installation(st, ticket_id, who, report, tested, started=started, slot=slot)
        close(path, "recorded")
        kept = (report, tested) if report.ok else None
    if kept is not None and workflow.completed(st.get(ticket_id), 7) is not None:
        return Earlier(kept[0], kept[1], waited)
    return Earlier(waited_s=waited)


def _recorded(ticket: Any, run_id: str) -> bool:
    """Whether a step-7 event of ``ticket`` carries ``run_id`` (its record is already there)."""
    from sipelangi_net.tickets.outputs import Installed, outputs_of

    for event in ticket.events:
        if event.step != 7:
            continue
        try:
            deploy = outputs_of(ticket, event, Installed).deploy
        except OutputsError:
            continue
        if deploy is not None and deploy.run_id == run_id:
            return True
    return False


def _step8(st: Any, ticket_id: str, path: Path, report_entry: Entry | None, actor: str) -> None:
    """The bandwidth test of a kept installation, when its step 7 is on the ticket but step 8 is not."""
    from sipelangi_net.bandwidth.gate import step8

    if report_entry is None:
        return
    report, tested, _slot, who, _started = _from_report(path, ticket_id, report_entry, actor)
    ticket = st.get(ticket_id)
    if report.ok and tested is not None and workflow.completed(ticket, 8) is None:
        st.apply(ticket_id, step8(tested, who))


def _last(entries: list[Entry], kind: str) -> Entry | None:
    return next((e for e in reversed(entries) if e.kind == kind), None)


def _actor(entries: list[Entry], default: str) -> str:
    start = _last(entries, "start")
    who = start.data.get("actor") if start is not None else None
    return printable(who)[:200] if isinstance(who, str) and who.strip() else default


def _from_report(
    path: Path, ticket_id: str, entry: Entry, actor: str
) -> tuple[DeployReport, Any, Any, str, dt.datetime | None]:
    """The run's own report, validated like anything read back from a store."""
    from sipelangi_net.tickets.outputs import DeployRecord, SlotRecord

    data = entry.data
    try:
        record = DeployRecord.model_validate(data.get("deploy"))
        slot = SlotRecord.model_validate(data["slot"]) if data.get("slot") is not None else None
        started = dt.datetime.fromisoformat(data["started"]) if data.get("started") else None
        tested = _tested(data.get("tested"))
    except (ValidationError, ValueError, TypeError, KeyError) as exc:
        raise ConfigError(f"{path}: the run's report cannot be read back ({_first(exc)})") from None
    if record.ticket_id != ticket_id:
        raise ConfigError(f"{path}: the report of ticket {record.ticket_id}, not {ticket_id}")
    devices = [DeviceResult(**d.model_dump(mode="json")) for d in record.devices]
    scope = ScopeResult(**record.dhcp.model_dump(mode="json")) if record.dhcp is not None else None
    fields = record.model_dump(mode="json", exclude={"devices", "dhcp"})
    who = data.get("actor")
    by = printable(who)[:200] if isinstance(who, str) and who.strip() else actor
    return DeployReport(**fields, devices=devices, dhcp=scope), tested, slot, by, started


def _tested(data: Any) -> Any:
    """A bandwidth run (result and raw outputs) from the journal, or None."""
    if data is None:
        return None
    from sipelangi_net.bandwidth.models import BwResult
    from sipelangi_net.bandwidth.run import BwRun
    from sipelangi_net.tickets.outputs import Tested

    checked = Tested.model_validate(data)  # the same schema step 8 keeps
    return BwRun(BwResult.model_validate(checked.bwtest.model_dump(mode="json")), dict(checked.raw))


def _first(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(exc)


def _open_timers(entries: list[Entry]) -> dict[str, float]:
    """Devices armed and never confirmed nor rolled back: when their own timers fire."""
    now = time.time()
    armed: dict[str, float] = {}
    for e in entries:
        if e.kind in ("arming", "armed"):
            until = e.data.get("until")
            if isinstance(until, int | float) and not isinstance(until, bool):
                armed[e.device] = min(float(until), now + MAX_TIMER_S)
            else:
                armed[e.device] = now + MAX_TIMER_S
        elif e.kind in ("confirmed", "rolled_back", "put_back"):
            armed.pop(e.device, None)
    return armed


def _settle(entries: list[Entry], sleep: Callable[[float], None]) -> float:
    """Wait until every armed, unconfirmed device's own timer has restored it; the seconds waited."""
    timers = _open_timers(entries)
    if not timers:
        return 0.0
    wait = max(0.0, max(timers.values()) + SETTLE_MARGIN_S - time.time())
    if wait:
        sleep(wait)
    return wait


def _rebuild(
    path: Path, ticket_id: str, entries: list[Entry], reports: Path, undo: Undo
) -> tuple[DeployReport, Any] | None:
    """The report of a run killed part-way, from its entries; None when it armed nothing."""
    change = _last(entries, "change")
    if change is None or not any(e.kind in ("arming", "armed") for e in entries):
        return None
    start = _last(entries, "start")
    pid = start.data.get("pid", "?") if start is not None else "?"
    stopped = f"the run (pid {printable(str(pid))[:12]}) stopped before it finished"
    devices = [_device(path, d, entries, stopped) for d in _change_devices(path, change)]
    report = DeployReport(
        ticket_id=ticket_id, changed=any(d.commands for d in devices), devices=devices,
        change_set=str(change.data.get("digest", ""))[:64],
    )  # fmt: skip
    changed = [d for d in devices if d.commands]
    sure = {e.device for e in entries if e.kind == "confirmed"}
    report.ok = all(d.device in sure for d in changed)
    if not report.ok:
        report.error = f"{stopped}; recorded from its journal {path}"
        kept = [d for d in changed if d.state == "confirmed"]  # confirmed, or maybe (killed while confirming)
        if kept:
            _put_back(ticket_id, kept, sure, reports, undo=undo, report=report)
        report.error += _scope_left(change, entries)
    tested = None
    bw = _last(entries, "bwtest")
    if bw is not None and report.ok:
        try:
            tested = _tested(bw.data)
        except (ValidationError, ValueError, TypeError) as exc:
            raise ConfigError(f"{path}: the bandwidth result cannot be read back ({_first(exc)})") from None
    return report, tested


def _scope_left(change: Entry, entries: list[Entry]) -> str:
    """A note when the run set the OPD's scope on the central DHCP server and did not take it off:
    the server has no revert timer; the scope stays unused (no gateway holds its address) and the
    ticket's next run finds it in place."""
    scope = change.data.get("dhcp")
    server = scope.get("server") if isinstance(scope, dict) else None
    if not isinstance(server, str):
        return ""
    seen = {e.kind for e in entries if e.device == server}
    if "pushed" not in seen or "rolled_back" in seen:
        return ""
    return (
        f"; the OPD's DHCP scope stays on {printable(server)[:64]} (unused until the ticket's next run,"
        " which finds it in place)"
    )


def _change_devices(path: Path, change: Entry) -> list[Mapping[str, Any]]:
    devices = change.data.get("devices")
    if not isinstance(devices, list) or not all(
        isinstance(d, dict) and isinstance(d.get("device"), str) and isinstance(d.get("commands"), list)
        for d in devices
    ):
        raise ConfigError(f"{path}: the change entry does not list the devices and their commands")
    return devices


def _device(path: Path, d: Mapping[str, Any], entries: list[Entry], stopped: str) -> DeviceResult:
    from sipelangi_net.tickets.outputs import DeviceRecord

    name = d["device"]
    seen = {e.kind: e.data for e in entries if e.device == name}
    state, verified, error = "unchanged", None, ""
    if "put_back" in seen:
        state, verified = "rolled_back", True
    elif "rolled_back" in seen:
        state, verified = "rolled_back", seen["rolled_back"].get("verified") is True
    elif "confirmed" in seen or "confirming" in seen:  # confirming: the device may have kept it
        state = "confirmed"
    elif "arming" in seen or "armed" in seen:
        state, error = (
            "rolled_back",
            f"{stopped} before confirming it: its own revert timer restored its backup",
        )
    elif d["commands"]:
        state, error = "failed", f"{stopped}: nothing was sent to it"
    try:
        record = DeviceRecord.model_validate(
            {
                "device": name, "platform": d.get("platform"), "commands": d["commands"], "state": state,
                "verified": verified, "error": error,
                "backup_sha256": seen.get("backup", {}).get("sha256", ""),
                "backup_path": seen.get("backup", {}).get("path", ""),
                "after_sha256": seen.get("verified", {}).get("after_sha256", ""),
            }
        )  # fmt: skip
    except ValidationError as exc:
        raise ConfigError(f"{path}: device {printable(str(name))[:64]}: {_first(exc)}") from None
    return DeviceResult(**record.model_dump(mode="json"))


def _put_back(
    ticket_id: str, confirmed: list[DeviceResult], sure: set[str], reports: Path, *, undo: Undo,
    report: DeployReport,
) -> None:  # fmt: skip
    """The devices the killed run confirmed, back to their backups (the others' timers restored them).

    A device the run was confirming when it stopped (not in ``sure``) may have kept the change or
    been restored by its timer: it may run either, and is put back only if it kept the change.
    """
    from sipelangi_net.change.rollback import backup_text

    texts = {d.device: backup_text(ticket_id, d, reports, source="run journal") for d in confirmed}
    backups = {d.device: backup_intended(d.device, Platform(d.platform), texts[d.device]) for d in confirmed}
    expect: dict[str, Expected] = {
        d.device: d.after_sha256
        if d.device in sure
        else frozenset({d.after_sha256, config_digest(Platform(d.platform), texts[d.device])})
        for d in confirmed
    }
    undone = undo(backups, expect)
    names = ", ".join(d.device for d in confirmed)
    if undone.ok:
        for d in confirmed:
            d.state, d.verified = "rolled_back", True
        report.error += f"; put back to their backups: {names}"
    else:
        for d in confirmed:
            d.state, d.error = "failed", f"confirmed, then NOT put back: {undone.error}"
        report.error += f"; NOT put back, still changed: {names} ({undone.error})"
