"""Keeping the page signed in while the launcher runs.

Why: Rocket.Chat drops a session on its own: an admin logs the user out, the password changed, the token
expired or was pruned. The page then falls to Rocket.Chat's login form, where the employee would have to
type a password the launcher already holds. So once signed in, the launcher watches the page (cover.js
wakes it when the client drops its stored login, or says it logged out) and signs it in again with a
fresh token from the organization, under the cover and with no prompt. It asks for the password only when
the organization refuses the stored one, and it never loops: after MAX_RECOVERIES within
RECOVERY_WINDOW_S it stops on an error page that says what happened.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import TYPE_CHECKING

from launcher.window import injection
from launcher.window.states import State

if TYPE_CHECKING:
    from launcher.window.shell import Shell

__all__ = ["KEEPS_SIGNING_OUT", "SignedInWatch"]

_log = logging.getLogger(__name__)

# Between wake-ups, the page is read this often (engines without cover.js's wake-ups rely on it).
POLL_S = 5.0
MAX_RECOVERIES = 3
RECOVERY_WINDOW_S = 600.0
KEEPS_SIGNING_OUT = (
    "Rocket.Chat signed you out {count} times in {minutes} minutes, so the launcher stopped signing you "
    "in again: ask IT to check the Rocket.Chat server, then Retry."
)


class SignedInWatch:
    """One per window. `start(gen)` when episode `gen` reached SIGNED_IN; its loop ends with the episode."""

    def __init__(self, shell: Shell) -> None:
        self._shell = shell
        self._recoveries: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    @property
    def recoveries(self) -> int:
        """How many times the page was signed in again (for the timeline and tests)."""
        return len(self._recoveries)

    def start(self, gen: int, user_id: str | None) -> None:
        if not user_id:
            return
        threading.Thread(target=self._watch, args=(gen, user_id), name="signed-in-watch", daemon=True).start()

    def _watch(self, gen: int, user_id: str) -> None:
        shell = self._shell
        script = injection.signed_in_check(shell.rc_origin, user_id)
        while shell.episodes.current(gen) and shell.state == State.SIGNED_IN:
            seen = shell.wakeups.seen()
            page = shell.evaluate(script, timeout=2.0)
            if isinstance(page, dict) and page.get("signedOut"):
                self._recover(gen)
                return
            shell.wakeups.wait(seen, POLL_S)

    def _recover(self, gen: int) -> None:
        shell = self._shell
        with shell.episodes.lock:
            if not (shell.episodes.current(gen) and shell.state == State.SIGNED_IN):
                return  # the person signs out, or the window moved on
            new_gen = shell.episodes.begin(State.SIGNING_IN)
        now = time.monotonic()
        with self._lock:
            while self._recoveries and now - self._recoveries[0] > RECOVERY_WINDOW_S:
                self._recoveries.popleft()
            too_many = len(self._recoveries) >= MAX_RECOVERIES
            if not too_many:
                self._recoveries.append(now)
        if too_many:
            _log.warning(
                "Rocket.Chat dropped the session again; not signing in a %dth time", MAX_RECOVERIES + 1
            )
            shell.pages.show_error(
                new_gen,
                KEEPS_SIGNING_OUT.format(count=MAX_RECOVERIES + 1, minutes=round(RECOVERY_WINDOW_S / 60)),
            )
            return
        _log.info("Rocket.Chat's page dropped its session; signing it in again")
        shell.timeline.note("page_signed_out", self.recoveries)
        threading.Thread(
            target=self._sign_in_again, args=(new_gen,), name="sign-in-again", daemon=True
        ).start()

    def _sign_in_again(self, gen: int) -> None:
        """A fresh token from the organization (the stored login), then the usual hand-off."""
        from launcher.signin.flow import Failed, NeedsCredentials, SignedIn
        from launcher.window.session import NO_SIGN_IN

        shell = self._shell
        flow = shell.session.wait_flow()
        if flow is None:
            shell.pages.show_error(gen, shell.session.flow_error or NO_SIGN_IN)
            return
        shell.evaluate(injection.show_cover(shell.rc_origin))
        result = flow.refresh()
        if not shell.episodes.current(gen):
            return
        if isinstance(result, SignedIn):
            shell.token = result.token
            shell.handoff.sign_in_page(gen, result.token, refreshed=True)
        elif isinstance(result, NeedsCredentials):
            shell.pages.enter_signin(gen, message=result.message)
        elif isinstance(result, Failed):
            shell.pages.show_error(gen, result.message)
