"""The workspace: the folder an engineer works in, and the package's defaults beneath it.

A workspace is a folder holding ``sipelangi-net.yaml`` (written by ``sipelangi-net init DIR``)
with ``inventory/`` (the intranet, to edit), ``templates/`` (overrides: a file at the same
relative path as a packaged template wins), ``playbooks/``, ``reports/`` and ``secrets.yaml``
(device credentials, mode 0600). Every command finds it, first match wins:

1. ``sipelangi-net --workspace DIR ...`` (the CLI passes it on as ``SIPELANGI_WORKSPACE``);
2. ``SIPELANGI_WORKSPACE``;
3. the current folder or the nearest parent holding ``sipelangi-net.yaml``;
4. the source checkout the package runs from, when it does (a checkout is a workspace).

Under every workspace lie the packaged defaults (:func:`defaults_dir`): the example inventory,
the device and document templates and the playbooks shipped in the wheel.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from sipelangi_net.capped import read_yaml_mapping
from sipelangi_net.errors import ConfigError

MARKER = "sipelangi-net.yaml"
ENV = "SIPELANGI_WORKSPACE"
PACKAGE_ROOT = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_ROOT.parent
MAX_SETTINGS_BYTES = 64 * 1024


def defaults_dir() -> Path:
    """The packaged defaults: ``sipelangi_net/_defaults`` in a wheel, the checkout itself in source."""
    packaged = Path(str(resources.files("sipelangi_net"))) / "_defaults"
    return packaged if packaged.is_dir() else SOURCE_ROOT


def _is_workspace(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def find(cwd: Path | None = None) -> Path | None:
    """The workspace of this run, or None when there is none (see the module's order)."""
    chosen = os.environ.get(ENV)
    if chosen:
        folder = Path(chosen).expanduser().resolve()
        if not _is_workspace(folder):
            raise ConfigError(
                f"{ENV}={chosen}: {folder} is not a sipelangi-net workspace (no {MARKER});"
                f" create one with: sipelangi-net init {chosen}"
            )
        return folder
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _is_workspace(folder):
            return folder
    return SOURCE_ROOT if _is_workspace(SOURCE_ROOT) else None


def root() -> Path:
    """The workspace of this run; ConfigError (exit 2) saying how to get one when there is none."""
    found = find()
    if found is None:
        raise ConfigError(
            f"no sipelangi-net workspace here ({Path.cwd()} and its parents hold no {MARKER}):"
            " create one with 'sipelangi-net init DIR', then run from it, or pass --workspace DIR"
            f" (or set {ENV})"
        )
    return found


class Settings(BaseModel):
    """``sipelangi-net.yaml``: what a workspace says about itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    store: str | None = None
    """The ticket store: a SQLite file (relative to the workspace) or the SiPelangi server's URL."""


def settings(folder: Path) -> Settings:
    """The settings of the workspace ``folder``; ConfigError naming the file and field."""
    path = folder / MARKER
    keys = tuple(Settings.model_fields)
    data = read_yaml_mapping(
        path, limit=MAX_SETTINGS_BYTES, error=ConfigError, what="the workspace settings", keys=keys
    )
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise ConfigError(f"{path}: field {field}: {first['msg']}") from None


def store_location() -> str:
    """The workspace's ticket store (a URL, or a SQLite path made absolute), or '' when it names none."""
    folder = find()
    if folder is None:
        return ""
    store = settings(folder).store
    if not store:
        return ""
    if store.startswith(("http://", "https://")):
        return store
    return str((folder / store).expanduser())


@dataclass(frozen=True, slots=True)
class Layer:
    """One kind of file (templates, playbooks) looked up in the workspace first, then the defaults."""

    name: str
    env: str

    def dirs(self) -> tuple[Path, ...]:
        """Where to look, first match wins (``env`` set: that folder alone, as before workspaces)."""
        chosen = os.environ.get(self.env)
        if chosen:
            return (Path(chosen),)
        packaged = defaults_dir() / self.name
        found = find()
        own = found / self.name if found is not None else None
        if own is not None and own.is_dir() and own.resolve() != packaged.resolve():
            return (own, packaged)
        return (packaged,)

    def path(self, relative: str) -> Path:
        """The file ``relative`` from the first folder holding it (else where the workspace's would be)."""
        dirs = self.dirs()
        for folder in dirs:
            if (folder / relative).is_file():
                return folder / relative
        return dirs[0] / relative


TEMPLATES = Layer("templates", "SIPELANGI_TEMPLATES")
PLAYBOOKS = Layer("playbooks", "SIPELANGI_PLAYBOOKS")


SETTINGS_TEXT = """\
# A sipelangi-net workspace (docs/workspace.md): inventory/, templates/ (overrides of the packaged
# templates), playbooks/, reports/ and secrets.yaml (device credentials, mode 0600) beside this file.
# Commands run from here or below find it; elsewhere pass --workspace DIR or set SIPELANGI_WORKSPACE.
version: 1
# The ticket store: a SQLite file (relative to this folder) or the SiPelangi server's URL.
# Unset: SIPELANGI_STORE / SIPELANGI_DB, else ~/.local/share/sipelangi-net/tickets.db.
# store: tickets.db
# store: https://sipelangi.pangkalpinangkota.go.id
"""

SECRETS_TEXT = """\
# Device credentials for this workspace (docs/credentials.md). Keep this file mode 0600 and out of
# version control. While every line is a comment, the next place counts (~/.config/sipelangi-net/
# secrets.yaml, then the running lab's). Relative paths are taken from this folder.
# username: netops
# ssh_key: ~/.ssh/id_ed25519
# password: ...
# known_hosts: known_hosts
"""

GITIGNORE_TEXT = "secrets.yaml\nreports/\nknown_hosts\n*.db\n"

TEMPLATES_README = """\
# Template overrides

A file here at the same relative path as a packaged template replaces it for this workspace;
the others keep coming from the package. To change the FRR router's OPD snippet, say:

    cp {packaged}/frr/opd.j2 templates/frr/opd.j2

The packaged templates ({packaged}):

{listing}
"""


def _write_new(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Write ``text`` to a file that must not exist yet (O_EXCL): init never overwrites."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _files(folder: Path) -> list[tuple[Path, str, int]]:
    """What init writes, in order (path, text, mode): the example inventory and the playbooks, then
    the templates' README, .gitignore, the secrets template and, last, the settings (a half-made
    folder is no workspace)."""
    defaults = defaults_dir()
    files = [
        (folder / part / item.relative_to(defaults / part), item.read_text(encoding="utf-8"), 0o644)
        for part in ("inventory", "playbooks")
        for item in sorted((defaults / part).rglob("*"))
        if item.is_file() and "__pycache__" not in item.parts
    ]
    packaged = defaults / "templates"
    listing = "\n".join(f"- `{p.relative_to(packaged).as_posix()}`" for p in sorted(packaged.rglob("*.j2")))
    return [
        *files,
        (
            folder / "templates" / "README.md",
            TEMPLATES_README.format(packaged=packaged, listing=listing),
            0o644,
        ),
        (folder / ".gitignore", GITIGNORE_TEXT, 0o644),
        (folder / "secrets.yaml", SECRETS_TEXT, 0o600),
        (folder / MARKER, SETTINGS_TEXT, 0o644),
    ]


def create(folder: Path) -> list[Path]:
    """Make ``folder`` a workspace: the settings, the example inventory, the playbooks, an empty
    ``templates/`` for overrides, ``reports/`` and a secrets template (0600). Overwrites nothing:
    a file that exists already stops it before anything is written, named."""
    folder = folder.expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder}: is a file; give a folder for the workspace")
    files = _files(folder)
    for path, _, _ in files[-4:] + files[:-4]:  # the workspace's own files named first
        if path.exists():
            raise ConfigError(f"{path}: exists already; init writes a new workspace and overwrites nothing")
    try:
        for part in ("inventory", "playbooks", "templates", "reports"):
            (folder / part).mkdir(parents=True, exist_ok=True)
        for path, text, mode in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_new(path, text, mode=mode)
    except OSError as exc:
        from sipelangi_net.private import unwritable

        raise unwritable(exc, folder, "the workspace is incomplete; remove it and run init again") from None
    return [path for path, _, _ in files]
