"""The token-service configuration the test suites start against an rcsandbox (one place, one set of defaults)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from tokenservice.config import CookieSettings, ServiceAccount, TokenServiceConfig
from tokenservice.directory import UsersFileDirectory


def token_service_config(
    rocketchat_url: str, users_file: Path, sandbox_secret: str, **overrides: Any
) -> TokenServiceConfig:
    """A config for the sandbox's service account and its createToken secret (`sandbox_secret`); keyword
    arguments override TokenServiceConfig fields, a wrong `create_tokens_secret` included."""
    config = TokenServiceConfig(
        rocketchat_url=rocketchat_url,
        service_account=ServiceAccount(username="admin", password="admin-pw"),
        directory=UsersFileDirectory(users_file),
        create_tokens_secret=sandbox_secret,
        # Loopback http test origins are same-site, so Lax travels and Secure would be refused on http.
        cookie=CookieSettings(secure=False, samesite="lax"),
        connect_timeout=2.0,
        request_timeout=5.0,
    )
    return replace(config, **overrides)
