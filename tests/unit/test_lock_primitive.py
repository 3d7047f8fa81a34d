"""The one lock primitive (sipelangi_net.locks on portalocker), between real processes.

Exclusive against exclusive and shared, shared with shared, the holder's text readable by a
refused process (opening the lock file never truncates it), a lock dropped when its holder is
killed, waits that end at their deadline, and the server's runner lock (how a job is seen to run
where there is no /proc).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sipelangi_net.errors import Busy, RunLocked
from sipelangi_net.locks import holding, open_lock, read_holder, try_lock, unlock, wait_lock, write_holder
from sipelangi_net.server.pages.jobs import RUNNER_LOCK, STARTING_S, Jobs, runner_holds_lock

HOLDER = """
import sys, time
from pathlib import Path
from sipelangi_net.locks import open_lock, try_lock, write_holder
handle = open_lock(Path(sys.argv[1]))
assert try_lock(handle, shared=sys.argv[2] == "shared")
write_holder(handle, sys.argv[3])
print("held", flush=True)
time.sleep(60)
"""


@contextlib.contextmanager
def held_by_child(path: Path, *, shared: bool = False, text: str = "") -> Iterator[subprocess.Popen[str]]:
    """A child process holding ``path``'s lock (shared or exclusive) with ``text`` in it; killed after."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), "shared" if shared else "exclusive", text],
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "held"
            yield child
        finally:
            child.kill()
            child.wait()


def test_an_exclusive_lock_refuses_others_and_its_holder_text_stays_readable(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "device-x.lock"
    with held_by_child(path, text="pid 4242 (deploy)\n"), open_lock(path) as handle:
        assert not try_lock(handle)
        assert not try_lock(handle, shared=True)
        assert read_holder(handle) == "pid 4242 (deploy)"  # our open did not wipe it
        assert read_holder(handle) == "pid 4242 (deploy)"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_shared_locks_share_and_keep_an_exclusive_one_out(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints.jsonl"
    with held_by_child(path, shared=True), open_lock(path) as handle:
        assert not try_lock(handle)
        assert try_lock(handle, shared=True)
        unlock(handle)


def test_a_killed_holder_frees_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "ticket-SPL.lock"
    with held_by_child(path, text="pid 1 (provision)") as child, open_lock(path) as handle:
        assert not try_lock(handle)
        child.kill()
        child.wait()
        assert wait_lock(handle, deadline=time.monotonic() + 5)
        write_holder(handle, "me")
        assert read_holder(handle) == "me"


def test_a_wait_ends_at_its_deadline(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with held_by_child(path), open_lock(path) as handle:
        start = time.monotonic()
        assert not wait_lock(handle, deadline=start + 0.5)
        assert 0.5 <= time.monotonic() - start < 3


def test_busy_names_the_holder_after_the_wait(tmp_path: Path) -> None:
    held = tmp_path / "device-core.lock"
    with held_by_child(held, text="pid 777 (deploy SPL-2026-00003)\n"):
        start = time.monotonic()
        waiting = holding([("device", "core")], purpose="x", wait=0.4, folder=tmp_path)
        with pytest.raises(Busy) as refused, waiting:
            pass
        assert time.monotonic() - start >= 0.4
    assert str(refused.value) == (
        "device core is locked by pid 777 (deploy SPL-2026-00003); this run changed nothing (try again later)"
    )
    with holding([("device", "core")], purpose="mine", folder=tmp_path):  # free again
        assert held.read_text() == f"pid {os.getpid()} (mine)\n"
    assert held.read_text() == ""


def test_the_compliance_run_lock_is_the_same_primitive(tmp_path: Path) -> None:
    from sipelangi_net.compliance.lock import run_lock

    lock = tmp_path / "compliance.lock"
    with held_by_child(lock, text="31337"), pytest.raises(RunLocked, match=r"\(pid 31337\)"), run_lock(lock):
        pass


def runner(folder: Path, *command: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sipelangi_net.server.pages.jobrun", str(folder), "--", *command],
        stdout=subprocess.DEVNULL,
    )


def test_the_runner_holds_its_lock_from_start_to_end(tmp_path: Path) -> None:
    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "job.json").write_text("{}")
    process = runner(folder, sys.executable, "-c", "import time; time.sleep(30)")
    try:
        deadline = time.monotonic() + 20
        while not (folder / RUNNER_LOCK).exists() or not (folder / RUNNER_LOCK).read_text():
            assert time.monotonic() < deadline, "the runner did not take its lock"
            time.sleep(0.05)
        assert (folder / RUNNER_LOCK).read_text() == f"pid {process.pid}\n"
        assert runner_holds_lock(folder)
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert (folder / "rc").exists()
    assert not runner_holds_lock(folder)  # ended: its lock is free and names it


def test_a_runner_not_started_yet_counts_as_running_for_a_while(tmp_path: Path) -> None:
    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "job.json").write_text("{}")
    assert runner_holds_lock(folder)  # written a moment ago, runner not there yet
    old = time.time() - STARTING_S - 1
    os.utime(folder / "job.json", (old, old))
    assert not runner_holds_lock(folder)  # never started: lost


def test_jobs_of_a_ticket_wait_for_each_other_on_the_ticket_lock(tmp_path: Path) -> None:
    jobs = Jobs(tmp_path / "jobs")
    now = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
    job = jobs.start(
        "SPL-2026-00001",
        "diff",
        [sys.executable, "-c", "pass"],
        username="andi",
        env=dict(os.environ),
        now=now,
    )
    lock = tmp_path / "jobs" / "SPL-2026-00001" / ".lock"
    assert lock.exists() and json.loads((job.folder / "job.json").read_text())["kind"] == "diff"
    with open_lock(lock) as handle:  # free again once start returned
        assert try_lock(handle)
