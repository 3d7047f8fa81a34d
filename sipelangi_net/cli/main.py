"""Entry point: ``sipelangi-net``.

Exit codes: 0 success; 1 a run failed; 2 bad input (files, fields, options);
3 this machine cannot do it (not root, missing package); 4 lab problem;
5 a device problem; 6 ticket problem (not found, move not allowed, chain broken);
7 a bandwidth test could not be made (``bwtest``, ``deploy``);
74 a file or folder cannot be written (disk full, read-only; names the folder);
75 a run waits for the agreed slot, people or a channel (``provision``, ``deploy``); run it again;
8 compliance drift found (``compliance``, see docs/compliance.md);
70 internal error (a bug); 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import typer

from sipelangi_net.cli.analysis import analyze_command, prepare_command, schedule_command
from sipelangi_net.cli.bwtest import bwtest_command
from sipelangi_net.cli.compliance import compliance_app
from sipelangi_net.cli.deploy import deploy_command, diff_command, render_command
from sipelangi_net.cli.doctor import doctor_command
from sipelangi_net.cli.document import document_app
from sipelangi_net.cli.fault import fault_app
from sipelangi_net.cli.fault_checks import register as register_fault_checks
from sipelangi_net.cli.init import init_command
from sipelangi_net.cli.lab import lab_app
from sipelangi_net.cli.monitor import monitor_app
from sipelangi_net.cli.provision import playbook_app, provision_command
from sipelangi_net.cli.serve import serve_command
from sipelangi_net.cli.ticket import ticket_app
from sipelangi_net.cli.user import login_command, user_app

app = typer.Typer(
    name="sipelangi-net",
    help="Network automation for the Pangkalpinang government intranet (Jaringan Intra Pemerintah) SOP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("init")(init_command)
app.add_typer(lab_app, name="lab")
app.add_typer(ticket_app, name="ticket")
app.add_typer(document_app, name="document")
app.add_typer(compliance_app, name="compliance")
register_fault_checks(fault_app)  # fault diagnose, fault retest (cli/fault_checks.py)
app.add_typer(monitor_app, name="monitor")
app.add_typer(fault_app, name="fault")
app.add_typer(user_app, name="user")
app.command("login")(login_command)
app.command("analyze")(analyze_command)
app.command("prepare")(prepare_command)
app.command("schedule")(schedule_command)
app.command("render")(render_command)
app.command("diff")(diff_command)
app.command("deploy")(deploy_command)
app.command("bwtest")(bwtest_command)
app.command("provision")(provision_command)
app.command("doctor")(doctor_command)
app.add_typer(playbook_app, name="playbook")
app.command("serve", help="Serve the SiPelangi ticket API (OpenAPI: docs/openapi.yaml) on loopback.")(
    serve_command
)


@app.callback()
def _root(
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output (-vv: debug)."),
    workspace: Path | None = typer.Option(
        None,
        "--workspace",
        help="The workspace folder (default: SIPELANGI_WORKSPACE, else the current folder or a parent"
        " holding sipelangi-net.yaml; docs/workspace.md).",
    ),
) -> None:
    from sipelangi_net.logs import configure

    configure(verbose)
    if workspace is not None:
        from sipelangi_net.workspace import ENV, find

        os.environ[ENV] = str(workspace)  # the commands and the programs they start find it
        find()  # a folder that is no workspace: exit 2 now, naming it


def refuse_unsafe_input(argv: Sequence[str], env: Mapping[str, str]) -> None:
    """Refuse control characters in every argument and every ``SIPELANGI_*`` variable (exit 2).

    One check at the entry, before any command runs, with the same validator as request
    fields and API bodies (``validate.refuse_unsafe``). Only the command that ``lab exec``
    runs in a lab node (after ``--``) is passed through: it is never stored or printed.
    """
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.validate import refuse_unsafe

    words = [a for a in argv if not a.startswith("-")][:2]
    checked = argv[: argv.index("--")] if words == ["lab", "exec"] and "--" in argv else argv
    try:
        for i, arg in enumerate(checked):
            refuse_unsafe(arg, where=_argument_name(checked, i))
        for name in sorted(env):
            if name.startswith("SIPELANGI_"):
                refuse_unsafe(env[name], where=f"environment variable {name}")
    except ValueError as exc:
        raise ConfigError(f"{exc}; give one line of printable text") from None


def _argument_name(argv: Sequence[str], i: int) -> str:
    """``--opd`` for ``--opd=X``; ``argument N (after --opd)`` for ``--opd X``; else ``argument N``."""
    arg = argv[i]
    if arg.startswith("--") and "=" in arg:
        return arg.partition("=")[0]
    if i > 0 and argv[i - 1].startswith("-") and "=" not in argv[i - 1]:
        return f"argument {i + 1} (after {argv[i - 1]})"
    return f"argument {i + 1}"


def _error(message: str) -> None:
    """An error message on stderr, each line printable (a stored value cannot drive the terminal)."""
    from sipelangi_net.cli.output import say

    for part in message.splitlines() or [""]:
        say(part, err=True)


def main() -> None:
    from sipelangi_net.errors import SipelangiError

    try:
        refuse_unsafe_input(sys.argv[1:], os.environ)
        app()
    except SipelangiError as exc:
        from sipelangi_net.logs import scrub

        _error(f"error: {scrub(str(exc), patterns=False)}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _error("interrupted")
        sys.exit(130)
    except Exception as exc:
        import logging

        from sipelangi_net.logs import scrub

        if logging.getLogger("sipelangi_net").isEnabledFor(logging.DEBUG):
            raise
        _error(
            f"error: internal error: {type(exc).__name__}: {scrub(str(exc))}"
            " (this is a bug in sipelangi-net; rerun with -vv for the traceback and report it)"
        )
        sys.exit(70)


if __name__ == "__main__":
    main()
