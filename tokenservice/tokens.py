"""The token broker: one Rocket.Chat login token per employee, reused while it is comfortably valid.

Minting a token per request would pile up login tokens on the user (RC keeps at most 50 and evicts the
oldest, signing other devices out). So a token is kept in memory with its mint time and handed out again
until `Accounts_LoginExpiration` minus a margin; every `revalidate_after` seconds it is checked against
`/api/v1/me`, so a token revoked in Rocket.Chat is replaced rather than handed out. The iframe flow has it
checked before every hand-out (a check vouches for `CONFIRM_WINDOW` seconds), and a client that reports
Rocket.Chat refused its token has the cached one dropped: `/api/v1/me` does not notice an expired token.

All work for one username runs under a per-username lock (single flight): fifty first-time requests for a
new employee create one Rocket.Chat user and mint one token that all fifty receive. The cache and the lock
live in a `TokenCache`: this process's memory, or Redis when several instances share the work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from . import audit
from .directory import Employee
from .rocketchat import LoginToken, RocketChatAdmin, RocketChatRefused, UserUnavailable
from .token_cache import CachedToken, MemoryTokenCache, TokenCache

__all__ = ["CONFIRM_WINDOW", "IssuedToken", "TokenBroker"]

log = logging.getLogger("tokenservice.tokens")

# How long one answer from `/api/v1/me` vouches for a token when the caller wants it confirmed. Rocket.Chat's
# web client asks on every page load and reconnect, often from several tabs at once; asking Rocket.Chat for
# each adds a round trip without news, while a few seconds still bounds how long a revoked token is served.
CONFIRM_WINDOW = 5.0


@dataclass(frozen=True)
class IssuedToken:
    """A token handed out, with when Rocket.Chat will stop accepting it (estimated on the early side).

    The launcher needs the expiry: Rocket.Chat's REST layer does not check it, so `/api/v1/me`
    keeps accepting a token that the web client's resume login already refuses
    (docs/rocketchat-contract.md#token-lifetime-and-expiry)."""

    token: LoginToken
    expires_at: datetime
    source: str = "reused"  # "minted", "reused" or "created-user"


_Cached = CachedToken


class TokenBroker:
    """Hands out Rocket.Chat login tokens for employees."""

    def __init__(
        self,
        rc: RocketChatAdmin,
        *,
        reuse_margin: float = 86400.0,
        revalidate_after: float | None = 300.0,
        clock: Callable[[], float] = time.monotonic,
        cache: TokenCache | None = None,
    ) -> None:
        self._rc = rc
        self._margin = reuse_margin
        self._revalidate_after = revalidate_after
        self._clock = clock
        self._cache: TokenCache = cache if cache is not None else MemoryTokenCache()

    async def token_for(
        self,
        employee: Employee,
        *,
        flow: str,
        client: str,
        rejected: bool = False,
        confirm: bool = False,
    ) -> IssuedToken:
        """A token Rocket.Chat accepts for `employee`; raises RocketChatError subclasses.

        `rejected`: the client saw Rocket.Chat refuse the token it got before (a logout, an expiry, an admin
        revoking it). The cached token is dropped at once, for every caller, and a new one minted: asking
        `/api/v1/me` would not do, as it accepts an expired token. `confirm`: hand out a cached token only
        once Rocket.Chat has accepted it within the last `CONFIRM_WINDOW` seconds (the iframe flow)."""
        key = employee.username.casefold()
        if rejected:
            # In memory this runs before any await, so nobody gets the token from here on.
            await self._drop_rejected(employee.username)
        lifetime = await self._rc.login_expiration()
        cached = await self._cache.get(key)
        if cached and self._fresh(cached, lifetime) and not self._due_for_check(cached, confirm):
            return self._issue(employee, cached, lifetime, flow, "reused", client)

        async with self._cache.lock(key):
            # Anything cached now was stored after a rejected token was dropped, so it is a newer one.
            cached = await self._cache.get(key)
            if cached and await self._usable(key, employee, cached, lifetime, confirm):
                return self._issue(employee, cached, lifetime, flow, "reused", client)
            await self._cache.drop(key)
            token, source, minted_at, minted_wall = await self._mint(employee)
            cached = _Cached(token=token, minted_at=minted_at, checked_at=minted_at, minted_wall=minted_wall)
            await self._cache.put(key, cached, lifetime)
            return self._issue(employee, cached, lifetime, flow, source, client)

    async def forget(self, username: str) -> bool:
        """Drop the cached token, e.g. after a client reports Rocket.Chat rejected it; True if there was one."""
        return await self._cache.drop(username.casefold())

    async def _drop_rejected(self, username: str) -> None:
        """Forget a token a client saw refused, and say so: a burst of these is worth an operator's look."""
        if await self.forget(username):
            log.info("a client reported Rocket.Chat refused the token of %s; it is dropped", username)

    async def _usable(
        self, key: str, employee: Employee, cached: _Cached, lifetime: float, confirm: bool
    ) -> bool:
        """Whether a cached token may be handed out, asking Rocket.Chat first when a check is due."""
        if not self._fresh(cached, lifetime):
            return False
        if not self._due_for_check(cached, confirm):
            return True
        return await self._still_accepted(key, employee, cached, lifetime)

    async def _still_accepted(self, key: str, employee: Employee, cached: _Cached, lifetime: float) -> bool:
        """Ask Rocket.Chat about a cached token; remembers a yes so that it can vouch for a while."""
        if await self._rc.token_accepted(cached.token.user_id, cached.token.auth_token):
            cached.checked_at = self._clock()
            await self._cache.put(key, cached, cached.minted_at + lifetime - self._clock())
            return True
        log.info("Rocket.Chat no longer accepts the cached token of %s; minting a new one", employee.username)
        return False

    async def _mint(self, employee: Employee) -> tuple[LoginToken, str, float, float]:
        source = "minted"
        user = await self._rc.find_user(employee.username)
        if user is None:
            try:
                user = await self._rc.create_user(employee)
                source = "created-user"
            except UserUnavailable:
                # Someone else (another service instance, an admin) created it in between: look again.
                log.info("users.create for %s found it taken; looking the user up again", employee.username)
                user = await self._rc.find_user(employee.username)
                if user is None:
                    raise RocketChatRefused(
                        f"Rocket.Chat says the username or e-mail of {employee.username!r} is taken "
                        "by another account; an administrator must resolve the clash"
                    ) from None
        # Stamp before minting so the local expiry estimate errs on the early side.
        minted_at, minted_wall = self._clock(), time.time()
        return await self._rc.create_token(user.id), source, minted_at, minted_wall

    def _fresh(self, cached: _Cached, lifetime: float) -> bool:
        margin = min(self._margin, lifetime / 2)
        return self._clock() < cached.minted_at + lifetime - margin

    def _due_for_check(self, cached: _Cached, confirm: bool) -> bool:
        """Whether Rocket.Chat must be asked before the token is handed out (minting counts as an answer)."""
        since = self._clock() - cached.checked_at
        if confirm and since >= CONFIRM_WINDOW:
            return True
        return self._revalidate_after is not None and since >= self._revalidate_after

    @staticmethod
    def _issue(
        employee: Employee, cached: _Cached, lifetime: float, flow: str, source: str, client: str
    ) -> IssuedToken:
        token = cached.token
        audit.token_issued(
            username=employee.username, rc_user_id=token.user_id, flow=flow, source=source, client=client
        )
        expires_at = datetime.fromtimestamp(cached.minted_wall + lifetime, UTC)
        return IssuedToken(token=token, expires_at=expires_at, source=source)
