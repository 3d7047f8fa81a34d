"""Secrets out of device configs and URLs: per-platform sanitising rules as data (pure).

The engine is netutils' ``sanitize_config`` (a list of ``{"regex", "replace"}`` filters applied
with ``re.MULTILINE``). The rules come from two places:

- **NAPALM** (already a dependency): its public per-platform tables
  ``napalm.base.constants.CISCO_SANITIZE_FILTERS`` and ``EOS_SANITIZE_FILTERS``, the ones its
  ``get_config(sanitized=True)`` uses. netutils itself ships no per-platform rules.
- **Our own tables** (each platform's spec, ``redact`` in ``sipelangi_net/platforms/``; the generic
  ones below), for what those lack: FRR's bare ``password``/``enable password``,
  ``radius-server key``, EOS ``sha512`` secrets, Junos ``set`` and curly syntax (``$9$``,
  ``encrypted-password``, ``authentication-key``, SNMP communities), RouterOS ``key=value``
  secrets (``wpa2-pre-shared-key=`` ...) and its ``/snmp community`` names, and a generic tail
  used for every text (keyword values, ``$n$`` hashes, credentials in URLs, private keys).

Line rules run on one line at a time (NAPALM's patterns use ``\\s``, which would otherwise run
across lines); block rules run on the whole text until nothing changes. Every secret becomes
:data:`REDACTED`; the keyword before it stays, so a backup still shows *that* a key is set.
docs/credentials.md lists what is covered per platform and where each rule comes from.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

from netutils.config.clean import sanitize_config as _netutils_sanitize

from sipelangi_net.platforms import Platform, common, spec_for

REDACTED = common.REDACTED
"""What every secret becomes."""
MAX_BLOCK_PASSES = 200

Filter = dict[str, str]
"""One netutils filter: ``{"regex": ..., "replace": ...}``."""


def _own(*rules: tuple[str, str]) -> tuple[Filter, ...]:
    return tuple({"regex": regex, "replace": replace} for regex, replace in rules)


_R = REDACTED

GENERIC = _own(
    # ``password: x``, ``secret x``, ``token=x``, ``community x`` ... keyword kept, optional type kept
    (
        r"(?i)\b(password|passwd|secret|token|community|passphrase|key-string|pre-shared-key"
        r"|encrypted-password)(\s*[:=]\s*|\s+)((?:(?:\d{1,2}|sha512|md5|ascii-text|hexadecimal|hex)\s+(?=\S))?+)"
        r"(?!\*{8})(\"[^\"\n]*\"|\S+)",
        rf"\1\2\3{_R}",
    ),
    # crypt-style hashes anywhere: $1$ (MD5), $5$/$6$ (SHA), $8$/$9$ (Cisco), Junos $9$
    (r"\$(?:1|5|6|8|9|14)\$[^\s\";]+", _R),
    # credentials and tokens in URLs
    (r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@:]+(?::[^\s/@]*)?@", rf"\1{_R}@"),
    (
        r"(?i)([?&](?:[a-z_]*token|key|api[_-]?key|secret|sig|signature|password|auth)=)[^&\s#\"']+",
        rf"\1{_R}",
    ),
    (r"(/bot)\d+:[\w-]+", rf"\1{_R}"),
    (r"(?i)(\bhttps?://[^\s/]+(?:/[^\s/?#]+)*?/(?:services|webhooks|hooks)/)[^\s?#\"']+", rf"\1{_R}"),
)
GENERIC_BLOCKS = _own(
    (r"(?s)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", _R),
)


@dataclass(frozen=True, slots=True)
class Rules:
    """The sanitising rules of one platform: where each set comes from is documented."""

    napalm: tuple[Filter, ...]
    own: tuple[Filter, ...]
    blocks: tuple[Filter, ...] = ()

    @property
    def lines(self) -> tuple[Filter, ...]:
        """Rules for one line at a time; ours first: they keep the type digit."""
        return (*self.own, *_single_line(self.napalm), *GENERIC)

    @property
    def all_blocks(self) -> tuple[Filter, ...]:
        """Rules that span lines (a section and its items), run on the whole text."""
        return (*self.blocks, *_multi_line(self.napalm), *GENERIC_BLOCKS)


def _single_line(filters: Iterable[Filter]) -> tuple[Filter, ...]:
    return tuple(f for f in filters if "\\n" not in f["regex"])


def _multi_line(filters: Iterable[Filter]) -> tuple[Filter, ...]:
    return tuple(f for f in filters if "\\n" in f["regex"])


def _anywhere(regex: str) -> str:
    """A line rule (``^...``) that also matches after a space, colon or quote: a config line quoted
    inside a log line or an error (``r1: device refused: tacacs-server key ...``)."""
    return f"(?:^|(?<=[\\s:'\"`]))(?:{regex[1:]})" if regex.startswith("^") else regex


def _from_napalm(table: dict[str, str]) -> tuple[Filter, ...]:
    """NAPALM's ``{regex: replace}`` table as netutils filters, with our marker."""
    return tuple({"regex": r, "replace": s.replace("<removed>", REDACTED)} for r, s in table.items())


@functools.cache
def rules(platform: Platform) -> Rules:
    """The rules for ``platform``: its spec's ``redact`` (NAPALM is imported on first use: it is heavy)."""
    import napalm.base.constants

    spec = spec_for(platform).redact
    table = getattr(napalm.base.constants, spec.napalm) if spec.napalm else {}
    return Rules(napalm=_from_napalm(table), own=_own(*spec.own), blocks=_own(*spec.blocks))


@functools.cache
def _compiled(filters: tuple[tuple[str, str], ...]) -> tuple[Filter, ...]:
    """Drop duplicates (platforms share NAPALM's Cisco table) keeping the first occurrence."""
    return tuple({"regex": r, "replace": s} for r, s in dict.fromkeys(filters))


def _apply(text: str, lines: Iterable[Filter], blocks: Iterable[Filter]) -> str:
    line_filters = list(lines)
    out = [_netutils_sanitize(line, line_filters) for line in text.split("\n")]
    text = "\n".join(out)
    block_filters = list(blocks)
    for _ in range(MAX_BLOCK_PASSES):  # a block rule hides one item per section per pass
        after = _netutils_sanitize(text, block_filters)
        if after == text:
            break
        text = after
    return text


def sanitize_config(text: str, platform: Platform | str) -> str:
    """``text`` (a device config of ``platform``) with every secret the rules know replaced; a
    platform the toolkit does not know gets every platform's rules."""
    try:
        r = rules(Platform(platform))
    except ValueError:
        return sanitize_any(text)
    return _apply(text, r.lines, r.all_blocks)


@functools.cache
def _every_platform() -> tuple[tuple[Filter, ...], tuple[Filter, ...]]:
    lines: list[tuple[str, str]] = []
    blocks: list[tuple[str, str]] = []
    for platform in Platform:
        r = rules(platform)
        lines += [(_anywhere(f["regex"]), f["replace"]) for f in (*r.own, *_single_line(r.napalm))]
        blocks += [(f["regex"], f["replace"]) for f in (*r.blocks, *_multi_line(r.napalm))]
    lines += [(f["regex"], f["replace"]) for f in GENERIC]
    blocks += [(f["regex"], f["replace"]) for f in GENERIC_BLOCKS]
    return _compiled(tuple(lines)), _compiled(tuple(blocks))


def sanitize_any(text: str) -> str:
    """``text`` of unknown origin (a log line, an error, a report) with every platform's rules."""
    lines, blocks = _every_platform()
    return _apply(text, lines, blocks)


# --- URLs ------------------------------------------------------------------------------------
_PLAIN_SEGMENT = re.compile(r"^[A-Za-z][A-Za-z._-]{0,19}$")  # a word: no digit, at most 20 letters
_SECRET_PARENTS = frozenset({"hooks", "hook", "webhooks", "webhook", "services", "token", "tokens", "keys"})


def _secret_segments(path: str) -> list[bool]:
    """For each path segment: does it look like a secret (not a plain word, or after
    ``hooks``/``services``/...)?"""
    flags: list[bool] = []
    after_secret_parent = False
    for segment in path.split("/"):
        plain = bool(_PLAIN_SEGMENT.match(segment))
        flags.append(bool(segment) and (after_secret_parent or not plain))
        after_secret_parent = after_secret_parent or segment.lower() in _SECRET_PARENTS
    return flags


def url_secrets(url: str) -> list[str]:
    """The secret parts of ``url`` for the log scrubber to hide wherever they appear: user info,
    query values, the fragment and path segments that are not plain words (a plain word after
    ``/hooks/`` is hidden by :func:`redact_url` but not registered: it would garble every text)."""
    parts = urllib.parse.urlsplit(url)
    found = [p for p in (parts.username, parts.password) if p]
    found += [v for _, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=False)]
    found += [s for s in parts.path.split("/") if s and not _PLAIN_SEGMENT.match(s)]
    if parts.fragment:
        found.append(parts.fragment)
    return found


def redact_url(url: str) -> str:
    """``url`` fit to show: ``scheme://host[:port]/path`` with the user info, every query value,
    the fragment and every secret-looking path segment replaced by :data:`REDACTED`.

    Slack (``/services/T…/B…/…``), Telegram (``/bot<id>:<token>/…``), Discord
    (``/api/webhooks/<id>/<token>``) and generic ``/hooks/<secret>`` URLs keep only their plain
    words. Text that is not a URL is returned with the generic rules applied.
    """
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return sanitize_any(url)
    if not parts.scheme or not parts.hostname:
        return sanitize_any(url)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = f"{REDACTED}@" if parts.username or parts.password else ""
    netloc += host + (f":{port}" if port else "")
    segments = parts.path.split("/")
    path = "/".join(
        REDACTED if secret else s for s, secret in zip(segments, _secret_segments(parts.path), strict=True)
    )
    names = [k for k, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
    query = "&".join(f"{k}={REDACTED}" for k in names)
    fragment = REDACTED if parts.fragment else ""
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, query, fragment))
