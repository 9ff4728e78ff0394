"""The login throttle of throttle.py with its counters in Redis, so the limits hold across all instances.

Same rules and the same reservation scheme as `LoginThrottle`; what changes is where the windows live:
- failures are a sorted set per limit key (score: wall-clock time), pruned to the window, with a TTL;
- reservations still being checked are a sorted set scored by when they lapse, so an instance that dies
  mid-check leaves nothing behind for longer than `pending_seconds`;
- the check of every limit and the reservation happen in one Lua script, atomically for all instances;
- an attempt held back only by pending reservations polls (briefly) instead of waiting on an event.
Keys hold SHA-256 digests of usernames and addresses, not the names themselves.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
import time
from collections.abc import Callable, Hashable

import redis.asyncio as aioredis

from .state import KEY_PREFIX, guard
from .throttle import Attempt, Throttled, ThrottleSettings
from .usernames import fold

__all__ = ["RedisLoginThrottle"]

# KEYS: failures and pending sets, in pairs, one pair per limit. ARGV: now, window, pending lapse time,
# attempt id, then one limit per pair (0: counted, never limiting). Returns {0} reserved, {1, seconds}
# throttled, {2} held only by pending reservations.
_RESERVE = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local worst = -1
local pending_block = false
for i = 1, #KEYS, 2 do
  local failures, pending = KEYS[i], KEYS[i + 1]
  redis.call('ZREMRANGEBYSCORE', failures, '-inf', now - window)
  redis.call('ZREMRANGEBYSCORE', pending, '-inf', now)
  local limit = tonumber(ARGV[4 + (i + 1) / 2])
  if limit > 0 then
    local nf = redis.call('ZCARD', failures)
    local np = redis.call('ZCARD', pending)
    if nf >= limit then
      local oldest = redis.call('ZRANGE', failures, nf - limit, nf - limit, 'WITHSCORES')
      local wait = tonumber(oldest[2]) + window - now
      if wait > worst then worst = wait end
    elseif nf + np >= limit then
      pending_block = true
    end
  end
end
if worst > 0 then return {1, tostring(worst)} end
if pending_block then return {2} end
for i = 1, #KEYS, 2 do
  redis.call('ZADD', KEYS[i + 1], tonumber(ARGV[3]), ARGV[4])
  redis.call('EXPIRE', KEYS[i + 1], math.ceil(tonumber(ARGV[3]) - now) + 1)
end
return {0}
"""


class RedisLoginThrottle:
    """`LoginThrottle`'s interface and rules, shared by every instance through Redis."""

    def __init__(
        self,
        client: aioredis.Redis,
        settings: ThrottleSettings,
        *,
        clock: Callable[[], float] = time.time,
        max_queue_wait: float = 10.0,
        pending_seconds: float = 60.0,
        known_seconds: float = 90 * 86400.0,
    ) -> None:
        self.settings = settings
        self._redis = client
        self._clock = clock
        self._max_queue_wait = max_queue_wait
        self._pending_seconds = pending_seconds
        self._known_seconds = known_seconds
        self._reserve = client.register_script(_RESERVE)

    async def reserve(self, username: str, address: str) -> Attempt:
        user = fold(username)
        async with guard(self._redis, "checking the login throttle"):
            known = bool(await self._redis.exists(_known_key(user, address)))
        everywhere = 0 if known else self.settings.max_failures_per_username_everywhere
        limits: dict[tuple[str, Hashable], int] = {
            ("pair", (user, address)): self.settings.max_failures_per_username,
            ("address", address): self.settings.max_failures_per_address,
            ("user", user): everywhere,
        }
        attempt_id = secrets.token_hex(8)
        keys = [k for table, key in limits for k in (_failures_key(table, key), _pending_key(table, key))]
        deadline = time.monotonic() + self._max_queue_wait
        while True:
            now = self._clock()
            args = [now, self.settings.window, now + self._pending_seconds, attempt_id, *limits.values()]
            async with guard(self._redis, "reserving a login attempt"):
                answer = await self._reserve(keys=keys, args=args)
            if int(answer[0]) == 0:
                return Attempt(username=username, address=address, keys=(*limits, ("id", attempt_id)))
            if int(answer[0]) == 1:
                raise Throttled(max(1, math.ceil(float(answer[1]))))
            if time.monotonic() > deadline:
                raise Throttled(1)  # the attempts ahead of this one are taking unusually long
            await asyncio.sleep(0.05)  # held only by attempts still being checked, here or elsewhere

    async def failed(self, attempt: Attempt) -> None:
        now = self._clock()
        window = math.ceil(self.settings.window) + 1
        async with self._settle(attempt) as (pipe, limits):
            for table, key in limits:
                pipe.zadd(_failures_key(table, key), {secrets.token_hex(8): now})
                pipe.expire(_failures_key(table, key), window)

    async def succeeded(self, attempt: Attempt) -> None:
        user = fold(attempt.username)
        async with self._settle(attempt) as (pipe, _limits):
            pipe.delete(_failures_key("pair", (user, attempt.address)))
            pipe.set(_known_key(user, attempt.address), "1", ex=int(self._known_seconds))

    async def release(self, attempt: Attempt) -> None:
        async with self._settle(attempt):
            pass

    def _settle(self, attempt: Attempt) -> _Settling:
        return _Settling(self, attempt)


class _Settling:
    """Drop an attempt's reservations, plus whatever the caller adds, in one pipeline; settles once."""

    def __init__(self, throttle: RedisLoginThrottle, attempt: Attempt) -> None:
        self._throttle = throttle
        self._attempt = attempt
        self._pipe: aioredis.client.Pipeline | None = None

    async def __aenter__(self) -> tuple[aioredis.client.Pipeline, list[tuple[str, Hashable]]]:
        pipe = self._throttle._redis.pipeline(transaction=True)
        self._pipe = pipe
        if self._attempt.settled:
            return pipe, []
        limits = [(t, k) for t, k in self._attempt.keys if t != "id"]
        attempt_id = next(str(k) for t, k in self._attempt.keys if t == "id")
        for table, key in limits:
            pipe.zrem(_pending_key(table, key), attempt_id)
        return pipe, limits

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None or self._pipe is None or self._attempt.settled:
            return
        self._attempt.settled = True
        async with guard(self._throttle._redis, "settling a login attempt"):
            await self._pipe.execute()


def _digest(key: Hashable) -> str:
    return hashlib.sha256(repr(key).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _failures_key(table: str, key: Hashable) -> str:
    return f"{KEY_PREFIX}throttle:failures:{table}:{_digest(key)}"


def _pending_key(table: str, key: Hashable) -> str:
    return f"{KEY_PREFIX}throttle:pending:{table}:{_digest(key)}"


def _known_key(user: str, address: str) -> str:
    return f"{KEY_PREFIX}throttle:known:{_digest((user, address))}"
