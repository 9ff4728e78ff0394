"""Keeping the page signed in while the launcher runs.

Why: Rocket.Chat drops a session on its own: an admin logs the user out, the password changed, the token
expired or was pruned. The page then falls to Rocket.Chat's login form, where the employee would have to
type a password the launcher already holds. So once signed in, the launcher watches the page (cover.js
wakes it when the client drops its stored login, or says it logged out) and signs it in again with a
fresh token from the organization, under the cover and with no prompt. It asks for the password only when
the organization refuses the stored one, and it never loops: after MAX_RECOVERIES within
RECOVERY_WINDOW_S it stops on an error page that says what happened.

A page that holds another user's login is not signed in either: a script or a frame in Rocket.Chat's page
can log it in with a token of its own (`login-with-token`), and the employee would then type into that
account. The watch signs the employee in again the same way, with the token it already holds.

The watch only says what it saw (`Drift`) and keeps the count (`RecoveryBudget`); the sign-in controller
(launcher/window/signin_controller.py) decides the page that follows.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from launcher.window import injection
from launcher.window.states import State

if TYPE_CHECKING:
    from launcher.window.page import Page
    from launcher.window.states import Episodes

__all__ = ["KEEPS_SIGNING_OUT", "KEEPS_SWITCHING_ACCOUNT", "Drift", "RecoveryBudget", "SignedInWatch"]

# Between wake-ups, the page is read this often (engines without cover.js's wake-ups rely on it).
POLL_S = 5.0
MAX_RECOVERIES = 3
RECOVERY_WINDOW_S = 600.0
KEEPS_SIGNING_OUT = (
    "Rocket.Chat signed you out {count} times in {minutes} minutes, so the launcher stopped signing you "
    "in again: ask IT to check the Rocket.Chat server, then Retry."
)
KEEPS_SWITCHING_ACCOUNT = (
    "Rocket.Chat's page switched to another account {count} times in {minutes} minutes, so the launcher "
    "closed it: ask IT to check Rocket.Chat's custom scripts and embedded content, then Retry."
)


class Drift(StrEnum):
    """How a signed-in page stopped being the employee's."""

    SIGNED_OUT = "signed-out"  # Rocket.Chat dropped the session (logged out, revoked, expired)
    OTHER_ACCOUNT = "other-account"  # the page holds another user's login


class RecoveryBudget:
    """At most `limit` sign-ins again within `window_s`; `clock` is time.monotonic (tests pass theirs)."""

    def __init__(
        self,
        limit: int = MAX_RECOVERIES,
        window_s: float = RECOVERY_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._spent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    @property
    def spent(self) -> int:
        """How many times the page was signed in again within the window (for the timeline and tests)."""
        return len(self._spent)

    def take(self) -> bool:
        """Count one more sign-in again; False (nothing counted) once the window holds `limit` already."""
        now = self._clock()
        with self._lock:
            while self._spent and now - self._spent[0] > self.window_s:
                self._spent.popleft()
            if len(self._spent) >= self.limit:
                return False
            self._spent.append(now)
            return True

    def too_many(self, drift: Drift) -> str:
        """The error page's sentence once the budget is spent."""
        sentence = KEEPS_SWITCHING_ACCOUNT if drift == Drift.OTHER_ACCOUNT else KEEPS_SIGNING_OUT
        return sentence.format(count=self.limit + 1, minutes=round(self.window_s / 60))


class SignedInWatch:
    """Reads the signed-in page at every wake-up (and every POLL_S) while episode `gen` is SIGNED_IN."""

    def __init__(self, page: Page, episodes: Episodes, poll_s: float = POLL_S) -> None:
        self._page = page
        self._episodes = episodes
        self._poll_s = poll_s

    def watch(self, gen: int, user_id: str) -> Drift | None:
        """Blocks until the page drifted (the Drift), or the episode ended (None)."""
        page = self._page
        script = injection.signed_in_check(page.rc_origin, user_id)
        while self._episodes.current(gen) and self._episodes.state == State.SIGNED_IN:
            seen = page.wakeups_seen()
            found = page.evaluate(script, timeout=2.0)
            if isinstance(found, dict) and found.get("signedOut"):
                return Drift.SIGNED_OUT
            if isinstance(found, dict) and found.get("otherAccount"):
                return Drift.OTHER_ACCOUNT
            page.wait_wakeup(seen, self._poll_s)
        return None
