"""Where the token broker keeps each employee's Rocket.Chat token, and its per-employee single-flight lock.

`MemoryTokenCache` serves one instance (a dict and asyncio locks). `RedisTokenCache` serves several: the
token as JSON under a key that expires with it, and a Redis lock (SET NX with a timeout) per employee, so
fifty first logins spread over three instances still create one Rocket.Chat user. Redis times are
wall-clock seconds, since each process's monotonic clock differs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Protocol

import redis.asyncio as aioredis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from .rocketchat import LoginToken
from .state import KEY_PREFIX, StateUnavailable, guard

__all__ = ["CachedToken", "MemoryTokenCache", "RedisTokenCache", "TokenCache"]

# A held lock expires this long after its last renewal; the holder renews it every third of that while it
# mints (minting can take several Rocket.Chat timeouts). So a killed holder's lock frees itself within a few
# seconds, and the others wait that long rather than a whole minting budget.
LOCK_SECONDS = 6.0
# How long a request waits for another instance's mint before giving up with 503.
LOCK_WAIT_SECONDS = 60.0


@dataclass
class CachedToken:
    token: LoginToken
    minted_at: float  # the broker's clock
    checked_at: float  # the broker's clock
    minted_wall: float  # time.time(), for the expiry the client is told


class TokenCache(Protocol):
    """Cached tokens by employee key (the casefolded username), and a lock per key."""

    async def get(self, key: str) -> CachedToken | None: ...

    async def put(self, key: str, cached: CachedToken, ttl: float) -> None:
        """Store `cached` for `ttl` seconds (it is useless after that)."""
        ...

    async def drop(self, key: str) -> bool:
        """Forget the token; True if there was one."""
        ...

    def lock(self, key: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the single-flight lock for `key`."""
        ...


class MemoryTokenCache:
    """One instance's cache; `ttl` is not needed, the broker checks freshness itself."""

    def __init__(self) -> None:
        self._tokens: dict[str, CachedToken] = {}
        # One lock per employee who ever asked; bounded by the size of the directory.
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str) -> CachedToken | None:
        return self._tokens.get(key)

    async def put(self, key: str, cached: CachedToken, ttl: float) -> None:
        self._tokens[key] = cached

    async def drop(self, key: str) -> bool:
        return self._tokens.pop(key, None) is not None

    def lock(self, key: str) -> contextlib.AbstractAsyncContextManager[None]:
        return self._locks.setdefault(key, asyncio.Lock())  # type: ignore[return-value]


class RedisTokenCache:
    """Tokens and locks in Redis, shared by every instance."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client

    async def get(self, key: str) -> CachedToken | None:
        async with guard(self._redis, "reading a cached token"):
            raw = await self._redis.get(_token_key(key))
        if raw is None:
            return None
        data = json.loads(raw)
        return CachedToken(
            token=LoginToken(**data["token"]),
            minted_at=float(data["minted_at"]),
            checked_at=float(data["checked_at"]),
            minted_wall=float(data["minted_wall"]),
        )

    async def put(self, key: str, cached: CachedToken, ttl: float) -> None:
        value = json.dumps({**asdict(cached), "token": asdict(cached.token)})
        async with guard(self._redis, "caching a token"):
            await self._redis.set(_token_key(key), value, ex=max(1, int(ttl)))

    async def drop(self, key: str) -> bool:
        async with guard(self._redis, "dropping a cached token"):
            return bool(await self._redis.delete(_token_key(key)))

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        lock = self._redis.lock(
            f"{KEY_PREFIX}lock:{key}", timeout=LOCK_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS, sleep=0.02
        )
        async with guard(self._redis, "taking an employee's lock"):
            acquired = await lock.acquire()
        if not acquired:
            raise StateUnavailable("another instance has held this employee's lock for too long; try again")
        renewal = asyncio.create_task(_keep_renewing(lock))
        try:
            yield
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            # Expired in between (the holder took over LOCK_SECONDS) or Redis gone: nothing left to free.
            with contextlib.suppress(LockError, StateUnavailable):
                async with guard(self._redis, "releasing an employee's lock"):
                    await lock.release()


async def _keep_renewing(lock: Lock) -> None:
    """Reset the lock's expiry while its holder works; stops quietly if Redis or the lock is gone."""
    with contextlib.suppress(LockError, RedisError, OSError):
        while True:
            await asyncio.sleep(LOCK_SECONDS / 3)
            await lock.reacquire()


def _token_key(key: str) -> str:
    return f"{KEY_PREFIX}rc-token:{key}"
