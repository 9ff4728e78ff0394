"""Throttling of failed logins: per username from one address, per address, and per username everywhere.

Per (username, address) stops guessing one employee's password from one place without letting that place
lock the employee out everywhere else; per address stops one client spraying many usernames; per
username across all addresses (a slower limit) stops guessing from many places, and an address that has
signed in as that employee before still gets its password checked, so the employee is not locked out of
their own desk. All are sliding windows of failure times; a successful login clears its (username,
address) failures (not the address's, so a spraying client cannot launder them with one good account).
Usernames are counted in their folded form (usernames.fold), and the login endpoint passes the directory's
own name for the employee when it knows one, so spellings the directory takes for one person (`ＡＬＩＣＥ`,
`ALİCE`) share that person's limits.

An attempt is reserved before the (slow, awaited) password check and counts as a pending failure until
it is settled, so concurrent guesses cannot all pass the check that runs before any of them has failed.
An attempt held back only by pending ones waits (a bounded time) for them to settle instead of being
refused, so a burst of right passwords still gets in while a burst of guesses gets no more than the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import TokenServiceError
from .known_addresses import KnownAddresses
from .usernames import fold

__all__ = ["Attempt", "LoginThrottle", "Throttle", "ThrottleSettings", "Throttled", "attempt"]


@dataclass(frozen=True)
class ThrottleSettings:
    max_failures_per_username: int = 5  # one username from one address
    max_failures_per_address: int = 20  # one address, all usernames
    max_failures_per_username_everywhere: int = 50  # one username, all addresses; known addresses pass
    known_addresses: int = 10_000  # (username, address) pairs that signed in, remembered at most
    window: float = 900.0  # seconds over which failures count


class Throttled(TokenServiceError):
    """The attempt may not go ahead (HTTP 429); `retry_after` is whole seconds until it may, in the
    Retry-After header and in the body."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        message = f"Too many failed sign-in attempts; try again in {retry_after} seconds."
        super().__init__(f"retry after {retry_after} s", message=message)
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {**super().body(), "retry_after": self.retry_after}


@dataclass
class Attempt:
    """A reserved login attempt; settle it exactly once with `failed`, `succeeded` or `release`."""

    username: str
    address: str
    keys: tuple[tuple[str, Hashable], ...] = field(default=())
    settled: bool = False


@dataclass
class _Window:
    failures: deque[float] = field(default_factory=deque)
    pending: int = 0


class Throttle(Protocol):
    """What the login endpoint needs; `LoginThrottle` (this process) or `RedisLoginThrottle` (shared)."""

    async def reserve(self, username: str, address: str) -> Attempt:
        """Reserve an attempt before checking the password; raises Throttled when it may not go ahead.
        `username` is the directory's name for the employee if it has one, else the name as typed."""
        ...

    async def failed(self, attempt: Attempt) -> None:
        """The password was wrong (or unusable): the reservation becomes a failure."""
        ...

    async def succeeded(self, attempt: Attempt) -> None:
        """The password was right: clears this address's failures for the username."""
        ...

    async def release(self, attempt: Attempt) -> None:
        """The check did not finish: drop the reservation without counting anything."""
        ...


@contextlib.asynccontextmanager
async def attempt(
    throttle: Throttle, username: str, address: str, *, guesses: tuple[type[BaseException], ...]
) -> AsyncIterator[Attempt]:
    """The whole protocol around one password check: reserve (raises Throttled, with its Retry-After),
    run the block, settle exactly once. A block that ends normally `succeeded`; one that raises one of
    `guesses` `failed` (it counts against the limits); anything else, an outage or a dropped request
    included, is `release`d without counting."""
    reserved = await throttle.reserve(username, address)
    try:
        yield reserved
    except guesses:
        await throttle.failed(reserved)
        raise
    except BaseException:
        await throttle.release(reserved)
        raise
    await throttle.succeeded(reserved)


class LoginThrottle:
    """Decides whether a login attempt may proceed, and remembers how attempts ended (in this process)."""

    def __init__(
        self,
        settings: ThrottleSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_queue_wait: float = 10.0,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._max_queue_wait = max_queue_wait
        self._tables: dict[str, dict[Hashable, _Window]] = {"pair": {}, "address": {}, "user": {}}
        self._known = KnownAddresses(settings.known_addresses)
        self._settled = asyncio.Event()  # set (and replaced) whenever a reservation is settled

    async def reserve(self, username: str, address: str) -> Attempt:
        """Reserve an attempt before checking the password; raises Throttled when it may not go ahead."""
        user = fold(username)
        everywhere = self.settings.max_failures_per_username_everywhere
        limits: dict[tuple[str, Hashable], int | None] = {
            ("pair", (user, address)): self.settings.max_failures_per_username,
            ("address", address): self.settings.max_failures_per_address,
            # Counted either way; a known address is not held back by the username's failures elsewhere.
            ("user", user): None if self._known.known(user, address) else everywhere,
        }
        try:
            await asyncio.wait_for(self._take_room(limits), self._max_queue_wait)
        except TimeoutError:
            raise Throttled(1) from None  # the attempts ahead of this one are taking unusually long
        return Attempt(username=username, address=address, keys=tuple(limits))

    async def _take_room(self, limits: dict[tuple[str, Hashable], int | None]) -> None:
        while True:
            now = self._clock()
            waits = [
                self._wait(table, key, limit, now)
                for (table, key), limit in limits.items()
                if limit is not None
            ]
            worst = max((w for w in waits if w is not None), default=None)
            if worst is None:
                # Counted in the same step as the check, with no await in between: no race.
                for table, key in limits:
                    self._tables[table].setdefault(key, _Window()).pending += 1
                return
            if worst > 0:
                raise Throttled(max(1, math.ceil(worst)))
            await self._settled.wait()  # held only by attempts still being checked

    async def failed(self, attempt: Attempt) -> None:
        """The password was wrong (or unusable): the reservation becomes a failure."""
        now = self._clock()
        for table, key in self._settle(attempt):
            self._tables[table].setdefault(key, _Window()).failures.append(now)
        if sum(len(t) for t in self._tables.values()) > 10_000:
            self._sweep(now)

    async def succeeded(self, attempt: Attempt) -> None:
        """The password was right: drop the reservation and this address's failures for the username, and
        remember the address as known for it. The username's failures elsewhere stay until they expire."""
        self._settle(attempt)
        pair = (fold(attempt.username), attempt.address)
        window = self._tables["pair"].get(pair)
        if window is not None:
            window.failures.clear()
            self._drop_if_empty("pair", pair)
        self._known.remember(attempt.username, attempt.address)

    async def release(self, attempt: Attempt) -> None:
        """The check did not finish (an error): drop the reservation without counting anything."""
        self._settle(attempt)

    def _settle(self, attempt: Attempt) -> tuple[tuple[str, Hashable], ...]:
        if attempt.settled:
            return ()
        attempt.settled = True
        for table, key in attempt.keys:
            window = self._tables[table].get(key)
            if window is not None and window.pending > 0:
                window.pending -= 1
        for table, key in attempt.keys:
            self._drop_if_empty(table, key)
        self._settled.set()
        self._settled = asyncio.Event()
        return attempt.keys

    def _wait(self, table: str, key: Hashable, limit: int, now: float) -> float | None:
        """None if there is room; seconds until recorded failures leave the window; 0 if only pending
        attempts are in the way."""
        window = self._tables[table].get(key)
        if window is None:
            return None
        _prune(window.failures, now, self.settings.window)
        failures = window.failures
        if len(failures) + window.pending < limit:
            return None
        if len(failures) < limit:
            return 0.0  # the pending attempts may yet succeed; wait for them to settle
        # Blocked until enough of the oldest failures leave the window to get back under the limit.
        return failures[len(failures) - limit] + self.settings.window - now

    def _drop_if_empty(self, table: str, key: Hashable) -> None:
        window = self._tables[table].get(key)
        if window is not None and not window.failures and not window.pending:
            del self._tables[table][key]

    def _sweep(self, now: float) -> None:
        for name, table in self._tables.items():
            for key in list(table):
                _prune(table[key].failures, now, self.settings.window)
                self._drop_if_empty(name, key)


def _prune(times: deque[float], now: float, window: float) -> None:
    while times and times[0] <= now - window:
        times.popleft()
