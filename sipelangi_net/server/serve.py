"""``sipelangi-net serve``: the API under uvicorn on a socket bound here, over TLS when given a certificate.

Plain HTTP is for loopback only: a non-loopback address (``0.0.0.0``, a LAN
address, a host name other than ``localhost``) is refused unless the server
has a certificate and key (``--cert``/``--key``), which are loaded and checked
before anything listens. The key file must not be readable by group or others.

Callers are the accounts of the served database (``sipelangi_net.accounts``, in the
same SQLite file): an account's API token is resolved to the account
(:func:`~sipelangi_net.server.auth.account_tokens`), and ``POST /api/v1/auth/token``
trades a password for a new token (throttled per username). The server's own
token (``--token-file``) is the service principal only: it reads, works the
notification outbox and records step 12; it does no step of a person.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sipelangi_net.errors import ConfigError, StoreError
from sipelangi_net.private import open_to_others
from sipelangi_net.server.app import MIN_TOKEN_LENGTH, create_app
from sipelangi_net.server.auth import LastUse, account_tokens
from sipelangi_net.server.courier import DEFAULT_EVERY_S, Delivery
from sipelangi_net.server.pages import PagesConfig
from sipelangi_net.server.routes import API_PREFIX
from sipelangi_net.validate import is_loopback

logger = logging.getLogger(__name__)

LETTERS_DIR = "surat-permohonan"
"""Beside the database: the request letters uploaded on the pages (never served as files)."""
JOBS_DIR = "pekerjaan"
"""Beside the database: the Tim Kerja's background jobs (their logs and exit codes)."""
SCANS_DIR = "berita-acara"
"""Beside the database: the signed berita acara scans uploaded on the pages."""


@dataclass(frozen=True, slots=True)
class Tls:
    """The server's certificate chain and private key (PEM files)."""

    cert: Path
    key: Path

    def check(self) -> None:
        """ConfigError (naming the file) unless the pair loads and the key file is private."""
        try:
            st = self.key.stat()
        except OSError as exc:
            raise ConfigError(f"{self.key}: cannot read the TLS key: {exc.strerror or exc}") from None
        if open_to_others(st):
            raise ConfigError(
                f"{self.key}: TLS key is accessible by group or others; run: chmod 600 {self.key}"
            )
        if not self.cert.is_file():
            raise ConfigError(f"{self.cert}: TLS certificate not found (--cert)")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(self.cert, self.key)
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(
                f"{self.cert}, {self.key}: not a PEM certificate and its private key: {exc}"
            ) from None


def check_transport(host: str, tls: Tls | None) -> None:
    """Refuse plain HTTP on a non-loopback address (ConfigError, exit 2, naming the address)."""
    if tls is None and not is_loopback(host):
        raise ConfigError(
            f"{host}: not a loopback address; the ticket API carries tokens and personal data, so it"
            " serves plain HTTP on loopback only (e.g. --host 127.0.0.1); to listen on"
            f" {host}, give it a certificate: --cert FILE --key FILE"
        )


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host:port`` (ConfigError naming the address when it cannot)."""
    address = "127.0.0.1" if host == "localhost" else host
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # so asyncio sets TCP_NODELAY
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"{address}:{port}: cannot listen: {exc.strerror or exc}") from None
    return sock


def outbox_delivery(every: float) -> Delivery | None:
    """How the server delivers the outbox: every ``every`` seconds by the channels the environment
    configures; none (logged) without a channel, or when ``every`` is 0."""
    from sipelangi_net.tickets.notify import transports_from_env

    if every <= 0:
        return None
    transports = transports_from_env()
    if not transports:
        logger.warning(
            "no notification channel configured (SIPELANGI_SMTP_HOST, SIPELANGI_WEBHOOK_URL): the outbox"
            " waits for 'sipelangi-net ticket notify'"
        )
        return None
    return Delivery(transports, every=every)


def serve(
    db: Path,
    host: str,
    port: int,
    token: str,
    *,
    tls: Tls | None = None,
    inventory: Path | None = None,
    announce: Callable[[str], None] | None = None,
    deliver_every: float = DEFAULT_EVERY_S,
) -> None:
    """Serve the API over the SQLite store ``db`` until SIGINT/SIGTERM (``announce``: told the URL).

    With ``tls``, HTTPS (on any address); without, plain HTTP on loopback only.

    ``inventory`` (default: ``paths.inventory_dir()``) is read once, now: new
    tickets must name its sites and applications; restart to pick up edits.

    The server delivers the notification outbox itself every ``deliver_every`` seconds through the
    channels its environment configures (``SIPELANGI_SMTP_*``, ``SIPELANGI_WEBHOOK_URL``); with none
    configured, or ``deliver_every`` 0, it does not (``sipelangi-net ticket notify`` does).
    """
    import uvicorn

    from sipelangi_net.accounts.sessions import WebSessions
    from sipelangi_net.accounts.store import SqliteAccounts
    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.logs import register_secret
    from sipelangi_net.paths import inventory_dir, reports_dir
    from sipelangi_net.server.pages.jobs import WorkConfig
    from sipelangi_net.server.pages.kabid import default_calendar
    from sipelangi_net.tickets.sqlite import SqliteStore

    check_transport(host, tls)
    if tls is not None:
        tls.check()
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
    accounts = SqliteAccounts(db)
    _ = accounts.conn  # the account tables made or migrated now, not on the first request
    last_use = LastUse(lambda: SqliteAccounts(db))
    app = create_app(
        lambda: SqliteStore(db),
        resolver=account_tokens(accounts, service=token, last_use=last_use),
        inventory=lambda: known,
        logins=lambda: SqliteAccounts(db),
        accounts_factory=lambda: SqliteAccounts(db),
        pages=PagesConfig(
            sessions=lambda: WebSessions(SqliteAccounts(db)),
            letters=db.parent / LETTERS_DIR,
            work=WorkConfig(
                db=db.resolve(),
                inventory=(inventory or inventory_dir()).resolve(),
                jobs=db.parent.resolve() / JOBS_DIR,
                scans=db.parent.resolve() / SCANS_DIR,
                reports=reports_dir().resolve(),
            ),
            calendar=default_calendar(inventory or inventory_dir()),
        ),
        delivery=outbox_delivery(deliver_every),
    )
    try:
        sock = listen(host, port)
    except ConfigError:
        last_use.close()
        accounts.close()
        raise
    try:
        bound = sock.getsockname()
        name = f"[{bound[0]}]" if sock.family == socket.AF_INET6 else bound[0]
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            server_header=False,
            lifespan="on",
            ssl_certfile=tls.cert if tls else None,
            ssl_keyfile=tls.key if tls else None,
        )
        server = uvicorn.Server(config)
        if announce is not None:
            announce(f"{'https' if tls else 'http'}://{name}:{bound[1]}{API_PREFIX}")
        server.run(sockets=[sock])
    finally:
        sock.close()
        last_use.close()
        accounts.close()
    if not server.started:
        raise StoreError(f"the ticket API on {name}:{bound[1]} did not start (see the log above)")
