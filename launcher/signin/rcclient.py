"""Rocket.Chat's REST API, the few calls the launcher needs (docs/rocketchat-contract.md).

Rocket.Chat's error bodies changed across versions, so errors key on the HTTP status and read
``message`` or ``error`` defensively (docs/rocketchat-contract.md#rest-authentication-and-errors).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import httpx

from launcher.errors import InvalidCredentials, LauncherError, TokenRejected, UnexpectedResponse
from launcher.logs.redaction import register_secret
from launcher.signin._jsonpath import MISSING, lookup
from launcher.signin._responses import capitalized, host_of, rate_limited, unexpected_status
from launcher.signin.http import json_object, make_client, send
from launcher.signin.tokens import RocketChatToken

__all__ = ["SERVER", "RocketChatClient"]

log = logging.getLogger(__name__)

SERVER = "Rocket.Chat"
# Reading every public setting of an old server: pages of at most 100 (its default upper limit), and a
# bound, so a server that never ends its list cannot hold the start.
_SETTINGS_PAGE = 100
_MAX_SETTINGS_PAGES = 20


class RocketChatClient:
    """Calls to one Rocket.Chat server; every failure is a ``LauncherError`` with a one-sentence message."""

    def __init__(self, base_url: str, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client if client is not None else make_client()

    def info(self) -> dict[str, Any]:
        """``GET /api/info``: reachability and the ``major.minor`` version (no auth)."""
        response = self._send("GET", "/api/info")
        document = json_object(response, server=SERVER)
        if response.status_code != 200:
            raise unexpected_status(response, document, server=SERVER, doing="asked for its version")
        if not isinstance(document.get("version"), str):
            raise self._unexpected(response, "answered /api/info without a version", "no-version")
        return document

    def me(self, token: RocketChatToken) -> dict[str, Any]:
        """``GET /api/v1/me``: the user behind ``token``; ``TokenRejected`` when Rocket.Chat says 401."""
        response = self._send("GET", "/api/v1/me", headers=_auth_headers(token))
        if response.status_code == 401:
            raise TokenRejected("Rocket.Chat no longer accepts the saved sign-in; sign in again.")
        document = json_object(response, server=SERVER)
        if response.status_code == 429:
            raise rate_limited(response, document, server=SERVER)
        if response.status_code != 200:
            raise unexpected_status(response, document, server=SERVER, doing="checking the saved sign-in")
        return document

    def public_settings(self, ids: Iterable[str]) -> dict[str, Any]:
        """``GET /api/v1/settings.public?_id=a,b``: the values of public settings by id (no auth). A
        setting Rocket.Chat did not list is absent from the result: unknown, never "off".

        Servers before 7.0 ignore the ``_id`` filter and page through every public setting, so when the
        answer holds settings that were not asked for, the pages are read until all were found
        (docs/rocketchat-contract.md#public-settings)."""
        wanted = list(ids)
        values, document = self._settings_page({"_id": ",".join(wanted)}, wanted)
        listed = document.get("settings") or []
        filtered = all(isinstance(i, dict) and i.get("_id") in wanted for i in listed)
        offset, total = len(listed), document.get("total")
        pages = 0
        while not filtered and len(values) < len(wanted) and listed and pages < _MAX_SETTINGS_PAGES:
            if isinstance(total, int) and offset >= total:
                break
            found, document = self._settings_page({"offset": offset, "count": _SETTINGS_PAGE}, wanted)
            values.update(found)
            listed = document.get("settings") or []
            offset += len(listed)
            pages += 1
        return values

    def _settings_page(
        self, params: dict[str, Any], wanted: list[str]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        response = self._send("GET", "/api/v1/settings.public", params=params)
        document = json_object(response, server=SERVER)
        if response.status_code == 429:
            raise rate_limited(response, document, server=SERVER)
        if response.status_code != 200:
            raise unexpected_status(response, document, server=SERVER, doing="asked for its public settings")
        settings = document.get("settings")
        if not isinstance(settings, list):
            raise self._unexpected(
                response, "answered settings.public without a settings list", "no-settings"
            )
        values = {
            item["_id"]: item.get("value")
            for item in settings
            if isinstance(item, dict) and item.get("_id") in wanted
        }
        return values, document

    def logout(self, token: RocketChatToken) -> None:
        """``POST /api/v1/logout``: ends this token (only this one) at Rocket.Chat."""
        response = self._send("POST", "/api/v1/logout", headers=_auth_headers(token))
        if response.status_code == 401:
            return  # already gone: that is what we wanted
        if response.status_code != 200:
            document = _maybe_json(response)
            raise unexpected_status(response, document, server=SERVER, doing="signing out")

    def login(self, username: str, password: str) -> RocketChatToken:
        """``POST /api/v1/login`` with a password (mode "rocketchat": Rocket.Chat checks LDAP itself)."""
        register_secret(password)
        response = self._send("POST", "/api/v1/login", json={"user": username, "password": password})
        document = json_object(response, server=SERVER)
        if response.status_code == 429:
            raise rate_limited(response, document, server=SERVER)
        if response.status_code in (400, 401, 403):
            raise _login_refusal(document)
        if response.status_code != 200:
            raise unexpected_status(response, document, server=SERVER, doing="signing in")
        auth_token = lookup(document, "data.authToken")
        user_id = lookup(document, "data.userId")
        if auth_token is MISSING or user_id is MISSING or not isinstance(auth_token, str):
            raise self._unexpected(
                response, "answered the sign-in without a token (no data.authToken)", "no-token"
            )
        register_secret(auth_token)
        return RocketChatToken(auth_token=auth_token, user_id=str(user_id))

    # --- private ----------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return send(self._client, method, self.base_url + path, server=SERVER, **kwargs)

    def _unexpected(self, response: httpx.Response, what: str, kind: str) -> UnexpectedResponse:
        url = str(response.request.url)
        return UnexpectedResponse(
            f"{capitalized(SERVER)} at {host_of(url)} {what}; check rocketchat.url in the configuration.",
            server=SERVER,
            url=url,
            kind=kind,
        )


def _auth_headers(token: RocketChatToken) -> dict[str, str]:
    register_secret(token.auth_token)
    return {"X-User-Id": token.user_id, "X-Auth-Token": token.auth_token}


def _maybe_json(response: httpx.Response) -> dict[str, Any] | None:
    try:
        document = response.json()
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _login_refusal(document: dict[str, Any]) -> LauncherError:
    error = document.get("error")
    if error == "totp-required" or error == "totp-invalid":
        return LauncherError(
            "Your Rocket.Chat account asks for a two-factor code, which the launcher cannot enter; sign in "
            "once in a browser or ask IT to exempt the account."
        )
    if isinstance(error, str) and error.startswith("error-login-blocked"):
        return LauncherError(
            "Rocket.Chat has temporarily blocked sign-ins after too many failed attempts; wait a few minutes "
            "and try again."
        )
    if isinstance(error, str) and error in ("error-user-is-not-activated", "error-user-has-no-roles"):
        return LauncherError(
            "Rocket.Chat does not let this account sign in (it is deactivated or has no roles); ask IT."
        )
    return InvalidCredentials("Rocket.Chat rejected the username or password; check them and try again.")
