"""Before a change touches a device: its files can be written and its ticket store can record it.

A write that fails (a full disk, a folder that is a file, a file-size limit) is an ordinary
StorageError naming the folder (exit 74) that says nothing was pushed, never an internal error;
a ticket store that stays locked stops ``deploy`` (exit 6) before any device, naming the
database and the process holding it. Failures are made without root tricks: a path whose folder
is a file (ENOTDIR), RLIMIT_FSIZE in a child process (EFBIG), a second SQLite connection holding
the write lock.
"""

from __future__ import annotations

import errno
import json
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from inventory_edit import edit_yaml
from ticket_data import cli_env, scheduled

from sipelangi_net.analysis.steps import stored_plan
from sipelangi_net.change.install import install_ticket
from sipelangi_net.change.push import deploy
from sipelangi_net.credentials import Credentials
from sipelangi_net.environment import Field
from sipelangi_net.errors import EnvironmentProblem, StorageError, StoreError
from sipelangi_net.inventory import load_inventory
from sipelangi_net.private import private_dir, write_private
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.sqlite import SqliteStore

CLI = Path(sys.executable).parent / "sipelangi-net"


class FakeDriver:
    """A device that answers and records every verb it is sent (nothing is patched)."""

    def __init__(self, name: str, platform: str, calls: list[tuple[str, str]]) -> None:
        self.name, self.platform, self.calls = name, platform, calls

    def _note(self, verb: str) -> None:
        self.calls.append((self.name, verb))

    def open(self) -> None:
        self._note("open")

    def get_config(self) -> str:
        """A device with nothing configured yet, in the form its platform answers."""
        self._note("get_config")
        if self.platform == "ovs":
            ports = [[f"eth{i}", ["set", []], ["map", []]] for i in range(8)]
            return json.dumps({"headings": ["name", "tag", "external_ids"], "data": ports})
        return f"hostname {self.name}\nend\n"

    def arm(self, seconds: int) -> None:
        self._note("arm")

    def push(self, commands: Sequence[str]) -> str:
        self._note("push")
        return ""

    def confirm(self) -> None:
        self._note("confirm")

    def rollback(self) -> None:
        self._note("rollback")

    def close(self) -> None:
        self._note("close")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteStore]:
    """A store with one ticket whose plan is made and slot agreed (steps 1-6): ready for step 7."""
    monkeypatch.setenv("SIPELANGI_LOCKS", str(tmp_path / "locks"))
    st = SqliteStore(tmp_path / "tickets.db")
    try:
        scheduled(st)
        yield st
    finally:
        st.close()


def only_ticket(st: SqliteStore) -> str:
    (ticket,) = st.tickets()
    return ticket.id


# --- the one writer ---------------------------------------------------------------------------


def test_a_folder_that_is_a_file_is_a_storage_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "reports").write_text("not a folder")
    with pytest.raises(StorageError) as caught:
        write_private(private_dir(tmp_path / "reports" / "SPL-1") / "x.cfg", "hostname r1\n")
    err = caught.value
    assert isinstance(err, EnvironmentProblem) and err.exit_code == 74
    assert str(err).startswith(f"{tmp_path / 'reports' / 'SPL-1'}: cannot create the folder")
    assert "(ENOTDIR)" in str(err) and "is a file, not a folder" in str(err)
    with pytest.raises(StorageError, match=r"cannot write x\.cfg \(the file was not written\).*ENOTDIR"):
        write_private(tmp_path / "reports" / "x.cfg", "hostname r1\n")


def test_a_write_cut_short_by_the_file_size_limit_leaves_the_old_file(tmp_path: Path) -> None:
    """RLIMIT_FSIZE in a child: the real write() fails (EFBIG) part-way, as on a full disk."""
    target = tmp_path / "backups" / "core.cfg"
    private_dir(target.parent)
    write_private(target, "old config\n")
    child = textwrap.dedent(
        f"""
        import resource
        from pathlib import Path
        from sipelangi_net.errors import StorageError
        from sipelangi_net.private import write_private
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            write_private(Path({str(target)!r}), "x" * 100_000)
        except StorageError as exc:
            print(exc.exit_code, exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.startswith(f"74 {target.parent}: cannot write core.cfg (the file was not written): ")
    assert f"({errno.errorcode[errno.EFBIG]})" in out
    assert target.read_text() == "old config\n", "the old file is untouched"
    assert sorted(p.name for p in target.parent.iterdir()) == ["core.cfg"], "no temporary left behind"


# --- the deploy stage ---------------------------------------------------------------------------


def test_a_backups_folder_that_cannot_be_written_stops_the_deploy_before_any_push(
    store: SqliteStore, tmp_path: Path, inv_dir: Path
) -> None:
    plan = stored_plan(store.get(only_ticket(store)), "deploy")
    calls: list[tuple[str, str]] = []
    (tmp_path / "backups").write_text("a file where the folder should be")
    edit_yaml(
        inv_dir / "servers.yaml", lambda d: {k: v for k, v in d.items() if k != "dhcp"}
    )  # the devices' backups alone

    def factory(device: Any, _creds: Credentials) -> FakeDriver:
        return FakeDriver(device.name, device.platform.value, calls)

    with pytest.raises(StorageError) as caught:
        deploy(
            plan,
            load_inventory(inv_dir),
            Credentials(username="u", password="p"),
            driver_factory=factory,
            backups=tmp_path / "backups",
        )
    assert str(caught.value).startswith(f"{tmp_path / 'backups'}: cannot create the folder")
    assert str(caught.value).endswith("nothing was pushed to any device (no backup, no change)")
    assert calls and {verb for _, verb in calls} == {"open", "get_config", "close"}, "read, never armed"


def test_a_ticket_folder_that_cannot_be_written_records_the_failure_before_any_device(
    store: SqliteStore, tmp_path: Path, inv_dir: Path
) -> None:
    tid = only_ticket(store)
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / tid).write_text("a file where the ticket's folder should be")
    with pytest.raises(StorageError, match=r"nothing was pushed to any device$") as caught:
        install_ticket(
            store, tid, load_inventory(inv_dir), actor="Andi", creds=None, reports=reports, bandwidth=None,
            environment=Field(),
        )  # fmt: skip
    assert str(caught.value).startswith(f"{reports / tid / 'runs'}: cannot create the folder")
    last = store.get(tid).events[-1]
    assert (last.step, last.outcome) == (7, "failed") and str(reports / tid) in last.note


# --- the store must take a write before any device ----------------------------------------------


def test_a_locked_store_is_refused_within_the_wait_and_free_again_after(store: SqliteStore) -> None:
    holder = sqlite3.connect(store.path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError, match=r"cannot be written now .*did not free within 0\.2 s"):
            store.ready_to_write(wait=0.2)
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    store.ready_to_write(wait=0.2)
    assert store.conn.in_transaction is False, "the probe leaves no transaction open"


@pytest.fixture
def locked_by_child(store: SqliteStore) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the ticket database's write lock until the test ends."""
    code = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "print('held', flush=True)\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(store.path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()


def deploy_env(tmp_path: Path, db: Path, inv_dir: Path) -> dict[str, str]:
    env = cli_env()
    env.update(
        SIPELANGI_DB=str(db),
        SIPELANGI_INVENTORY=str(inv_dir),
        SIPELANGI_REPORTS=str(tmp_path / "reports"),
        SIPELANGI_LOCKS=str(tmp_path / "locks"),
        SIPELANGI_LAB_DIR=str(tmp_path / "no-lab"),
        SIPELANGI_USERNAME="u",
        SIPELANGI_PASSWORD="p",
        SIPELANGI_ACTOR="Andi",
        SIPELANGI_STORE_WAIT="0.5",
        HOME=str(tmp_path),
    )
    return env


def run_deploy_cli(env: dict[str, str], tid: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "deploy", tid, "--no-bandwidth-gate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_deploy_refuses_a_locked_store_before_any_device_naming_the_holder(
    store: SqliteStore, locked_by_child: subprocess.Popen[str], tmp_path: Path, inv_dir: Path
) -> None:
    tid = only_ticket(store)
    events = len(store.get(tid).events)
    proc = run_deploy_cli(deploy_env(tmp_path, store.path, inv_dir), tid)
    assert proc.returncode == 6, proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"error: {store.path}: the ticket database cannot be written now")
    assert f"by pid {locked_by_child.pid} (" in line and "nothing was done to any device" in line
    assert not (tmp_path / "reports" / tid / "runs").exists(), "stopped before the journal"
    assert not (tmp_path / "reports" / tid / "backups").exists(), "no device was read"
    assert len(store.get(tid).events) == events


def test_deploy_with_a_ticket_folder_that_cannot_be_written_is_an_ordinary_error(
    store: SqliteStore, tmp_path: Path, inv_dir: Path
) -> None:
    tid = only_ticket(store)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / tid).write_text("a file where the folder should be")
    proc = run_deploy_cli(deploy_env(tmp_path, store.path, inv_dir), tid)
    assert proc.returncode == 74, proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"error: {tmp_path / 'reports' / tid / 'runs'}: cannot create the folder")
    assert line.endswith("; nothing was pushed to any device") and "internal error" not in line
    shown = json.loads(
        subprocess.run(
            [str(CLI), "ticket", "show", tid, "--json"],
            capture_output=True,
            text=True,
            env=deploy_env(tmp_path, store.path, inv_dir),
            timeout=60,
            check=True,
        ).stdout
    )
    assert (shown["events"][-1]["step"], shown["events"][-1]["outcome"]) == (7, "failed")


def test_a_full_ticket_database_is_a_store_error_and_stores_nothing(store: SqliteStore) -> None:
    """SQLITE_FULL for real: the database may not grow beyond the pages it has (max_page_count)."""
    tid = only_ticket(store)
    before = store.get(tid)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    full = r"refused the write: database or disk is full \(free space .*stored$"
    with pytest.raises(StoreError, match=full):
        store.apply(tid, Move(step=7, actor="Andi", outcome="failed", note="x" * 2000))
    assert store.conn.in_transaction is False
    assert store.get(tid) == before
