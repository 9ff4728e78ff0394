"""Meteor-like identifiers and token hashing.

Rocket.Chat user ids are Meteor `Random.id()` (17 chars from an alphabet without look-alike characters) and
resume tokens are `Random.secret()` (43 chars of URL-safe base64, 256 bits), stored only as
`Accounts._hashLoginToken(token)` = base64(sha256(token)). Clients that check token or id shapes
against the stand-in therefore see what a real server hands out.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

__all__ = ["hash_login_token", "random_id", "random_secret"]

_UNMISTAKABLE = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
_BASE64_URL = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def random_id(length: int = 17) -> str:
    """A Meteor `Random.id()`: user, message and token ids."""
    return "".join(secrets.choice(_UNMISTAKABLE) for _ in range(length))


def random_secret(length: int = 43) -> str:
    """A Meteor `Random.secret()`: the resume (login) token handed to clients."""
    return "".join(secrets.choice(_BASE64_URL) for _ in range(length))


def hash_login_token(token: str) -> str:
    """Meteor's `Accounts._hashLoginToken`: what the server stores instead of the token."""
    return base64.b64encode(hashlib.sha256(token.encode("utf-8")).digest()).decode("ascii")
