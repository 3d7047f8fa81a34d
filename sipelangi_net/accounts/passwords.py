"""Password hashing with Argon2id (argon2-cffi, RFC 9106 parameters).

A stored hash carries its own parameters and salt; :func:`verify_password` says when the hash
was made with weaker parameters than today's, so the store can rehash it at the next good login.
Passwords are never logged: each one checked is registered with the scrubber.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sipelangi_net.errors import ConfigError
from sipelangi_net.logs import register_secret
from sipelangi_net.validate import unsafe_character

MIN_LENGTH = 12
MAX_LENGTH = 1024
"""Argon2 takes any length; a bound keeps a login from being a way to make the server hash megabytes."""

HASHER = PasswordHasher()
"""argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)."""

_DUMMY = HASHER.hash("not a password of anyone: makes an unknown user cost the same time")


@dataclass(frozen=True, slots=True)
class Verified:
    ok: bool
    rehash: str | None = None
    """A new hash of the same password when the stored one used older parameters (store it)."""


def check_password(password: str, *, username: str, where: str = "the password") -> str:
    """``password`` unchanged, or ConfigError saying what rule it breaks (never echoing it)."""
    register_secret(password)
    if len(password) < MIN_LENGTH:
        raise ConfigError(f"{where}: too short; give at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ConfigError(f"{where}: too long; give at most {MAX_LENGTH} characters")
    if unsafe_character(password):
        raise ConfigError(f"{where}: contains a control or format character; type printable characters")
    if password.strip().casefold() == username.casefold():
        raise ConfigError(f"{where}: is the username; choose another")
    return password


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (a PHC string with its own salt and parameters)."""
    register_secret(password)
    return HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> Verified:
    """Check ``password`` against ``stored`` (``None``: an account without a password, or no account).

    The same work is done when there is no stored hash, so the answer's timing does not tell
    whether the username exists.
    """
    register_secret(password)
    if len(password) > MAX_LENGTH:
        return Verified(ok=False)
    try:
        HASHER.verify(stored or _DUMMY, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return Verified(ok=False)
    if stored is None:
        return Verified(ok=False)
    return Verified(ok=True, rehash=HASHER.hash(password) if HASHER.check_needs_rehash(stored) else None)
