"""Handing the token to Rocket.Chat's page, and knowing when the page is signed in.

Two ways in (launcher/window/strategy.py picks the order): the iframe command `login-with-token`,
posted by a script inside the page to Rocket.Chat's own origin, or the `/home?resumeToken=` link.
Either way the launcher waits for the page to *say* it is signed in, reading it at every wake-up
(launcher/window/wakeups.py) until the attempt's wait runs out; a page that is still loading is not a
failure. Started on Rocket.Chat with a signed-in mark, a watcher also confirms the page when it signs
itself in from its own stored session as the marked user, with no token involved.

Both return a result (`HandOffEnd`) and decide no page: the sign-in controller
(launcher/window/signin_controller.py) turns it into the next page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from launcher.window import injection, navigation, strategy
from launcher.window.states import HandOffResult, LoginPath, State

if TYPE_CHECKING:
    from launcher.signin.flow import SignInFlow
    from launcher.timeline import Timeline
    from launcher.window.flow_loader import FlowLoader
    from launcher.window.page import Page
    from launcher.window.states import Episodes

__all__ = ["HandOffEnd", "PageHandOff"]

_log = logging.getLogger(__name__)


class _PageClock:
    """A wait that follows the page: `wait_s` counts from the moment Rocket.Chat's client started in the
    document shown (it read its stored login, or said `startup`); a page still loading its scripts is
    not late, up to strategy.PAGE_LOAD_CAP_S, and a new document starts the count again (within
    PAGE_LOAD_CAP_S + `wait_s` in all, so reloads cannot keep it waiting forever)."""

    def __init__(self, wait_s: float) -> None:
        self._wait_s = wait_s
        self._begun = time.monotonic()
        self._doc: Any = None
        self._started: float | None = None

    def saw(self, page: dict[str, Any]) -> None:
        doc = page.get("doc")
        if doc != self._doc:
            self._doc, self._started = doc, None
        if page.get("clientStarted") and self._started is None:
            self._started = time.monotonic()

    def running_for(self) -> float:
        """Seconds since the client started (0 while it has not)."""
        return 0.0 if self._started is None else time.monotonic() - self._started

    def over(self) -> bool:
        now = time.monotonic()
        if now - self._begun > strategy.PAGE_LOAD_CAP_S + self._wait_s:
            return True
        if self._started is None:
            return now - self._begun > strategy.PAGE_LOAD_CAP_S
        return now - self._started > self._wait_s


@dataclass(frozen=True)
class HandOffEnd:
    """How a hand-off ended; `path` the login path that confirmed it, `lifted`: the script that found the
    page signed in lifted the cover already (one round trip less)."""

    result: HandOffResult
    path: str | None = None
    lifted: bool = False


class PageHandOff:
    """One per window. Every loop takes the episode it serves and stops when that episode is over.
    `confirmed_in(gen)`: the controller confirmed episode `gen` (by the page's own session, meanwhile)."""

    def __init__(
        self,
        page: Page,
        episodes: Episodes,
        flows: FlowLoader,
        timeline: Timeline,
        login_strategy: str,
        confirmed_in: Callable[[int], bool],
    ) -> None:
        self._page = page
        self._episodes = episodes
        self._flows = flows
        self._timeline = timeline
        self._configured = login_strategy
        self._confirmed_in = confirmed_in
        self._attempts = 0
        # The episode whose token is being handed over: from then on the attempt confirms the page,
        # whichever login it took (its own stored one or the launcher's), under the attempt's path.
        self._handing_over: int | None = None

    def _signing_in(self, gen: int) -> bool:
        return self._episodes.current(gen) and self._episodes.state == State.SIGNING_IN

    # -- the page's own session

    def watch_page_session(self, gen: int, user_id: str) -> HandOffEnd | None:
        """Until the page signs itself in as `user_id` (CONFIRMED): Meteor.userId is that user AND the
        server accepted its resume (Meteor wrote the token, seen by cover.js from document start; the
        logged-in event alone also fires for an optimistic resume that may fail). None (confirms nothing)
        when the page left Rocket.Chat or failed to load, started up without that user stored, or
        dropped its stored login: then the token path signs the page in as usual."""
        page = self._page
        script = injection.page_session(page.rc_origin, user_id)
        clock = _PageClock(strategy.PAGE_SESSION_WAIT_S)
        while self._signing_in(gen) and self._handing_over != gen and not clock.over():
            seen = page.wakeups_seen()
            found = page.evaluate(script, timeout=1.0)
            if isinstance(found, dict):
                clock.saw(found)
                if found.get("signedIn"):
                    return HandOffEnd(
                        HandOffResult.CONFIRMED, LoginPath.PAGE_SESSION, bool(found.get("lifted"))
                    )
                if not found.get("onRocketChat") and page.load_failed():
                    return None
                if found.get("onRocketChat") and not found.get("early"):
                    return None  # cover.js came late: the page's own proof may be missed, so none here
                if found.get("dropped"):
                    return None  # the server refused the stored session (revoked, expired)
                if found.get("startedUp") and not found.get("userMatches"):
                    return None
            elif page.load_failed():
                return None
            self._pause(seen)
        return None

    # -- the token

    def sign_in_page(self, gen: int, token: Any) -> HandOffEnd:
        """Hand the token to the Rocket.Chat page and wait until the page says it is signed in, trying
        the next login path when one times out. REJECTED or TIMEOUT: the page did not take this token."""
        configured = self._configured
        public = self._flows.public_settings(wait_s=3.0 if configured == "auto" else 0.0)
        path: str | None = strategy.first_path(configured, public, self._page.rc_origin)
        self._timeline.note("login_path_first", path)
        self._handing_over = gen
        last = HandOffResult.TIMEOUT
        while path is not None and self._episodes.current(gen):
            end = self._attempt(gen, token, path)
            self._timeline.note(f"login_{path}", str(end.result))
            if end.result in (HandOffResult.CONFIRMED, HandOffResult.UNREACHABLE, HandOffResult.CANCELLED):
                return end
            last = end.result
            if end.result == HandOffResult.REJECTED:
                break  # Rocket.Chat tried this token and refused it: another path would not help
            path = strategy.fallback_path(configured, path)
        if not self._episodes.current(gen):
            return HandOffEnd(HandOffResult.CANCELLED)
        return HandOffEnd(last)

    def _attempt(self, gen: int, token: Any, path: str) -> HandOffEnd:
        page = self._page
        page.set_cover(True)
        command = path == LoginPath.IFRAME_COMMAND
        if command:
            current = page.current_url()
            if not (current and navigation.is_rocketchat(current, page.rc_origin)) or page.load_failed():
                page.load(page.rc_url)
        else:
            link = f"{page.rc_url}/home?resumeToken={quote(token.auth_token, safe='')}"
            page.allow_token_load(link)  # this one URL passes the window's guard, once; no other token URL
            page.load(link)
        wait = strategy.COMMAND_WAIT_S if command else strategy.RESUME_WAIT_S
        self._attempts += 1
        tick = injection.login_tick(
            page.rc_origin,
            token.auth_token,
            token.user_id,
            command,
            attempt=f"{gen}.{self._attempts}",
            wait_s=strategy.PAGE_LOAD_CAP_S + wait,
            interval_s=strategy.IN_PAGE_POST_INTERVAL_S,
            retry_s=strategy.IN_PAGE_RETRY_S,
            fast_for_s=strategy.IN_PAGE_FAST_FOR_S,
        )
        script = page.cover_source(cover=True) + "\n" + tick
        try:
            return self._attempt_loop(gen, script, token, path, _PageClock(wait))
        finally:
            page.evaluate(injection.stop_login(page.rc_origin), timeout=1.0)

    def _attempt_loop(self, gen: int, script: str, token: Any, path: str, clock: _PageClock) -> HandOffEnd:
        """Read the page at each wake-up until it is signed in with `token`, refused it, or `clock` says
        the wait is over: counted from the moment Rocket.Chat's client started, not from the load."""
        page = self._page
        command = path == LoginPath.IFRAME_COMMAND
        seen_link = False  # the deep link's document is up (Rocket.Chat strips the parameter once it tried)
        stripped_at: float | None = None
        probed = False
        while self._episodes.current(gen):
            if self._confirmed_in(gen):
                return HandOffEnd(HandOffResult.CONFIRMED, path)  # the page signed itself in meanwhile
            seen = page.wakeups_seen()
            # None when the window is not on Rocket.Chat (the script carries the token), or when a
            # navigation swallowed the answer: do not stall.
            state = page.evaluate_with_token(script, timeout=1.0)
            on_rocketchat = isinstance(state, dict) and bool(state.get("onRocketChat"))
            if not on_rocketchat and page.load_failed():
                return HandOffEnd(HandOffResult.UNREACHABLE, path)
            if isinstance(state, dict):
                clock.saw(state)
                if state.get("signedIn"):
                    return HandOffEnd(HandOffResult.CONFIRMED, path, bool(state.get("lifted")))
                if state.get("droppedMine"):
                    # the client tried this very token and the server refused it
                    return HandOffEnd(HandOffResult.REJECTED, path)
                if not command and state.get("onRocketChat"):
                    seen_link = seen_link or bool(state.get("resumeParam"))
                    if seen_link and not state.get("resumeParam"):
                        stripped_at = stripped_at or time.monotonic()
                        if time.monotonic() - stripped_at > strategy.REJECTED_GRACE_S:
                            return HandOffEnd(HandOffResult.REJECTED, path)
                if command and not probed and clock.running_for() > strategy.TOKEN_PROBE_AFTER_S:
                    probed = True
                    if self._token_revoked(token):
                        return HandOffEnd(HandOffResult.REJECTED, path)
            if clock.over():
                return HandOffEnd(HandOffResult.TIMEOUT, path)
            self._pause(seen)
        return HandOffEnd(HandOffResult.CANCELLED, path)

    def _token_revoked(self, token: Any) -> bool:
        """Rocket.Chat's client ignores a refused command silently: ask Rocket.Chat whether it still
        knows the token (one `/me`). Unknown (rate limit, network) counts as not revoked."""
        from launcher.errors import TokenRejected

        flow = self._flows.wait()
        if flow is None:
            return False
        try:
            flow.rocketchat.me(token)
        except TokenRejected:
            _log.info("Rocket.Chat no longer knows the token the page was given; getting a fresh one")
            return True
        except Exception as exc:
            _log.info("could not check the token while the page signs in (%s)", exc)
        return False

    def why_not_confirmed(self, flow: SignInFlow, token: Any) -> str:
        """The page refused even a fresh token: the error page's sentence, from one `/me` with it."""
        from launcher.errors import TokenRejected

        try:
            flow.rocketchat.me(token)
        except TokenRejected:
            return "Rocket.Chat refused your sign-in: Retry, or sign in as someone else."
        except Exception as exc:
            return str(exc) or "Rocket.Chat cannot be reached: check your network, then Retry."
        return "Rocket.Chat did not confirm the sign-in in time: Retry, or sign in as someone else."

    def _pause(self, seen: int) -> None:
        """Until the page's next wake-up or the engine's poll interval, whichever comes first."""
        self._page.wait_wakeup(seen, self._page.poll_interval_s)
