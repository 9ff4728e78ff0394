"""The desktop shell: one pywebview window, the states it goes through, and the sign-in loop.

States: "starting" -> "signin" (local form) | "signing-in" (Rocket.Chat under the cover) ->
"signed-in" | "error" (local page with Retry / Sign in as someone else). Every transition is driven
from worker threads; the Qt main thread only runs the window.

Start path: the window is created first, on Rocket.Chat's URL when the profile holds a signed-in
session (webstate mark) or on the sign-in page otherwise; only once that first page has loaded (at most
WORKER_AFTER_S) does a worker import httpx and keyring and resume the sign-in, so the page's load does
not share the 2 cores with it (timeline: window_shown, page_loaded, token_ready).
With the mark, a watcher reads the page from the start beside resume(): when Rocket.Chat signs itself in
from its own stored session as the user the mark names, that is confirmed at once (login path
"page-session") and resume() finishes in the background, its token kept for later; the token is handed
to the page only when the page did not sign itself in as that user.

Reading the page is event-driven under Qt: cover.js writes a console marker on Rocket.Chat's startup and
logged-in/out events, the page class turns it into a wake-up, and the loops read the page's state then
(and at least every strategy.WAKE_POLL_S). The command itself is posted by a script inside the page.
"""

from __future__ import annotations

import base64
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from launcher.desktop.integration import Desktop
from launcher.paths import Paths
from launcher.timeline import Timeline
from launcher.web import ICON_PNG
from launcher.window import injection, navigation, strategy, webstate
from launcher.window.bridge import LauncherApi
from launcher.window.renderer import renderer_problem

_log = logging.getLogger(__name__)

WINDOW_SIZE = (1180, 780)
EXIT_WHEN_READY_TIMEOUT_S = 90.0
DESKTOP_WAIT_S = 15.0
WORKER_AFTER_S = 1.0
_SETTLED_STATES = ("signed-in", "signin", "error")
_LOGO_MAX_BYTES = 1_000_000
_LOGO_TYPES = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
}

# exit codes of `run` (documented in docs/desktop.md)
EXIT_OK, EXIT_FAILED, EXIT_NEEDS_CREDENTIALS, EXIT_TIMEOUT, EXIT_BACKEND = 0, 1, 2, 3, 4

SIGNED_OUT_NOTICE = "You are signed out."


class Shell:
    """Owns the window and the sign-in state machine. `run()` blocks until the window closes."""

    def __init__(
        self,
        settings: Any,
        paths: Paths,
        timeline: Timeline,
        *,
        debug: bool = False,
        exit_when_ready: bool = False,
        start_minimized: bool = False,
        username: str | None = None,
        demo_password: str | None = None,
        auto_submit: bool = False,
        instance: Any = None,
    ) -> None:
        self.settings = settings
        self.paths = paths
        self.timeline = timeline
        self.debug = debug
        self.exit_when_ready = exit_when_ready
        self.start_minimized = start_minimized
        self.rc_url: str = settings.rocketchat_url
        self.rc_origin: str = settings.rocketchat_origin
        self.organization: str = settings.organization_name or "Rocket.Chat"
        self.renderer: str | None = None
        self.window: Any = None
        self.exit_code: int | None = None
        self.exit_reason: str | None = None
        self.external_opened: list[str] = []
        self.login_path: str | None = (
            None  # how Rocket.Chat was signed in ("page-session" | "iframe-command" | "resume-token")
        )
        self.desktop = Desktop(self)
        self._instance = instance  # single_instance.PrimaryInstance: later starts bring this window forward

        self._username = username
        self._demo_password = demo_password
        self._auto_submit = auto_submit
        self._lock = threading.RLock()
        self._state = "starting"
        self._generation = 0
        self._notice: str | None = None
        self._message: str | None = None
        self._field: str | None = None
        self._error_title = "Rocket.Chat could not open"
        self._can_retry = True
        self._remember = bool(settings.remember_me_default)
        self._signed_out = False
        self._token: Any = None
        self._flow: Any = None
        self._flow_error: str | None = None
        self._flow_ready = threading.Event()
        self._public: dict[str, Any] | None = None
        self._public_done = threading.Event()
        self._last_load: tuple[str, bool, float] | None = None
        self._load_event = threading.Condition(self._lock)
        self._qt: Any = None
        self._listeners: list[Callable[[str, dict[str, Any]], None]] = []
        self._events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._closed = threading.Event()
        self._resolved = threading.Event()  # the first resume() has answered
        self._auto_submitted = False
        self._first_load = threading.Event()  # the window's first page finished loading (or failed)
        self._settled = threading.Event()  # a state in _SETTLED_STATES was reached: the desktop parts start
        self._wakeups = _Wakeups()  # cover.js markers and page loads: the sign-in loops read the page then
        self._page_user: str | None = None  # the user id kept with the signed-in mark
        self._page_watch: tuple[int, threading.Event] | None = None  # (episode, decided) of the watcher
        self._confirmed_gen: int | None = None  # the episode whose sign-in was confirmed
        self._attempts = 0
        self._lifted = False  # the last attempt's script lifted the cover itself

    # ----------------------------------------------------------------- public surface

    @property
    def state(self) -> str:
        return self._state

    def add_listener(self, listener: Callable[[str, dict[str, Any]], None]) -> None:
        """Call `listener(state, info)` after every state change, from one dispatcher thread (so a slow
        listener such as the e2e driver's screenshots never blocks the sign-in)."""
        self._listeners.append(listener)

    def run(self) -> int:
        import webview

        gui = _choose_gui()
        if gui == "qt":
            try:
                from launcher.window.engines import qt as qtwindow
            except Exception as exc:  # ImportError, or OSError for a missing system library
                from launcher.window.renderer import backend_problem

                return self._finish(EXIT_BACKEND, backend_problem(exc))
            self._qt = qtwindow

        _quiet_pywebview_logs()
        webstate.wipe_if_requested(self.paths)
        on_rocketchat = webstate.expects_signed_in(self.paths)
        self._page_user = webstate.signed_in_user(self.paths) if on_rocketchat else None
        self._state = "signing-in" if on_rocketchat else "signin"
        if not on_rocketchat:
            self._settled.set()
        start_url = self.rc_url if on_rocketchat else navigation.local_page_url("signin.html")

        if self._qt is not None:
            hooks = self._qt.PageHooks(
                rc_origin=self.rc_origin,
                cover_source=self._cover_source(cover=True),
                cache_dir=self.paths.data_dir / "webview-cache",
                on_load_finished=self._on_page_load,
                on_external=self._open_external,
                desktop_source=injection.desktop_script(self.rc_origin),
                on_wake=self._on_wake,
                wake_marker=injection.WAKE_MARKER,
            )
            self._qt.install(hooks, self.paths.webview_storage_dir)

        webview.settings["ALLOW_DOWNLOADS"] = True
        webview.settings["OPEN_EXTERNAL_LINKS_IN_BROWSER"] = True
        webview.settings["OPEN_DEVTOOLS_IN_DEBUG"] = False
        api = LauncherApi(self, self._current_url)
        place: dict[str, Any] = {"width": WINDOW_SIZE[0], "height": WINDOW_SIZE[1]}
        place["minimized"] = self.start_minimized
        place.update(self.desktop.window_options(WINDOW_SIZE))  # without Qt: saved place, start hidden
        self.window = webview.create_window(
            self.organization,
            start_url,
            js_api=api,
            min_size=(420, 560),
            text_select=True,
            zoomable=True,
            background_color="#F3F5F9",
            **place,
        )
        self.desktop.attach(self.window)
        events = self.window.events
        events.initialized += self._on_initialized
        events.shown += lambda: self.timeline.mark("window_shown")
        events.closed += self._closed.set
        events.closed += self._wakeups.notify
        events.closed += self._settled.set
        events.before_show += self.desktop.before_show
        events.closing += self.desktop.on_closing
        if self._qt is None:
            events.loaded += self._on_loaded_generic

        from webview.menu import Menu, MenuAction, MenuSeparator

        menu = [
            Menu(
                "Account",
                [MenuAction("Reload", self.reload), MenuSeparator(), MenuAction("Sign out", self.sign_out)],
            ),
        ]
        icon = ICON_PNG
        if self.exit_when_ready:
            threading.Thread(target=self._exit_watchdog, name="exit-watchdog", daemon=True).start()
        threading.Thread(target=self._dispatch, name="state-listeners", daemon=True).start()
        threading.Thread(target=self._desktop_main, name="desktop", daemon=True).start()
        self.storage_dir = self.paths.webview_storage_dir
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        webview.start(
            self._worker_main,
            gui=gui,
            debug=self.debug,
            private_mode=False,
            storage_path=str(self.storage_dir),
            menu=menu,
            icon=str(icon) if icon.exists() else None,
        )
        self._closed.set()
        self.desktop.close()
        with self._lock:
            self._generation += 1  # stop any loop still running
        self._events.put(("closed", {}))
        if self.exit_code is None:
            self.exit_code = EXIT_FAILED if self.exit_when_ready else EXIT_OK
            if self.exit_when_ready:
                self.exit_reason = "The window was closed before Rocket.Chat was signed in."
        if not self._remember and not self._signed_out:
            webstate.request_wipe(self.paths)  # "keep me signed in" was off: leave no session behind
        webstate.wipe_if_requested(self.paths)
        return self._finish(self.exit_code, self.exit_reason)

    def evaluate(self, script: str, timeout: float = 5.0) -> Any:
        """Run `script` in whatever page the window shows now; its JSON-able result, or None."""
        return self._eval(script, timeout)

    def current_url(self) -> str | None:
        return self._current_url()

    def screenshot(self, path: Path) -> bool:
        """Save what the window shows as PNG (Qt only; False elsewhere)."""
        if self._qt is None or self.window is None or self.window.native is None:
            return False
        return self._qt.grab(self.window.native, path)

    def trigger_menu(self, title: str) -> bool:
        """Click the window's menu entry `title` (Qt only)."""
        if self._qt is None or self.window is None or self.window.native is None:
            return False
        return self._qt.trigger_menu_action(self.window.native, title)

    def commands_work(self) -> bool:
        """Whether Rocket.Chat takes iframe commands (`go`...): it took the launcher's login command, or,
        signed in from its own session, its public settings say it would (unknown: False, so callers
        load a URL instead, which always works)."""
        if self.login_path == "iframe-command":
            return True
        if self.login_path != "page-session":
            return False
        configured = self.settings.login_strategy
        if configured != "auto":
            return configured == "iframe-command"
        public = self._public if self._public_done.is_set() else None
        return public is not None and strategy.command_can_work(public, self.rc_origin)

    # ----------------------------------------------------------------- bridge controller (local pages)

    def page_context(self) -> dict[str, Any]:
        self._resolved.wait(5)  # let the first resume() fill in the username or a message
        with self._lock:
            context: dict[str, Any] = {
                "state": self._state,
                "organization": self.organization,
                "logo": _logo_data_url(self.settings.organization_logo),
                "username": self._username or "",
                "remember": self._remember,
                "message": self._message,
                "field": self._field,
                "notice": self._notice,
                "title": self._error_title,
                "can_retry": self._can_retry,
            }
            if self._demo_password and self._state == "signin":
                context["prefill_password"] = self._demo_password
            return context

    def submit_credentials(self, username: str, password: str, remember: bool) -> dict[str, Any]:
        from launcher.signin.flow import Failed, NeedsCredentials, SignedIn

        username = username.strip()
        if not username or not password:
            return {"ok": False, "message": "Enter your username and password.", "field": "username"}
        flow = self._wait_flow()
        if flow is None:
            return {"ok": False, "message": self._flow_error or "The launcher is not ready: try again."}
        with self._lock:
            if self._state != "signin":
                return {"ok": False, "message": "A sign-in is already in progress."}
        result = flow.sign_in(username, password, remember=remember)
        if isinstance(result, SignedIn):
            with self._lock:
                self._username, self._remember, self._signed_out = username, remember, False
            self._start_rocketchat(result.token)
            return {"ok": True}
        if isinstance(result, NeedsCredentials):
            answer = {
                "ok": False,
                "message": result.message or "Wrong username or password.",
                "field": "password",
            }
        elif isinstance(result, Failed):
            answer = {"ok": False, "message": result.message, "field": None}
        else:
            answer = {"ok": False, "message": "Sign-in failed: try again.", "field": None}
        self._emit("signin-failed", {"message": answer["message"]})
        if self.exit_when_ready and self._auto_submitted:
            self.request_exit(EXIT_NEEDS_CREDENTIALS, answer["message"])
        return answer

    def retry(self) -> dict[str, Any]:
        with self._lock:
            if self._state != "error":
                return {"ok": False, "message": "Nothing to retry."}
        gen = self._begin("signing-in")
        threading.Thread(target=self._resume, args=(gen,), name="retry", daemon=True).start()
        return {"ok": True}

    def switch_user(self) -> dict[str, Any]:
        threading.Thread(target=self._sign_out, args=(None,), name="switch-user", daemon=True).start()
        return {"ok": True}

    # ----------------------------------------------------------------- menu actions

    def sign_out(self) -> None:
        """Menu "Sign out": Rocket.Chat's logout command, clear web storage and keyring, sign-in page."""
        self._sign_out(SIGNED_OUT_NOTICE)

    def load_rocketchat(self, path: str) -> None:
        """Open a page of Rocket.Chat (a room's route such as "channel/general"), never another site."""
        self._load(f"{self.rc_url}/{path.lstrip('/')}")

    def reload(self) -> None:
        url = self._current_url()
        if url and navigation.is_rocketchat(url, self.rc_origin):
            self.window.load_url(self.rc_url)

    # ----------------------------------------------------------------- worker side

    def _desktop_main(self) -> None:
        """Bring-forward once the window is on screen; tray, notifications and the unread count once the
        window settled (signed in, sign-in form or error page; at the latest after DESKTOP_WAIT_S): they
        follow the signed-in Rocket.Chat, and starting them earlier (the tray is made on the Qt thread,
        the unread poll reads the page) would compete with loading and signing in the page."""
        if self.window is None or not self.window.events.shown.wait(30) or self._closed.is_set():
            return
        if self._instance is not None:
            self._instance.listen(self.desktop.bring_forward)
        self._settled.wait(DESKTOP_WAIT_S)
        if not self._closed.is_set():
            self.desktop.start()

    def _worker_main(self) -> None:
        # Wait until the window exists (and the first URL is loading) before importing httpx/keyring.
        self.window.events.before_show.wait(15)
        with self._lock:
            gen = self._generation
            on_signin_page = self._state == "signin"
        if not on_signin_page:
            self._emit("signing-in", {})
            if self._page_user:
                decided = threading.Event()
                self._page_watch = (gen, decided)
                threading.Thread(
                    target=self._watch_page_session,
                    args=(gen, self._page_user, decided),
                    name="page-session",
                    daemon=True,
                ).start()
        # The worker's imports and keyring work take ~200 ms of CPU; run beside the page's first load
        # they slow it down by ~50 ms on 2 cores (docs/benchmark.md). Rocket.Chat needs the token only
        # once its client started, after that load, so let the page load first (at most WORKER_AFTER_S).
        self._first_load.wait(WORKER_AFTER_S)
        self._create_flow()
        self._resume(gen, on_signin_page=on_signin_page)

    def _watch_page_session(self, gen: int, user_id: str, decided: threading.Event) -> None:
        """Confirm as soon as the page signs itself in from its own stored session as `user_id` (the mark's
        user): Meteor.userId is that user AND Rocket.Chat fired its logged-in event, seen by cover.js from
        document start. No token is involved. Gives up (sets `decided`, confirms nothing) when the page
        left Rocket.Chat or failed to load, or started up without that user stored (no session, Rocket.Chat
        rejected it, or another user): then the token path signs the page in as usual."""
        script = injection.page_session(self.rc_origin, user_id)
        deadline = time.monotonic() + strategy.PAGE_SESSION_WAIT_S
        try:
            while self._current(gen) and self._state == "signing-in" and time.monotonic() < deadline:
                seen = self._wakeups.seen()
                page = self._eval(script, timeout=1.0)
                if isinstance(page, dict):
                    if page.get("signedIn"):
                        self._remember = True  # the mark exists only for a remembered sign-in
                        self._confirmed(gen, "page-session", user_id, lifted=bool(page.get("lifted")))
                        return
                    if not page.get("onRocketChat") and self._load_failed():
                        return
                    if page.get("onRocketChat") and not page.get("early"):
                        return  # cover.js came late: Rocket.Chat's event may be missed, so no proof here
                    if page.get("startedUp") and not page.get("userMatches"):
                        return
                elif self._load_failed():
                    return
                self._pause(seen)
        finally:
            decided.set()

    def _wait_page_verdict(self, gen: int) -> bool:
        """resume() could not sign in: if the page may still sign itself in (the watcher runs for this
        episode), wait for its verdict. True when the page confirmed itself."""
        watch = self._page_watch
        if watch is None or watch[0] != gen:
            return self._confirmed_gen == gen
        watch[1].wait(strategy.PAGE_SESSION_WAIT_S)
        return self._confirmed_gen == gen

    def _create_flow(self) -> None:
        try:
            from launcher.signin.credentials import CredentialStore
            from launcher.signin.flow import SignInFlow

            store = CredentialStore(namespace=self.paths.keyring_namespace)
            self._flow = SignInFlow(self.settings, store)
        except Exception as exc:
            _log.exception("could not prepare the sign-in")
            self._flow_error = str(exc) if str(exc) else "The launcher could not start its sign-in."
        finally:
            self._flow_ready.set()

    def _wait_flow(self) -> Any:
        self._flow_ready.wait(30)
        return self._flow

    def _resume(self, gen: int, on_signin_page: bool = False) -> None:
        """Sign in without asking (cached token, else the stored login). Started on the sign-in page (no
        signed-in mark), a success still goes to Rocket.Chat: the mark only saves a detour."""
        try:
            self._resume_inner(gen, on_signin_page)
        finally:
            self._resolved.set()

    def _resume_inner(self, gen: int, on_signin_page: bool) -> None:
        flow = self._wait_flow()
        if flow is None:
            self._show_error(gen, self._flow_error or "The launcher could not start its sign-in.", retry=True)
            return
        if self.settings.login_strategy == "auto":
            self._public_done.clear()
            threading.Thread(target=self._fetch_public_settings, name="public-settings", daemon=True).start()
        from launcher.signin.flow import Failed, NeedsCredentials, SignedIn

        try:
            result = flow.resume()
        except Exception:
            _log.exception("resume failed")
            result = None
        if not self._current(gen):
            return
        if isinstance(result, SignedIn):
            self._remember = True  # it came from the keyring: the person chose to be remembered
            with self._lock:
                by_page = self._confirmed_gen == gen and self._current(gen)
                if by_page:
                    self._token = result.token
            if by_page and result.token.user_id == self._page_user:
                self.timeline.mark("token_ready")  # kept for later; the page signed itself in already
                return
            self._start_rocketchat(result.token, gen=None if on_signin_page else gen)
            return
        if not on_signin_page and self._wait_page_verdict(gen):
            message = getattr(result, "message", None) or "no stored sign-in"
            _log.warning("Rocket.Chat signed itself in from its own session; the launcher's: %s", message)
            return
        if not self._current(gen):
            return
        if isinstance(result, NeedsCredentials):
            if result.username and not self._username:
                self._username = result.username
            self._enter_signin(gen, message=result.message, load=not on_signin_page)
        elif isinstance(result, Failed):
            self._show_error(gen, result.message, retry=True)
        else:
            self._show_error(gen, "The launcher could not sign you in: try again.", retry=True)

    def _fetch_public_settings(self) -> None:
        try:
            flow = self._wait_flow()  # its HTTP client (one pool, one TLS context) serves this too
            if flow is None:
                raise RuntimeError("no sign-in flow")
            self._public = flow.rocketchat.public_settings(strategy.PUBLIC_SETTING_IDS)
        except Exception as exc:
            _log.info("could not read Rocket.Chat's public settings (%s); trying the command first", exc)
            self._public = None
        finally:
            self._public_done.set()

    def _start_rocketchat(self, token: Any, gen: int | None = None) -> None:
        self.timeline.mark("token_ready")
        with self._lock:
            self._token = token
            if gen is not None and not (self._current(gen) and self._state == "signing-in"):
                gen = None
        if gen is None:
            gen = self._begin("signing-in")
        threading.Thread(target=self._sign_in_page, args=(gen, token), name="rc-sign-in", daemon=True).start()

    def _sign_in_page(self, gen: int, token: Any, refreshed: bool = False) -> None:
        """Hand the token to the Rocket.Chat page and wait until the page says it is signed in."""
        configured = self.settings.login_strategy
        if configured == "auto":
            self._public_done.wait(3.0)  # the settings fetch runs beside resume(); normally done already
        path: str | None = strategy.first_path(configured, self._public, self.rc_origin)
        self.timeline.note("login_path_first", path)
        while path is not None and self._current(gen):
            outcome = self._attempt(gen, token, path)
            self.timeline.note(f"login_{path}", outcome)
            if outcome == "confirmed":
                self._confirmed(gen, path, lifted=self._lifted)
                return
            if outcome in ("cancelled", "unreachable"):
                if outcome == "unreachable":
                    self._show_error(
                        gen,
                        "Rocket.Chat cannot be reached: check your network connection, then Retry.",
                        retry=True,
                    )
                return
            path = strategy.fallback_path(configured, path)
        if self._current(gen):
            self._not_confirmed(gen, token, refreshed)

    def _attempt(self, gen: int, token: Any, path: str) -> str:
        if self._qt is not None:
            self._qt.set_document_script(self._cover_source(cover=True))
        command = path == "iframe-command"
        if command:
            current = self._current_url()
            if not (current and navigation.is_rocketchat(current, self.rc_origin)) or self._load_failed():
                self._load(self.rc_url)
        else:
            self._load(f"{self.rc_url}/home?resumeToken={quote(token.auth_token, safe='')}")
        wait = strategy.COMMAND_WAIT_S if command else strategy.RESUME_WAIT_S
        deadline = time.monotonic() + wait
        self._attempts += 1
        tick = injection.login_tick(
            self.rc_origin,
            token.auth_token,
            token.user_id,
            command,
            attempt=f"{gen}.{self._attempts}",
            wait_s=wait,
            interval_s=strategy.IN_PAGE_POST_INTERVAL_S,
            retry_s=strategy.IN_PAGE_RETRY_S,
            fast_for_s=strategy.IN_PAGE_FAST_FOR_S,
        )
        script = self._cover_source(cover=True) + "\n" + tick
        try:
            return self._attempt_loop(gen, script, command, deadline)
        finally:
            self._eval(injection.stop_login(self.rc_origin), timeout=1.0)

    def _attempt_loop(self, gen: int, script: str, command: bool, deadline: float) -> str:
        seen_link = False  # the deep link's document is up (Rocket.Chat strips the parameter once it tried)
        stripped_at: float | None = None
        while self._current(gen):
            if self._confirmed_gen == gen:
                return "confirmed"  # the page signed itself in meanwhile (page-session watcher)
            seen = self._wakeups.seen()
            state = self._eval(script, timeout=1.0)  # a navigation can swallow the answer: do not stall
            if isinstance(state, dict):
                if state.get("signedIn"):
                    self._lifted = bool(state.get("lifted"))
                    return "confirmed"
                if not state.get("onRocketChat") and self._load_failed():
                    return "unreachable"
                if not command and state.get("onRocketChat"):
                    seen_link = seen_link or bool(state.get("resumeParam"))
                    if seen_link and not state.get("resumeParam"):
                        stripped_at = stripped_at or time.monotonic()
                        if time.monotonic() - stripped_at > strategy.REJECTED_GRACE_S:
                            return "rejected"  # Rocket.Chat tried the token and stayed signed out
            if time.monotonic() > deadline:
                return "timeout"
            self._pause(seen)
        return "cancelled"

    def _pause(self, seen: int) -> None:
        """Until the page's next wake-up (Qt) or the next poll, whichever comes first."""
        if self._qt is not None:
            self._wakeups.wait(seen, strategy.WAKE_POLL_S)
        else:
            self._closed.wait(strategy.POLL_S)

    def _on_wake(self, what: str) -> None:
        self._wakeups.notify()
        if what in _WAKE_MILESTONES:
            self.timeline.mark(_WAKE_MILESTONES[what])

    def _confirmed(self, gen: int, path: str, user_id: str | None = None, lifted: bool = False) -> None:
        """The page is signed in (once per episode: the watcher and the token path may both see it).
        `lifted`: the script that found it signed in lifted the cover already (one round trip less)."""
        with self._lock:
            if not self._current(gen) or self._confirmed_gen == gen or self._state != "signing-in":
                return
            self._confirmed_gen = gen
            token = self._token
        if user_id is None and token is not None:
            user_id = token.user_id
        if not lifted:
            self._eval(injection.hide_cover(self.rc_origin))
        self.timeline.mark("signin_confirmed")
        if self._qt is not None:
            self._qt.set_document_script(self._cover_source(cover=False))
        self.timeline.note("login_path", path)
        self.login_path = path
        webstate.set_signed_in(self.paths, self._remember, user_id if self._remember else None)
        self._set_state(gen, "signed-in", path=path)

    def _not_confirmed(self, gen: int, token: Any, refreshed: bool) -> None:
        """The page did not sign in with this token. Rocket.Chat's REST API does not check a token's
        expiry (RC §7), so only the page notices: get a fresh token once (flow.refresh: the stored login),
        then give up with a message that says what is wrong."""
        from launcher.errors import TokenRejected
        from launcher.signin.flow import Failed, NeedsCredentials, SignedIn

        if not refreshed:
            result = self._flow.refresh()
            if not self._current(gen):
                return
            if isinstance(result, SignedIn):
                self.timeline.note("token_refreshed", True)
                with self._lock:
                    self._token = result.token
                self._sign_in_page(gen, result.token, refreshed=True)
            elif isinstance(result, NeedsCredentials):
                self._enter_signin(gen, message=result.message)
            elif isinstance(result, Failed):
                self._show_error(gen, result.message, retry=True)
            return
        try:
            self._flow.rocketchat.me(token)
        except TokenRejected:
            self._show_error(
                gen, "Rocket.Chat refused your sign-in: Retry, or sign in as someone else.", True
            )
        except Exception as exc:
            self._show_error(
                gen, str(exc) or "Rocket.Chat cannot be reached: check your network, then Retry.", True
            )
        else:
            self._show_error(
                gen,
                "Rocket.Chat did not confirm the sign-in in time: Retry, or sign in as someone else.",
                True,
            )

    def _sign_out(self, notice: str | None) -> None:
        gen = self._begin("signing-out")
        with self._lock:
            self._signed_out = True
            token = self._token
            self._token = None
        url = self._current_url()
        if url and navigation.is_rocketchat(url, self.rc_origin):
            self._eval(injection.sign_out(self.rc_origin))
        flow = self._wait_flow()
        self._resolved.wait(30)  # a resume() still running in the background must not save a token after this
        if flow is not None:
            try:
                flow.sign_out()
            except Exception:
                _log.exception("sign-out at the organization failed")
        elif token is not None:
            _log.warning("no sign-in flow: the keyring could not be cleared")
        self._delete_cookies()
        webstate.request_wipe(self.paths)
        self._username = None if notice is None else self._username
        self._enter_signin(gen, message=None, notice=notice)

    # ----------------------------------------------------------------- states and pages

    def _begin(self, state: str) -> int:
        """Start a new episode (cancels every loop of the previous one) in `state`."""
        with self._lock:
            self._generation += 1
            self._state = state
            gen = self._generation
        self._emit(state, {})
        return gen

    def _emit(self, state: str, info: dict[str, Any]) -> None:
        self._events.put((state, info))

    def _dispatch(self) -> None:
        while True:
            state, info = self._events.get()
            for listener in list(self._listeners):
                try:
                    listener(state, info)
                except Exception:
                    _log.exception("state listener failed")
            if state == "closed":
                return

    def _current(self, gen: int) -> bool:
        return gen == self._generation and not self._closed.is_set()

    def _set_state(self, gen: int, state: str, **info: Any) -> None:
        with self._lock:
            if not self._current(gen):
                return
            self._state = state
        if state in _SETTLED_STATES:
            self._settled.set()
        _log.info("window state: %s", state)
        auto_submit_pending = self._auto_submit
        self._emit(state, info)
        if self.exit_when_ready:
            self._exit_if_decided(state, info, auto_submit_pending)

    def _enter_signin(
        self, gen: int, message: str | None, notice: str | None = None, load: bool = True
    ) -> None:
        with self._lock:
            if not self._current(gen):
                return
            self._message, self._notice = message, notice
            self._field = "password" if message else None
        webstate.set_signed_in(self.paths, False)
        if load:
            self._load(navigation.local_page_url("signin.html"))
        self._set_state(gen, "signin", message=message)
        if self._auto_submit:
            threading.Thread(target=self._submit_prefilled, args=(gen,), daemon=True).start()

    def _show_error(self, gen: int, message: str, retry: bool) -> None:
        with self._lock:
            if not self._current(gen):
                return
            self._message, self._can_retry = message, retry
        self._load(navigation.local_page_url("error.html"))
        self._set_state(gen, "error", message=message)

    def _submit_prefilled(self, gen: int) -> None:
        """Demo with --exit-when-ready: press "Sign in" on the prefilled form, once."""
        self._auto_submit = False
        self._auto_submitted = True
        script = (
            "(function(){ if (location.protocol !== 'file:' || document.body.getAttribute('data-ready') !== 'true')"
            " return false; document.getElementById('signin').requestSubmit(); return true; })()"
        )
        deadline = time.monotonic() + 20
        while self._current(gen) and time.monotonic() < deadline:
            if self._eval(script) is True:
                return
            self._closed.wait(0.2)

    # ----------------------------------------------------------------- exit-when-ready

    def _exit_if_decided(self, state: str, info: dict[str, Any], auto_submit_pending: bool) -> None:
        if state == "signed-in":
            self.request_exit(EXIT_OK, "Rocket.Chat is signed in.")
        elif state == "error":
            self.request_exit(EXIT_FAILED, info.get("message") or "Rocket.Chat could not open.")
        elif state == "signin" and not auto_submit_pending:
            self.request_exit(
                EXIT_NEEDS_CREDENTIALS,
                info.get("message")
                or "No saved sign-in: start the launcher without --exit-when-ready and sign in once.",
            )

    def _exit_watchdog(self) -> None:
        if not self._closed.wait(EXIT_WHEN_READY_TIMEOUT_S):
            self.request_exit(
                EXIT_TIMEOUT, f"Rocket.Chat was not signed in within {EXIT_WHEN_READY_TIMEOUT_S:.0f} seconds."
            )

    def request_exit(self, code: int, reason: str) -> None:
        """Close the window and make run() return `code` (first request wins)."""
        with self._lock:
            if self.exit_code is not None:
                return
            self.exit_code, self.exit_reason = code, reason
        try:
            self.window.destroy()
        except Exception:
            _log.exception("could not close the window")

    def _finish(self, code: int, reason: str | None) -> int:
        self.timeline.note("exit_code", code)
        if reason:
            self.timeline.note("exit_reason", reason)
            print(reason, file=sys.stderr if code else sys.stdout)
        return code

    # ----------------------------------------------------------------- window plumbing

    def _on_initialized(self, renderer: str) -> bool:
        self.renderer = renderer
        self.timeline.note("renderer", renderer)
        problem = renderer_problem(renderer)
        if problem:
            self.exit_code, self.exit_reason = EXIT_BACKEND, problem
            return False
        return True

    def _on_page_load(self, url: str, ok: bool) -> None:
        with self._lock:
            self._last_load = (url, ok, time.monotonic())
        self._first_load.set()
        self._wakeups.notify()
        if ok and navigation.is_rocketchat(url, self.rc_origin):
            self.timeline.mark("page_loaded")
        elif ok and navigation.is_local_page(url):
            self.timeline.mark("local_page_loaded")
        if not ok and self._state == "signed-in" and navigation.is_rocketchat(url, self.rc_origin):
            threading.Thread(target=self._check_signed_in_page, args=(self._generation,), daemon=True).start()

    def _on_loaded_generic(self) -> None:
        """Backends without a navigation hook (WebView2, WKWebView here): a page of another origin that
        got into the window is sent to the system browser and the window goes back to Rocket.Chat. No token
        reaches it either way: every injected script re-checks the origin inside the page."""
        try:
            url = self.window.get_current_url()
        except Exception:
            return
        if not url:
            return
        if navigation.classify(url, self.rc_origin) in ("external", "blocked"):
            if navigation.classify(url, self.rc_origin) == "external":
                self._open_external(url)
            self._load(self.rc_url)
            return
        self._on_page_load(url, True)
        if navigation.is_rocketchat(url, self.rc_origin):  # no document-start hook here: install it now
            self._eval(injection.desktop_script(self.rc_origin))

    def _check_signed_in_page(self, gen: int) -> None:
        """A Rocket.Chat load failed after sign-in (network gone, server down): show the error page
        rather than Chromium's blank error page, if the page really left Rocket.Chat."""
        self._closed.wait(0.5)
        state = self._eval("({origin: location.origin})")
        if isinstance(state, dict) and state.get("origin") != self.rc_origin and self._current(gen):
            self._show_error(
                gen, "Rocket.Chat cannot be reached: check your network connection, then Retry.", retry=True
            )

    def _load_failed(self) -> bool:
        last = self._last_load
        return bool(last and not last[1] and navigation.is_rocketchat(last[0], self.rc_origin))

    def _load(self, url: str) -> None:
        with self._lock:
            self._last_load = None
        try:
            self.window.load_url(url)
        except Exception:
            _log.exception("could not load a page")

    def _current_url(self) -> str | None:
        if self._qt is not None:
            return self._qt.native_url()
        try:
            return self.window.get_current_url()
        except Exception:
            return None

    def _eval(self, script: str, timeout: float = 5.0) -> Any:
        if self._closed.is_set():
            return None
        if self._qt is not None:
            try:
                return self._qt.run_js(script, timeout=timeout)
            except Exception:
                return None
        box: dict[str, Any] = {}

        def call() -> None:
            try:
                box["value"] = self.window.evaluate_js(script)
            except Exception:
                box["value"] = None

        worker = threading.Thread(target=call, daemon=True)
        worker.start()
        worker.join(timeout)
        return box.get("value")

    def _delete_cookies(self) -> None:
        try:
            if self._qt is not None:
                self._qt.delete_all_cookies()
            else:
                self.window.clear_cookies()
        except Exception:
            _log.exception("could not delete the webview's cookies")

    def _open_external(self, url: str) -> None:
        self.external_opened.append(url)
        navigation.open_external(url)

    def _cover_source(self, cover: bool) -> str:
        return injection.cover_script(self.rc_origin, self.organization, cover)


# cover.js's wake-ups worth a timeline milestone (when the page said so; the first one counts)
_WAKE_MILESTONES = {"startup": "page_startup", "logged-in": "page_logged_in"}


class _Wakeups:
    """A counter of the page's wake-ups that any number of loops can wait on (read `seen()` before
    reading the page, then `wait(seen, timeout)`: nothing that happened in between is missed)."""

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


def _choose_gui() -> str | None:
    forced = os.environ.get("PYWEBVIEW_GUI", "").strip().lower()
    if forced:
        return forced
    if sys.platform.startswith("linux"):
        return "qt"
    return None


def _quiet_pywebview_logs() -> None:
    """pywebview logs loaded URLs at debug level; the deep link carries a token, so mask it."""
    try:
        from launcher.redaction import RedactingFilter

        logging.getLogger("pywebview").addFilter(RedactingFilter())
    except Exception:
        _log.warning("could not install the log redaction filter")


def _logo_data_url(logo: Path | None) -> str | None:
    if logo is None:
        return None
    kind = _LOGO_TYPES.get(logo.suffix.lower())
    try:
        if kind is None or logo.stat().st_size > _LOGO_MAX_BYTES:
            return None
        return f"data:{kind};base64," + base64.b64encode(logo.read_bytes()).decode("ascii")
    except OSError:
        return None
