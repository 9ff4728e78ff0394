"""The answer of `/readyz`: can this instance serve sign-ins now? Said as ok/fail per check, reused briefly.

Why ok/fail only: `/readyz` answers anyone who can reach it, and the reasons name the service account's DN,
the directory's URL, the Redis host and port. The reasons go to the log instead, where the operator looks.

Why reused: each run costs a directory search and a Redis ping, and a load balancer (or anyone) may poll
many times a second; so one answer serves every poll for `cache_seconds`, and polls that arrive while it
is being worked out wait for that one run. Rocket.Chat rate-limits its REST API (about 10 calls a minute
per address), so its check is reused for longer, `rocketchat_cache_seconds`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import redis.asyncio as aioredis

from .directory import DirectoryUnavailable, EmployeeDirectory
from .rocketchat import RocketChatAdmin, RocketChatError
from .state import StateUnavailable, guard

__all__ = ["Readiness"]

log = logging.getLogger("tokenservice.readiness")

OK, FAIL = "ok", "fail"


class Readiness:
    """Runs the checks at most once per `cache_seconds` and keeps the reasons for failures in the log."""

    def __init__(
        self,
        directory: EmployeeDirectory,
        redis: aioredis.Redis | None,
        rocketchat: RocketChatAdmin,
        *,
        clock: Callable[[], float],
        cache_seconds: float = 5.0,
        rocketchat_cache_seconds: float = 15.0,
    ) -> None:
        self._directory = directory
        self._redis = redis
        self._rocketchat = rocketchat
        self._clock = clock
        self.cache_seconds = cache_seconds
        self.rocketchat_cache_seconds = rocketchat_cache_seconds
        self._answer: tuple[float, dict[str, str]] | None = None
        self._rocketchat_answer: tuple[float, str] | None = None
        self._lock = asyncio.Lock()

    async def checks(self) -> dict[str, str]:
        """Check name → "ok" or "fail"; from the last run if it is recent enough."""
        if (fresh := self._fresh()) is not None:
            return fresh
        async with self._lock:  # one run for a crowd of polls
            if (fresh := self._fresh()) is not None:
                return fresh
            checks = await self._run()
            self._answer = (self._clock(), checks)
            return checks

    def _fresh(self) -> dict[str, str] | None:
        if self._answer is not None and self._clock() - self._answer[0] < self.cache_seconds:
            return self._answer[1]
        return None

    async def _run(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            await self._directory.check()
            checks["directory"] = OK
        except DirectoryUnavailable as exc:
            checks["directory"] = _failed("directory", str(exc))
        if self._redis is not None:
            try:
                async with guard(self._redis, "the readiness check"):
                    await self._redis.ping()
                checks["state"] = OK
            except StateUnavailable as exc:
                checks["state"] = _failed("state", str(exc))
        checks["rocketchat"] = await self._rocketchat_check()
        return checks

    async def _rocketchat_check(self) -> str:
        now = self._clock()
        last = self._rocketchat_answer
        if last is not None and now - last[0] < self.rocketchat_cache_seconds:
            return last[1]
        try:
            await self._rocketchat.check()
            answer = OK
        except RocketChatError as exc:
            answer = _failed("rocketchat", f"{exc.code}: {exc}")
        self._rocketchat_answer = (now, answer)
        return answer


def _failed(check: str, reason: str) -> str:
    log.warning("not ready: the %s check failed: %s", check, reason)
    return FAIL
