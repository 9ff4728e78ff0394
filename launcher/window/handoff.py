"""Handing the token to Rocket.Chat's page, and knowing when the page is signed in.

Two ways in (launcher/window/strategy.py picks the order): the iframe command `login-with-token`,
posted by a script inside the page to Rocket.Chat's own origin, or the `/home?resumeToken=` link.
Either way the launcher waits for the page to *say* it is signed in, reading it at every wake-up
(launcher/window/wakeups.py) until the attempt's wait runs out; a page that is still loading is not a
failure. Started on Rocket.Chat with a signed-in mark, a watcher also confirms the page when it signs
itself in from its own stored session as the marked user, with no token involved.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from launcher.window import injection, navigation, strategy, webstate
from launcher.window.session import NO_SIGN_IN
from launcher.window.states import LoginPath, Outcome, State

if TYPE_CHECKING:
    from launcher.window.shell import Shell

__all__ = ["PageHandOff"]

_log = logging.getLogger(__name__)

UNREACHABLE = "Rocket.Chat cannot be reached: check your network connection, then Retry."
# Rocket.Chat's server redirected the resume-token link to another origin (see navigation.carries_secret).
SIGN_IN_LINK_REFUSED = (
    "Rocket.Chat sent the sign-in on to another site, so the launcher stopped it: "
    "ask IT to check Rocket.Chat's Site URL and proxy, then Retry."
)


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


class PageHandOff:
    """One per window. Every loop takes the episode it serves and stops when that episode is over."""

    def __init__(self, shell: Shell) -> None:
        self._shell = shell
        self._confirmed_gen: int | None = None  # the episode whose sign-in was confirmed
        self._page_watch: tuple[int, threading.Event] | None = None  # (episode, decided) of the watcher
        self._attempts = 0
        self._lifted = False  # the last attempt's script lifted the cover itself
        # The episode whose token is being handed over: from then on the attempt confirms the page,
        # whichever login it took (its own stored one or the launcher's), under the attempt's path.
        self._handing_over: int | None = None

    def confirmed_in(self, gen: int) -> bool:
        return self._confirmed_gen == gen

    # -- the page's own session

    def watch_page_session(self, gen: int, user_id: str) -> None:
        """Start the watcher for episode `gen` (see `_watch`)."""
        decided = threading.Event()
        self._page_watch = (gen, decided)
        threading.Thread(
            target=self._watch, args=(gen, user_id, decided), name="page-session", daemon=True
        ).start()

    def _watch(self, gen: int, user_id: str, decided: threading.Event) -> None:
        """Confirm as soon as the page signs itself in as `user_id`: Meteor.userId is that user AND the
        server accepted its resume (Meteor wrote the token, seen by cover.js from document start; the
        logged-in event alone also fires for an optimistic resume that may fail). Gives up (sets
        `decided`, confirms nothing) when the page left Rocket.Chat or failed to load, started up without
        that user stored, or dropped its stored login: then the token path signs the page in as usual."""
        shell = self._shell
        script = injection.page_session(shell.rc_origin, user_id)
        clock = _PageClock(strategy.PAGE_SESSION_WAIT_S)
        try:
            while (
                shell.episodes.current(gen)
                and shell.state == State.SIGNING_IN
                and self._handing_over != gen
                and not clock.over()
            ):
                seen = shell.wakeups.seen()
                page = shell.evaluate(script, timeout=1.0)
                if isinstance(page, dict):
                    clock.saw(page)
                    if page.get("signedIn"):
                        shell.remember = True  # the mark exists only for a remembered sign-in
                        self.confirmed(gen, LoginPath.PAGE_SESSION, user_id, lifted=bool(page.get("lifted")))
                        return
                    if not page.get("onRocketChat") and shell.load_failed():
                        return
                    if page.get("onRocketChat") and not page.get("early"):
                        return  # cover.js came late: the page's own proof may be missed, so none here
                    if page.get("dropped"):
                        return  # the server refused the stored session (revoked, expired)
                    if page.get("startedUp") and not page.get("userMatches"):
                        return
                elif shell.load_failed():
                    return
                self._pause(seen)
        finally:
            decided.set()

    def wait_page_verdict(self, gen: int) -> bool:
        """Before handing a token over, or when the launcher could not sign in: if the page may still sign
        itself in (the watcher runs for this episode), wait for its verdict. True when the page confirmed
        itself (its own session, accepted by the server)."""
        watch = self._page_watch
        if watch is None or watch[0] != gen:
            return self._confirmed_gen == gen
        watch[1].wait(strategy.PAGE_LOAD_CAP_S + strategy.PAGE_SESSION_WAIT_S)
        return self._confirmed_gen == gen

    # -- the token

    def sign_in_page(self, gen: int, token: Any, refreshed: bool = False) -> None:
        """Hand the token to the Rocket.Chat page and wait until the page says it is signed in."""
        shell = self._shell
        configured = shell.settings.login_strategy
        public = shell.session.public_settings(wait_s=3.0 if configured == "auto" else 0.0)
        path: str | None = strategy.first_path(configured, public, shell.rc_origin)
        shell.timeline.note("login_path_first", path)
        self._handing_over = gen
        while path is not None and shell.episodes.current(gen):
            outcome = self._attempt(gen, token, path)
            shell.timeline.note(f"login_{path}", str(outcome))
            if outcome == Outcome.CONFIRMED:
                self.confirmed(gen, path, lifted=self._lifted)
                return
            if outcome == Outcome.UNREACHABLE:
                shell.show_unreachable(gen)
                return
            if outcome == Outcome.CANCELLED:
                return
            if outcome == Outcome.REJECTED:
                break  # Rocket.Chat tried this token and refused it: another path would not help
            path = strategy.fallback_path(configured, path)
        if shell.episodes.current(gen):
            self._not_confirmed(gen, token, refreshed)

    def _attempt(self, gen: int, token: Any, path: str) -> Outcome:
        shell = self._shell
        shell.engine.set_document_script(shell.cover_source(cover=True))
        command = path == LoginPath.IFRAME_COMMAND
        if command:
            current = shell.current_url()
            if not (current and navigation.is_rocketchat(current, shell.rc_origin)) or shell.load_failed():
                shell.load(shell.rc_url)
        else:
            link = f"{shell.rc_url}/home?resumeToken={quote(token.auth_token, safe='')}"
            shell.token_loads.allow(link)  # this one URL passes the window's guard, once; no other token URL
            shell.load(link)
        wait = strategy.COMMAND_WAIT_S if command else strategy.RESUME_WAIT_S
        self._attempts += 1
        tick = injection.login_tick(
            shell.rc_origin,
            token.auth_token,
            token.user_id,
            command,
            attempt=f"{gen}.{self._attempts}",
            wait_s=strategy.PAGE_LOAD_CAP_S + wait,
            interval_s=strategy.IN_PAGE_POST_INTERVAL_S,
            retry_s=strategy.IN_PAGE_RETRY_S,
            fast_for_s=strategy.IN_PAGE_FAST_FOR_S,
        )
        script = shell.cover_source(cover=True) + "\n" + tick
        try:
            return self._attempt_loop(gen, script, token, command, _PageClock(wait))
        finally:
            shell.evaluate(injection.stop_login(shell.rc_origin), timeout=1.0)

    def _attempt_loop(self, gen: int, script: str, token: Any, command: bool, clock: _PageClock) -> Outcome:
        """Read the page at each wake-up until it is signed in with `token`, refused it, or `clock` says
        the wait is over: counted from the moment Rocket.Chat's client started, not from the load."""
        shell = self._shell
        seen_link = False  # the deep link's document is up (Rocket.Chat strips the parameter once it tried)
        stripped_at: float | None = None
        probed = False
        while shell.episodes.current(gen):
            if self._confirmed_gen == gen:
                return Outcome.CONFIRMED  # the page signed itself in meanwhile (page-session watcher)
            seen = shell.wakeups.seen()
            # None when the window is not on Rocket.Chat (the script carries the token), or when a
            # navigation swallowed the answer: do not stall.
            state = shell.evaluate_with_token(script, timeout=1.0)
            on_rocketchat = isinstance(state, dict) and bool(state.get("onRocketChat"))
            if not on_rocketchat and shell.load_failed():
                return Outcome.UNREACHABLE
            if isinstance(state, dict):
                clock.saw(state)
                if state.get("signedIn"):
                    self._lifted = bool(state.get("lifted"))
                    return Outcome.CONFIRMED
                if state.get("droppedMine"):
                    return Outcome.REJECTED  # the client tried this very token and the server refused it
                if not command and state.get("onRocketChat"):
                    seen_link = seen_link or bool(state.get("resumeParam"))
                    if seen_link and not state.get("resumeParam"):
                        stripped_at = stripped_at or time.monotonic()
                        if time.monotonic() - stripped_at > strategy.REJECTED_GRACE_S:
                            return Outcome.REJECTED
                if command and not probed and clock.running_for() > strategy.TOKEN_PROBE_AFTER_S:
                    probed = True
                    if self._token_revoked(token):
                        return Outcome.REJECTED
            if clock.over():
                return Outcome.TIMEOUT
            self._pause(seen)
        return Outcome.CANCELLED

    def _token_revoked(self, token: Any) -> bool:
        """Rocket.Chat's client ignores a refused command silently: ask Rocket.Chat whether it still
        knows the token (one `/me`). Unknown (rate limit, network) counts as not revoked."""
        from launcher.errors import TokenRejected

        flow = self._shell.session.wait_flow()
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

    def _pause(self, seen: int) -> None:
        """Until the page's next wake-up or the engine's poll interval, whichever comes first."""
        shell = self._shell
        shell.wakeups.wait(seen, shell.engine.poll_interval_s)

    # -- the end of a hand-off

    def confirmed(self, gen: int, path: str, user_id: str | None = None, lifted: bool = False) -> None:
        """The page is signed in (once per episode: the watcher and the token path may both see it).
        `lifted`: the script that found it signed in lifted the cover already (one round trip less)."""
        shell = self._shell
        with shell.episodes.lock:
            if (
                not shell.episodes.current(gen)
                or self._confirmed_gen == gen
                or shell.state != State.SIGNING_IN
            ):
                return
            self._confirmed_gen = gen
            token = shell.token
        if user_id is None and token is not None:
            user_id = token.user_id
        if not lifted:
            shell.evaluate(injection.hide_cover(shell.rc_origin))
        shell.timeline.mark("signin_confirmed")
        shell.engine.set_document_script(shell.cover_source(cover=False))
        shell.timeline.note("login_path", str(path))
        shell.login_path = str(path)
        webstate.set_signed_in(shell.paths, shell.remember, user_id if shell.remember else None)
        shell.change_state(gen, State.SIGNED_IN, path=str(path))
        shell.signed_in_watch.start(gen, user_id)

    def _not_confirmed(self, gen: int, token: Any, refreshed: bool) -> None:
        """The page did not sign in with this token. Rocket.Chat's REST API does not check a token's
        expiry (only the web client's resume login does), so only the page notices: get a fresh token
        once (flow.refresh: the stored login), then give up with a message that says what is wrong."""
        from launcher.errors import TokenRejected
        from launcher.signin.flow import Failed, NeedsCredentials, SignedIn

        shell = self._shell
        flow = shell.session.wait_flow()
        if flow is None:
            shell.pages.show_error(gen, shell.session.flow_error or NO_SIGN_IN)
            return
        if not refreshed:
            result = flow.refresh()
            if not shell.episodes.current(gen):
                return
            if isinstance(result, SignedIn):
                shell.timeline.note("token_refreshed", True)
                shell.token = result.token
                self.sign_in_page(gen, result.token, refreshed=True)
            elif isinstance(result, NeedsCredentials):
                shell.pages.enter_signin(gen, message=result.message)
            elif isinstance(result, Failed):
                shell.pages.show_error(gen, result.message)
            return
        try:
            flow.rocketchat.me(token)
        except TokenRejected:
            shell.pages.show_error(
                gen, "Rocket.Chat refused your sign-in: Retry, or sign in as someone else."
            )
        except Exception as exc:
            shell.pages.show_error(
                gen, str(exc) or "Rocket.Chat cannot be reached: check your network, then Retry."
            )
        else:
            shell.pages.show_error(
                gen, "Rocket.Chat did not confirm the sign-in in time: Retry, or sign in as someone else."
            )
