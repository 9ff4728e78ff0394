"""The secrets the launcher passes between its parts: a Rocket.Chat token and an organization session.

Their ``repr`` leaves the secret out, so they can appear in logs and tracebacks safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["OrgSession", "RocketChatToken"]


def _past(expires_at: datetime | None, now: datetime | None) -> bool:
    if expires_at is None:
        return False
    now = now or datetime.now(UTC)
    expires_at = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
    return now >= expires_at


@dataclass(frozen=True)
class RocketChatToken:
    """A Rocket.Chat resume token (``X-Auth-Token``) and the user id it belongs to (``X-User-Id``)."""

    auth_token: str = field(repr=False)
    user_id: str
    expires_at: datetime | None = None

    def expired(self, now: datetime | None = None) -> bool:
        """True only when the expiry is known and has passed."""
        return _past(self.expires_at, now)


@dataclass(frozen=True)
class OrgSession:
    """What the organization's sign-in service returned: a bearer token or session cookies."""

    username: str
    access_token: str | None = field(default=None, repr=False)
    cookies: dict[str, str] = field(default_factory=dict, repr=False)
    expires_at: datetime | None = None
    #: Where the session is sent (the token address) when it came from the keyring; None: stored by an
    #: older version, or not stored. Not part of equality: it is where the session lives, not what it is.
    server: str | None = field(default=None, compare=False)

    def expired(self, now: datetime | None = None) -> bool:
        return _past(self.expires_at, now)
