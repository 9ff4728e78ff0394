"""Salted scrypt password hashes for the users file.

Stdlib only (`hashlib.scrypt`), so the service needs no crypto dependency. The encoded form carries its own
parameters, which lets the cost be raised later without invalidating existing entries:
`scrypt$n=16384,r=8,p=1$<salt, base64>$<hash, base64>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from .errors import TokenServiceError

__all__ = ["PasswordHashError", "hash_password", "verify_password"]

_PREFIX = "scrypt"
_DEFAULT_N = 2**14
_DEFAULT_R = 8
_DEFAULT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32
# Refuse absurd parameters from a hand-edited file instead of letting one entry eat the machine.
_MAX_N = 2**20
_MAX_RP = 64


class PasswordHashError(TokenServiceError, ValueError):
    """An encoded hash is malformed or uses parameters this service refuses (a users-file problem, logged
    by the directory; never answered)."""


def hash_password(password: str, *, n: int = _DEFAULT_N, r: int = _DEFAULT_R, p: int = _DEFAULT_P) -> str:
    """Return the encoded scrypt hash of `password` with a fresh random salt."""
    _check_params(n, r, p)
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(password, salt, n, r, p, _KEY_BYTES)
    return f"{_PREFIX}$n={n},r={r},p={p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, encoded: str) -> bool:
    """True if `password` matches `encoded`; the final comparison runs in constant time.

    Raises PasswordHashError if `encoded` is not a hash this module produced.
    """
    n, r, p, salt, expected = _parse(encoded)
    key = _derive(password, salt, n, r, p, len(expected))
    return hmac.compare_digest(key, expected)


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # scrypt needs about 128 * n * r * p bytes; give OpenSSL explicit head-room above its 32 MiB default.
    maxmem = 128 * n * r * (p + 2) + 2**20
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=length)


def _parse(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != _PREFIX:
        raise PasswordHashError("not a scrypt hash made by `python -m tokenservice hash-password`")
    try:
        params = dict(item.split("=", 1) for item in parts[1].split(","))
        n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
        salt = base64.b64decode(parts[2], validate=True)
        key = base64.b64decode(parts[3], validate=True)
    except (ValueError, KeyError) as exc:
        raise PasswordHashError("the scrypt hash is malformed; make a new one with hash-password") from exc
    _check_params(n, r, p)
    if len(salt) < 8 or len(key) < 16:
        raise PasswordHashError("the scrypt hash has a salt or key that is too short")
    return n, r, p, salt, key


def _check_params(n: int, r: int, p: int) -> None:
    if n < 2 or n > _MAX_N or n & (n - 1) or not 1 <= r <= _MAX_RP or not 1 <= p <= _MAX_RP:
        raise PasswordHashError(f"unsupported scrypt parameters n={n}, r={r}, p={p}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
