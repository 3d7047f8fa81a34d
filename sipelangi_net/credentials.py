"""Device credentials: from the environment or a secrets file, never the inventory.

Resolution, first match wins:

1. ``SIPELANGI_USERNAME`` / ``SIPELANGI_PASSWORD`` / ``SIPELANGI_SSH_KEY`` /
   ``SIPELANGI_KNOWN_HOSTS`` in the environment (each overrides the file);
2. the secrets file named by ``--secrets`` or ``SIPELANGI_SECRETS``;
3. the workspace's ``secrets.yaml`` once it sets something (``init`` writes it all comments);
4. ``~/.config/sipelangi-net/secrets.yaml``;
5. the running lab's secrets file (written by ``lab up``).

A secrets file readable by group or others is refused (Linux, macOS: by its mode bits; Windows has
none, there the file is as private as the folder holding it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sipelangi_net import workspace
from sipelangi_net.capped import read_yaml_mapping
from sipelangi_net.errors import SecretsError
from sipelangi_net.paths import config_dir, lab_dir
from sipelangi_net.private import open_to_others

MAX_SECRETS_BYTES = 64 * 1024
KEYS = ("username", "password", "ssh_key", "known_hosts")
WORKSPACE_SECRETS = "secrets.yaml"


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str | None = field(default=None, repr=False)
    ssh_key: Path | None = None
    known_hosts: Path | None = None
    source: str = ""

    def secret_values(self) -> list[str]:
        return [self.password] if self.password else []


def candidate_files(explicit: Path | None = None) -> list[Path]:
    env = os.environ.get("SIPELANGI_SECRETS")
    if explicit is not None:
        return [explicit]
    if env:
        return [Path(env)]
    own = workspace.find()
    mine = [own / WORKSPACE_SECRETS] if own is not None else []
    return [*mine, config_dir() / "secrets.yaml", lab_dir() / "secrets.yaml"]


def _read_file(path: Path) -> dict[str, str]:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SecretsError(f"{path}: secrets file not found") from None
    if open_to_others(st):
        raise SecretsError(f"{path}: secrets file is accessible by group or others; run: chmod 600 {path}")
    data = read_yaml_mapping(
        path, limit=MAX_SECRETS_BYTES, error=SecretsError, what="secrets file", keys=KEYS
    )
    unknown = set(data) - set(KEYS)
    if unknown:
        raise SecretsError(f"{path}: unknown keys {', '.join(sorted(map(str, unknown)))}")
    return {k: str(v) for k, v in data.items() if v is not None}


def _anchored(values: dict[str, str], folder: Path) -> dict[str, str]:
    """The file's ``ssh_key`` and ``known_hosts``, a relative path taken from the file's folder."""
    out = dict(values)
    for key in ("ssh_key", "known_hosts"):
        if key in out:
            given = Path(out[key]).expanduser()
            out[key] = str(given if given.is_absolute() else folder / given)
    return out


def load_credentials(explicit: Path | None = None) -> Credentials:
    values: dict[str, str] = {}
    source = "environment"
    chosen = explicit is not None or bool(os.environ.get("SIPELANGI_SECRETS"))
    own = None if chosen else workspace.find()
    template = own / WORKSPACE_SECRETS if own is not None else None
    for path in candidate_files(explicit):
        if chosen or path.exists():
            values = _read_file(path)
            if not values and path == template:
                continue  # the workspace's template, not filled in yet: the next place counts
            values = _anchored(values, path.parent)
            source = str(path)
            break
    for key in KEYS:
        env = os.environ.get(f"SIPELANGI_{key.upper()}")
        if env:
            values[key] = env
    if "username" not in values:
        raise SecretsError(
            "no device credentials: set SIPELANGI_USERNAME (and SIPELANGI_SSH_KEY or"
            " SIPELANGI_PASSWORD) or fill in the workspace's secrets.yaml or"
            " ~/.config/sipelangi-net/secrets.yaml (mode 600)"
        )
    if "password" not in values and "ssh_key" not in values:
        raise SecretsError(f"{source}: neither a password nor an ssh_key is given for {values['username']}")
    return Credentials(
        username=values["username"],
        password=values.get("password"),
        ssh_key=Path(values["ssh_key"]) if "ssh_key" in values else None,
        known_hosts=Path(values["known_hosts"]) if "known_hosts" in values else None,
        source=source,
    )
