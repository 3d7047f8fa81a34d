"""The real console script, run as a subprocess, on inputs that never build a lab.

Safety: every ``lab up`` here either has a broken inventory (checked in-process
first) or runs as ``nobody``; PATH points at an empty directory so that, should
either guard fail, the preflight check still stops on missing programs before
anything is touched. The lab state directory points into tmp_path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from inventory_edit import copy_inventory, edit_yaml

from sipelangi_net import programs
from sipelangi_net.errors import InventoryError, MissingPackageError, NotRootError
from sipelangi_net.inventory import load_inventory
from sipelangi_net.lab import preflight

SCRIPT = Path(sys.executable).parent / "sipelangi-net"
NETNS = Path("/run/netns")
NOBODY = 65534


def _lab_namespaces() -> set[str]:
    try:
        return {p.name for p in NETNS.iterdir() if p.name.startswith("spl-")}
    except FileNotFoundError:
        return set()


def _env(base: Path) -> dict[str, str]:
    empty_bin = base / "empty-bin"
    empty_bin.mkdir(exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TZ")}
    return {
        **keep,
        "PATH": str(empty_bin),
        "HOME": str(base / "home"),
        "XDG_CONFIG_HOME": str(base / "config"),
        "SIPELANGI_LAB_DIR": str(base / "lab"),
        "SIPELANGI_INVENTORY": str(base / "no-default-inventory"),
        "NO_COLOR": "1",
        "COLUMNS": "120",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _run(
    args: list[str], env: dict[str, str], prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _run_watching_netns(
    args: list[str], env: dict[str, str], prefix: tuple[str, ...] = ()
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the script; return its result and the ``spl-*`` namespaces that appeared meanwhile.

    Another session may bring its own lab up on this machine at the same moment; when
    namespaces appear, the command is run once more and only a second appearance counts.
    """
    for _attempt in range(2):
        before = _lab_namespaces()
        result = _run(args, env, prefix)
        new = _lab_namespaces() - before
        if not new:
            break
    return result, new


def test_script_is_installed() -> None:
    assert SCRIPT.is_file()
    assert os.access(SCRIPT, os.X_OK)


def test_help_lists_lab(tmp_path: Path) -> None:
    result = _run(["--help"], _env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "lab" in result.stdout.split()
    assert "Traceback" not in result.stderr


def test_lab_help_lists_commands(tmp_path: Path) -> None:
    result = _run(["lab", "--help"], _env(tmp_path))
    assert result.returncode == 0, result.stderr
    for command in ("up", "down", "status", "exec", "show"):
        assert command in result.stdout.split()


def _break_links_yaml(root: Path) -> Path:
    path = root / "links.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "- a: {device: core-diskominfo, port: eth9\n")
    return path


def _break_sites_device(root: Path) -> Path:
    edit_yaml(root / "sites.yaml", lambda s: s["dinkes"]["distribution"].update(device="dist-nowhere"))
    return root / "sites.yaml"


def _password_in_hosts(root: Path) -> Path:
    edit_yaml(root / "hosts.yaml", lambda h: h["sw-dinkes"].update(password="SuperRahasia99"))
    return root / "hosts.yaml"


def _missing_servers(root: Path) -> Path:
    (root / "servers.yaml").unlink()
    return root / "servers.yaml"


@pytest.mark.parametrize(
    "breaker", [_break_links_yaml, _break_sites_device, _password_in_hosts, _missing_servers]
)
def test_lab_up_with_broken_inventory(tmp_path: Path, breaker: object) -> None:
    assert callable(breaker)
    inv = copy_inventory(tmp_path / "inventory")
    broken = breaker(inv)
    with pytest.raises(InventoryError):  # guard: never hand a valid inventory to 'lab up' as root
        load_inventory(inv)
    env = _env(tmp_path)
    result, new_namespaces = _run_watching_netns(["lab", "up", "--inventory", str(inv)], env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert str(broken) in lines[0]
    assert "SuperRahasia99" not in result.stderr + result.stdout
    if breaker is _password_in_hosts:
        assert "sw-dinkes.password: credentials must not be kept in the inventory" in lines[0]
    assert result.stdout == ""
    assert not (tmp_path / "lab").exists()
    assert new_namespaces == set(), "lab up on a broken inventory made network namespaces"


def test_lab_up_with_missing_inventory_dir(tmp_path: Path) -> None:
    result = _run(["lab", "up", "--inventory", str(tmp_path / "nowhere")], _env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nowhere'}: inventory directory not found"
    assert not (tmp_path / "lab").exists()


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    result = _run(["lab", "up", "--no-such-option"], _env(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory user ``nobody`` can read (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="spl-unit-"))
    try:
        path.chmod(0o755)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _nobody_can_run_the_script() -> bool:
    needed = (SCRIPT, *SCRIPT.parents, Path(sys.executable).resolve())
    return all(p.stat().st_mode & 0o001 for p in needed)


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to nobody needs root")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) not installed")
def test_lab_up_as_non_root_is_refused(shared_dir: Path) -> None:
    if not _nobody_can_run_the_script():
        pytest.skip(f"user nobody cannot reach {SCRIPT}")
    inv = copy_inventory(shared_dir / "inventory")
    for path in (inv, *inv.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    load_inventory(inv)  # valid: only the missing root privileges may stop it
    env = _env(shared_dir)
    for d in ("home", "config", "empty-bin"):
        (shared_dir / d).mkdir(exist_ok=True)
        os.chown(shared_dir / d, NOBODY, NOBODY)
    setpriv = shutil.which("setpriv")
    assert setpriv is not None
    prefix = (setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
    result, new_namespaces = _run_watching_netns(["lab", "up", "--inventory", str(inv)], env, prefix)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "root" in lines[0]
    assert not (shared_dir / "lab").exists()
    assert new_namespaces == set()


# --------------------------------------------------------------------------- preflight, in-process


def _pretend(monkeypatch: pytest.MonkeyPatch, *, euid: int, missing: set[str]) -> None:
    """Make check_machine see ``euid`` and every required program except ``missing``."""
    monkeypatch.setattr(preflight.os, "geteuid", lambda: euid)

    def which(program: str, *_args: object, **_kwargs: object) -> str | None:
        return None if program in missing else f"/usr/bin/{program}"

    def access(path: str, _mode: int) -> bool:
        return path not in missing

    monkeypatch.setattr(programs.shutil, "which", which)
    monkeypatch.setattr(programs.os, "access", access)


def test_preflight_names_missing_programs_and_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    _pretend(monkeypatch, euid=0, missing={"iperf3", "/usr/sbin/sshd"})
    with pytest.raises(MissingPackageError) as info:
        preflight.check_machine()
    message = str(info.value)
    assert "iperf3" in message
    assert "/usr/sbin/sshd" in message
    assert "apt-get install iperf3 openssh-server" in message
    assert info.value.exit_code == 3


def test_preflight_one_package_for_several_programs(monkeypatch: pytest.MonkeyPatch) -> None:
    ovs = {p for p, pkg in preflight.REQUIRED.items() if pkg == "openvswitch-switch"}
    assert len(ovs) > 1
    _pretend(monkeypatch, euid=0, missing=ovs)
    assert preflight.missing_programs() == dict.fromkeys(ovs, "openvswitch-switch")
    with pytest.raises(MissingPackageError) as info:
        preflight.check_machine()
    assert "apt-get install openvswitch-switch " in str(info.value)
    for program in ovs:
        assert program in str(info.value)


def test_preflight_refuses_non_root_first(monkeypatch: pytest.MonkeyPatch) -> None:
    _pretend(monkeypatch, euid=1000, missing={"iperf3"})
    with pytest.raises(NotRootError, match="root") as info:
        preflight.check_machine()
    assert isinstance(info.value, PermissionError)
    assert info.value.exit_code == 3


def test_preflight_passes_when_everything_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    _pretend(monkeypatch, euid=0, missing=set())
    assert preflight.missing_programs() == {}
    if Path("/proc/self/ns/net").exists():
        preflight.check_machine()  # raises nothing, changes nothing
