"""The workspace: init, how a command finds it, its settings, and the packaged defaults beneath it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sipelangi_net import paths, workspace
from sipelangi_net.change.render import environment, render
from sipelangi_net.errors import ConfigError
from sipelangi_net.tickets.store import configured_location, default_db_path

CLI = str(Path(sys.executable).with_name("sipelangi-net"))


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No SIPELANGI_* path overrides; the current folder a fresh, empty one."""
    for name in list(os.environ):
        if name.startswith("SIPELANGI_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_init_writes_a_whole_workspace_and_a_private_secrets_template(clean: Path) -> None:
    written = workspace.create(clean / "ws")
    ws = (clean / "ws").resolve()
    assert written[-1] == ws / workspace.MARKER  # last: a half-made folder is no workspace
    defaults = workspace.defaults_dir()
    shipped = sorted(p.name for p in (defaults / "inventory").iterdir() if p.is_file())
    assert sorted(p.name for p in (ws / "inventory").iterdir()) == shipped
    assert (ws / "inventory" / "hosts.yaml").read_text() == (
        defaults / "inventory" / "hosts.yaml"
    ).read_text()
    assert (ws / "playbooks" / "provision.yaml").is_file()
    assert (ws / "reports").is_dir()
    assert stat.S_IMODE((ws / "secrets.yaml").stat().st_mode) == 0o600
    assert "frr/opd.j2" in (ws / "templates" / "README.md").read_text()
    assert "secrets.yaml" in (ws / ".gitignore").read_text().split()
    assert workspace.settings(ws) == workspace.Settings()


def test_init_overwrites_nothing(clean: Path) -> None:
    (clean / "ws" / "inventory").mkdir(parents=True)
    (clean / "ws" / "inventory" / "hosts.yaml").write_text("mine: {}\n")
    with pytest.raises(ConfigError, match=r"inventory/hosts.yaml: exists already"):
        workspace.create(clean / "ws")
    assert (clean / "ws" / "inventory" / "hosts.yaml").read_text() == "mine: {}\n"
    assert not (clean / "ws" / workspace.MARKER).exists()
    (clean / "afile").write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        workspace.create(clean / "afile")


def test_a_command_finds_its_workspace_env_then_cwd_and_parents(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.create(clean / "a")
    workspace.create(clean / "b")
    a, b = (clean / "a").resolve(), (clean / "b").resolve()
    monkeypatch.chdir(a / "inventory")  # below the workspace: found upwards
    assert workspace.find() == a
    assert paths.inventory_dir() == a / "inventory"
    assert paths.reports_dir() == a / "reports"
    monkeypatch.setenv(workspace.ENV, str(b))  # the environment (and --workspace) wins
    assert workspace.find() == b
    monkeypatch.setenv("SIPELANGI_INVENTORY", str(clean / "elsewhere"))  # a path override wins over both
    assert paths.inventory_dir() == clean / "elsewhere"
    monkeypatch.setenv(workspace.ENV, str(clean))
    with pytest.raises(ConfigError, match=r"is not a sipelangi-net workspace .*sipelangi-net init"):
        workspace.find()


def test_outside_any_workspace_the_source_checkout_is_the_workspace(clean: Path) -> None:
    """Run from a checkout (an editable install), the checkout is the workspace; from a wheel there is
    none, and a command needing one says how to make one."""
    assert workspace.find() == (
        workspace.SOURCE_ROOT if workspace.defaults_dir() == workspace.SOURCE_ROOT else None
    )


def test_no_workspace_is_a_clear_error(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workspace, "SOURCE_ROOT", clean / "no-checkout")
    with pytest.raises(ConfigError, match=r"no sipelangi-net workspace here .*sipelangi-net init DIR"):
        paths.inventory_dir()


def test_a_workspace_template_overrides_the_packaged_one_alone(clean: Path) -> None:
    workspace.create(clean / "ws")
    ws = (clean / "ws").resolve()
    os.chdir(ws)
    packaged = workspace.defaults_dir() / "templates"
    assert paths.template_dirs() == (ws / "templates", packaged)
    (ws / "templates" / "frr").mkdir()
    (ws / "templates" / "frr" / "opd.j2").write_text("! override for {{ name }}\n")
    assert render("frr/opd.j2", name="dinkes") == "! override for dinkes\n"
    env = environment()
    assert env.get_template("frr/opd.j2").filename == str(ws / "templates" / "frr" / "opd.j2")
    assert env.get_template("frr/base.j2").filename == str(packaged / "frr" / "base.j2")  # not overridden
    with pytest.raises(ConfigError, match=r"nothing.j2: template not found \(searched .*templates"):
        render("frr/nothing.j2")


def test_a_workspace_playbook_wins_and_the_packaged_one_fills_in(clean: Path) -> None:
    workspace.create(clean / "ws")
    ws = (clean / "ws").resolve()
    os.chdir(ws)
    assert paths.playbook_path("provision.yaml") == ws / "playbooks" / "provision.yaml"
    (ws / "playbooks" / "provision.yaml").unlink()
    assert paths.playbook_path("provision.yaml") == workspace.defaults_dir() / "playbooks" / "provision.yaml"


def test_the_workspace_names_its_ticket_store(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace.create(clean / "ws")
    ws = (clean / "ws").resolve()
    os.chdir(ws)
    (ws / workspace.MARKER).write_text("version: 1\nstore: data/tickets.db\n")
    assert default_db_path() == ws / "data" / "tickets.db"
    assert configured_location() == ""
    (ws / workspace.MARKER).write_text("version: 1\nstore: https://sipelangi.example.go.id\n")
    assert configured_location() == "https://sipelangi.example.go.id"
    monkeypatch.setenv("SIPELANGI_DB", str(clean / "env.db"))  # the environment wins
    assert (configured_location(), default_db_path()) == ("", clean / "env.db")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 2\n", r"field version: Input should be 1"),
        ("version: 1\nstroe: x.db\n", r"field stroe: Extra inputs are not permitted"),
        ("- a\n", r"expected a mapping"),
        ("version: [\n", r"cannot read the workspace settings: ParserError"),
    ],
)
def test_bad_settings_name_the_file_and_field(clean: Path, text: str, message: str) -> None:
    workspace.create(clean / "ws")
    marker = clean / "ws" / workspace.MARKER
    marker.write_text(text)
    with pytest.raises(ConfigError, match=rf"{workspace.MARKER}: {message}"):
        workspace.settings(clean / "ws")


def test_the_checkout_is_a_workspace_with_the_settings_init_writes() -> None:
    checkout = workspace.SOURCE_ROOT / workspace.MARKER
    assert checkout.read_text(encoding="utf-8") == workspace.SETTINGS_TEXT


def test_cli_init_then_workspace_option(clean: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPELANGI_")}
    made = subprocess.run([CLI, "init", "ws"], capture_output=True, text=True, env=env, check=False)
    assert made.returncode == 0, made.stderr
    assert "files written" in made.stdout
    again = subprocess.run([CLI, "init", "ws"], capture_output=True, text=True, env=env, check=False)
    assert again.returncode == 2
    assert "exists already" in again.stderr
    wrong = subprocess.run(
        [CLI, "--workspace", str(clean / "nowhere"), "ticket", "list"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert wrong.returncode == 2
    assert "is not a sipelangi-net workspace" in wrong.stderr
