"""Employee sessions: an opaque random token, given as a cookie (browser, flow 2) and as a bearer (launcher).

Two stores behind the `Sessions` protocol: `SessionStore` in memory (one instance; a restart signs everyone
out, which costs one password prompt and no Rocket.Chat state) and `RedisSessionStore`, shared by several
instances, with a Redis TTL per session. Either way only a SHA-256 of each token is stored, so a memory or
Redis dump does not hand out live sessions. Expired sessions are remembered for a while so the client can be
told "expired" rather than "invalid".
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

from .directory import Employee
from .errors import TokenServiceError
from .state import KEY_PREFIX, guard

__all__ = [
    "InvalidSession",
    "NoBrowserSession",
    "RedisSessionStore",
    "Session",
    "SessionError",
    "SessionExpired",
    "SessionStore",
    "Sessions",
]

Clock = Callable[[], float]


class SessionError(TokenServiceError):
    """The request carries no usable session (HTTP 401); the detail says why and what to do."""

    status = 401
    code = "invalid_session"
    public_detail = True


class InvalidSession(SessionError):
    code = "invalid_session"


class SessionExpired(SessionError):
    code = "session_expired"


class NoBrowserSession(SessionError):
    """Rocket.Chat's page asked with a browser that has no live session: one answer whatever the reason,
    pointing to the login page Rocket.Chat shows next."""

    code = "invalid_session"
    public_detail = False
    message = "No valid token-service session in this browser; sign in on the login page."


@dataclass(frozen=True)
class Session:
    employee: Employee
    created: float
    expires: float


class Sessions(Protocol):
    """Creates, checks and ends sessions; may raise state.StateUnavailable when shared."""

    async def create(self, employee: Employee) -> tuple[str, Session]:
        """A new session for `employee`; returns the token (shown once, never stored) and the session."""
        ...

    async def get(self, token: str | None) -> Session:
        """The live session for `token`; raises InvalidSession or SessionExpired."""
        ...

    async def end(self, token: str | None) -> bool:
        """Forget the session; True if there was one."""
        ...


class SessionStore:
    """Sessions in this process's memory; `clock` is injectable so tests can move time."""

    def __init__(self, lifetime: float, *, clock: Clock = time.monotonic, remember_expired: float = 86400.0):
        if lifetime <= 0:
            raise ValueError("session lifetime must be positive")
        self.lifetime = lifetime
        self._clock = clock
        self._remember_expired = remember_expired
        self._sessions: dict[str, Session] = {}
        self._next_sweep = 0.0

    async def create(self, employee: Employee) -> tuple[str, Session]:
        """A new session for `employee`; returns the token (shown once, never stored) and the session."""
        now = self._clock()
        self._sweep(now)
        token = secrets.token_urlsafe(32)
        session = Session(employee=employee, created=now, expires=now + self.lifetime)
        self._sessions[_digest(token)] = session
        return token, session

    async def get(self, token: str | None) -> Session:
        """The live session for `token`; raises InvalidSession or SessionExpired."""
        if not token:
            raise InvalidSession("sign in first: no session token was sent")
        now = self._clock()
        self._sweep(now)
        session = self._sessions.get(_digest(token))
        if session is None:
            raise InvalidSession("the session is unknown or was ended; sign in again")
        if now >= session.expires:
            raise SessionExpired("the session has expired; sign in again")
        return session

    async def end(self, token: str | None) -> bool:
        """Forget the session; True if there was one."""
        if not token:
            return False
        return self._sessions.pop(_digest(token), None) is not None

    def remaining(self, session: Session) -> float:
        return max(0.0, session.expires - self._clock())

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + 60.0
        cutoff = now - self._remember_expired
        for key in [k for k, s in self._sessions.items() if s.expires < cutoff]:
            del self._sessions[key]


class RedisSessionStore:
    """Sessions in Redis, shared by every instance. Times are wall-clock seconds (each process's monotonic
    clock differs); each key expires once the session has been expired for `remember_expired` seconds."""

    def __init__(
        self,
        client: aioredis.Redis,
        lifetime: float,
        *,
        clock: Clock = time.time,
        remember_expired: float = 86400.0,
    ) -> None:
        if lifetime <= 0:
            raise ValueError("session lifetime must be positive")
        self.lifetime = lifetime
        self._redis = client
        self._clock = clock
        self._remember_expired = remember_expired

    async def create(self, employee: Employee) -> tuple[str, Session]:
        now = self._clock()
        token = secrets.token_urlsafe(32)
        session = Session(employee=employee, created=now, expires=now + self.lifetime)
        value = json.dumps(
            {
                "username": employee.username,
                "name": employee.name,
                "email": employee.email,
                "created": session.created,
                "expires": session.expires,
            }
        )
        ttl = int(self.lifetime + self._remember_expired)
        async with guard(self._redis, "creating a session"):
            await self._redis.set(_key(token), value, ex=ttl)
        return token, session

    async def get(self, token: str | None) -> Session:
        if not token:
            raise InvalidSession("sign in first: no session token was sent")
        async with guard(self._redis, "reading a session"):
            raw = await self._redis.get(_key(token))
        if raw is None:
            raise InvalidSession("the session is unknown or was ended; sign in again")
        data = json.loads(raw)
        employee = Employee(username=data["username"], name=data["name"], email=data["email"])
        session = Session(employee=employee, created=float(data["created"]), expires=float(data["expires"]))
        if self._clock() >= session.expires:
            raise SessionExpired("the session has expired; sign in again")
        return session

    async def end(self, token: str | None) -> bool:
        if not token:
            return False
        async with guard(self._redis, "ending a session"):
            return bool(await self._redis.delete(_key(token)))


def _key(token: str) -> str:
    return f"{KEY_PREFIX}session:{_digest(token)}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
