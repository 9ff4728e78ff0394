"""The organization's sign-in service: username + password -> session -> Rocket.Chat token.

By default it speaks the ``tokenservice`` contract (docs/architecture.md); the ``[organization.*]``
configuration describes other services: URLs, methods, body encoding, field names, where the token and
user id sit in the answers (dotted paths), and whether the session is a bearer token or cookies.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from launcher.config import OrganizationApi
from launcher.errors import InvalidCredentials, SessionRejected, UnexpectedResponse
from launcher.logs.redaction import register_secret
from launcher.signin._jsonpath import MISSING, lookup
from launcher.signin._responses import (
    capitalized,
    host_of,
    rate_limited,
    said_by_server,
    unexpected_status,
)
from launcher.signin.http import json_object, send
from launcher.signin.tokens import OrgSession, RocketChatToken

__all__ = ["SERVER", "OrganizationClient"]

log = logging.getLogger(__name__)

SERVER = "the organization sign-in service"
# 403 answers that refuse the account, not the password (the reference token service's directory: the
# employee is outside the group allowed to chat, or the username matches several entries): the stored
# password stays, since IT fixing the account makes the next start work.
_REFUSED_ACCOUNT = ("not_permitted", "ambiguous_account")


class OrganizationClient:
    """Calls to the organization's sign-in service; failures are ``LauncherError``s with one sentence."""

    def __init__(self, api: OrganizationApi, client: httpx.Client) -> None:
        self.api = api
        self._client = client

    def login(self, username: str, password: str) -> OrgSession:
        """Sign in with the employee's credentials; ``InvalidCredentials`` when the service says so."""
        register_secret(password)
        api = self.api
        fields = {api.username_field: username, api.password_field: password}
        body = {"json": fields} if api.login_body == "json" else {"data": fields}
        response = self._send(api.login_method, api.login_url, **body)
        cookies = {name: value for name, value in response.cookies.items()}
        self._client.cookies.clear()  # the session is carried explicitly, never by the shared jar
        document = json_object(response, server=SERVER)
        if response.status_code == 403 and document.get("error") in _REFUSED_ACCOUNT:
            # The password was right (or never the question): the organization will not admit this account.
            raise UnexpectedResponse(
                f"{capitalized(SERVER)} at {host_of(api.login_url)} does not let this account use Rocket.Chat"
                f"{said_by_server(document)}; ask IT for access.",
                server=SERVER,
                url=api.login_url,
                kind="not-permitted",
            )
        if response.status_code in (401, 403):
            raise InvalidCredentials(
                "Your organization rejected the username or password; check them and try again."
            )
        if response.status_code == 429:
            raise rate_limited(response, document, server=SERVER)
        if response.status_code == 400:
            raise UnexpectedResponse(
                f"{capitalized(SERVER)} at {host_of(api.login_url)} refused the sign-in request"
                f"{said_by_server(document)}; check the username, or ask IT to check "
                "[organization.login] in the configuration.",
                server=SERVER,
                url=api.login_url,
                kind="http-400",
            )
        if not 200 <= response.status_code < 300:
            raise unexpected_status(response, document, server=SERVER, doing="signing in")

        access_token: str | None = None
        if api.session == "bearer":
            value = lookup(document, api.session_token_path)
            if not isinstance(value, str) or not value:
                raise self._missing(api.login_url, api.session_token_path, "the sign-in", "a session token")
            access_token = value
            register_secret(access_token)
        elif not cookies:
            raise UnexpectedResponse(
                f"{capitalized(SERVER)} at {host_of(api.login_url)} answered the sign-in without setting a "
                'session cookie; ask IT to check organization.login.session ("cookie" or "bearer").',
                server=SERVER,
                url=api.login_url,
                kind="no-session",
            )
        for value in cookies.values():
            register_secret(value)
        expires_at = None
        if api.expires_in_path:
            seconds = lookup(document, api.expires_in_path)
            if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
                expires_at = datetime.now(UTC) + timedelta(seconds=seconds)
        return OrgSession(
            username=username, access_token=access_token, cookies=cookies, expires_at=expires_at
        )

    def rocketchat_token(self, session: OrgSession, *, revalidate: bool = False) -> RocketChatToken:
        """Exchange the session for a Rocket.Chat token; ``SessionRejected`` when the session is over.

        ``revalidate``: Rocket.Chat refused the token this service gave before (logged out, revoked); the
        ``revalidate=1`` query tells the service to drop its cached token and mint a new one."""
        api = self.api
        params = {"revalidate": "1"} if revalidate else None
        response = self._send(
            api.token_method, api.token_url, headers=_session_headers(session), params=params
        )
        self._client.cookies.clear()
        document = json_object(response, server=SERVER)
        if response.status_code in (401, 403):
            raise SessionRejected("Your organization session has ended; sign in again.")
        if response.status_code == 429:
            raise rate_limited(response, document, server=SERVER)
        if response.status_code == 502 or document.get("error") in (
            "rocketchat_unreachable",
            "rocketchat_refused",
        ):
            raise UnexpectedResponse(
                f"{capitalized(SERVER)} at {host_of(api.token_url)} could not get a token from Rocket.Chat"
                f"{said_by_server(document)}; try again later, or ask IT if it persists.",
                server=SERVER,
                url=api.token_url,
                kind="rocketchat-unavailable",
            )
        if not 200 <= response.status_code < 300:
            raise unexpected_status(response, document, server=SERVER, doing="asked for a Rocket.Chat token")
        auth_token = lookup(document, api.auth_token_path)
        if not isinstance(auth_token, str) or not auth_token:
            raise self._missing(
                api.token_url, api.auth_token_path, "the token request", "a Rocket.Chat token"
            )
        register_secret(auth_token)
        user_id = lookup(document, api.user_id_path)
        if not isinstance(user_id, str) or not user_id:
            raise self._missing(api.token_url, api.user_id_path, "the token request", "a Rocket.Chat user id")
        expires_at = _parse_expiry(lookup(document, api.expires_at_path)) if api.expires_at_path else None
        return RocketChatToken(auth_token=auth_token, user_id=user_id, expires_at=expires_at)

    def logout(self, session: OrgSession) -> None:
        """End the session at the service (best effort is the caller's choice: this raises on failure)."""
        if not self.api.logout_url:
            return
        response = self._send(self.api.logout_method, self.api.logout_url, headers=_session_headers(session))
        self._client.cookies.clear()
        if response.status_code >= 400 and response.status_code != 401:
            raise unexpected_status(response, None, server=SERVER, doing="signing out")

    def check_health(self) -> int:
        """Reach the service's health address; return the HTTP status (any answer proves DNS, TLS, HTTP)."""
        url = self.api.health_url or self.api.login_url
        return self._send("GET", url).status_code

    # --- private ----------------------------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return send(self._client, method, url, server=SERVER, **kwargs)

    def _missing(self, url: str, path: str, when: str, what: str) -> UnexpectedResponse:
        return UnexpectedResponse(
            f'{capitalized(SERVER)} at {host_of(url)} answered {when} without {what} (no "{path}" in its '
            "JSON); ask IT to check the service or the configured path.",
            server=SERVER,
            url=url,
            kind="no-token",
        )


def _session_headers(session: OrgSession) -> dict[str, str]:
    if session.access_token:
        register_secret(session.access_token)
        return {"Authorization": f"Bearer {session.access_token}"}
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in session.cookies.items())}


def _parse_expiry(value: Any) -> datetime | None:
    if value is MISSING or value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000.0 if value > 1e11 else float(value)  # epoch milliseconds or seconds
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None
