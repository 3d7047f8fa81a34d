"""``sipelangi-net serve``: the SiPelangi ticket API (``docs/openapi.yaml``) over the ticket database."""

from __future__ import annotations

import os
from pathlib import Path

import typer

HOWTO = "python -c 'import secrets;print(secrets.token_urlsafe(32))' > token; chmod 600 token"


def read_token(token_file: Path | None) -> str:
    """The API token from ``token_file`` (mode 600) or ``SIPELANGI_TOKEN``."""
    from sipelangi_net.capped import read_capped_text
    from sipelangi_net.errors import SecretsError
    from sipelangi_net.private import open_to_others

    if token_file is None:
        token = os.environ.get("SIPELANGI_TOKEN", "").strip()
        if not token:
            raise SecretsError(
                "no API token: pass --token-file FILE or set SIPELANGI_TOKEN; make a token file with: "
                + HOWTO
            )
        return token
    try:
        if open_to_others(token_file.stat()):
            raise SecretsError(
                f"{token_file}: token file is accessible by group or others; run: chmod 600 {token_file}"
            )
        token = read_capped_text(token_file, limit=4096, error=SecretsError, what="token file").strip()
    except FileNotFoundError:
        raise SecretsError(f"{token_file}: token file not found; make one with: {HOWTO}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretsError(f"{token_file}: cannot read the token file: {type(exc).__name__}") from None
    if not token or len(token.split()) != 1:
        raise SecretsError(f"{token_file}: expected one token on one line; make one with: {HOWTO}")
    return token


def serve_command(
    db: Path | None = typer.Option(
        None,
        "--db",
        help="Ticket database (default: SIPELANGI_DB or ~/.local/share/sipelangi-net/tickets.db).",
    ),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (other than loopback: needs --cert and --key)."
    ),
    port: int = typer.Option(8700, "--port", min=0, max=65535, help="TCP port (0: any free port)."),
    token_file: Path | None = typer.Option(
        None, "--token-file", help="File holding the bearer token, mode 600 (default: SIPELANGI_TOKEN)."
    ),
    cert: Path | None = typer.Option(
        None, "--cert", help="TLS certificate chain (PEM): serve HTTPS. Needs --key."
    ),
    key: Path | None = typer.Option(None, "--key", help="The certificate's private key (PEM, mode 600)."),
    inventory: Path | None = typer.Option(
        None,
        "--inventory",
        "-i",
        help="Inventory directory: the sites and applications new tickets may name (read at start).",
    ),
    deliver_every: float = typer.Option(
        30.0,
        "--deliver-every",
        min=0,
        max=3600,
        help="Seconds between the server's own rounds over the notification outbox, through the channels"
        " the environment configures (SIPELANGI_SMTP_*, SIPELANGI_WEBHOOK_URL); 0: never (ticket notify).",
    ),
) -> None:
    """Serve the SiPelangi ticket API and pages until Ctrl-C or SIGTERM.

    The server delivers the notifications the SOP steps queue (the schedule, the closing notice;
    step 12 is recorded on delivery) when its environment configures a channel.
    """
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.server.serve import Tls, serve
    from sipelangi_net.tickets.store import default_db_path

    if (cert is None) != (key is None):
        raise ConfigError("--cert and --key go together: give both (HTTPS) or neither (loopback HTTP)")
    tls = Tls(cert=cert, key=key) if cert is not None and key is not None else None
    token = read_token(token_file)
    path = db or default_db_path()

    def announce(url: str) -> None:
        from sipelangi_net.cli.output import say

        say(f"serve: {path} at {url} (Ctrl-C to stop)", err=True)

    serve(
        path, host, port, token, tls=tls, inventory=inventory, announce=announce, deliver_every=deliver_every
    )
