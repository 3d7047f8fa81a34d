"""Portability: the per-user paths on Linux are what they always were, the Linux-only parts say so,
and CLI commands run on a Python that plays Windows (tests/unit/not_posix/sitecustomize.py).

What this machine cannot show (a real macOS or Windows) is left to the scan
(tests/unit/test_portable_scan.py) and to the lock primitive's own tests; here the guards'
other side is driven where it can be: the system name given, the socket refused, the modules
and ``os`` names Windows lacks taken away.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ticket_data import cli_env, raw_request

from sipelangi_net import paths
from sipelangi_net.errors import NotLinuxError, NotRootError
from sipelangi_net.faults.probes import Pinger
from sipelangi_net.private import open_to_others
from sipelangi_net.system import require_linux
from sipelangi_net.tickets.store import default_db_path

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
NOT_POSIX = Path(__file__).with_name("not_posix")
WORKTREE = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("config", "data", "runtime"),
    [
        (None, None, None),
        ("/srv/cfg", "/srv/data", "/run/user/1000"),
        ("", "", ""),
        ("rel-cfg", "rel-data", None),  # relative values are taken as given, as before
    ],
)
def test_linux_paths_are_unchanged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, config: str | None, data: str | None, runtime: str | None
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in (("XDG_CONFIG_HOME", config), ("XDG_DATA_HOME", data), ("XDG_RUNTIME_DIR", runtime)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    for name in ("SIPELANGI_LOCKS", "SIPELANGI_DB"):
        monkeypatch.delenv(name, raising=False)
    config_base = Path(config or tmp_path / ".config")
    assert paths.config_dir() == config_base / "sipelangi-net"
    assert default_db_path() == Path(data or tmp_path / ".local" / "share") / "sipelangi-net" / "tickets.db"
    if os.geteuid() == 0:
        assert paths.lock_dir() == Path("/run/lock/sipelangi-net")
    elif runtime:
        assert paths.lock_dir() == Path(runtime) / "sipelangi-net" / "locks"
    else:
        assert paths.lock_dir() == config_base / "sipelangi-net" / "locks"
    monkeypatch.setenv("SIPELANGI_LOCKS", str(tmp_path / "mine"))
    assert paths.lock_dir() == tmp_path / "mine"


@pytest.mark.parametrize(("system", "name"), [("darwin", "macOS"), ("win32", "Windows"), ("freebsd14", "")])
def test_the_lab_says_it_needs_linux(system: str, name: str) -> None:
    with pytest.raises(NotLinuxError) as refused:
        require_linux("the lab", system=system)
    assert refused.value.exit_code == 3
    assert str(refused.value).startswith(f"the lab needs Linux, and this is {name}")
    require_linux("the lab", system="linux")


def test_the_monitor_without_an_icmp_socket_says_what_to_do() -> None:
    def refused(family: int, kind: int, proto: int) -> socket.socket:
        raise PermissionError(1, "Operation not permitted")

    pinger = Pinger(factory=refused)
    with pytest.raises(NotRootError, match=r"run it as root, or .*ping_group_range") as error:
        pinger.open()
    assert error.value.exit_code == 3


def test_secret_files_are_judged_by_mode_bits_only_on_posix(tmp_path: Path) -> None:
    secret = tmp_path / "secrets.yaml"
    secret.write_text("username: x\n")
    secret.chmod(0o600)
    assert not open_to_others(secret.stat())
    secret.chmod(0o640)
    assert open_to_others(secret.stat()) is (os.name == "posix")


def windows_like(tmp_path: Path) -> dict[str, str]:
    env = cli_env()
    env.update(
        PYTHONPATH=os.pathsep.join([str(NOT_POSIX), str(WORKTREE)]),
        HOME=str(tmp_path),
        USERNAME="tester",  # Windows' login name variable
        SIPELANGI_DB=str(tmp_path / "tickets.db"),
        SIPELANGI_LOCKS=str(tmp_path / "locks"),
        SIPELANGI_REPORTS=str(tmp_path / "reports"),
    )
    for name in ("USER", "LOGNAME", "LNAME"):
        env.pop(name, None)
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_the_python_that_plays_windows_really_does(tmp_path: Path) -> None:
    probe = (
        "import os, signal, sipelangi_net.locks as locks\n"
        "assert not hasattr(os, 'geteuid') and not hasattr(os, 'fchmod') and not hasattr(signal, 'SIGHUP')\n"
        "print('ok')\n"
    )
    env = windows_like(tmp_path)
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False)
    assert proc.stdout.strip() == "ok", proc.stderr
    refused = subprocess.run(
        [sys.executable, "-c", "exec('import fcntl', {'__name__': 'sipelangi_net.x'})"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert "No module named 'fcntl'" in refused.stderr and "plays Windows" in refused.stderr


def test_ticket_commands_run_without_posix_modules_and_calls(tmp_path: Path) -> None:
    env = windows_like(tmp_path)
    request = tmp_path / "permohonan.yaml"
    request.write_text(yaml.safe_dump(raw_request(), allow_unicode=True))
    made = run(env, "ticket", "new", "--file", str(request), "--json")
    assert made.returncode == 0, made.stderr
    ticket = yaml.safe_load(made.stdout)["id"]
    listed = run(env, "ticket", "list")
    assert listed.returncode == 0 and ticket in listed.stdout, listed.stderr
    verified = run(env, "ticket", "verify", "--all")  # the checkpoint file: shared and exclusive locks
    assert verified.returncode == 0 and "verified" in verified.stdout + verified.stderr, verified.stderr


def test_run_locks_and_busy_work_without_posix_modules_and_calls(tmp_path: Path) -> None:
    env = windows_like(tmp_path)
    hold = (
        "import sys, time\n"
        "from sipelangi_net.locks import holding\n"
        "with holding([('ticket', 'SPL-2026-00001')], purpose='provision SPL-2026-00001'):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n"
    )
    with subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True, env=env) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            other = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from sipelangi_net.locks import holding\n"
                    "with holding([('ticket', 'SPL-2026-00001')], purpose='x', wait=0.3): pass\n",
                ],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
        finally:
            holder.kill()
            holder.wait()
    assert f"ticket SPL-2026-00001 is locked by pid {holder.pid} (provision SPL-2026-00001)" in other.stderr


def test_compliance_refuses_a_second_run_without_posix_modules_and_calls(tmp_path: Path) -> None:
    env = windows_like(tmp_path)
    lock = tmp_path / "compliance.lock"
    hold = (
        "import sys, time\nfrom pathlib import Path\nfrom sipelangi_net.compliance.lock import run_lock\n"
        "with run_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(60)\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", hold, str(lock)], stdout=subprocess.PIPE, text=True, env=env
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            proc = run(env, "compliance", "--lock", str(lock))
        finally:
            holder.kill()
            holder.wait()
    assert proc.returncode == 3, proc.stderr
    assert f"another compliance run (pid {holder.pid})" in proc.stderr


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")
def test_the_lab_as_another_user_says_it_needs_root(tmp_path: Path) -> None:
    """``lab exec`` run as nobody stops before it reads anything (exit 3, naming Linux and root)."""
    tmp_path.chmod(0o777)
    env = {**cli_env(), "PYTHONPATH": str(WORKTREE), "HOME": str(tmp_path)}
    proc = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", CLI, "lab", "exec",
         "dist-gerunggang", "--", "true"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    assert "the lab needs Linux and root" in proc.stderr and "run it with sudo or as root" in proc.stderr
