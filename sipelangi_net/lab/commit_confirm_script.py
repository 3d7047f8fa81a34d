#!/usr/bin/python3
"""commit-confirm: the device-side revert timer of a sipelangi-net lab device.

``lab up`` copies this file verbatim to ``<node>/ssh/commit-confirm``; the
device's SSH session runs it (``/usr/bin/python3 -I``, as the lab user, inside
the device's mount and UTS namespaces) when the command starts with
``commit-confirm``. Standard library only: it must never import sipelangi_net.

Commands, one per SSH exec; every answer is one JSON object on stdout::

    commit-confirm arm SECONDS   snapshot the running config and start a detached
                                 timer that restores it after SECONDS (10..3600)
    commit-confirm confirm       keep the change: stop the timer, disarm
    commit-confirm rollback      restore the snapshot now, disarm
    commit-confirm status        armed or not, and the outcome of the last change

Exit status: 0 done; 1 refused or failed (the JSON's "error" says why);
2 bad arguments. The timer is a double-forked, setsid process with its stdio on
/dev/null, so it outlives the SSH session and the program that armed it.

Confirm, rollback and the timer's expiry each take an exclusive ``flock`` on
``<state dir>/lock`` and act only while ``state.json`` holds their token, so
exactly one of them handles an armed change; a later one finds it handled.

What is restored and what is compared:

* FRR: the snapshot is ``show running-config`` without its "Building
  configuration..." header; restore is ``frr-reload.py --reload`` of it, then
  the running config must equal the snapshot text exactly (that is the verdict: a
  complaint of frr-reload.py about a command that did its work anyway is kept as
  ``reload_complaint``). The startup config
  (/etc/frr/frr.conf) is kept too and put back if the change was saved with
  ``write memory`` (frr-reload.py loads the snapshot as a scratch folder's
  frr.conf, so it writes nothing: an unsaved change leaves the startup config
  untouched).
* OVS: the snapshot is ``ovsdb-client backup``; restore is ``ovsdb-client
  restore``, then ``next_cfg`` is bumped and ``cur_cfg`` awaited so that
  ovs-vswitchd has applied it. Verified by comparing the two databases row for
  row, every table and column, except (a) row UUIDs (restore gives new ones;
  references are followed to the referenced row's name, or its contents) and
  (b) the status columns ovs-vswitchd writes: the schema's ephemeral columns
  plus ``OVS_VOLATILE``.
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIN_SECONDS = 10
MAX_SECONDS = 3600
LOCK_WAIT = 120.0  # longer than any restore
PYTHON = "/usr/bin/python3"
SCRIPT = os.path.abspath(__file__)
TIMER = "_timer"
TIMER_ENV = "COMMIT_CONFIRM_TIMER"
SEARCH_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
USAGE = "use: arm SECONDS, confirm, rollback or status"

VTYSH = ("/usr/bin/vtysh", "-H", "/dev/null")
FRR_RELOAD = "/usr/lib/frr/frr-reload.py"
FRR_STARTUP = Path("/etc/frr/frr.conf")
FRR_HEADER = ("Building configuration...", "Current configuration:")
OVSDB = "unix:/run/openvswitch/db.sock"
OVS_APPLY_WAIT = 10.0
# Written by ovs-vswitchd (or start-up scripts), not configuration; the schema's
# ephemeral columns are skipped as well.
OVS_VOLATILE = {
    "Open_vSwitch": {
        "next_cfg",
        "cur_cfg",
        "ovs_version",
        "db_version",
        "system_type",
        "system_version",
        "datapath_types",
        "iface_types",
        "dpdk_initialized",
        "dpdk_version",
    },
    "Bridge": {"datapath_version"},
    "Port": {"bond_active_slave"},
    "Interface": {"ofport", "cfm_flap_count", "error"},
    "Datapath": {"capabilities"},
}


class Usage(Exception):
    """Bad arguments (exit 2)."""


class Refused(Exception):
    """Not possible now, or it failed (exit 1)."""


# --- small I/O helpers ---------------------------------------------------------


def now_iso(ts: float | None = None) -> str:
    return datetime.datetime.fromtimestamp(time.time() if ts is None else ts, datetime.UTC).isoformat(
        timespec="milliseconds"
    )


def run(cmd: list[str], *, stdin: Path | None = None, timeout: float = 60.0, check: bool = True) -> str:
    """Run ``cmd`` (stdin from a file: ovsdb-client seeks in it); return its stdout.

    A failure raises Refused with the last lines of its output.
    """
    try:
        with open(stdin or os.devnull, "rb") as source:
            proc = subprocess.run(
                cmd,
                stdin=source,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="surrogateescape",
                timeout=timeout,
                check=False,
            )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Refused(f"{cmd[0]}: {exc}") from None
    if check and proc.returncode != 0:
        tail = " / ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise Refused(f"{os.path.basename(cmd[0])} exited {proc.returncode}: {tail}")
    return proc.stdout


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


@contextlib.contextmanager
def locked(state_dir: Path, *, wait: float | None = LOCK_WAIT) -> Iterator[None]:
    """Hold the exclusive lock of ``state_dir`` (``wait=None``: as long as it takes)."""
    fd = os.open(state_dir / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o660)
    try:
        if wait is None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        else:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise Refused(f"busy: {state_dir}/lock is held for over {wait:.0f} s") from None
                    time.sleep(0.05)
        yield
    finally:
        os.close(fd)


# --- FRR -------------------------------------------------------------------------


def frr_body(text: str) -> str:
    """``show running-config`` without the "Building configuration..." header."""
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines) and (lines[i].strip() in FRR_HEADER or not lines[i].strip()):
        i += 1
    return "".join(lines[i:])


def frr_running() -> str:
    return frr_body(run([*VTYSH, "-c", "show running-config"]))


def frr_snapshot(state_dir: Path) -> None:
    (state_dir / "snapshot.conf").write_text(frr_running(), encoding="utf-8", errors="surrogateescape")
    startup = state_dir / "startup.conf"
    try:
        startup.write_bytes(FRR_STARTUP.read_bytes())
    except OSError:
        startup.unlink(missing_ok=True)  # unreadable or absent: not restored later


def frr_restore(state_dir: Path) -> dict[str, Any]:
    snapshot = state_dir / "snapshot.conf"
    # frr-reload.py ends with vtysh "write" unless the file it loads is <confdir>/frr.conf; that
    # write would save the restored running config over /etc/frr/frr.conf (with watchfrr running,
    # vtysh has watchfrr write it there, whatever vtysh's own config folder). So the snapshot is
    # loaded as a scratch folder's frr.conf: nothing is written.
    scratch = state_dir / "reload"
    scratch.mkdir(exist_ok=True)
    (scratch / "vtysh.conf").write_text("service integrated-vtysh-config\n", encoding="utf-8")
    shutil.copyfile(snapshot, scratch / "frr.conf")
    t0 = time.monotonic()
    reload_cmd = [PYTHON, FRR_RELOAD, "--reload", "--stdout", "--bindir", "/usr/bin"]
    reload_cmd += [
        "--confdir",
        str(scratch),
        "--rundir",
        "/run/frr",
        "--vty_socket",
        "/run/frr",
        str(scratch / "frr.conf"),
    ]
    want = snapshot.read_text(encoding="utf-8", errors="surrogateescape")
    error, attempts = _frr_reload(reload_cmd), 1
    if frr_running() != want:  # a second pass settles what the first could not (frr-reload quirks)
        error, attempts = _frr_reload(reload_cmd), 2
    restore_seconds = time.monotonic() - t0
    got = frr_running()
    result: dict[str, Any] = {
        # frr-reload.py exits 1 when a command of its own reports failure, and FRR 8.4's zebra
        # reports failure for ``no ip address X`` on an interface the kernel does not have
        # (zebra_nb_config.c: it deletes the address, then returns NB_ERR_VALIDATION). What counts
        # is the result: the running config equal to the snapshot, line for line.
        "restored": error is None or got == want,
        "verified": got == want,
        "attempts": attempts,
        "restore_seconds": round(restore_seconds, 3),
        "verify_seconds": round(time.monotonic() - t0 - restore_seconds, 3),
        "startup": frr_restore_startup(state_dir),
    }
    if error:
        result["error" if got != want else "reload_complaint"] = error
    if got != want:
        diff = difflib.unified_diff(want.splitlines(), got.splitlines(), "snapshot", "running", lineterm="")
        result["detail"] = "\n".join(list(diff)[:60])
    return result


def _frr_reload(cmd: list[str]) -> str | None:
    """Run frr-reload.py; its error, or None."""
    try:
        run(cmd, timeout=120)
    except Refused as exc:
        return str(exc)
    return None


def frr_restore_startup(state_dir: Path) -> str:
    """Put /etc/frr/frr.conf back when the change was saved; "unchanged", "restored" or "failed: ..."."""
    saved = state_dir / "startup.conf"
    if not saved.exists():
        return "not snapshotted"
    want = saved.read_bytes()
    try:
        if FRR_STARTUP.read_bytes() == want:
            return "unchanged"
    except OSError:
        pass
    tmp = FRR_STARTUP.with_name(".frr.conf.commit-confirm")
    try:
        mode = FRR_STARTUP.stat().st_mode & 0o777 if FRR_STARTUP.exists() else 0o640
        tmp.write_bytes(want)
        os.chmod(tmp, mode)
        os.replace(tmp, FRR_STARTUP)  # what vtysh's "write memory" does too
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        return f"failed: {exc}"
    return "restored"


# --- Open vSwitch --------------------------------------------------------------------


def ovs_snapshot(state_dir: Path) -> None:
    backup = run(["ovsdb-client", "backup", OVSDB])
    (state_dir / "snapshot.db").write_text(backup, encoding="utf-8", errors="surrogateescape")


def ovs_transact(ops: list[Any]) -> list[Any]:
    reply = json.loads(run(["ovsdb-client", "transact", OVSDB, json.dumps(["Open_vSwitch", *ops])]))
    errors = [r for r in reply if isinstance(r, dict) and "error" in r]
    if errors:
        raise Refused(f"ovsdb transaction failed: {errors[0]}")
    return list(reply)


def ovs_wait_applied(timeout: float = OVS_APPLY_WAIT) -> bool:
    """Bump next_cfg and wait until ovs-vswitchd reports it in cur_cfg (= it applied the database)."""
    bump = {"op": "mutate", "table": "Open_vSwitch", "where": [], "mutations": [["next_cfg", "+=", 1]]}
    read = {"op": "select", "table": "Open_vSwitch", "where": [], "columns": ["next_cfg"]}
    target = ovs_transact([bump, read])[1]["rows"][0]["next_cfg"]
    deadline = time.monotonic() + timeout
    while True:
        cur = ovs_transact([{**read, "columns": ["cur_cfg"]}])[0]["rows"][0]["cur_cfg"]
        if cur >= target:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def ovs_restore(state_dir: Path) -> dict[str, Any]:
    snapshot = (state_dir / "snapshot.db").read_text(encoding="utf-8", errors="surrogateescape")
    t0 = time.monotonic()
    run(["ovsdb-client", "restore", OVSDB], stdin=state_dir / "snapshot.db")
    applied = ovs_wait_applied()
    restore_seconds = time.monotonic() - t0
    differences = ovs_differences(
        ovs_canonical(snapshot), ovs_canonical(run(["ovsdb-client", "backup", OVSDB]))
    )
    result: dict[str, Any] = {
        "restored": True,
        "verified": applied and not differences,
        "applied": applied,
        "restore_seconds": round(restore_seconds, 3),
        "verify_seconds": round(time.monotonic() - t0 - restore_seconds, 3),
    }
    if not applied:
        result["error"] = f"ovs-vswitchd did not apply the restored database within {OVS_APPLY_WAIT:.0f} s"
    if differences:
        result["detail"] = "\n".join(differences[:40])
    return result


def ovs_canonical(backup: str) -> dict[str, list[str]]:
    """The configuration in an ``ovsdb-client backup``: per table, its rows as sorted canonical JSON."""
    records = [json.loads(line) for line in backup.splitlines() if line.startswith("{")]
    if len(records) != 2:
        raise Refused(f"unexpected ovsdb-client backup layout ({len(records)} JSON records, expected 2)")
    schema, data = records
    canon = OvsCanon(schema, {t: rows for t, rows in data.items() if not t.startswith("_")})
    return {
        t: sorted(_key(canon.row(t, row, 0)) for row in rows.values()) for t, rows in canon.tables.items()
    }


class OvsCanon:
    """Rows without UUIDs: a reference becomes the referenced row's name (or its canonical contents)."""

    def __init__(self, schema: dict[str, Any], tables: dict[str, dict[str, dict[str, Any]]]) -> None:
        self.tables = {t: rows for t, rows in tables.items() if rows}
        self.volatile = {
            t: {c for c, spec in tdef["columns"].items() if spec.get("ephemeral")}
            | OVS_VOLATILE.get(t, set())
            for t, tdef in schema["tables"].items()
        }
        self.index = {uuid: (t, row) for t, rows in self.tables.items() for uuid, row in rows.items()}

    def row(self, table: str, row: dict[str, Any], depth: int) -> dict[str, Any]:
        skip = self.volatile.get(table, set())
        return {c: self.value(v, depth) for c, v in row.items() if c not in skip}

    def value(self, v: Any, depth: int) -> Any:
        if not isinstance(v, list) or len(v) != 2:
            return v
        kind, body = v
        if kind == "uuid":
            return self.reference(body, depth)
        if kind == "set":
            return ["set", sorted((self.value(x, depth) for x in body), key=_key)]
        if kind == "map":
            return ["map", sorted(([self.value(k, depth), self.value(x, depth)] for k, x in body), key=_key)]
        return v

    def reference(self, uuid: str, depth: int) -> Any:
        if uuid not in self.index:
            return ["ref", None, uuid]
        table, row = self.index[uuid]
        if isinstance(row.get("name"), str):
            return ["ref", table, row["name"]]
        return ["ref", table, self.row(table, row, depth + 1) if depth < 6 else "..."]


def _key(v: Any) -> str:
    return json.dumps(v, sort_keys=True)


def ovs_differences(want: dict[str, list[str]], got: dict[str, list[str]]) -> list[str]:
    out = []
    for table in sorted(set(want) | set(got)):
        w, g = want.get(table, []), got.get(table, [])
        if w != g:
            out += [f"{table}: snapshot has {row}" for row in w if row not in g]
            out += [f"{table}: now has {row}" for row in g if row not in w]
    return out


# --- platforms, state, timer --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    state_dir: Path
    snapshot: Callable[[Path], None]
    restore: Callable[[Path], dict[str, Any]]


PLATFORMS = {
    "frr": Platform("frr", Path("/run/frr/commit-confirm"), frr_snapshot, frr_restore),
    "ovs": Platform("ovs", Path("/run/openvswitch/commit-confirm"), ovs_snapshot, ovs_restore),
}


def timer_argv(platform: Platform, token: str) -> list[str]:
    return [PYTHON, "-I", SCRIPT, f"--platform={platform.name}", TIMER, token]


def is_timer(pid: int, platform: Platform, token: str) -> bool:
    """True when ``pid`` is the live timer of ``token`` (its command line says so)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return cmdline.split(b"\0")[:-1] == [a.encode() for a in timer_argv(platform, token)]


def spawn_timer(platform: Platform, token: str) -> int:
    """Start the detached timer (double fork, setsid, stdio on /dev/null); return its PID."""
    argv = timer_argv(platform, token)
    env = {"PATH": SEARCH_PATH, "HOME": os.environ.get("HOME", "/"), TIMER_ENV: token}
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the middle process: a new session, then leave the timer to init
        try:
            os.close(r)
            os.setsid()
            timer = os.fork()
            if timer:
                os.write(w, str(timer).encode())
                os._exit(0)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.closerange(3, 65536)
            os.chdir("/")
            os.execve(PYTHON, argv, env)  # noqa: S606 - fixed program and arguments
        finally:
            os._exit(127)
    os.close(w)
    with os.fdopen(r, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    if not data:
        raise Refused("could not start the revert timer")
    timer_pid = int(data)
    deadline = time.monotonic() + 5
    while not is_timer(timer_pid, platform, token):  # exec'd = the timer runs
        if time.monotonic() > deadline:
            raise Refused("the revert timer did not start")
        time.sleep(0.005)
    return timer_pid


def stop_timer(platform: Platform, state: dict[str, Any]) -> bool:
    """Stop the armed timer (only if it is the timer of this token); True when it is gone."""
    pid, token = state.get("timer_pid"), str(state["token"])
    if not isinstance(pid, int) or not is_timer(pid, platform, token):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 3
    while is_timer(pid, platform, token):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def safe_restore(platform: Platform, state_dir: Path) -> dict[str, Any]:
    try:
        return platform.restore(state_dir)
    except Exception as exc:  # recorded in last.json: the outcome must never be lost
        return {"restored": False, "verified": False, "error": f"restore failed: {exc}"}


def record_last(state_dir: Path, action: str, token: str, outcome: dict[str, Any]) -> dict[str, Any]:
    last = {"action": action, "at": now_iso(), "token": token, **outcome}
    write_json(state_dir / "last.json", last)
    return last


def not_armed(state_dir: Path, what: str) -> Refused:
    last = read_json(state_dir / "last.json")
    why = ""
    if last:
        why = f"; last change: {last['action']} at {last['at']}"
        if last["action"] != "confirmed":
            why += (
                " (restore verified)"
                if last.get("verified")
                else f" (restore NOT verified: {last.get('error')})"
            )
    return Refused(f"nothing to {what}: not armed{why}")


# --- commands ----------------------------------------------------------------------------


def cmd_arm(platform: Platform, seconds: int) -> dict[str, Any]:
    d = platform.state_dir
    with locked(d):
        state = read_json(d / "state.json")
        if state is not None:
            raise Refused(
                f"already armed (token {state['token']}, expires at {state['expires_at']}):"
                " confirm or roll back first"
            )
        platform.snapshot(d)
        token = secrets.token_hex(8)
        expires = time.time() + seconds
        state = {
            "token": token,
            "platform": platform.name,
            "seconds": seconds,
            "armed_at": now_iso(),
            "expires_at": now_iso(expires),
            "expires_epoch": expires,
            "timer_pid": None,
        }
        write_json(d / "state.json", state)
        try:
            state["timer_pid"] = spawn_timer(platform, token)
        except BaseException:
            (d / "state.json").unlink()
            raise
        write_json(d / "state.json", state)
    return {
        "ok": True,
        "armed": True,
        "token": token,
        "seconds": seconds,
        "expires_at": state["expires_at"],
        "timer_pid": state["timer_pid"],
    }


def cmd_confirm(platform: Platform) -> dict[str, Any]:
    d = platform.state_dir
    with locked(d):
        state = read_json(d / "state.json")
        if state is None:
            raise not_armed(d, "confirm")
        stopped = stop_timer(platform, state)
        record_last(d, "confirmed", state["token"], {"verified": stopped})
        (d / "state.json").unlink()
    return {"ok": True, "confirmed": True, "token": state["token"], "timer_stopped": stopped}


def cmd_rollback(platform: Platform) -> dict[str, Any]:
    """Restore now. Only a verified restore disarms: otherwise the timer stays and tries again."""
    d = platform.state_dir
    with locked(d):
        state = read_json(d / "state.json")
        if state is None:
            raise not_armed(d, "roll back")
        outcome = safe_restore(platform, d)
        if outcome["restored"] and outcome["verified"]:
            stop_timer(platform, state)
            last = record_last(d, "rolled_back", state["token"], outcome)
            (d / "state.json").unlink()
            return {"ok": True, **last}
    error = outcome.get("error") or "the running configuration differs from the snapshot after the restore"
    return {
        **outcome,
        "ok": False,
        "armed": True,
        "token": state["token"],
        "expires_at": state["expires_at"],
        "error": f"{error}; still armed: the timer tries again at {state['expires_at']}",
    }


def cmd_status(platform: Platform) -> dict[str, Any]:
    d = platform.state_dir
    with locked(d):
        state = read_json(d / "state.json")
        last = read_json(d / "last.json")
    reply: dict[str, Any] = {"ok": True, "armed": state is not None, "expires_at": None, "last": last}
    if state is not None:
        pid = state.get("timer_pid")
        reply["token"] = state["token"]
        reply["expires_at"] = state["expires_at"]
        reply["seconds_left"] = round(max(0.0, float(state["expires_epoch"]) - time.time()), 3)
        reply["timer_running"] = isinstance(pid, int) and is_timer(pid, platform, state["token"])
    return reply


def run_timer(platform: Platform, token: str) -> None:
    """The detached timer: sleep until the expiry, then restore unless confirm/rollback came first."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    d = platform.state_dir
    state = read_json(d / "state.json")
    if state is None or state.get("token") != token:
        return
    while (left := float(state["expires_epoch"]) - time.time()) > 0:
        time.sleep(min(left, 1.0))
    with locked(d, wait=None):
        state = read_json(d / "state.json")
        if state is None or state.get("token") != token:
            return  # confirmed or rolled back meanwhile
        record_last(d, "expired", token, safe_restore(platform, d))
        (d / "state.json").unlink()


# --- arguments, main -------------------------------------------------------------------------


def parse_seconds(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not MIN_SECONDS <= int(text) <= MAX_SECONDS:
        raise Usage(f"SECONDS must be a whole number from {MIN_SECONDS} to {MAX_SECONDS}, got {text!r}")
    return int(text)


def parse(argv: list[str]) -> tuple[Platform, str, list[str]]:
    """``--platform=frr|ovs COMMAND [ARG]`` (the session wrapper adds the platform)."""
    if not argv or not argv[0].startswith("--platform="):
        raise Usage("--platform=frr|ovs missing (the device's SSH session passes it)")
    platform = PLATFORMS.get(argv[0].partition("=")[2])
    if platform is None:
        raise Usage(f"unknown platform in {argv[0]!r} (frr or ovs)")
    if len(argv) < 2:
        raise Usage(f"no command given ({USAGE})")
    command, args = argv[1], argv[2:]
    if command == "arm":
        if len(args) != 1:
            raise Usage("arm takes one argument: SECONDS")
        parse_seconds(args[0])
    elif command in ("confirm", "rollback", "status"):
        if args:
            raise Usage(f"{command} takes no arguments")
    elif not (command == TIMER and len(args) == 1 and os.environ.get(TIMER_ENV) == args[0]):
        raise Usage(f"unknown command {command!r} ({USAGE})")
    return platform, command, args


def dispatch(platform: Platform, command: str, args: list[str]) -> dict[str, Any]:
    platform.state_dir.mkdir(mode=0o750, exist_ok=True)
    if command == "arm":
        return cmd_arm(platform, parse_seconds(args[0]))
    if command == "confirm":
        return cmd_confirm(platform)
    if command == "rollback":
        return cmd_rollback(platform)
    return cmd_status(platform)


def main(argv: list[str]) -> int:
    os.environ["PATH"] = SEARCH_PATH
    try:
        platform, command, args = parse(argv)
        if command == TIMER:
            run_timer(platform, args[0])
            return 0
        reply = dispatch(platform, command, args)
        code = 0 if reply["ok"] else 1
    except Usage as exc:
        reply, code = {"ok": False, "error": str(exc)}, 2
    except Refused as exc:
        reply, code = {"ok": False, "error": str(exc)}, 1
    except Exception as exc:  # every answer is JSON, even a bug's
        reply, code = {"ok": False, "error": f"internal error: {type(exc).__name__}: {exc}"}, 1
    reply["device"] = socket.gethostname()
    print(json.dumps(reply, sort_keys=True))
    if code:
        print(f"commit-confirm: {reply['error']}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
