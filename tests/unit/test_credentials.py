"""Device credentials: environment first, then a private secrets file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sipelangi_net.credentials import KEYS, Credentials, candidate_files, load_credentials
from sipelangi_net.errors import ConfigError, SecretsError
from sipelangi_net.workspace import create


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment: no SIPELANGI_* credentials, config and lab dirs inside tmp_path."""
    for key in (*KEYS, "secrets"):
        monkeypatch.delenv(f"SIPELANGI_{key.upper()}", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("SIPELANGI_LAB_DIR", str(tmp_path / "lab"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    create(tmp_path / "ws")  # a fresh workspace: its secrets.yaml is init's all-comment template
    monkeypatch.setenv("SIPELANGI_WORKSPACE", str(tmp_path / "ws"))
    return tmp_path


def _write(path: Path, data: object, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    path.chmod(mode)
    return path


def _user_file(home: Path) -> Path:
    return home / "config" / "sipelangi-net" / "secrets.yaml"


def test_candidate_files_follow_the_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = home.resolve() / "ws" / "secrets.yaml"
    assert candidate_files() == [own, _user_file(home), home / "lab" / "secrets.yaml"]
    monkeypatch.setenv("SIPELANGI_SECRETS", str(home / "elsewhere.yaml"))
    assert candidate_files() == [home / "elsewhere.yaml"]
    assert candidate_files(home / "explicit.yaml") == [home / "explicit.yaml"]


def test_user_file_is_read(home: Path) -> None:
    path = _write(_user_file(home), {"username": "netops", "password": "file-pass-1"})
    creds = load_credentials()
    assert creds == Credentials(username="netops", password="file-pass-1", source=str(path))
    assert "file-pass-1" not in repr(creds)
    assert creds.secret_values() == ["file-pass-1"]


def test_lab_file_is_the_last_resort(home: Path) -> None:
    path = _write(
        home / "lab" / "secrets.yaml", {"username": "lab", "ssh_key": "/k/id", "known_hosts": "/k/kh"}
    )
    creds = load_credentials()
    assert (creds.username, creds.password, creds.source) == ("lab", None, str(path))
    assert creds.ssh_key == Path("/k/id")
    assert creds.known_hosts == Path("/k/kh")
    assert creds.secret_values() == []


def test_user_file_wins_over_lab_file(home: Path) -> None:
    _write(home / "lab" / "secrets.yaml", {"username": "lab", "password": "lab-pass-1"})
    _write(_user_file(home), {"username": "netops", "password": "file-pass-1"})
    assert load_credentials().username == "netops"


def test_environment_overrides_the_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(_user_file(home), {"username": "netops", "password": "file-pass-1", "ssh_key": "/f/key"})
    monkeypatch.setenv("SIPELANGI_USERNAME", "env-user")
    monkeypatch.setenv("SIPELANGI_PASSWORD", "env-pass-1")
    creds = load_credentials()
    assert creds.username == "env-user"
    assert creds.password == "env-pass-1"
    assert creds.ssh_key == Path("/f/key"), "keys not in the environment still come from the file"
    assert creds.source == str(path)


def test_environment_alone(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPELANGI_USERNAME", "env-user")
    monkeypatch.setenv("SIPELANGI_SSH_KEY", str(home / "id_ed25519"))
    creds = load_credentials()
    assert creds.username == "env-user"
    assert creds.ssh_key == home / "id_ed25519"
    assert creds.source == "environment"


def test_explicit_and_env_secrets_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(_user_file(home), {"username": "netops", "password": "file-pass-1"})
    explicit = _write(home / "explicit.yaml", {"username": "explicit", "password": "p-explicit"})
    env_file = _write(home / "env.yaml", {"username": "from-env-file", "password": "p-env-file"})
    monkeypatch.setenv("SIPELANGI_SECRETS", str(env_file))
    assert load_credentials().username == "from-env-file"
    assert load_credentials(explicit).username == "explicit"


def test_named_file_must_exist(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = home / "missing.yaml"
    with pytest.raises(SecretsError, match="not found"):
        load_credentials(missing)
    monkeypatch.setenv("SIPELANGI_SECRETS", str(missing))
    with pytest.raises(SecretsError, match="not found") as info:
        load_credentials()
    assert str(missing) in str(info.value)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o610])
def test_file_readable_by_others_is_refused(home: Path, mode: int) -> None:
    path = _write(_user_file(home), {"username": "netops", "password": "file-pass-1"}, mode=mode)
    with pytest.raises(SecretsError) as info:
        load_credentials()
    assert f"chmod 600 {path}" in str(info.value)
    assert "file-pass-1" not in str(info.value)


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_private_file_is_accepted(home: Path, mode: int) -> None:
    _write(_user_file(home), {"username": "netops", "password": "file-pass-1"}, mode=mode)
    assert load_credentials().username == "netops"


def test_missing_username(home: Path) -> None:
    _write(_user_file(home), {"password": "file-pass-1"})
    with pytest.raises(SecretsError, match="SIPELANGI_USERNAME") as info:
        load_credentials()
    assert "file-pass-1" not in str(info.value)


def test_no_credentials_at_all(home: Path) -> None:
    with pytest.raises(SecretsError, match="no device credentials"):
        load_credentials()


def test_unknown_key_is_refused(home: Path) -> None:
    path = _write(_user_file(home), {"username": "netops", "password": "file-pass-1", "enable": "x"})
    with pytest.raises(SecretsError, match="unknown keys enable") as info:
        load_credentials()
    assert str(path) in str(info.value)


def test_neither_password_nor_key(home: Path) -> None:
    path = _write(_user_file(home), {"username": "netops", "known_hosts": "/k/kh"})
    with pytest.raises(SecretsError, match="neither a password nor an ssh_key") as info:
        load_credentials()
    assert str(path) in str(info.value)
    assert "netops" in str(info.value)


@pytest.mark.parametrize("content", ["- username\n- password\n", "just text\n", "{unclosed: [\n", "\x00"])
def test_malformed_file(home: Path, content: str) -> None:
    path = _user_file(home)
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(SecretsError) as info:
        load_credentials()
    assert str(path) in str(info.value)


def test_secrets_error_is_a_config_error() -> None:
    assert issubclass(SecretsError, ConfigError)
    assert SecretsError.exit_code == 2


def test_the_workspace_template_counts_only_once_filled_in(home: Path) -> None:
    """init's secrets.yaml is all comments: until it sets something the next place counts; then it
    wins over the user's file, and its relative key paths are taken from the workspace folder."""
    _write(_user_file(home), {"username": "from-user-file", "password": "user-pass-1"})
    assert load_credentials().username == "from-user-file"
    own = home / "ws" / "secrets.yaml"
    _write(own, {"username": "from-workspace", "ssh_key": "keys/id_ed25519", "known_hosts": "~/kh"})
    creds = load_credentials()
    assert (creds.username, creds.source) == ("from-workspace", str(own.resolve()))
    assert creds.ssh_key == home.resolve() / "ws" / "keys" / "id_ed25519"
    assert creds.known_hosts == home / "home" / "kh"


def test_a_workspace_secrets_file_open_to_others_is_refused(home: Path) -> None:
    own = _write(home / "ws" / "secrets.yaml", {"username": "netops", "password": "p-1"}, mode=0o644)
    with pytest.raises(SecretsError, match="chmod 600"):
        load_credentials()
    assert own.exists()
