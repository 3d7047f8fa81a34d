"""Leases decided by the ticket store and the server: all or nothing, expiry and takeover, renewal,
release by the holder only; the routes over a real ``serve``; the coordinator's renewing thread; two
processes with their own accounts and their own lock folders (two laptops) never overlap on a device.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from api_server import Server, running_server

from sipelangi_net.accounts.models import AccountRole
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.coordination import LocalLocks, ServerLeases, coordinating
from sipelangi_net.errors import Busy, Forbidden, LeaseLost
from sipelangi_net.tickets.http import HttpStore
from sipelangi_net.tickets.leases import Holder, Lease
from sipelangi_net.tickets.sqlite import SqliteStore

ANDI = Holder(account_id="7", display_name="Andi Jaringan", host="laptop-andi", pid=4242)
SARI = Holder(account_id="8", display_name="Sari Jaringan", host="laptop-sari", pid=5151)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "tickets.db", audit_key=tmp_path / "audit.key", checkpoints=tmp_path / "cp")
    try:
        yield s
    finally:
        s.close()


# --- the lease table ---------------------------------------------------------------------------
def test_a_lease_is_all_or_nothing_and_busy_names_holder_purpose_and_until(store: SqliteStore) -> None:
    held = store.acquire_leases(
        ["device:core-diskominfo"], holder=ANDI, purpose="deploy SPL-2026-00001", ttl_s=60
    )
    with pytest.raises(Busy) as refused:
        store.acquire_leases(
            ["device:core-diskominfo", "device:dist-gerunggang"], holder=SARI, purpose="deploy x", ttl_s=60
        )
    message = str(refused.value)
    for part in ("device core-diskominfo", "Andi Jaringan", "account 7", "laptop-andi", "pid 4242",
                 "'deploy SPL-2026-00001'", held.expires_at.isoformat(timespec="seconds")):  # fmt: skip
        assert part in message
    # nothing of the refused set was taken: the other device is free, and only Andi's lease is held
    other = store.acquire_leases(["device:dist-gerunggang"], holder=SARI, purpose="deploy y", ttl_s=60)
    assert [(lease.lease_id, lease.names) for lease in store.held_leases()] == [
        (held.lease_id, ("device:core-diskominfo",)),
        (other.lease_id, ("device:dist-gerunggang",)),
    ]


def test_an_expired_lease_is_taken_over_and_its_holder_finds_it_lost(store: SqliteStore) -> None:
    old = store.acquire_leases(["ticket:SPL-2026-00001", "device:a"], holder=ANDI, purpose="p", ttl_s=0.2)
    time.sleep(0.3)
    new = store.acquire_leases(["device:a"], holder=SARI, purpose="q", ttl_s=60)
    assert new.holder == SARI
    with pytest.raises(LeaseLost, match=f"lease {old.lease_id}: no longer held"):
        store.renew_lease(old.lease_id, account_id="7", ttl_s=60)
    # the whole expired lease went: its ticket is free too
    assert store.acquire_leases(["ticket:SPL-2026-00001"], holder=SARI, purpose="r", ttl_s=60)


def test_renewal_extends_the_lease_and_keeps_others_out(store: SqliteStore) -> None:
    lease = store.acquire_leases(["calendar:installations"], holder=ANDI, purpose="prepare", ttl_s=0.3)
    renewed = store.renew_lease(lease.lease_id, account_id="7", ttl_s=60)
    assert renewed.expires_at - lease.expires_at > dt.timedelta(seconds=50)
    time.sleep(0.4)  # past the first expiry
    with pytest.raises(Busy):
        store.acquire_leases(["calendar:installations"], holder=SARI, purpose="prepare", ttl_s=60)


def test_only_the_holder_or_an_admin_renews_or_releases(store: SqliteStore) -> None:
    lease = store.acquire_leases(["device:a"], holder=ANDI, purpose="p", ttl_s=60)
    with pytest.raises(Forbidden, match="held by Andi Jaringan"):
        store.release_lease(lease.lease_id, account_id="8")
    with pytest.raises(Forbidden):
        store.renew_lease(lease.lease_id, account_id="8", ttl_s=60)
    assert [x.lease_id for x in store.held_leases()] == [lease.lease_id]
    assert store.release_lease(lease.lease_id, account_id="8", admin=True)
    assert store.held_leases() == []
    assert not store.release_lease(lease.lease_id, account_id="7")


def test_lease_names_are_checked(store: SqliteStore) -> None:
    for names in ([], ["router:x"], ["device:"], ["device:a b"]):
        with pytest.raises(ValueError, match="lease"):
            store.acquire_leases(names, holder=ANDI, purpose="p", ttl_s=60)


# --- the routes, over a real server ------------------------------------------------------------
@dataclass(frozen=True)
class World:
    server: Server
    tokens: dict[str, str]

    def client(self, who: str) -> HttpStore:
        return HttpStore(self.server.url, token=self.tokens[who])


def second_engineer(db: Path) -> str:
    """A second tim_kerja account in ``db`` (another laptop's engineer) and its API token."""
    accounts = SqliteAccounts(db)
    try:
        accounts.add("sari", display_name="Sari Jaringan", role=AccountRole.TIM_KERJA)
        return accounts.issue_token("sari", name="test").token
    finally:
        accounts.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("leases")
    base.mkdir(parents=True, exist_ok=True)
    sari = second_engineer(base / "tickets.db")
    with running_server(base) as srv:
        yield World(srv, {**srv.tokens, "sari": sari, "system": srv.token})


def post(world: World, who: str, names: list[str], **extra: object) -> httpx.Response:
    body = {"names": names, "purpose": "deploy SPL-2026-00001", "ttl_s": 60, "host": "h", "pid": 1, **extra}
    return httpx.post(f"{world.server.url}/api/v1/leases", json=body, headers=_bearer(world.tokens[who]))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_routes_acquire_busy_renew_release(world: World) -> None:
    url = f"{world.server.url}/api/v1/leases"
    taken = post(world, "tim_kerja", ["device:core-diskominfo", "ticket:SPL-2026-00001"])
    assert taken.status_code == 201, taken.text
    lease = taken.json()
    assert lease["holder"]["display_name"] == "Andi Jaringan"
    assert lease["names"] == ["device:core-diskominfo", "ticket:SPL-2026-00001"]

    busy = post(world, "sari", ["device:core-diskominfo"])
    assert busy.status_code == 409
    assert busy.json()["code"] == "busy"
    assert "Andi Jaringan" in busy.json()["error"] and "deploy SPL-2026-00001" in busy.json()["error"]

    listed = httpx.get(url, headers=_bearer(world.tokens["sari"])).json()
    assert lease["lease_id"] in [x["lease_id"] for x in listed]

    other = f"{url}/{lease['lease_id']}"
    assert httpx.put(other, json={"ttl_s": 60}, headers=_bearer(world.tokens["sari"])).status_code == 403
    assert httpx.delete(other, headers=_bearer(world.tokens["sari"])).status_code == 403
    renewed = httpx.put(other, json={"ttl_s": 120}, headers=_bearer(world.tokens["tim_kerja"]))
    assert renewed.status_code == 200 and renewed.json()["expires_at"] > lease["expires_at"]
    assert httpx.delete(other, headers=_bearer(world.tokens["tim_kerja"])).status_code == 204
    assert httpx.delete(other, headers=_bearer(world.tokens["tim_kerja"])).status_code == 404
    lost = httpx.put(other, json={"ttl_s": 60}, headers=_bearer(world.tokens["tim_kerja"]))
    assert (lost.status_code, lost.json()["code"]) == (409, "lost")
    assert post(world, "sari", ["device:core-diskominfo"]).status_code == 201


def test_an_admin_releases_anyones_lease(world: World) -> None:
    lease = post(world, "tim_kerja", ["device:admin-test"]).json()
    answer = httpx.delete(
        f"{world.server.url}/api/v1/leases/{lease['lease_id']}", headers=_bearer(world.tokens["admin"])
    )
    assert answer.status_code == 204


@pytest.mark.parametrize("who", ["pemohon", "helpdesk", "kepala_dinas", "kepala_bidang", "system"])
def test_only_engineers_and_admins_take_leases(world: World, who: str) -> None:
    answer = post(world, who, ["device:x"])
    assert answer.status_code == 403, answer.text
    assert "tim_kerja or admin" in answer.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"names": []},
        {"names": ["router:x"]},
        {"names": ["device:x\n"]},
        {"ttl_s": 0},
        {"ttl_s": 100000},
        {"pid": -1},
        {"x": 1},
        {"purpose": "deploy\nForged: line"},
        {"host": "laptop\x1b[31m"},
        {"purpose": "x" * 201},
    ],
)
def test_a_bad_lease_request_is_422(world: World, body: dict[str, object]) -> None:
    names = body.pop("names", ["device:x"])
    assert post(world, "tim_kerja", names, **body).status_code == 422  # type: ignore[arg-type]


def test_http_store_maps_busy_and_lost(world: World) -> None:
    with world.client("tim_kerja") as andi, world.client("sari") as sari:
        lease = andi.acquire_lease(["device:mapped"], purpose="p", ttl_s=60, host="h", pid=1)
        with pytest.raises(Busy, match="Andi Jaringan"):
            sari.acquire_lease(["device:mapped"], purpose="q", ttl_s=60, host="h", pid=2)
        assert [x.lease_id for x in sari.held_leases() if "device:mapped" in x.names] == [lease.lease_id]
        andi.release_lease(lease.lease_id)
        andi.release_lease(lease.lease_id)  # gone already: nothing
        with pytest.raises(LeaseLost):
            andi.renew_lease(lease.lease_id, ttl_s=60)


# --- the coordinator ---------------------------------------------------------------------------
def test_server_leases_are_renewed_while_held_and_reentrant(world: World, tmp_path: Path) -> None:
    andi = ServerLeases(world.client("tim_kerja"), ttl_s=1, local=LocalLocks(tmp_path / "a"))
    sari = ServerLeases(world.client("sari"), ttl_s=1, local=LocalLocks(tmp_path / "b"))
    try:
        with andi.holding([("ticket", "SPL-2026-00009")], purpose="provision"):
            with andi.holding([("ticket", "SPL-2026-00009"), ("device", "renewed")], purpose="change"):
                time.sleep(2.5)  # more than twice the TTL: held only because the thread renews it
                with (
                    pytest.raises(Busy, match="Andi Jaringan"),
                    sari.holding([("device", "renewed")], purpose="o"),
                ):
                    pass
                andi.check()
            with sari.holding([("device", "renewed")], purpose="other"):  # released with its block
                pass
        with sari.holding([("ticket", "SPL-2026-00009")], purpose="provision", wait=5):
            pass
    finally:
        andi.close()
        sari.close()


def test_a_lost_lease_fails_the_next_check(world: World, tmp_path: Path) -> None:
    andi = ServerLeases(world.client("tim_kerja"), ttl_s=1, local=LocalLocks(tmp_path / "a"))
    try:
        with andi.holding([("device", "lost")], purpose="deploy"):
            [lease] = [x for x in andi.client.held_leases() if x.names == ("device:lost",)]  # type: ignore[attr-defined]
            admin = httpx.delete(
                f"{world.server.url}/api/v1/leases/{lease.lease_id}", headers=_bearer(world.tokens["admin"])
            )
            assert admin.status_code == 204
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    andi.check()
                except LeaseLost as exc:
                    assert "device:lost" in str(exc) and "stops here" in str(exc)
                    break
                time.sleep(0.1)
            else:
                pytest.fail("the lost lease was not noticed within 5 s")
    finally:
        andi.close()


def test_a_local_store_gets_local_locks(store: SqliteStore) -> None:
    with coordinating(store) as chosen:
        assert isinstance(chosen, LocalLocks)


HOLD = """
import json, sys, time
from pathlib import Path
from sipelangi_net.coordination import LocalLocks, coordinating
from sipelangi_net.tickets.http import HttpStore
url, token, folder = sys.argv[1:4]
store = HttpStore(url, token=token)
with coordinating(store, local=LocalLocks(Path(folder))) as c:
    for _ in range(3):
        with c.holding([("ticket", sys.argv[4]), ("device", "core-shared")], purpose="deploy", wait=30):
            start = time.time()
            time.sleep(0.4)
            print(json.dumps([start, time.time()]), flush=True)
"""


def test_two_processes_with_their_own_accounts_never_hold_a_device_together(
    world: World, tmp_path: Path
) -> None:
    """Two laptops: their own accounts, their own lock folders (their flocks never meet): only the
    server's leases keep their device phases apart."""
    env = {**os.environ, "HOME": str(tmp_path)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", HOLD, world.server.url, world.tokens[who], str(tmp_path / who), tid],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for who, tid in (("tim_kerja", "SPL-2026-00001"), ("sari", "SPL-2026-00002"))
    ]
    spans = []
    try:
        for proc in runs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            spans += [tuple(json.loads(line)) for line in out.splitlines()]
    finally:
        for proc in runs:  # stopped by their PIDs (through their Popen) even when the test fails
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
    spans.sort()
    assert len(spans) == 6
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start, spans


def test_a_run_whose_lease_is_lost_stops_before_its_next_step(world: World, tmp_path: Path) -> None:
    from test_playbook import book, context

    from sipelangi_net.playbook.actions import Action
    from sipelangi_net.playbook.context import Outcome, RunContext, done
    from sipelangi_net.playbook.runner import run_playbook

    ran: list[str] = []

    def freed_by_an_admin(ctx: RunContext, _opts: dict[str, object]) -> Outcome:
        assert isinstance(ctx.coordinator, ServerLeases)
        [lease] = [x for x in ctx.coordinator.client.held_leases() if "ticket:SPL-2026-00001" in x.names]  # type: ignore[attr-defined]
        url = f"{world.server.url}/api/v1/leases/{lease.lease_id}"
        assert httpx.delete(url, headers=_bearer(world.tokens["admin"])).status_code == 204
        time.sleep(1.0)  # the renewing thread (every third of the 1 s TTL) finds it gone
        ran.append("a")
        return done("ok")

    def never(_ctx: RunContext, _opts: dict[str, object]) -> Outcome:
        ran.append("b")
        return done("pushed")

    actions = {"a_a": Action(freed_by_an_admin, frozenset(), "a"), "a_b": Action(never, frozenset(), "b")}
    ctx = context(tmp_path)
    ctx.coordinator = leases = ServerLeases(
        world.client("tim_kerja"), ttl_s=1, local=LocalLocks(tmp_path / "l")
    )
    try:
        summary = run_playbook(book(tmp_path, actions), ctx, actions=actions)
    finally:
        leases.close()
    assert ran == ["a"]
    assert [s.state for s in summary.steps] == ["done", "failed"]
    assert summary.exit_code == 6 and isinstance(summary.error, LeaseLost)
    assert "ticket:SPL-2026-00001" in summary.steps[-1].detail


class _BrokenRenewals:
    """A lease client whose renewals fail with an error nobody expected."""

    def acquire_lease(self, names: list[str], *, purpose: str, ttl_s: int, host: str, pid: int) -> Lease:
        now = dt.datetime.now(dt.UTC)
        holder = Holder(account_id="7", display_name="Andi", host=host, pid=pid)
        return Lease(lease_id="0" * 32, names=tuple(names), holder=holder, purpose=purpose,
                     acquired_at=now, expires_at=now + dt.timedelta(seconds=ttl_s))  # fmt: skip

    def renew_lease(self, lease_id: str, *, ttl_s: int) -> Lease:
        raise RuntimeError("boom")

    def release_lease(self, lease_id: str) -> None:
        return None

    def close(self) -> None:
        return None


def test_a_renewal_that_fails_unexpectedly_loses_the_lease_not_the_thread(tmp_path: Path) -> None:
    leases = ServerLeases(_BrokenRenewals(), ttl_s=1, local=LocalLocks(tmp_path))
    try:
        with leases.holding([("device", "x")], purpose="deploy"):
            time.sleep(0.8)  # a renewal every third of a second
            with pytest.raises(LeaseLost, match="RuntimeError: boom"):
                leases.check()
    finally:
        leases.close()
