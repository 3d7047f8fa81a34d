"""``sipelangi-net lab``: the lab of real network devices on this machine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from sipelangi_net.cli.output import add_row, joined, line, say, say_json, show_table, styled, table

lab_app = typer.Typer(
    help="Build, inspect and remove the lab (FRR routers, Open vSwitch switches, servers).",
    no_args_is_help=True,
)

InventoryOpt = typer.Option(
    None,
    "--inventory",
    "-i",
    help="Inventory directory (default: SIPELANGI_INVENTORY or ./inventory).",
)
JsonOpt = typer.Option(False, "--json", help="Machine-readable output.")


def _paths() -> Any:
    from sipelangi_net.lab.runtime import LabPaths
    from sipelangi_net.paths import lab_dir

    return LabPaths(lab_dir())


def _inventory_path(inventory: Path | None) -> Path:
    from sipelangi_net.paths import inventory_dir

    return inventory or inventory_dir()


def _needs(*, root: bool) -> None:
    """Stop (exit 3) unless this is Linux, and, when ``root``, this user is root: say which."""
    from sipelangi_net.lab.preflight import check_system

    check_system(root=root)


def _say(message: str) -> None:
    say(f"lab: {message}", err=True)


@lab_app.command("up")
def up(
    inventory: Path | None = InventoryOpt,
    as_json: bool = JsonOpt,
    fresh: bool = typer.Option(
        False,
        "--fresh",
        help="Rebuild at day-0 when the lab is already up (drops every change made to its devices).",
    ),
) -> None:
    """Build the lab from the inventory (harmless when it is already up; --fresh rebuilds it)."""
    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.lab.up import lab_up

    _needs(root=True)
    inv = load_inventory(_inventory_path(inventory))
    report = lab_up(inv, _paths(), progress=None if as_json else _say, fresh=fresh)
    if as_json:
        say_json(
            {
                "already_up": report.already_up,
                "seconds": round(report.seconds, 3),
                "devices": report.devices,
                "hosts": report.hosts,
                "steps": {k: round(v, 3) for k, v in report.steps},
            },
            indent=None,
        )
    elif report.already_up:
        _say(
            f"already up and healthy ({report.devices} devices, {report.hosts} hosts), with the changes"
            " made since; 'lab up --fresh' rebuilds it at day-0"
        )
    else:
        _say(f"up in {report.seconds:.1f} s: {report.devices} devices, {report.hosts} hosts")


@lab_app.command("down")
def down(as_json: bool = JsonOpt) -> None:
    """Remove everything 'lab up' made (also after a crash or a half-finished up)."""
    from sipelangi_net.lab.down import lab_down

    _needs(root=True)
    report = lab_down(_paths())
    if as_json:
        say_json(
            {
                "processes": report.processes,
                "namespaces": report.namespaces,
                "removed_user": report.removed_user,
                "survivors": list(report.survivors),
            },
            indent=None,
        )
    else:
        _say(f"down: stopped {report.processes} processes, removed {report.namespaces} namespaces")
    if report.survivors:
        raise typer.Exit(4)


@lab_app.command("status")
def status(as_json: bool = JsonOpt) -> None:
    """Show every device, its management address and whether it answers.

    Exit code 0 when the lab is up and healthy, 3 when it is down, 4 when stale.
    """
    from sipelangi_net.lab.status import lab_status

    _needs(root=False)
    st = lab_status(_paths())
    if as_json:
        say_json(st.to_json())
    else:
        print_status(st)
    if st.state != "up":
        raise typer.Exit(3 if st.state == "down" else 4)


def print_status(st: Any) -> None:
    """The lab's devices, hosts and problems as a table and lines (values shown as text)."""
    columns = ("device", "platform", "management", "answers", "identity / problem")
    devices = table(f"sipelangi-net lab: {st.state}", columns)
    for d in st.devices:
        add_row(
            devices,
            d.name,
            d.platform,
            f"{d.host}:{d.port}",
            "yes" if d.answers else styled("no", "red"),
            d.identity if d.answers else d.error,
        )
    show_table(devices)
    if st.hosts:
        say("hosts: " + ", ".join(h.name + ("" if h.netns else " (missing)") for h in st.hosts))
    for p in st.problems:
        line(styled("problem:", "red"), f" {p}")


def print_summaries(summaries: Any) -> None:
    """``lab show``: one row per device's running config (values shown as text)."""
    from sipelangi_net.platforms import spec_for

    devices = table(
        "Perangkat Jaringan Intra Pemerintah (running config)",
        ("device", "platform", "identity", "lines", "ifaces", "addresses / vlans", "routes"),
    )
    for s in summaries:
        if not s.ok:
            add_row(devices, s.name, s.platform, styled(s.error, "red"), "", "", "", "")
            continue
        identity = joined(s.identity, "" if s.identity == s.name else styled(" (mismatch)", "red"))
        router = spec_for(s.platform).kind == "router"
        detail = ", ".join(s.addresses) if router else "vlan " + ",".join(map(str, s.vlans))
        add_row(
            devices, s.name, s.platform, identity, str(s.config_lines), str(s.interfaces), detail,
            "; ".join(s.routes),
        )  # fmt: skip
    show_table(devices)


@lab_app.command("exec", context_settings={"allow_interspersed_args": False})
def exec_(
    device: str = typer.Argument(..., help="Lab device or host name."),
    command: list[str] = typer.Argument(..., help="Command to run inside its namespaces (after --)."),
) -> None:
    """Run a command inside a lab node's namespaces (vtysh, ovs-vsctl, ping, ...)."""
    from sipelangi_net.errors import LabError, LabNotRunningError
    from sipelangi_net.lab.runtime import netns_path, nsenter, read_json

    _needs(root=True)
    paths = _paths()
    manifest = read_json(paths.manifest)
    if manifest is None:
        raise LabNotRunningError("the lab is not up; run 'sipelangi-net lab up'")
    if device not in manifest.get("nodes", {}):
        known = ", ".join(sorted(manifest.get("nodes", {})))
        raise LabError(f"{device}: no such lab node (nodes: {known})")
    if not netns_path(device).exists():
        raise LabError(
            f"{device}: its network namespace is gone; the lab is stale, run 'lab down' and 'lab up'"
        )
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise LabError("lab exec: no command given (usage: lab exec DEVICE -- COMMAND...)")
    argv = [*nsenter(paths, device), *command]
    os.execvp(argv[0], argv)  # noqa: S606 - replaces this process; exit code passes through


@lab_app.command("show")
def show(inventory: Path | None = InventoryOpt, as_json: bool = JsonOpt) -> None:
    """Log in to every device (Nornir + Netmiko) and summarise its running config."""
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.lab.show import collect

    _needs(root=False)
    summaries = collect(_inventory_path(inventory), load_credentials())
    if as_json:
        say_json([s.to_json() for s in summaries])
    else:
        print_summaries(summaries)
    if any(not s.ok for s in summaries):
        raise typer.Exit(1)
