"""The page's wake-ups: the moments worth reading the page again.

Why: the sign-in loops follow the page's own progress instead of a fixed timer. cover.js writes a
console marker at Rocket.Chat's startup and logged-in/out events, and every load counts too; a loop
reads the page, then sleeps until the next wake-up (or its engine's poll interval, as a safety net).
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["MILESTONES", "Wakeups"]

#: cover.js's wake-ups worth a timeline milestone (the first one counts).
MILESTONES = {"startup": "page_startup", "logged-in": "page_logged_in"}


class Wakeups:
    """A counter any number of loops can wait on: read `seen()` before reading the page, then
    `wait(seen, timeout)`, and nothing that happened in between is missed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count = 0

    def notify(self, *_: Any) -> None:
        with self._cond:
            self._count += 1
            self._cond.notify_all()

    def seen(self) -> int:
        with self._cond:
            return self._count

    def wait(self, seen: int, timeout: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._count != seen, timeout)
