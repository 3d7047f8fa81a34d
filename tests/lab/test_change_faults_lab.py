"""Issue 14 on the lab: the safe change holds against faults at each phase of a change.

- a device's running config changed between the confirmation (``diff``) and the push (``deploy
  --change-set``): nothing is pushed to any device, the error names it;
- a device's management path cut right after it is armed, right after its push, or between the
  confirms: no device keeps the change unless all do (the armed ones roll back, the confirmed one
  is put back through a new safe push, the cut one is restored by its own timer);
- the ticket store locked by another process from a phase of the change until after the run:
  the run says where its record is kept, and the next run records it from the journal — the
  pre-change backups, the bandwidth result — touching no device.

One scheduled ticket is made for the module; each test works on its own copy of the database.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.bandwidth.run import Settings
from sipelangi_net.change.install import Installed, install_ticket
from sipelangi_net.change.journal import pending, read
from sipelangi_net.change.push import normalise
from sipelangi_net.credentials import Credentials
from sipelangi_net.errors import StoreError
from sipelangi_net.lab.environment import LabEnvironment
from sipelangi_net.lab.runtime import LabPaths
from sipelangi_net.paths import lab_dir
from sipelangi_net.tickets.sqlite import SqliteStore
from tests.lab import faults
from tests.lab.conftest import run
from tests.lab.deploy_helpers import (
    DEVICES,
    EARLY,
    INVENTORY,
    day0,
    running,
    scheduled_ticket,
    wait_disarmed,
)

__all__ = ["day0"]  # the fixture, imported for the tests below
CORE, DIST, SW = DEVICES
TIMER = 15  # seconds: the devices' revert timer in these tests
MARGIN = 20.0  # on top of the timer: the restore itself and a busy 2-core machine
FAST_TEST = Settings(seconds=1, udp_seconds=1, attempts=2, speedtest=False)
DB_FILES = ("tickets.db", "tickets.db-wal", "tickets.db-shm")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, lab: dict[str, Any]) -> tuple[Path, dict[str, str], str]:
    """A ticket scheduled once for the module (its database under the returned folder)."""
    folder = tmp_path_factory.mktemp("base")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPELANGI_")}
    env.update(
        SIPELANGI_DB=str(folder / "tickets.db"),
        SIPELANGI_ACTOR="tim-kerja",
        SIPELANGI_REPORTS=str(folder / "reports"),
        SIPELANGI_LOCKS=str(folder / "locks"),
        SIPELANGI_AUDIT_KEY=str(folder / "audit.key"),
    )
    return folder, env, scheduled_ticket(env, folder)


@pytest.fixture
def ticket(
    base: tuple[Path, dict[str, str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, str], str]:
    """This test's copy of the scheduled ticket: its own database, reports and locks."""
    folder, env, tid = base
    for name in DB_FILES:
        if (folder / name).exists():
            shutil.copy2(folder / name, tmp_path / name)
    mine = {
        **env,
        "SIPELANGI_DB": str(tmp_path / "tickets.db"),
        "SIPELANGI_REPORTS": str(tmp_path / "reports"),
        "SIPELANGI_LOCKS": str(tmp_path / "locks"),
    }
    for key in ("SIPELANGI_LOCKS", "SIPELANGI_AUDIT_KEY", "SIPELANGI_REPORTS"):
        monkeypatch.setenv(key, mine[key])
    monkeypatch.setenv("SIPELANGI_STORE_WAIT", "2")
    return mine, tid


@pytest.fixture
def store(ticket: tuple[dict[str, str], str]) -> Iterator[SqliteStore]:
    """The test's ticket store, with a short busy timeout: a locked store fails the record fast."""
    st = SqliteStore(Path(ticket[0]["SIPELANGI_DB"]), busy_timeout_ms=500)
    try:
        yield st
    finally:
        st.close()


def install(st: SqliteStore, tid: str, reports: Path, creds: Credentials, **kwargs: Any) -> Installed:
    return install_ticket(
        st, tid, INVENTORY, actor="tim-kerja", creds=creds, reports=reports,
        environment=LabEnvironment(LabPaths(lab_dir())), confirm_seconds=TIMER, **kwargs,
    )  # fmt: skip


def last_changes() -> dict[str, Any]:
    return {name: faults.last_change(name) for name in DEVICES}


def step_events(st: SqliteStore, tid: str, step: int) -> list[Any]:
    return [e for e in st.get(tid).events if e.step == step]


def on(device: str, what: str, action: Callable[[], object]) -> Callable[[str, str], None]:
    """A progress callback that runs ``action`` once, when ``device`` reports ``what``."""
    done: list[bool] = []

    def progress(name: str, said: str) -> None:
        if name == device and said.startswith(what) and not done:
            done.append(True)
            action()

    return progress


# --- 1. the confirmed change set is the pushed one -----------------------------------------------


def test_a_device_changed_after_the_diff_is_refused_and_nothing_is_pushed(
    ticket: tuple[dict[str, str], str], creds: Credentials, day0: dict[str, str]
) -> None:
    env, tid = ticket
    shown = run(env, "diff", tid)
    assert shown.returncode == 0, shown.stderr
    found = re.search(r"^change set ([0-9a-f]{12}): ", shown.stdout, re.M)
    assert found is not None, shown.stdout
    digest = found.group(1)
    before = last_changes()
    change = faults.change_running_config(DIST, marker="after-the-diff")
    try:
        changed = running(creds)
        assert changed[DIST] != day0[DIST]
        refused = run(env, "deploy", tid, "--change-set", digest, "--confirm-timeout", str(TIMER), *EARLY)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        said = refused.stdout + refused.stderr
        assert DIST in said and "nothing was pushed to any device" in said, said
        assert last_changes() == before, "a device was armed"
        assert running(creds) == changed, "a device was changed"
    finally:
        faults.undo_running_config(change)
    assert running(creds) == day0
    st = SqliteStore(Path(env["SIPELANGI_DB"]))
    try:
        (event,) = step_events(st, tid, 7)
    finally:
        st.close()
    assert event.outcome == "failed" and DIST in event.note


# --- 3. all or nothing across the devices --------------------------------------------------------

CUTS = {
    "sw-after-arm": (SW, SW, "armed"),
    "sw-after-push": (SW, SW, "pushed"),
    "dist-between-confirms": (DIST, CORE, "confirmed"),
}
"""Which device loses its management path, and when: once (device, progress) is reported."""


def wait_timer(name: str) -> None:
    """Until ``name``'s own revert timer has fired (its state file, read from the host, is gone)."""
    deadline = time.monotonic() + TIMER + MARGIN
    while faults.confirm_state(name) is not None:
        assert time.monotonic() < deadline, f"{name}: its revert timer did not fire"
        time.sleep(0.2)


@pytest.mark.parametrize("case", list(CUTS))
def test_a_management_path_cut_during_the_change_leaves_no_device_changed(
    case: str,
    ticket: tuple[dict[str, str], str],
    store: SqliteStore,
    tmp_path: Path,
    creds: Credentials,
    day0: dict[str, str],
) -> None:
    cut, device, what = CUTS[case]
    _, tid = ticket
    try:
        done = install(
            store,
            tid,
            tmp_path / "reports",
            creds,
            progress=on(device, what, lambda: faults.cut_management(cut)),
        )
        report = done.report
        assert not report.ok and not done.reconciled
        assert cut in report.error and "its own revert timer restores its backup by" in report.error, (
            report.error
        )
        wait_timer(cut)
    finally:
        faults.restore_management(cut)
    last = faults.last_change(cut)
    assert last is not None and last["action"] == "expired" and last["verified"] is True, last
    states = {d.device: d.state for d in report.devices}
    assert states[cut] == "failed"
    assert all(states[n] == "rolled_back" for n in DEVICES if n != cut), states
    if cut == DIST:
        assert f"put back to their backups: {CORE}" in report.error, report.error
        assert any((tmp_path / "reports" / tid / "undo").iterdir()), "core's put-back took its own backup"
    wait_disarmed(creds)
    assert running(creds) == day0, "a device kept the change"
    (event,) = step_events(store, tid, 7)
    assert event.outcome == "failed" and cut in event.note


# --- 4. a busy store loses nothing ---------------------------------------------------------------

LOCKS = {
    "after-arm": (SW, "armed"),
    "after-push": (SW, "pushed"),
    "after-the-confirms": (SW, "confirmed"),
}
"""When another process takes the ticket database's write lock (held until after the run)."""


@pytest.mark.parametrize("case", list(LOCKS))
def test_a_store_locked_during_the_change_loses_nothing_from_the_record(
    case: str,
    ticket: tuple[dict[str, str], str],
    store: SqliteStore,
    tmp_path: Path,
    creds: Credentials,
    day0: dict[str, str],
) -> None:
    _, tid = ticket
    reports = tmp_path / "reports"
    lock = faults.StoreLock(store.path)
    try:
        with pytest.raises(StoreError) as caught:
            install(store, tid, reports, creds, bandwidth=FAST_TEST, progress=on(*LOCKS[case], lock.start))
        assert lock.held, "the lock was taken during the change"
    finally:
        lock.stop()
    (journal,) = pending(reports / tid)
    message = str(caught.value)
    assert str(journal) in message and "the change is confirmed on every device" in message, message
    assert store.get(tid).status == "scheduled", "nothing recorded yet"
    touched = last_changes()
    assert all(t is not None and t["action"] == "confirmed" for t in touched.values()), touched

    again = install(store, tid, reports, creds, bandwidth=FAST_TEST)
    assert again.reconciled and again.report.ok
    assert last_changes() == touched, "the rerun touched a device"
    (step7,) = step_events(store, tid, 7)
    assert step7.outcome == "done"
    deploy = step7.outputs["deploy"]
    assert deploy["run_id"] == journal.stem
    for d in deploy["devices"]:
        backup = Path(d["backup_path"]).read_text(encoding="utf-8")
        assert normalise(d["platform"], backup) == day0[d["device"]], (
            f"{d['device']}: not the pre-change backup"
        )
    (step8,) = step_events(store, tid, 8)
    (tested,) = [e.data for e in read(journal) if e.kind == "bwtest"]
    assert step8.outcome == "done" and step8.outputs["bwtest"]["verdict"] == "pass"
    assert step8.outputs["bwtest"] == tested["bwtest"], "step 8 is the test of the real installation"
    assert pending(reports / tid) == []
