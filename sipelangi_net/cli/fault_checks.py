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

from sipelangi_net.cli.bwtest import (
    SecondsOpt,
    SpeedtestOpt,
    StreamsOpt,
    ToleranceOpt,
    UdpSecondsOpt,
    settings_of,
)
from sipelangi_net.cli.fault import _faults, _number
from sipelangi_net.cli.output import say_json, say_lines
from sipelangi_net.cli.ticket import DbOpt, InventoryOpt, JsonOpt, opened
from sipelangi_net.faults.models import FaultActor
from sipelangi_net.faults.sop import StepKey

StepOpt = typer.Option(
    False, "--step", help="Also record the SOP step the result stands for (Tim Kerja; see docs/faults.md)."
)
FaultArg = typer.Argument(..., metavar="FAULT", help="The fault's number, e.g. GGN-00042.")


def _who(st: Any, key: StepKey) -> FaultActor:
    """Who records: the CLI's account as the fault role of ``key`` (faults/roles.py: the Tim Kerja;
    single-engineer mode's local account too); Forbidden otherwise, before any work."""
    from sipelangi_net.faults.roles import fault_actor
    from sipelangi_net.tickets.acting import bound_account

    account = bound_account(st)
    assert account is not None  # a local store is always bound (cli/identity.py)
    return fault_actor(account, key)


def _may_step(fault: Any, key: StepKey, actor: Any) -> None:
    """Refuse ``--step`` before any work when the fault's next steps or the actor's role forbid it."""
    from sipelangi_net.errors import WorkflowError
    from sipelangi_net.faults.sop import move_problem

    problem = move_problem(fault.step, key, actor.role)
    if problem:
        raise WorkflowError(f"{fault.label}: --step: {problem}")


def _load(db: Path | None, label: str, work: StepKey, step: bool) -> tuple[Any, FaultActor, list[Any]]:
    """The fault, who acts (as the role of the step the work stands for: ``work``), and the store's
    tickets; with ``step``, the move checked now."""
    number = _number(label)
    with opened(db, None) as st:
        fault = _faults(st).get(number)
        who = _who(st, work)
        if step:
            _may_step(fault, work, who)
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

    fault, who, tickets = _load(db, fault_id, "diagnosed", step)
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
    udp_seconds: int = UdpSecondsOpt,
    streams: int = StreamsOpt,
    tolerance: float = ToleranceOpt,
    speedtest: bool = SpeedtestOpt,
    step: bool = StepOpt,
    inventory: Path | None = InventoryOpt,
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

    fault, who, tickets = _load(db, fault_id, "verified", step)
    inv = _inventory(inventory)
    env = chosen_environment(inv)
    settings = settings_of(seconds, streams, tolerance, speedtest, udp_seconds)

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
