"""Rocket.Chat's REST rate limiter, per route and client IP (docs/rocketchat-contract.md#rate-limits).

Meteor's RateLimiter counts every call in a window that opens with the first call; when the count passes
the limit the route answers 429 until the window resets. `X-RateLimit-Reset` is epoch milliseconds.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

__all__ = ["Decision", "RateLimiter"]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_ms: int

    @property
    def wait_seconds(self) -> int:
        return max(0, math.ceil(self.reset_ms / 1000 - time.time()))

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_ms),
        }


class RateLimiter:
    """Fixed windows keyed by (route, ip). `limit` and `window` may change while running."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def hit(self, route: str, ip: str) -> Decision:
        now = time.time()
        with self._lock:
            start, count = self._windows.get((route, ip), (now, 0))
            if now >= start + self.window:
                start, count = now, 0
            count += 1
            self._windows[(route, ip)] = (start, count)
        reset_ms = int((start + self.window) * 1000)
        return Decision(count <= self.limit, self.limit, max(0, self.limit - count), reset_ms)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
