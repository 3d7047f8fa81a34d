"""``fault diagnose`` and ``fault retest``: where an OPD's path breaks, and whether it is fixed.

Both read the fault from the local ticket store, do their work from the environment chosen at
the edge (the lab or the field), and keep the result on the fault (a ``diagnosis`` or ``retest``
record). ``--step`` also records the SOP step the result stands for (``diagnosed`` after a
diagnosis that found the broken hop, ``verified`` after a passed re-test) when the fault's next
steps allow it and the one who acts is of the Tim Kerja; this is checked before any device work.
:func:`register` adds the two commands to the ``fault`` group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from sipelangi_net.cli.bwtest import SecondsOpt, SpeedtestOpt, StreamsOpt, ToleranceOpt, settings_of
from sipelangi_net.cli.output import say_json, say_lines
from sipelangi_net.cli.ticket import ActorOpt, DbOpt, InventoryOpt, JsonOpt, _actor, opened
from sipelangi_net.faults.sop import StepKey

StepOpt = typer.Option(
    False, "--step", help="Also record the SOP step the result stands for (Tim Kerja; see docs/faults.md)."
)
FaultArg = typer.Argument(..., help="The fault, GGN-NNNNN.")


def _number(label: str) -> int:
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.faults.models import label_number

    try:
        return label_number(label.strip().upper())
    except ValueError as exc:
        raise ConfigError(f"{exc}; see 'sipelangi-net fault list'") from None


def _faults(st: Any) -> Any:
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.tickets.acting import unwrapped

    faults = getattr(unwrapped(st), "faults", None)
    if faults is None:
        raise ConfigError("fault diagnose and retest work on the local ticket store (--db), not a server's")
    return faults


def _who(st: Any, typed: str | None) -> Any:
    """The fault actor: the bound account (its role must be a fault role), else the name typed in
    (single-engineer mode: the Tim Kerja)."""
    from sipelangi_net.errors import Forbidden
    from sipelangi_net.faults.models import FaultActor
    from sipelangi_net.faults.sop import FaultRole
    from sipelangi_net.tickets.acting import bound_account
    from sipelangi_net.tickets.policy import decides

    account = bound_account(st)
    if not decides(account):
        return FaultActor(role=FaultRole.TIM_KERJA, name=_actor(typed))
    assert account is not None  # decides() is False for None
    roles = {r.value: r for r in FaultRole}
    if account.role not in roles:
        raise Forbidden(f"account {account.username} ({account.role}) does not record on faults")
    return FaultActor(role=roles[account.role], name=account.username)


def _may_step(fault: Any, key: StepKey, actor: Any) -> None:
    """Refuse ``--step`` before any work when the fault's next steps or the actor's role forbid it."""
    from sipelangi_net.errors import WorkflowError
    from sipelangi_net.faults.sop import move_problem

    problem = move_problem(fault.step, key, actor.role)
    if problem:
        raise WorkflowError(f"{fault.label}: --step: {problem}")


def _load(db: Path | None, label: str, actor: str | None, step: StepKey | None) -> tuple[Any, Any, list[Any]]:
    """The fault, who acts, and the store's tickets; ``step`` checked now."""
    number = _number(label)
    with opened(db, None) as st:
        fault = _faults(st).get(number)
        who = _who(st, actor)
        if step:
            _may_step(fault, step, who)
        return fault, who, list(st.tickets())


def _keep(db: Path | None, fault: Any, record: Any, step: StepKey | None, note: str) -> Any:
    with opened(db, None) as st:
        faults = _faults(st)
        kept = faults.add_record(fault.id, record)
        if step:
            kept = faults.move(
                fault.id, step, actor=record.actor, at=dt.datetime.now(dt.UTC), note=note[:2000]
            )
        return kept


def _hop_lines(diagnosis: Any) -> list[str]:
    lines = []
    for hop in diagnosis.hops:
        lines.append(f"{hop.status:<8}{hop.target}")
        lines.extend(f"          {e.status:<8}{e.check:<10}{e.detail}" for e in hop.evidence)
    return [*lines, diagnosis.summary]


def diagnose_command(
    fault_id: str = FaultArg,
    step: bool = StepOpt,
    inventory: Path | None = InventoryOpt,
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Walk the fault's OPD paths hop by hop from the Diskominfo side: reachability, interface state
    and counters, running config against intended; say where the path breaks (read-only).

    Exit 0 no broken hop found, 1 the path breaks (the hop is named).
    """
    from sipelangi_net.cli.deploy import _inventory
    from sipelangi_net.cli.environment import chosen_environment
    from sipelangi_net.compliance.intended import intended_configs, provisioned
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.faults.path_checks import DeviceReader, diagnose
    from sipelangi_net.faults.retest import gateways, opd_plans

    fault, who, tickets = _load(db, fault_id, actor, "diagnosed" if step else None)
    inv = _inventory(inventory)
    env = chosen_environment(inv)
    creds = load_credentials()
    installed = provisioned(tickets)

    def reader_for(names: Sequence[str]) -> DeviceReader:
        return DeviceReader(inv, creds, intended_configs(inv, installed, devices=names))

    found = diagnose(
        fault,
        inv,
        reader_for=reader_for,
        execute=env.diskominfo_side(inv),
        gateways=gateways(opd_plans(fault, tickets)),
        environment=env.name,
    )
    recorded: StepKey | None = "diagnosed" if step and found.broken is not None else None
    _keep(db, fault, found.record(who), recorded, found.summary)
    if as_json:
        say_json(found.to_json() | {"step": recorded})
    else:
        say_lines(_hop_lines(found))
        if step and recorded is None:
            say_lines([f"note: no broken hop found: step 'diagnosed' not recorded on {fault.label}"])
    if found.broken is not None:
        raise typer.Exit(1)


def retest_command(
    fault_id: str = FaultArg,
    seconds: int = SecondsOpt,
    streams: int = StreamsOpt,
    tolerance: float = ToleranceOpt,
    speedtest: bool = SpeedtestOpt,
    step: bool = StepOpt,
    inventory: Path | None = InventoryOpt,
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The step-8 bandwidth test of each OPD of the fault against its plan, kept on the fault.

    Exit 0 every OPD passed, 1 one failed or could not be measured.
    """
    from sipelangi_net.analysis.plan import Plan
    from sipelangi_net.bandwidth.gate import measure
    from sipelangi_net.bandwidth.run import BwRun
    from sipelangi_net.cli.deploy import _inventory
    from sipelangi_net.cli.environment import chosen_environment
    from sipelangi_net.faults.retest import opd_plans, retest

    fault, who, tickets = _load(db, fault_id, actor, "verified" if step else None)
    inv = _inventory(inventory)
    env = chosen_environment(inv)
    settings = settings_of(seconds, streams, tolerance, speedtest)

    def run(plan: Plan) -> BwRun:
        return measure(plan, inv, env, settings)

    result = retest(fault, opd_plans(fault, tickets), run, environment=env.name)
    recorded: StepKey | None = "verified" if step and result.passed else None
    _keep(db, fault, result.record(who), recorded, result.summary)
    if as_json:
        say_json(result.to_json() | {"step": recorded})
    else:
        say_lines(
            [
                *(f"{'pass' if o.passed else 'FAIL':<6}{o.opd}: {o.reason}" for o in result.opds),
                result.summary,
            ]
        )
    if not result.passed:
        raise typer.Exit(1)


def register(group: typer.Typer) -> None:
    """Add ``diagnose`` and ``retest`` to the ``fault`` command group."""
    group.command("diagnose")(diagnose_command)
    group.command("retest")(retest_command)
