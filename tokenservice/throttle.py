"""Throttling of failed logins, per username and per client address.

Per username stops guessing one employee's password from many addresses; per address stops one client
spraying many usernames. Both are sliding windows of failure times; a successful login clears the
username's failures (not the address's, so a spraying client cannot launder them with one good account).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LoginThrottle", "ThrottleSettings"]


@dataclass(frozen=True)
class ThrottleSettings:
    max_failures_per_username: int = 5
    max_failures_per_address: int = 20
    window: float = 900.0  # seconds over which failures count


class LoginThrottle:
    """Decides whether a login attempt may proceed; `retry_after` is whole seconds until it may."""

    def __init__(self, settings: ThrottleSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._clock = clock
        self._by_user: dict[str, deque[float]] = {}
        self._by_address: dict[str, deque[float]] = {}

    def retry_after(self, username: str, address: str) -> int | None:
        """None if the attempt may go ahead, else the number of seconds to wait."""
        now = self._clock()
        waits = [
            _wait(
                self._by_user, username.casefold(), self.settings.max_failures_per_username, now, self._win
            ),
            _wait(self._by_address, address, self.settings.max_failures_per_address, now, self._win),
        ]
        worst = max((w for w in waits if w is not None), default=None)
        return None if worst is None else max(1, math.ceil(worst))

    def failed(self, username: str, address: str) -> None:
        now = self._clock()
        self._by_user.setdefault(username.casefold(), deque()).append(now)
        self._by_address.setdefault(address, deque()).append(now)
        if len(self._by_user) + len(self._by_address) > 10_000:
            self._sweep(now)

    def succeeded(self, username: str) -> None:
        self._by_user.pop(username.casefold(), None)

    @property
    def _win(self) -> float:
        return self.settings.window

    def _sweep(self, now: float) -> None:
        for table in (self._by_user, self._by_address):
            for key in list(table):
                _prune(table[key], now, self._win)
                if not table[key]:
                    del table[key]


def _prune(times: deque[float], now: float, window: float) -> None:
    while times and times[0] <= now - window:
        times.popleft()


def _wait(table: dict[str, deque[float]], key: str, limit: int, now: float, window: float) -> float | None:
    times = table.get(key)
    if not times:
        return None
    _prune(times, now, window)
    if len(times) < limit:
        return None
    # Blocked until enough of the oldest failures leave the window to get back under the limit.
    return times[len(times) - limit] + window - now
