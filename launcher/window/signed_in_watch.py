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

__all__ = ["KEEPS_SIGNING_OUT", "KEEPS_SWITCHING_ACCOUNT", "SignedInWatch"]

_log = logging.getLogger(__name__)

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
                self._recover(gen, other_account=False)
                return
            if isinstance(page, dict) and page.get("otherAccount"):
                self._recover(gen, other_account=True)
                return
            shell.wakeups.wait(seen, POLL_S)

    def _recover(self, gen: int, other_account: bool) -> None:
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
                "Rocket.Chat's page %s again; not signing in a %dth time",
                "switched to another account" if other_account else "dropped the session",
                MAX_RECOVERIES + 1,
            )
            sentence = KEEPS_SWITCHING_ACCOUNT if other_account else KEEPS_SIGNING_OUT
            if other_account:
                shell.evaluate(injection.show_cover(shell.rc_origin))  # not one more look at that account
            shell.pages.show_error(
                new_gen, sentence.format(count=MAX_RECOVERIES + 1, minutes=round(RECOVERY_WINDOW_S / 60))
            )
            return
        if other_account:
            _log.warning("Rocket.Chat's page is signed in as another account; signing the employee in again")
            shell.timeline.note("page_other_account", self.recoveries)
        else:
            _log.info("Rocket.Chat's page dropped its session; signing it in again")
            shell.timeline.note("page_signed_out", self.recoveries)
        threading.Thread(
            target=self._sign_in_again, args=(new_gen, other_account), name="sign-in-again", daemon=True
        ).start()

    def _sign_in_again(self, gen: int, other_account: bool) -> None:
        """The page on another account: the employee's token in memory, which Rocket.Chat still accepts
        (the hand-off replaces it if the page refuses it). A dropped session: a fresh token from the
        organization (the stored login). Then the usual hand-off."""
        from launcher.signin.flow import Failed, NeedsCredentials, SignedIn
        from launcher.window.session import NO_SIGN_IN

        shell = self._shell
        flow = shell.session.wait_flow()
        if flow is None:
            shell.pages.show_error(gen, shell.session.flow_error or NO_SIGN_IN)
            return
        shell.evaluate(injection.show_cover(shell.rc_origin))
        token = shell.token if other_account else None
        if token is not None:
            shell.handoff.sign_in_page(gen, token)
            return
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
