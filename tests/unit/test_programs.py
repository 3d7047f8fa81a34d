"""The one list of external programs (sipelangi_net/programs.txt): complete, installed by dev.sh, checked.

The scan (``program_scan``) reads every command the Python code, the tests, the benches, the
scripts and ``dev.sh`` run; each program found must be on the list, each program on the list
must be run somewhere, and ``dev.sh`` installs exactly the list's packages.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path

import program_scan as scan
import pytest

from sipelangi_net import programs
from sipelangi_net.errors import ConfigError, MissingPackageError
from sipelangi_net.lab import preflight

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).with_name("sipelangi-net"))
PYTHON_DIRS = ("sipelangi_net", "tests", "bench", "scripts")
SHELL_FILES = ("dev.sh", ".ci/run", "scripts/demo.sh")

# From the virtualenv (pyproject.toml), not from apt: the interpreter and the tools dev.sh runs.
VENV = {"<python>", "python", "sipelangi-net", "ruff", "mypy", "pytest", "pip"}
# Named by tests precisely because it is not installed anywhere.
ABSENT_ON_PURPOSE = {"sipelangi-no-such-program"}
# Runners whose program is data, on purpose: where it comes from.
DYNAMIC = {
    "sipelangi_net/programs.py::installed": "looks up the list's own programs (doctor, lab preflight)",
    "sipelangi_net/server/pages/jobrun.py::main": "runs the command the server gives it (the CLI)",
}


@cache
def scanned() -> tuple[frozenset[scan.Use], dict[str, set[str]]]:
    files = sorted(p for d in PYTHON_DIRS for p in (ROOT / d).rglob("*.py"))
    uses, unresolved = scan.python_uses(scan.Index(ROOT, files))
    uses |= scan.shell_uses(ROOT, [ROOT / f for f in SHELL_FILES if (ROOT / f).exists()])
    return frozenset(uses), unresolved


def listed(program: str, entries: tuple[programs.Program, ...]) -> bool:
    """On the list: the same name (``vtysh`` is ``/usr/bin/vtysh``), or a pattern (``/usr/lib/frr/*``)."""
    names = [e.program for e in entries if e.program]
    if "*" in program:
        return any(fnmatch.fnmatch(n, program) for n in names)
    return any(n == program or os.path.basename(n) == os.path.basename(program) for n in names)


def test_every_program_the_project_runs_is_on_the_list() -> None:
    entries = programs.load()
    uses, _ = scanned()
    unlisted = sorted(
        f"{u.program} ({u.where})"
        for u in uses
        if u.program not in VENV | ABSENT_ON_PURPOSE and not listed(u.program, entries)
    )
    assert not unlisted, (
        "programs run but not in sipelangi_net/programs.txt (add each with its Debian package): "
        + "; ".join(unlisted)
    )


def test_every_command_the_project_runs_can_be_read() -> None:
    _, unresolved = scanned()
    unknown = {runner: sorted(calls) for runner, calls in unresolved.items() if runner not in DYNAMIC}
    assert not unknown, (
        f"cannot tell which program these run (write the command as a list literal): {unknown}"
    )


def test_every_program_on_the_list_is_run_somewhere() -> None:
    uses, _ = scanned()
    entries = programs.load()
    stale = [
        e.program
        for e in entries
        if e.program and not any(listed(u.program, (e,)) for u in uses if u.program not in VENV)
    ]
    assert not stale, f"on the list but run nowhere (remove them from sipelangi_net/programs.txt): {stale}"


def test_the_lab_programs_include_ping_and_the_device_helpers() -> None:
    lab = {e.program: e.package for e in programs.needed_for("lab")}
    assert lab["ping"] == "iputils-ping"  # lab exec ... -- ping (README), the datapath tests
    assert lab["/usr/lib/frr/frr-reload.py"] == "frr-pythontools"  # commit-confirm restores FRR with it
    assert lab["ovsdb-client"] == "openvswitch-common"  # ... and OVS with it
    assert lab["/usr/bin/python3"] == "python3"  # the commit-confirm helper's interpreter
    compliance = {e.program for e in programs.needed_for("compliance")}
    assert "git" in compliance  # config backups
    assert {"/usr/bin/vtysh", "/usr/lib/frr/frr-reload.py"} <= compliance  # FRR's own forms in every FRR diff


# --------------------------------------------------------------------------- the scanner itself


SAMPLE = '''
import os
import shutil
import subprocess

TOOL = "/usr/bin/tool-a"

def run(cmd, *, check=True):
    return subprocess.run(list(cmd), check=check)

def enter(node):
    cmd = ["nsenter"]
    return [*cmd, "--"]

def lab_exec(node, *command):
    return run(["sipelangi-net", "lab", "exec", node, "--", *command])

def main(node, argv):
    run([TOOL, "-x"])
    run([*enter(node), "tool-b", "-y"])
    lab_exec("pc", "tool-c", "-c1")
    run(["ip", "netns", "exec", "ns", "tool-d"])
    subprocess.Popen(["setsid", "--fork", "tool-e"])
    shutil.which("tool-f")
    os.execvp(argv[0], argv)
    run(argv)
    subprocess.run(some_function_of_the_world())
    os.system("tool-h --now | tool-i")
    subprocess.check_output(f"tool-j {node}", shell=True)

SESSION = """#!/bin/sh
exec /usr/bin/tool-g -H /dev/null
"""
'''


def test_the_scan_finds_programs_through_helpers_wrappers_and_shell(tmp_path: Path) -> None:
    (tmp_path / "sample.py").write_text(SAMPLE)
    uses, unresolved = scan.python_uses(scan.Index(tmp_path, [tmp_path / "sample.py"]))
    found = {u.program for u in uses}
    assert found == {
        "/usr/bin/tool-a", "nsenter", "tool-b", "sipelangi-net", "tool-c", "ip", "tool-d",
        "setsid", "tool-e", "tool-f", "tool-h", "tool-i", "tool-j", "/usr/bin/tool-g",
    }  # fmt: skip
    # argv of main() is a parameter (its callers are scanned); the world's function is not readable
    assert set(unresolved) == {"sample.py::main"}
    assert {u.where for u in uses if u.program == "tool-c"} == {"sample.py:21"}


def test_the_shell_scan_skips_functions_heredocs_case_patterns_and_redirections() -> None:
    script = textwrap.dedent(
        """\
        #!/usr/bin/env bash
        setup() { apt-get install -y x >/dev/null; }
        case "${1:-}" in
            setup) setup ;;
            "" | "#"*) foo-pattern ;;
        esac
        cat >"$OUT/h.yaml" <<YAML
        not-a-command: here
        YAML
        missing+=("$p")  # a comment naming not-a-program
        [ "$(id -u)" != 0 ] && echo "root" >&2
        for _ in $(seq 3); do sleep 0.1; done
        CODE='
        import json
        print(json.load(sys.stdin)["a"])'
        tool-k | python -c "$CODE"
        read -r A < <(tool-l)
        sipelangi-net lab exec pc -- tool-m -c1
        """
    )
    assert sorted(set(scan.shell_programs(script))) == [
        "apt-get", "cat", "foo-pattern", "id", "python", "seq", "sipelangi-net", "sleep",
        "tool-k", "tool-l", "tool-m",
    ]  # fmt: skip
    assert ("tool-k", 16) in scan.shell_commands(script)


# --------------------------------------------------------------------------- list, dev.sh, preflight, doctor


def test_the_list_names_its_bad_lines() -> None:
    with pytest.raises(ConfigError, match=r"list.txt:2: unknown purpose lab-ish"):
        programs.parse("ip iproute2 lab\nping iputils-ping lab-ish\n", source="list.txt")
    with pytest.raises(ConfigError, match=r"list.txt:1: expected 'PROGRAM PACKAGE NEEDED-FOR'"):
        programs.parse("ping iputils-ping\n", source="list.txt")
    assert programs.parse("# c\n\n- libfoo documents  # a library\n")[0].program is None


def test_dev_sh_installs_exactly_the_packages_of_the_list() -> None:
    script = (ROOT / "dev.sh").read_text(encoding="utf-8")
    assert "sipelangi_net/programs.txt" in script
    proc = subprocess.run(
        ["bash", str(ROOT / "dev.sh"), "packages"], capture_output=True, text=True, check=True, timeout=30
    )
    assert proc.stdout.splitlines() == sorted({e.package for e in programs.load()})
    assert "iputils-ping" in proc.stdout.splitlines()


def test_the_lab_preflight_checks_the_lab_programs_of_the_list() -> None:
    lab = {e.program: e.package for e in programs.load() if "lab" in e.needed_for}
    assert lab == preflight.REQUIRED


def test_missing_programs_are_named_with_their_packages_and_the_apt_command(tmp_path: Path) -> None:
    entries = programs.needed_for("tests")
    missing = programs.missing(entries, path=str(tmp_path))  # an empty PATH: /usr/sbin and /sbin only
    assert {e.program for e in missing} >= {"ping", "setpriv", "ssh"}
    message = programs.missing_message(missing)
    assert "ping (iputils-ping)" in message
    assert "setpriv (util-linux)" in message
    assert "apt-get install chromium coreutils iputils-ping openssh-client util-linux (or" in message
    assert message.endswith("(or ./dev.sh setup)")


def test_a_package_without_a_program_is_checked_against_dpkg(tmp_path: Path) -> None:
    status = tmp_path / "status"
    status.write_text(
        "Package: libpango-1.0-0\nStatus: install ok installed\n\n"
        "Package: fonts-liberation2\nStatus: deinstall ok config-files\n"
    )
    installed = programs.installed_packages(status)
    assert installed == frozenset({"libpango-1.0-0"})
    docs = [e for e in programs.load() if e.program is None and "documents" in e.needed_for]
    assert {e.package for e in programs.missing(docs, packages=installed)} == {e.package for e in docs} - {
        "libpango-1.0-0"
    }
    assert programs.installed_packages(tmp_path / "absent") is None


def _doctor(path: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path, "NO_COLOR": "1", "COLUMNS": "160"}
    return subprocess.run(
        [CLI, "doctor", *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_doctor_names_what_is_missing_and_exits_3(tmp_path: Path) -> None:
    proc = _doctor(str(tmp_path), "--for", "tests", "--json")
    assert proc.returncode == MissingPackageError.exit_code == 3, proc.stderr
    rows = {r["program"]: r for r in json.loads(proc.stdout)}
    assert rows["ping"]["installed"] is False and rows["ping"]["package"] == "iputils-ping"
    assert proc.stderr.startswith("error: missing ")
    assert "ping (iputils-ping)" in proc.stderr
    assert " iputils-ping " in proc.stderr.split("apt-get install")[1]


def test_doctor_passes_when_every_program_is_found(tmp_path: Path) -> None:
    for entry in programs.needed_for("tests"):
        exe = tmp_path / entry.name
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(0o755)
    proc = _doctor(str(tmp_path), "--for", "tests")
    assert proc.returncode == 0, proc.stderr
    assert "ping" in proc.stdout and "iputils-ping" in proc.stdout


def test_doctor_refuses_an_unknown_purpose(tmp_path: Path) -> None:
    proc = _doctor(str(tmp_path), "--for", "mars")
    assert proc.returncode == 2
    assert "--for mars: unknown" in proc.stderr
