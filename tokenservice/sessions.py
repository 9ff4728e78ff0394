"""Employee sessions: an opaque random token, given as a cookie (browser, flow 2) and as a bearer (launcher).

Kept in memory: a restart signs everyone out of the token service, which costs one password prompt and no
Rocket.Chat state. Only a SHA-256 of each token is stored, so a memory dump does not hand out live sessions.
Expired sessions are remembered for a while so the client can be told "expired" rather than "invalid".
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from .directory import Employee

__all__ = ["InvalidSession", "Session", "SessionError", "SessionExpired", "SessionStore"]

Clock = Callable[[], float]


class SessionError(Exception):
    """The request carries no usable session."""

    code = "invalid_session"


class InvalidSession(SessionError):
    code = "invalid_session"


class SessionExpired(SessionError):
    code = "session_expired"


@dataclass(frozen=True)
class Session:
    employee: Employee
    created: float
    expires: float


class SessionStore:
    """Creates, checks and ends sessions; `clock` is injectable so tests can move time."""

    def __init__(self, lifetime: float, *, clock: Clock = time.monotonic, remember_expired: float = 86400.0):
        if lifetime <= 0:
            raise ValueError("session lifetime must be positive")
        self.lifetime = lifetime
        self._clock = clock
        self._remember_expired = remember_expired
        self._sessions: dict[str, Session] = {}
        self._next_sweep = 0.0

    def create(self, employee: Employee) -> tuple[str, Session]:
        """A new session for `employee`; returns the token (shown once, never stored) and the session."""
        now = self._clock()
        self._sweep(now)
        token = secrets.token_urlsafe(32)
        session = Session(employee=employee, created=now, expires=now + self.lifetime)
        self._sessions[_digest(token)] = session
        return token, session

    def get(self, token: str | None) -> Session:
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

    def end(self, token: str | None) -> bool:
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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
