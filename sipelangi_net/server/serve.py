"""``sipelangi-net serve``: the API under uvicorn on a socket this module binds.

It listens on loopback by default; a non-loopback address needs
``--allow-remote``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from pathlib import Path

from sipelangi_net.errors import ConfigError, StoreError
from sipelangi_net.server.app import MIN_TOKEN_LENGTH, create_app
from sipelangi_net.server.routes import API_PREFIX


def _check_host(host: str, *, allow_remote: bool) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not allow_remote:
        raise ConfigError(
            f"{host}: not a loopback address; the ticket API holds personal data and serves plain HTTP,"
            " so it listens on 127.0.0.1 unless you pass --allow-remote (put TLS in front of it)"
        )


def _listen(host: str, port: int) -> socket.socket:
    address = "127.0.0.1" if host == "localhost" else host
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"{address}:{port}: cannot listen: {exc.strerror or exc}") from None
    return sock


def serve(
    db: Path,
    host: str,
    port: int,
    token: str,
    *,
    allow_remote: bool = False,
    inventory: Path | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve the API over the SQLite store ``db`` until SIGINT/SIGTERM (``announce``: told the URL).

    ``inventory`` (default: ``paths.inventory_dir()``) is read once, now: new
    tickets must name its sites and applications; restart to pick up edits.
    """
    import uvicorn

    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.logs import register_secret
    from sipelangi_net.paths import inventory_dir
    from sipelangi_net.tickets.sqlite import SqliteStore

    _check_host(host, allow_remote=allow_remote)
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"the API token is too short ({len(token)} characters; use at least {MIN_TOKEN_LENGTH})"
        )
    register_secret(token)
    known = load_inventory(inventory or inventory_dir())
    probe = SqliteStore(db)  # fail now, not on the first request, when the database cannot be opened
    try:
        _ = probe.conn
    finally:
        probe.close()
    app = create_app(lambda: SqliteStore(db), token=token, inventory=lambda: known)
    sock = _listen(host, port)
    try:
        bound = sock.getsockname()
        name = f"[{bound[0]}]" if sock.family == socket.AF_INET6 else bound[0]
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, server_header=False, lifespan="on"
        )
        server = uvicorn.Server(config)
        if announce is not None:
            announce(f"http://{name}:{bound[1]}{API_PREFIX}")
        server.run(sockets=[sock])
    finally:
        sock.close()
    if not server.started:
        raise StoreError(f"the ticket API on {name}:{bound[1]} did not start (see the log above)")
