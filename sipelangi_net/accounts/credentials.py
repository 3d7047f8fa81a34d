"""The client's saved API tokens: ``$XDG_CONFIG_HOME/sipelangi-net/credentials.json`` (mode 0600).

One token per server, keyed by the server's API root URL (``https://host/api/v1``)::

    {"servers": {"https://sipelangi.example/api/v1":
        {"token": "spl_...", "username": "budi", "expires_at": "2027-03-01T00:00:00+00:00"}}}

Written by ``sipelangi-net login`` (atomically, 0600 in a 0700 folder); read by the HTTP ticket
store when ``SIPELANGI_TOKEN`` is not set. A file readable by group or others is refused, as
the device secrets file is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from sipelangi_net.capped import read_capped_text
from sipelangi_net.errors import SecretsError
from sipelangi_net.logs import register_secret
from sipelangi_net.paths import config_dir
from sipelangi_net.private import open_to_others, private_dir, write_private

MAX_BYTES = 1024 * 1024
Token = Annotated[str, StringConstraints(pattern=r"^spl_[A-Za-z0-9_-]{43}$")]


class Saved(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    token: Token
    username: Annotated[str, StringConstraints(max_length=64)] = ""
    expires_at: str = ""


class CredentialsFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    servers: dict[str, Saved] = {}


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def _read(path: Path) -> CredentialsFile:
    try:
        st = path.stat()
    except FileNotFoundError:
        return CredentialsFile()
    if open_to_others(st):
        raise SecretsError(f"{path}: the saved tokens are readable by group or others; run: chmod 600 {path}")
    try:
        saved = CredentialsFile.model_validate_json(
            read_capped_text(path, limit=MAX_BYTES, error=SecretsError)
        )
    except (OSError, UnicodeDecodeError, ValidationError) as exc:
        raise SecretsError(
            f"{path}: cannot read the saved tokens ({type(exc).__name__}); log in again after moving it away"
        ) from None
    register_secret(*(s.token for s in saved.servers.values()))
    return saved


def stored_token(api_root: str, *, path: Path | None = None) -> str | None:
    """The saved token for the server at ``api_root`` (its ``.../api/v1`` URL), if any."""
    saved = _read(path or credentials_path()).servers.get(api_root)
    return saved.token if saved else None


def save_token(
    api_root: str, token: str, *, username: str = "", expires_at: str = "", path: Path | None = None
) -> Path:
    """Save (or replace) the token for ``api_root``; the file stays 0600. Returns its path."""
    register_secret(token)
    target = path or credentials_path()
    current = _read(target)
    entry = Saved(token=token, username=username, expires_at=expires_at)
    updated = CredentialsFile(servers={**current.servers, api_root: entry})
    private_dir(target.parent)
    return write_private(target, json.dumps(updated.model_dump(), indent=2, sort_keys=True) + "\n")
