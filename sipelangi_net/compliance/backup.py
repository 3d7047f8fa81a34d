"""Backups of the running configs with history: a git repository of scrubbed configs (I/O edge).

One file per device (``<device>.cfg``, ``<device>.json`` for Open vSwitch), overwritten by every
run and committed once per run, so ``git log -p <device>.cfg`` is the device's history. Secrets
are replaced by ``********`` before the file is written, so none ever enters the git history:
the platform's config rules (:func:`sipelangi_net.redact.sanitize_config`: NAPALM's per-platform
tables and ours, run by netutils), then the scrubber (registered credentials, generic rules).
A backup is evidence, not a restore image (restores use the device-side snapshot of the safe
push).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sipelangi_net.errors import EnvironmentProblem
from sipelangi_net.logs import scrub
from sipelangi_net.paths import reports_dir
from sipelangi_net.platforms import Platform, spec_for
from sipelangi_net.private import private_dir, write_private
from sipelangi_net.redact import sanitize_config

GIT_IDENTITY = ("-c", "user.name=sipelangi-net", "-c", "user.email=sipelangi-net@localhost")


def backups_dir() -> Path:
    return Path(os.environ.get("SIPELANGI_BACKUPS", reports_dir() / "compliance" / "backups"))


@dataclass(frozen=True, slots=True)
class Backup:
    commit: str
    """The commit holding this run's configs (the previous one when nothing changed)."""
    files: Mapping[str, str]
    """device → file name inside the repository."""
    changed: tuple[str, ...]
    """Devices whose config differs from the previous backup."""


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *GIT_IDENTITY, "-c", "commit.gpgsign=false", *args],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    except FileNotFoundError:
        raise EnvironmentProblem("git is not installed; install it (apt-get install git)") from None
    except subprocess.CalledProcessError as exc:
        raise EnvironmentProblem(f"{repo}: git {args[0]} failed: {exc.stderr.strip()[:300]}") from None


def file_name(device: str, platform: Platform) -> str:
    """``<device>.<extension>``: the extension of the platform's config text (its spec)."""
    return f"{device}.{spec_for(platform).config.extension}"


def backup_configs(repo: Path, configs: Mapping[str, tuple[Platform, str]], *, when: dt.datetime) -> Backup:
    """Write ``device → (platform, running)`` scrubbed into ``repo`` and commit them."""
    fresh = not (repo / ".git").is_dir()
    private_dir(repo)  # StorageError naming the folder when it cannot be made (full disk, a file there)
    if fresh:
        _git(repo, "init", "-q", "-b", "main")
    files = {}
    for device, (platform, running) in sorted(configs.items()):
        name = file_name(device, platform)
        target = repo / name
        write_private(target, scrub(sanitize_config(running, platform)).rstrip("\n") + "\n")
        files[device] = name
    if files:
        _git(repo, "add", "--", *files.values())
    status = _git(repo, "status", "--porcelain", "--", *files.values()).stdout if files else ""
    changed_files = {line[3:] for line in status.splitlines()}
    changed = tuple(d for d, name in files.items() if name in changed_files)
    if changed:
        stamp = when.astimezone(dt.UTC).isoformat(timespec="seconds")
        message = f"compliance backup {stamp}: {len(changed)} of {len(files)} configs changed"
        _git(repo, "commit", "-q", "-m", message, "-m", "\n".join(changed))
    head = _git(repo, "rev-parse", "--verify", "-q", "HEAD").stdout.strip() if _has_head(repo) else ""
    return Backup(commit=head, files=files, changed=changed)


def _has_head(repo: Path) -> bool:
    return (
        subprocess.run(
            ["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=repo, capture_output=True, check=False
        ).returncode
        == 0
    )
