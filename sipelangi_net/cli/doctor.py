"""``sipelangi-net doctor``: is every program sipelangi-net runs installed on this machine?"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from sipelangi_net.cli.output import add_row, say_json, show_table, styled, table

if TYPE_CHECKING:
    from sipelangi_net.programs import Program

ForOpt = typer.Option(
    None,
    "--for",
    metavar="PURPOSE",
    help="Only what this needs (repeatable): lab, bandwidth, compliance, documents, setup, tests.",
)


def doctor_command(
    purposes: list[str] | None = ForOpt,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Check the programs and packages of the one program list (sipelangi_net/programs.txt).

    Exit code 0 when everything is installed; 3 when something is missing: the message
    names each program, its package and the apt-get command.
    """
    from sipelangi_net import programs
    from sipelangi_net.errors import ConfigError, MissingPackageError

    entries = programs.load()
    unknown = sorted(set(purposes or ()) - programs.PURPOSES)
    if unknown:
        raise ConfigError(
            f"--for {', '.join(unknown)}: unknown (one of {', '.join(sorted(programs.PURPOSES))})"
        )
    if purposes:
        entries = tuple(e for e in entries if e.needed_for & set(purposes))
    missing = programs.missing(entries, packages=programs.installed_packages())
    if as_json:
        say_json([_row(e, e not in missing) for e in entries])
    else:
        _table(entries, missing)
    if missing:
        raise MissingPackageError(programs.missing_message(missing))


def _row(entry: Program, ok: bool) -> dict[str, object]:
    return {
        "program": entry.program,
        "package": entry.package,
        "needed_for": sorted(entry.needed_for),
        "installed": ok,
    }


def _table(entries: tuple[Program, ...], missing: tuple[Program, ...]) -> None:
    out = table(
        "sipelangi-net doctor: programs and packages (sipelangi_net/programs.txt)",
        ("program", "package", "needed for", "installed"),
    )
    for e in entries:
        add_row(
            out,
            e.program or "-",
            e.package,
            ", ".join(sorted(e.needed_for)),
            styled("no", "red") if e in missing else "yes",
        )
    show_table(out)
