"""The desktop shell: one window, and the start that ends signed in (or on a page that says why).

The parts, one file each: `states` (the states and episodes), `local_pages` (the sign-in and error
pages, the only pages the bridge answers), `handoff` (the token into Rocket.Chat's page), `bridge`,
`exit_when_ready`, and `engines/` (Qt WebEngine, or pywebview's platform engine), which the shell
talks to through one interface. Every transition runs on worker threads; the UI thread only runs
the window.

Start path: the window opens on Rocket.Chat's URL when the profile holds a signed-in session
(webstate mark), else on the sign-in page. Only once that first page has loaded (at most
WORKER_AFTER_S) does a worker import httpx and keyring and resume the sign-in, so the page's load does
not share the 2 cores with it (timeline: window_shown, page_loaded, token_ready). With the mark, a
watcher confirms the page when it signs itself in from its own session as the marked user (login path
"page-session"); the token is handed to the page only when it did not.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from launcher.desktop.integration import Desktop
from launcher.paths import Paths, private_dir
from launcher.timeline import Timeline
from launcher.web import ICON_PNG
from launcher.window import engines, injection, navigation, strategy, webstate
from launcher.window.bridge import Bridge
from launcher.window.exit_when_ready import EXIT_BACKEND, EXIT_FAILED, EXIT_OK, ExitWhenReady
from launcher.window.features.options import feature_options
from launcher.window.handoff import SIGN_IN_LINK_REFUSED, UNREACHABLE, PageHandOff
from launcher.window.local_pages import LocalPages
from launcher.window.open_link import LinkOpener
from launcher.window.page_trust import PageTrust
from launcher.window.renderer import renderer_problem
from launcher.window.session import Session
from launcher.window.signed_in_watch import SignedInWatch
from launcher.window.states import Episodes, LoginPath, State
from launcher.window.wakeups import MILESTONES, Wakeups

__all__ = ["SIGNED_OUT_NOTICE", "WINDOW_SIZE", "Shell"]

_log = logging.getLogger(__name__)

WINDOW_SIZE = (1180, 780)
DESKTOP_WAIT_S = 15.0
WORKER_AFTER_S = 1.0
SIGNED_OUT_NOTICE = "You are signed out."
CERTIFICATE_TITLE = "Rocket.Chat's certificate is not trusted"


class Shell:
    """Owns the window and the sign-in. `run()` blocks until the window closes."""

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
        instance: Any = None,
    ) -> None:
        self.settings = settings
        self.paths = paths
        self.timeline = timeline
        self.debug = debug
        self.start_minimized = start_minimized
        self.rc_url: str = settings.rocketchat_url
        self.rc_origin: str = settings.rocketchat_origin
        self.organization: str = settings.organization_name or "Rocket.Chat"
        self.renderer: str | None = None
        self.window: Any = None
        self.engine: engines.Engine | None = None
        self.exit_code: int | None = None
        self.exit_reason: str | None = None
        self.external_opened: list[str] = []
        self.token_loads = navigation.TokenLoadAllowance()  # the one token link the window may load
        self.login_path: str | None = None  # a LoginPath once Rocket.Chat is signed in
        self.remember = bool(settings.remember_me_default)
        self.token: Any = None  # the Rocket.Chat token of this session, in memory only

        self.closed = threading.Event()
        self.episodes = Episodes(self.closed)
        self.wakeups = Wakeups()
        self.pages = LocalPages(self, username)
        self.handoff = PageHandOff(self)
        self.session = Session(self)
        self.trust = PageTrust(settings.ca_file)  # the page trusts what the sign-in trusts
        self.signed_in_watch = SignedInWatch(self)  # signs the page in again when Rocket.Chat drops it
        self.desktop = Desktop(self)
        self.links = LinkOpener(self)  # `rocketchat-launcher open <link>`: the room, once signed in
        self.exit_rule = ExitWhenReady(self.request_exit) if exit_when_ready else None
        self._instance = instance  # single_instance.PrimaryInstance: later starts bring this window forward
        self._last_load: tuple[str, bool] | None = None
        self._first_load = threading.Event()  # the window's first page finished loading (or failed)
        self.page_user: str | None = None  # the user id kept with the signed-in mark

    # ----------------------------------------------------------------- public surface

    @property
    def state(self) -> State:
        return self.episodes.state

    @property
    def exiting(self) -> bool:
        """An exit was requested: closing the window must not hide it to the tray."""
        return self.exit_code is not None

    def add_listener(self, listener: Callable[[str, dict[str, Any]], None]) -> None:
        """Call `listener(state, info)` after every state change, from one dispatcher thread."""
        self.episodes.add_listener(listener)

    def run(self) -> int:
        import webview

        try:
            self.engine = engine = engines.choose()
        except engines.EngineUnavailable as exc:
            return self._finish(EXIT_BACKEND, str(exc))
        _quiet_pywebview_logs()
        webstate.wipe_if_requested(self.paths)
        on_rocketchat = webstate.expects_signed_in(self.paths)
        self.page_user = webstate.signed_in_user(self.paths) if on_rocketchat else None
        self.episodes.start_in(State.SIGNING_IN if on_rocketchat else State.SIGNIN)
        start_url = self.rc_url if on_rocketchat else navigation.local_page_url("signin.html")

        bridge = Bridge(self.pages, engine.current_url, engine.run_js)
        engine.prepare(self._page_hooks(bridge), self.paths.webview_storage_dir)
        webview.settings["ALLOW_DOWNLOADS"] = True
        webview.settings["OPEN_EXTERNAL_LINKS_IN_BROWSER"] = True
        webview.settings["OPEN_DEVTOOLS_IN_DEBUG"] = False
        place: dict[str, Any] = {"minimized": self.start_minimized}
        place.update(self.desktop.window_options(WINDOW_SIZE))
        self.window = webview.create_window(
            self.organization,
            start_url,
            js_api=None,  # never an object: pywebview's dispatcher would reach all of it (bridge.py)
            min_size=(420, 560),
            text_select=True,
            zoomable=True,
            background_color="#F3F5F9",
            **place,
        )
        self.window.expose(*bridge.functions())
        engine.attach(self.window)
        events = self.window.events
        events.initialized += self._on_initialized
        events.shown += lambda: self.timeline.mark("window_shown")
        events.closed += self.closed.set
        events.closed += self.wakeups.notify
        events.closed += self.episodes.settled.set
        events.before_show += engine.before_show
        events.closing += self.desktop.on_closing

        from webview.menu import Menu, MenuAction, MenuSeparator

        account = [
            MenuAction("Reload", self.reload),
            MenuAction("Forget permissions", self.forget_permissions),
            MenuSeparator(),
            MenuAction("Sign out", self.sign_out),
        ]
        if self.exit_rule is not None:
            self.exit_rule.start_watchdog(self.closed)
        threading.Thread(target=self.episodes.dispatch, name="state-listeners", daemon=True).start()
        threading.Thread(target=self._desktop_main, name="desktop", daemon=True).start()
        storage_dir = private_dir(self.paths.webview_storage_dir)
        webview.start(
            self._worker_main,
            gui=engine.gui,
            debug=self.debug,
            private_mode=False,
            storage_path=str(storage_dir),
            menu=[Menu("Account", account)],
            icon=str(ICON_PNG) if ICON_PNG.exists() else None,
        )
        return self._after_close()

    def evaluate(self, script: str, timeout: float = 5.0) -> Any:
        """Run `script` in whatever page the window shows now; its JSON-able result, or None."""
        if self.closed.is_set() or self.engine is None:
            return None
        try:
            return self.engine.run_js(script, timeout=timeout)
        except Exception:
            return None

    def evaluate_with_token(self, script: str, timeout: float = 5.0) -> Any:
        """Run a script that carries the sign-in token: only while the window shows Rocket.Chat's
        origin, through the engine's path that no page script can hook (Engine.run_js_on)."""
        if self.closed.is_set() or self.engine is None:
            return None
        try:
            return self.engine.run_js_on(self.rc_origin, script, timeout=timeout)
        except Exception:
            return None

    def current_url(self) -> str | None:
        return self.engine.current_url() if self.engine is not None else None

    def screenshot(self, path: Path) -> bool:
        """Save what the window shows as PNG (False where the engine cannot)."""
        return self.engine is not None and self.engine.screenshot(path)

    def set_title(self, title: str) -> None:
        if self.window is not None:
            self.window.set_title(title)

    def commands_work(self) -> bool:
        """Whether Rocket.Chat takes iframe commands (`go`...): it took the launcher's login command, or,
        signed in from its own session, its public settings say it would (unknown: False, so callers
        load a URL instead, which always works)."""
        if self.login_path == LoginPath.IFRAME_COMMAND:
            return True
        if self.login_path != LoginPath.PAGE_SESSION:
            return False
        configured = self.settings.login_strategy
        if configured != "auto":
            return configured == LoginPath.IFRAME_COMMAND
        public = self.session.known_public_settings()
        return public is not None and strategy.command_can_work(public, self.rc_origin)

    def expect_typed_sign_in(self) -> None:
        """Someone (the e2e driver, the demo) will type into the sign-in form: with --exit-when-ready,
        the form alone does not end the run; a failed sign-in there does."""
        if self.exit_rule is not None:
            self.exit_rule.wait_for_form = True

    # ----------------------------------------------------------------- menu actions

    def sign_out(self) -> None:
        """Menu "Sign out": Rocket.Chat's logout command, clear web storage and keyring, sign-in page."""
        self.session.sign_out_as(SIGNED_OUT_NOTICE)

    def forget_permissions(self) -> None:
        """Menu "Forget permissions": the next microphone, camera or screen request asks again."""
        if self.engine is not None:
            _log.info("forgot %s remembered permission answers", self.engine.forget_permissions())

    def load_rocketchat(self, path: str) -> None:
        """Open a page of Rocket.Chat (a room's route such as "channel/general"), never another site."""
        self.load(f"{self.rc_url}/{path.lstrip('/')}")

    def open_link(self, route: str, *, bring_forward: bool = True) -> bool:
        """Open a Rocket.Chat route from `rocketchat-launcher open` (checked again; see open_link.py)."""
        return self.links.open(route, bring_forward=bring_forward)

    def reload(self) -> None:
        url = self.current_url()
        if url and navigation.is_rocketchat(url, self.rc_origin):
            self.window.load_url(self.rc_url)

    def request_exit(self, code: int, reason: str) -> None:
        """Close the window and make run() return `code` (first request wins)."""
        with self.episodes.lock:
            if self.exit_code is not None:
                return
            self.exit_code, self.exit_reason = code, reason
        try:
            self.window.destroy()
        except Exception:
            _log.exception("could not close the window")

    # ----------------------------------------------------------------- for the window's parts

    def change_state(self, gen: int, state: State, **info: Any) -> None:
        if self.episodes.change(gen, state, info) and self.exit_rule is not None:
            self.exit_rule.state_changed(state, info)

    def load(self, url: str) -> None:
        with self.episodes.lock:
            self._last_load = None
        try:
            self.window.load_url(url)
        except Exception:
            _log.exception("could not load a page")

    def load_failed(self) -> bool:
        """The last load of a Rocket.Chat page failed (network gone, server down)."""
        last = self._last_load
        return bool(last and not last[1] and navigation.is_rocketchat(last[0], self.rc_origin))

    def show_unreachable(self, gen: int) -> None:
        """Rocket.Chat's page did not load: a refused certificate gets its own page (the host, the
        issuer, what IT must do), never "check your network"; anything else is the network."""
        last = self._last_load
        refusal = self.trust.refusal(last[0] if last else self.rc_url) or self.trust.refusal(self.rc_url)
        if refusal is None:
            self.pages.show_error(gen, UNREACHABLE)
        else:
            self.pages.show_error(gen, refusal.message(), title=CERTIFICATE_TITLE)

    def cover_source(self, cover: bool) -> str:
        return injection.cover_script(self.rc_origin, self.organization, cover)

    def forget_signed_in_page(self) -> None:
        webstate.set_signed_in(self.paths, False)

    def sign_in_failed(self, message: str) -> None:
        if self.exit_rule is not None:
            self.exit_rule.sign_in_failed(message)

    # ----------------------------------------------------------------- worker side

    def _desktop_main(self) -> None:
        """Bring-forward once the window is on screen; tray, notifications and the unread count once the
        window settled (at the latest after DESKTOP_WAIT_S): they follow the signed-in Rocket.Chat, and
        starting them earlier would compete with loading and signing in the page."""
        if self.window is None or not self.window.events.shown.wait(30) or self.closed.is_set():
            return
        if self.engine is not None:
            self.engine.shown()
        if self._instance is not None:
            self._instance.listen(self.desktop.bring_forward, self.open_link)
        self.episodes.settled.wait(DESKTOP_WAIT_S)
        if not self.closed.is_set():
            self.desktop.start()

    def _worker_main(self) -> None:
        self.window.events.before_show.wait(15)  # the window exists and the first URL is loading
        gen = self.episodes.generation
        on_signin_page = self.state == State.SIGNIN
        if not on_signin_page:
            self.episodes.emit(State.SIGNING_IN, {})
            if self.page_user:
                self.handoff.watch_page_session(gen, self.page_user)
        # The worker's imports and keyring work take ~200 ms of CPU; beside the page's first load they
        # slow it by ~50 ms on 2 cores (docs/benchmark.md). Rocket.Chat needs the token only once its
        # client started, after that load, so let the page load first (at most WORKER_AFTER_S).
        self._first_load.wait(WORKER_AFTER_S)
        self.session.create_flow()
        self.session.resume(gen, on_signin_page=on_signin_page)

    # ----------------------------------------------------------------- window plumbing

    def _page_hooks(self, bridge: Bridge) -> engines.PageHooks:
        return engines.PageHooks(
            rc_origin=self.rc_origin,
            cover_source=self.cover_source(cover=True),
            desktop_source=injection.desktop_script(self.rc_origin),
            cache_dir=self.paths.webview_cache_dir,
            on_load_finished=self._on_page_load,
            on_external=self._open_external,
            back_to_rocketchat=lambda: self.load(self.rc_url),
            on_wake=self._on_wake,
            wake_marker=injection.WAKE_MARKER,
            bridge_call=bridge.dispatch,
            certificate_error=self.trust.decide,
            proxy=self.settings.proxy,
            features=feature_options(
                self.settings, self.paths, self.rc_origin, self.debug, self._open_external, self.desktop
            ),
            token_loads=self.token_loads,
        )

    def _on_initialized(self, renderer: str) -> bool:
        self.renderer = renderer
        self.timeline.note("renderer", renderer)
        problem = renderer_problem(renderer)
        if problem:
            self.exit_code, self.exit_reason = EXIT_BACKEND, problem
            return False
        return True

    def _on_page_load(self, url: str, ok: bool) -> None:
        with self.episodes.lock:
            self._last_load = (url, ok)
        self._first_load.set()
        self.wakeups.notify()
        if ok and navigation.is_rocketchat(url, self.rc_origin):
            self.timeline.mark("page_loaded")
        elif ok and navigation.is_local_page(url):
            self.timeline.mark("local_page_loaded")
        if not ok and self.state == State.SIGNED_IN and navigation.is_rocketchat(url, self.rc_origin):
            gen = self.episodes.generation
            threading.Thread(target=self._check_signed_in_page, args=(gen,), daemon=True).start()

    def _on_wake(self, what: str) -> None:
        self.wakeups.notify()
        if what in MILESTONES:
            self.timeline.mark(MILESTONES[what])

    def _check_signed_in_page(self, gen: int) -> None:
        """A Rocket.Chat load failed after sign-in: show the error page rather than Chromium's blank
        one, if the page really left Rocket.Chat."""
        self.closed.wait(0.5)
        state = self.evaluate("({origin: location.origin})")
        if isinstance(state, dict) and state.get("origin") != self.rc_origin and self.episodes.current(gen):
            self.show_unreachable(gen)

    def _open_external(self, url: str) -> None:
        if navigation.carries_secret(url):
            # On the Qt thread, inside the engine's navigation call: the error page loads from a thread.
            _log.warning("refused to send a link with a sign-in token to %s", navigation.redact(url))
            threading.Thread(target=self._refused_token_link, name="refused-link", daemon=True).start()
            return
        self.external_opened.append(url)
        navigation.open_external(url)

    def _refused_token_link(self) -> None:
        """During the sign-in, the link left Rocket.Chat's origin: stop the hand-off and say so on the
        error page. Later (a link with a token parameter posted in a chat) the link only stays closed."""
        if self.state == State.SIGNING_IN:
            self.pages.show_error(self.episodes.interrupt(), SIGN_IN_LINK_REFUSED)

    def _after_close(self) -> int:
        self.closed.set()
        self.desktop.close()
        self.episodes.end()
        if self.exit_code is None:
            self.exit_code = EXIT_FAILED if self.exit_rule is not None else EXIT_OK
            if self.exit_rule is not None:
                self.exit_reason = "The window was closed before Rocket.Chat was signed in."
        if not self.remember and not self.session.signed_out:
            webstate.request_wipe(self.paths)  # "keep me signed in" was off: leave no session behind
        webstate.wipe_if_requested(self.paths)
        return self._finish(self.exit_code, self.exit_reason)

    def _finish(self, code: int, reason: str | None) -> int:
        self.timeline.note("exit_code", code)
        if reason:
            self.timeline.note("exit_reason", reason)
            print(reason, file=sys.stderr if code else sys.stdout)
        return code


def _quiet_pywebview_logs() -> None:
    """pywebview logs loaded URLs at debug level; the deep link carries a token, so mask it."""
    try:
        from launcher.logs.redaction import RedactingFilter

        logging.getLogger("pywebview").addFilter(RedactingFilter())
    except Exception:
        _log.warning("could not install the log redaction filter")
