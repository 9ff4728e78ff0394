"""The token service's admin client for Rocket.Chat's REST API (docs/rocketchat-contract.md).

One `httpx.AsyncClient` with explicit timeouts, authenticated as the service account. Failures become a
small typed hierarchy the endpoints turn into `502` answers: `RocketChatUnreachable` (cannot talk to it, or it
is failing) and `RocketChatRefused` (it answered and said no). Messages never contain a password or token.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .directory import Employee
from .errors import TokenServiceError

__all__ = [
    "LoginToken",
    "RocketChatAdmin",
    "RocketChatError",
    "RocketChatRefused",
    "RocketChatUnreachable",
    "RocketChatUser",
    "ServiceAccount",
    "UserUnavailable",
]

log = logging.getLogger("tokenservice.rocketchat")

_DEFAULT_LOGIN_EXPIRATION_DAYS = 90.0  # what RC uses for a missing, zero, negative or NaN setting
_SETTINGS_CACHE_SECONDS = 300.0


class RocketChatError(TokenServiceError):
    """Rocket.Chat could not give the token service what it needed (HTTP 502); the detail is the message."""

    status = 502
    code = "rocketchat_error"
    public_detail = True


class RocketChatUnreachable(RocketChatError):
    """No usable answer: connection refused, timeout, HTTP 5xx, or not JSON."""

    code = "rocketchat_unreachable"


class RocketChatRefused(RocketChatError):
    """Rocket.Chat answered and refused: bad service credentials, wrong createToken secret, no permission."""

    code = "rocketchat_refused"


class UserUnavailable(RocketChatRefused):
    """`users.create` said the username or e-mail is already in use (`error-field-unavailable`)."""


@dataclass(frozen=True)
class ServiceAccount:
    """The Rocket.Chat account the service acts as: either user id + token, or username + password."""

    user_id: str | None = None
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        by_token = bool(self.user_id and self.token)
        by_password = bool(self.username and self.password)
        if by_token == by_password:
            raise ValueError("the service account needs either user_id + token or username + password")

    @property
    def uses_password(self) -> bool:
        return bool(self.username and self.password)


@dataclass(frozen=True)
class RocketChatUser:
    id: str
    username: str


@dataclass(frozen=True)
class LoginToken:
    user_id: str
    auth_token: str = field(repr=False)


class RocketChatAdmin:
    """Looks up and creates users, mints login tokens, reads public settings."""

    def __init__(
        self,
        base_url: str,
        account: ServiceAccount,
        *,
        create_tokens_secret: str | None = None,
        timeout: httpx.Timeout | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observe: Callable[[str, float], None] | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._observe = observe  # (API path, seconds) of every call, for the latency histogram
        self._account = account
        self._secret = create_tokens_secret
        self._timeout = timeout or httpx.Timeout(10.0, connect=5.0)
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=self._timeout,
            transport=transport,
            verify=_tls_context(ca_file),
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "rocketchat-launcher-tokenservice"},
        )
        self._session: tuple[str, str] | None = (
            None if account.uses_password else (account.user_id or "", account.token or "")
        )
        self._login_lock = asyncio.Lock()
        self._expiration: tuple[float, float] | None = None  # (seconds, fetched at monotonic)

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- users -------------------------------------------------------------------------------------------

    async def find_user(self, username: str) -> RocketChatUser | None:
        """The Rocket.Chat user with exactly this username, or None."""
        resp = await self._authed("GET", "/api/v1/users.info", params={"username": username})
        body = _json(resp)
        if resp.status_code == 200 and isinstance(body.get("user"), dict):
            return _user(body["user"])
        if resp.status_code in (400, 404) and "not found" in _error_text(body).lower():
            return None
        raise RocketChatRefused(f"Rocket.Chat refused to look up the user {username!r}: {_error_text(body)}")

    async def create_user(self, employee: Employee) -> RocketChatUser:
        """Create the employee's account with a random password nobody ever sees."""
        payload = {
            "username": employee.username,
            "name": employee.name,
            "email": employee.email,
            "password": secrets.token_urlsafe(32),
            "verified": True,
            "requirePasswordChange": False,
            "sendWelcomeEmail": False,
        }
        resp = await self._authed("POST", "/api/v1/users.create", json=payload)
        body = _json(resp)
        if resp.status_code == 200 and isinstance(body.get("user"), dict):
            return _user(body["user"])
        error_type = body.get("errorType")
        if error_type == "error-field-unavailable":
            raise UserUnavailable(
                f"Rocket.Chat says the username or e-mail of {employee.username!r} is already in use"
            )
        if error_type == "error-action-not-allowed":
            raise RocketChatRefused(
                "the service account may not create users (it needs the create-user permission)"
            )
        raise RocketChatRefused(
            f"Rocket.Chat refused to create the user {employee.username!r}: {_error_text(body)}"
        )

    async def create_token(self, user_id: str) -> LoginToken:
        """Mint a login token for `user_id` with `users.createToken`
        (docs/rocketchat-contract.md#minting-tokens)."""
        payload: dict[str, str] = {"userId": user_id}
        if self._secret:
            payload["secret"] = self._secret
        resp = await self._authed("POST", "/api/v1/users.createToken", json=payload)
        body = _json(resp)
        data = body.get("data")
        if (
            resp.status_code == 200
            and isinstance(data, dict)
            and data.get("authToken")
            and data.get("userId")
        ):
            return LoginToken(user_id=str(data["userId"]), auth_token=str(data["authToken"]))
        if body.get("errorType") == "error-not-authorized" or resp.status_code == 403:
            raise RocketChatRefused(
                "Rocket.Chat refused users.createToken: check the createToken secret "
                "(CREATE_TOKENS_FOR_USERS_SECRET) and the service account's user-generate-access-token permission"
            )
        raise RocketChatRefused(f"Rocket.Chat refused users.createToken: {_error_text(body)}")

    async def check(self) -> None:
        """Raise RocketChatUnreachable unless Rocket.Chat answers `GET /api/info` (public, no login)."""
        await self._call("GET", "/api/info")

    async def token_accepted(self, user_id: str, auth_token: str) -> bool:
        """Whether Rocket.Chat still accepts this user token (`GET /api/v1/me`)."""
        resp = await self._call(
            "GET", "/api/v1/me", headers={"X-User-Id": user_id, "X-Auth-Token": auth_token}
        )
        return resp.status_code == 200

    # -- settings ----------------------------------------------------------------------------------------

    async def login_expiration(self) -> float:
        """`Accounts_LoginExpiration` in seconds, from settings.public, cached for a few minutes.

        If Rocket.Chat cannot be asked, the last known value (or RC's default of 90 days) is used: the
        caller will find out about an unreachable Rocket.Chat soon enough when it mints.
        """
        now = time.monotonic()
        if self._expiration and now - self._expiration[1] < _SETTINGS_CACHE_SECONDS:
            return self._expiration[0]
        days = _DEFAULT_LOGIN_EXPIRATION_DAYS
        try:
            resp = await self._call(
                "GET", "/api/v1/settings.public", params={"_id": "Accounts_LoginExpiration"}
            )
            for item in _json(resp).get("settings") or []:
                if isinstance(item, dict) and item.get("_id") == "Accounts_LoginExpiration":
                    days = _expiration_days(item.get("value"))
        except RocketChatError as exc:
            if self._expiration:
                return self._expiration[0]
            log.warning("could not read Accounts_LoginExpiration (%s); assuming %g days", exc, days)
            return days * 86400.0
        self._expiration = (days * 86400.0, now)
        return self._expiration[0]

    # -- transport ---------------------------------------------------------------------------------------

    async def _authed(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        session = await self._service_session()
        resp = await self._call(method, path, headers=_auth(session), **kwargs)
        if resp.status_code == 401 and self._account.uses_password:
            session = await self._service_session(stale=session)
            resp = await self._call(method, path, headers=_auth(session), **kwargs)
        if resp.status_code == 401:
            how = "username and password" if self._account.uses_password else "user id and token"
            raise RocketChatRefused(f"Rocket.Chat rejected the service account's {how}")
        if resp.status_code == 403:
            raise RocketChatRefused(f"the service account is not allowed to call {path.rsplit('/', 1)[-1]}")
        return resp

    async def _service_session(self, stale: tuple[str, str] | None = None) -> tuple[str, str]:
        if self._session is not None and self._session != stale:
            return self._session
        async with self._login_lock:  # one login even when many requests find the session stale at once
            if self._session is not None and self._session != stale:
                return self._session
            self._session = await self._login()
            return self._session

    async def _login(self) -> tuple[str, str]:
        payload = {"user": self._account.username, "password": self._account.password}
        resp = await self._call("POST", "/api/v1/login", json=payload)
        body = _json(resp)
        data = body.get("data")
        if (
            resp.status_code == 200
            and isinstance(data, dict)
            and data.get("userId")
            and data.get("authToken")
        ):
            log.info("service account %s logged in to Rocket.Chat", self._account.username)
            return str(data["userId"]), str(data["authToken"])
        if body.get("error") == "totp-required":
            raise RocketChatRefused(
                "the service account has two-factor authentication on; turn it off for that account "
                "or configure its user id and personal access token instead"
            )
        raise RocketChatRefused("Rocket.Chat rejected the service account's username and password")

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        started = time.monotonic()
        try:
            resp = await self._client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise RocketChatUnreachable(f"Rocket.Chat at {self.base_url} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise RocketChatUnreachable(f"cannot connect to Rocket.Chat at {self.base_url}") from exc
        finally:
            if self._observe is not None:
                self._observe(path, time.monotonic() - started)
        if resp.status_code >= 500:
            raise RocketChatUnreachable(f"Rocket.Chat at {self.base_url} answered HTTP {resp.status_code}")
        if resp.status_code == 429:
            raise RocketChatRefused("Rocket.Chat is rate-limiting the token service; try again in a minute")
        return resp


def _auth(session: tuple[str, str]) -> dict[str, str]:
    return {"X-User-Id": session[0], "X-Auth-Token": session[1]}


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError as exc:
        raise RocketChatUnreachable(
            f"Rocket.Chat answered HTTP {resp.status_code} with something that is not JSON"
        ) from exc
    return body if isinstance(body, dict) else {}


def _error_text(body: dict[str, Any]) -> str:
    text = body.get("message") or body.get("error") or "no reason given"
    return str(text)[:200]


def _user(raw: dict[str, Any]) -> RocketChatUser:
    user_id, username = raw.get("_id"), raw.get("username")
    if not user_id or not username:
        raise RocketChatUnreachable("Rocket.Chat answered with a user record that has no _id or username")
    return RocketChatUser(id=str(user_id), username=str(username))


def _expiration_days(value: object) -> float:
    try:
        days = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _DEFAULT_LOGIN_EXPIRATION_DAYS
    return days if days > 0 and days == days else _DEFAULT_LOGIN_EXPIRATION_DAYS


def _tls_context(ca_file: str | None) -> ssl.SSLContext | bool:
    """httpx's default roots, plus `rocketchat.ca_file` when Rocket.Chat's certificate comes from the
    company's own CA (as it does for the launcher's `network.ca_file`)."""
    if not ca_file:
        return True
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=ca_file)
    return context
