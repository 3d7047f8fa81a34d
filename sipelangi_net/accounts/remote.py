"""The accounts of a SiPelangi server, managed over its API (``/api/v1/accounts``, admin only).

:class:`HttpAccounts` offers what ``sipelangi-net user`` uses of
:class:`~sipelangi_net.accounts.store.SqliteAccounts`, so the commands read the same whether
they manage a database file (``--db``) or a server (``--store URL``). The server checks that the
caller's token is an admin's (else :class:`~sipelangi_net.errors.Forbidden`, exit 6), binds a
pemohon to an OPD of its own inventory, and logs every change; passwords and tokens travel only
in the request or answer that carries them (HTTPS off loopback, as every HttpStore request).
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import TypeAdapter

from sipelangi_net.accounts.models import Account, AccountRole, Delegation
from sipelangi_net.accounts.tokens import IssuedToken, TokenInfo
from sipelangi_net.errors import AccountError, StoreError
from sipelangi_net.logs import register_secret
from sipelangi_net.tickets.http import HttpStore

_ACCOUNTS: TypeAdapter[list[Account]] = TypeAdapter(list[Account])
_TOKEN_FIELDS = set(TokenInfo.model_fields)


def _info(data: Any) -> TokenInfo:
    """A listed token (with its ``state``) as the store's TokenInfo (the state is computed again)."""
    fields = {k: v for k, v in data.items() if k in _TOKEN_FIELDS} if isinstance(data, dict) else data
    return TokenInfo.model_validate(fields)


class HttpAccounts:
    """The accounts of the server ``store`` talks to (its token must be an admin's)."""

    def __init__(self, store: HttpStore) -> None:
        self.store = store
        self.path = Path(store.url)
        """Where the accounts are, for messages (the server's API URL)."""

    def __repr__(self) -> str:
        return f"HttpAccounts({self.store.url!r})"

    def _account(self, username: str) -> str:
        return f"/accounts/{quote(username, safe='')}"

    def _one(self, method: str, path: str, body: Any = None) -> Account:
        data = self.store.call(method, path, body=body, not_found=AccountError)
        return self.store.parse(Account.model_validate, data, "account")

    def list(self) -> list[Account]:
        data = self.store.call("GET", "/accounts")
        return self.store.parse(_ACCOUNTS.validate_python, data, "account list")

    def add(
        self,
        username: str,
        *,
        display_name: str,
        role: AccountRole,
        opd: str | None = None,
        password: str | None = None,
    ) -> Account:
        """Add an account; a pemohon's ``opd`` (a name or a site key) is bound by the server's inventory."""
        body = {"username": username, "display_name": display_name, "role": str(role), "opd": opd}
        if password is not None:
            body["password"] = password
        return self._one("POST", "/accounts", body)

    def disable(self, username: str) -> Account:
        return self._one("POST", f"{self._account(username)}/disable")

    def set_password(self, username: str, password: str) -> None:
        register_secret(password)
        path = f"{self._account(username)}/password"
        self.store.call("PUT", path, body={"password": password}, not_found=AccountError)

    def issue_token(self, username: str, *, name: str, days: int) -> IssuedToken:
        path = f"{self._account(username)}/tokens"
        data = self.store.call("POST", path, body={"name": name, "days": days}, not_found=AccountError)
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            raise StoreError(f"SiPelangi at {self.store.url} sent no token for {username}")
        register_secret(data["token"])
        return IssuedToken(
            token=data["token"], info=self.store.parse(_info, data.get("info"), "issued token")
        )

    def tokens(self, username: str) -> builtins.list[TokenInfo]:
        data = self.store.call("GET", f"{self._account(username)}/tokens", not_found=AccountError)
        rows = data if isinstance(data, list) else [None]
        return [self.store.parse(_info, row, "token list") for row in rows]

    def revoke_token(self, username: str, token_id: int) -> TokenInfo:
        path = f"{self._account(username)}/tokens/{int(token_id)}/revoke"
        data = self.store.call("POST", path, not_found=AccountError)
        return self.store.parse(_info, data, "token")

    def add_delegation(self, username: str, delegation: Delegation) -> Account:
        return self._one("POST", f"{self._account(username)}/delegations", delegation.model_dump(mode="json"))

    def close(self) -> None:
        self.store.close()
