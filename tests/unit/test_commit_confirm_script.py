"""The pure parts of the device-side commit-confirm helper (arguments, FRR text, OVS canonical form)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.lab import commit_confirm_script as cc
from sipelangi_net.lab.confirm import SCRIPT_SOURCE, session_dispatch
from sipelangi_net.platforms import Platform


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["--platform=frr", "arm", "10"], "arm"),
        (["--platform=ovs", "arm", "3600"], "arm"),
        (["--platform=frr", "confirm"], "confirm"),
        (["--platform=ovs", "rollback"], "rollback"),
        (["--platform=frr", "status"], "status"),
    ],
)
def test_valid_arguments(argv: list[str], command: str) -> None:
    platform, got, _args = cc.parse(argv)
    assert (platform.name, got) == (argv[0].split("=")[1], command)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "--platform=frr|ovs missing"),
        (["status"], "--platform=frr|ovs missing"),
        (["--platform=ios", "status"], "unknown platform"),
        (["--platform=frr"], "no command given"),
        (["--platform=frr", "arm"], "arm takes one argument"),
        (["--platform=frr", "arm", "9"], "from 10 to 3600, got '9'"),
        (["--platform=frr", "arm", "3601"], "got '3601'"),
        (["--platform=frr", "arm", "-10"], "got '-10'"),
        (["--platform=frr", "arm", "1e2"], "got '1e2'"),
        (["--platform=frr", "arm", "\u0661\u0660"], "whole number"),  # Arabic-Indic digits
        (["--platform=frr", "confirm", "now"], "confirm takes no arguments"),
        (["--platform=frr", "frobnicate"], "unknown command 'frobnicate'"),
        (["--platform=frr", "_timer", "abc"], "unknown command '_timer'"),
    ],
)
def test_bad_arguments(argv: list[str], message: str) -> None:
    with pytest.raises(cc.Usage, match=message.replace("|", r"\|").replace("(", r"\(")):
        cc.parse(argv)


def test_timer_mode_needs_its_token_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cc.TIMER_ENV, "abc")
    assert cc.parse(["--platform=ovs", "_timer", "abc"])[1] == "_timer"
    with pytest.raises(cc.Usage):
        cc.parse(["--platform=ovs", "_timer", "other"])


def test_main_answers_json_and_exit_2_on_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert cc.main(["--platform=frr", "arm", "abc"]) == 2
    out, err = capsys.readouterr()
    reply = json.loads(out)
    assert reply["ok"] is False and "got 'abc'" in reply["error"]
    assert err.startswith("commit-confirm: SECONDS must be a whole number")


def test_frr_body_drops_the_header() -> None:
    text = "Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\nhostname r1\n!\nend\n"
    assert cc.frr_body(text) == "!\nfrr version 8.4.4\nhostname r1\n!\nend\n"
    assert cc.frr_body("!\nend\n") == "!\nend\n"


def _backup(uuids: tuple[str, str, str], *, tag: int = 999, ofport: int = 1, next_cfg: int = 1) -> str:
    """A minimal ``ovsdb-client backup``: the schema record, then the data record."""
    schema = {
        "name": "Open_vSwitch",
        "tables": {
            "Open_vSwitch": {"columns": {"bridges": {}, "next_cfg": {}, "statistics": {"ephemeral": True}}},
            "Bridge": {"columns": {"name": {}, "ports": {}}},
            "Port": {"columns": {"name": {}, "tag": {}, "external_ids": {}}},
            "Interface": {"columns": {"name": {}, "ofport": {}, "link_state": {"ephemeral": True}}},
        },
    }
    root, bridge, port = uuids
    data: dict[str, Any] = {
        "_date": 1,
        "_is_diff": True,
        "Open_vSwitch": {
            root: {"bridges": ["uuid", bridge], "next_cfg": next_cfg, "statistics": ["map", []]}
        },
        "Bridge": {bridge: {"name": "br0", "ports": ["set", [["uuid", port]]]}},
        "Port": {port: {"name": "eth2", "tag": tag, "external_ids": ["map", [["description", "x"]]]}},
        "Interface": {"i1": {"name": "eth2", "ofport": ofport, "link_state": "up"}},
    }
    return f"OVSDB JSON 1 0\n{json.dumps(schema)}\nOVSDB JSON 1 0\n{json.dumps(data)}\n"


def test_ovs_canonical_ignores_uuids_and_volatile_columns() -> None:
    before = cc.ovs_canonical(_backup(("a", "b", "c")))
    after = cc.ovs_canonical(_backup(("x", "y", "z"), ofport=7, next_cfg=9))
    assert before == after
    assert cc.ovs_differences(before, after) == []
    assert '["ref", "Bridge", "br0"]' in before["Open_vSwitch"][0]


def test_ovs_canonical_sees_a_changed_tag() -> None:
    before = cc.ovs_canonical(_backup(("a", "b", "c")))
    changed = cc.ovs_canonical(_backup(("a", "b", "c"), tag=150))
    diff = cc.ovs_differences(before, changed)
    assert len(diff) == 2 and all(line.startswith("Port: ") for line in diff)
    assert '"tag": 150' in diff[1]


def test_ovs_canonical_refuses_an_unknown_layout() -> None:
    with pytest.raises(cc.Refused, match="expected 2"):
        cc.ovs_canonical("OVSDB JSON 1 0\n{}\n")


def test_session_dispatch_runs_the_helper_isolated() -> None:
    text = session_dispatch(Path("/lab/r1/ssh/commit-confirm"), Platform.FRR)
    assert 'commit-confirm | "commit-confirm "*)' in text
    assert "set -f" in text
    assert 'exec /usr/bin/python3 -I /lab/r1/ssh/commit-confirm --platform=frr "$@"' in text


def test_the_helper_is_standalone() -> None:
    """Copied verbatim onto devices and run by the system python: no sipelangi_net imports."""
    source = SCRIPT_SOURCE.read_text()
    assert source.startswith("#!/usr/bin/python3\n")
    assert "sipelangi_net" not in "".join(
        ln for ln in source.splitlines() if ln.startswith(("import", "from"))
    )
