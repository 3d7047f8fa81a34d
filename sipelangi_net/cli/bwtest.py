"""``bwtest``: the bandwidth test of SOP step 8, recorded on the ticket."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import typer

from sipelangi_net.cli.output import say_json, say_lines
from sipelangi_net.cli.ticket import (
    ActorOpt,
    DbOpt,
    InventoryOpt,
    JsonOpt,
    StoreOpt,
    _actor,
    already_stored,
    opened,
)

SecondsOpt = typer.Option(3, "--seconds", min=1, max=60, help="Measured seconds per TCP direction.")
UdpSecondsOpt = typer.Option(
    2,
    "--udp-seconds",
    min=1,
    max=60,
    help="Seconds of the UDP test at the plan's rate (its loss and jitter).",
)
StreamsOpt = typer.Option(4, "--streams", min=1, max=32, help="Parallel TCP streams.")
ToleranceOpt = typer.Option(
    0.06, "--tolerance", min=0.0, max=0.5, help="Share of the target a result may fall short (headers)."
)
SpeedtestOpt = typer.Option(True, "--speedtest/--no-speedtest", help="Also run speedtest-cli (breakout).")


def settings_of(seconds: int, streams: int, tolerance: float, speedtest: bool, udp_seconds: int = 2) -> Any:
    from sipelangi_net.bandwidth.run import Settings

    return Settings(
        seconds=seconds, udp_seconds=udp_seconds, streams=streams, tolerance=tolerance, speedtest=speedtest
    )


def bwtest_command(
    ticket_id: str,
    seconds: int = SecondsOpt,
    udp_seconds: int = UdpSecondsOpt,
    streams: int = StreamsOpt,
    tolerance: float = ToleranceOpt,
    speedtest: bool = SpeedtestOpt,
    record: bool = typer.Option(True, "--record/--no-record", help="Record the result as SOP step 8."),
    inventory: Path | None = InventoryOpt,
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Quality test (SOP step 8): iperf3 and speedtest from the OPD side against the plan's target.

    Exit 0 pass, 1 fail (below the target), 7 the test could not be made (server, tool, output).
    """
    from sipelangi_net.bandwidth.gate import measure, step8, summary_lines
    from sipelangi_net.cli.deploy import _inventory, _plan
    from sipelangi_net.errors import MeasurementError
    from sipelangi_net.tickets import workflow
    from sipelangi_net.tickets.acting import bound_account
    from sipelangi_net.tickets.models import Move
    from sipelangi_net.tickets.sqlite import utcnow

    who = _actor(actor)
    with opened(db, store) as st:
        ticket, plan = _plan(st, ticket_id)
        if record:  # refuse before measuring when the SOP does not allow step 8 now
            workflow.may_do(ticket, Move(step=8, actor=who), now=utcnow(), account=bound_account(st))
    from sipelangi_net.cli.environment import chosen_environment

    inv = _inventory(inventory)
    run = measure(
        plan, inv, chosen_environment(inv), settings_of(seconds, streams, tolerance, speedtest, udp_seconds)
    )
    if record:
        with opened(db, store) as st:
            st.apply(ticket_id, step8(run, who))
    with already_stored(ticket_id, f"step 8 of ticket {ticket_id}") if record else contextlib.nullcontext():
        if as_json:
            say_json(run.result.model_dump(mode="json"))
        else:
            say_lines(summary_lines(run))
    if run.result.errors:
        raise MeasurementError(f"ticket {ticket_id}: bandwidth test not made: {run.result.errors[0]}")
    if not run.result.passed:
        raise typer.Exit(1)
