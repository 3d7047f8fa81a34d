"""Which server URLs a client may send credentials to.

A token or a password sent over plain ``http://`` can be read by anyone on the path, so the
client speaks plain HTTP only to this machine (loopback: ``127.0.0.0/8``, ``::1``,
``localhost``) and HTTPS to everything else.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sipelangi_net.errors import ConfigError
from sipelangi_net.validate import is_loopback


def refuse_plain_http(url: str) -> str:
    """``url`` unchanged, or ConfigError when it is ``http://`` to a host other than loopback."""
    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        raise ConfigError(
            f"{url}: plain http:// to {parts.hostname} would send the token unencrypted;"
            " use https:// (the server runs 'sipelangi-net serve --cert --key')"
        )
    return url
