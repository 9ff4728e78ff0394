"""The desktop shell: one window over one web engine, and the `Page` port the sign-in acts through.

The Shell builds the window (pywebview, the engine in engines/, the bridge for the launcher's own
pages), routes its events, and implements launcher/window/page.py over the engine. It decides no sign-in
step and imports none of the parts that do: app.py builds the sign-in controller, the person's
requests (signin_form.py), the link opener and the desktop, and `connect`s them (shell_parts.py says
what the Shell calls on each). Every sign-in step runs on worker threads; the UI thread only runs the
window.

Start path: the window opens on the page the sign-in picks (Rocket.Chat when the profile holds a
signed-in session, else the sign-in page). Only once that first page has loaded (at most
WORKER_AFTER_S) does a worker import httpx and keyring and resume the sign-in, so the page's load does
not share the 2 cores with it (timeline: window_shown, page_loaded, token_ready).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from launcher.paths import Paths, private_dir
from launcher.timeline import Timeline
from launcher.web import ICON_PNG
from launcher.window import engines, injection, navigation, place, webstate
from launcher.window.bridge import Bridge, Controller
from launcher.window.engine_page import EnginePage
from launcher.window.exit_when_ready import EXIT_BACKEND, EXIT_FAILED, EXIT_OK, ExitWhenReady
from launcher.window.features.options import feature_options
from launcher.window.page_trust import PageTrust
from launcher.window.renderer import renderer_problem
from launcher.window.states import Episodes, State
from launcher.window.wakeups import MILESTONES

if TYPE_CHECKING:
    from launcher.config.settings import Settings
    from launcher.window.shell_parts import DesktopPart, LinksPart, SignInPart

__all__ = ["WINDOW_SIZE", "Shell"]

_log = logging.getLogger(__name__)

WINDOW_SIZE = (1180, 780)
DESKTOP_WAIT_S = 15.0
WORKER_AFTER_S = 1.0


class Shell:
    """Owns the window. `connect(...)` the parts before `run()`, which blocks until the window closes."""

    def __init__(
        self,
        settings: Settings,
        paths: Paths,
        timeline: Timeline,
        *,
        debug: bool = False,
        exit_rule: ExitWhenReady | None = None,
        start_minimized: bool = False,
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
        self.closed = threading.Event()
        self.episodes = Episodes(self.closed)
        self.trust = PageTrust(settings.ca_file)  # the page trusts what the sign-in trusts
        # The Page port the sign-in parts get (engine_page.py): the page, and nothing else of the window.
        self.page = EnginePage(self.rc_url, self.rc_origin, self.organization, self.trust, self.closed)
        self.wakeups = self.page.wakeups
        self.token_loads = self.page.token_loads  # the one token link the window may load
        self.exit_rule = exit_rule
        self._instance = instance  # single_instance.PrimaryInstance: later starts bring this window forward
        self._first_load = threading.Event()  # the window's first page finished loading (or failed)
        # The parts, from app.py (connect): the Shell calls them, never the other way round.
        self.sign_in: SignInPart | None = None
        self.desktop: DesktopPart | None = None
        self.links: LinksPart | None = None
        self._form: Controller | None = None
        self._sign_out: Callable[[], None] = lambda: None

    def connect(
        self,
        *,
        sign_in: SignInPart,
        form: Controller,
        sign_out: Callable[[], None],
        desktop: DesktopPart,
        links: LinksPart,
    ) -> None:
        """The parts app.py built: the sign-in, what the local pages may ask (`form`), the menu's and
        tray's Sign out, the desktop and the link opener."""
        self.sign_in, self._form, self._sign_out = sign_in, form, sign_out
        self.desktop, self.links = desktop, links

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

        if self.sign_in is None or self._form is None or self.desktop is None:
            raise RuntimeError("Shell.connect() the parts before run()")
        try:
            self.engine = self.page.engine = engine = engines.choose()
        except engines.EngineUnavailable as exc:
            return self._finish(EXIT_BACKEND, str(exc))
        _quiet_pywebview_logs()
        webstate.wipe_if_requested(self.paths)
        start_url = self.sign_in.first_page()

        bridge = Bridge(self._form, engine.current_url, engine.run_js)
        engine.prepare(self._page_hooks(bridge), self.paths.webview_storage_dir)
        webview.settings["ALLOW_DOWNLOADS"] = True
        webview.settings["OPEN_EXTERNAL_LINKS_IN_BROWSER"] = True
        webview.settings["OPEN_DEVTOOLS_IN_DEBUG"] = False
        options: dict[str, Any] = {"minimized": self.start_minimized}
        options.update(
            place.opening_options(engine, self.paths.data_dir, WINDOW_SIZE, self.desktop.start_hidden)
        )
        self.window = webview.create_window(
            self.organization,
            start_url,
            js_api=None,  # never an object: pywebview's dispatcher would reach all of it (bridge.py)
            min_size=(420, 560),
            text_select=True,
            zoomable=True,
            background_color="#F3F5F9",
            **options,
        )
        self.page.window = self.window
        self.window.expose(*bridge.functions())
        engine.attach(self.window)
        events = self.window.events
        events.initialized += self._on_initialized
        events.shown += lambda: self.timeline.mark("window_shown")
        events.closed += self.closed.set
        events.closed += self.wakeups.notify
        events.closed += self.episodes.settled.set
        events.before_show += engine.before_show
        events.closing += self._on_closing

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
        return self.page.evaluate(script, timeout)

    def current_url(self) -> str | None:
        return self.page.current_url()

    def screenshot(self, path: Path) -> bool:
        """Save what the window shows as PNG (False where the engine cannot)."""
        return self.engine is not None and self.engine.screenshot(path)

    def set_title(self, title: str) -> None:
        if self.window is not None:
            self.window.set_title(title)

    def commands_work(self) -> bool:
        """Whether Rocket.Chat takes iframe commands now (the sign-in knows how it signed in)."""
        return self.sign_in is not None and self.sign_in.commands_work()

    def expect_typed_sign_in(self) -> None:
        """Someone (the e2e driver, the demo) will type into the sign-in form: with --exit-when-ready,
        the form alone does not end the run; a failed sign-in there does."""
        if self.exit_rule is not None:
            self.exit_rule.wait_for_form = True

    # ----------------------------------------------------------------- menu actions

    def sign_out(self) -> None:
        """Menu "Sign out": Rocket.Chat's logout command, clear web storage and keyring, sign-in page."""
        self._sign_out()

    def forget_permissions(self) -> None:
        """Menu "Forget permissions": the next microphone, camera or screen request asks again."""
        if self.engine is not None:
            _log.info("forgot %s remembered permission answers", self.engine.forget_permissions())

    def load_rocketchat(self, path: str) -> None:
        """Open a page of Rocket.Chat (a room's route such as "channel/general"), never another site."""
        self.page.load(f"{self.rc_url}/{path.lstrip('/')}")

    def open_link(self, route: str, *, bring_forward: bool = True) -> bool:
        """Open a Rocket.Chat route from `rocketchat-launcher open` (checked again; see open_link.py)."""
        return self.links is not None and self.links.open(route, bring_forward=bring_forward)

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

    # ----------------------------------------------------------------- worker side

    def _desktop_main(self) -> None:
        """Bring-forward once the window is on screen; tray, notifications and the unread count once the
        window settled (at the latest after DESKTOP_WAIT_S): they follow the signed-in Rocket.Chat, and
        starting them earlier would compete with loading and signing in the page."""
        if self.window is None or not self.window.events.shown.wait(30) or self.closed.is_set():
            return
        if self.engine is not None:
            self.engine.shown()
        desktop = self.desktop
        if desktop is None:
            return
        if self._instance is not None:
            self._instance.listen(desktop.bring_forward, self.open_link)
        self.episodes.settled.wait(DESKTOP_WAIT_S)
        if not self.closed.is_set():
            desktop.start()

    def _worker_main(self) -> None:
        sign_in = self.sign_in
        if sign_in is None:
            return
        self.window.events.before_show.wait(15)  # the window exists and the first URL is loading
        sign_in.page_opened()
        # The worker's imports and keyring work take ~200 ms of CPU; beside the page's first load they
        # slow it by ~50 ms on 2 cores (docs/benchmark.md). Rocket.Chat needs the token only once its
        # client started, after that load, so let the page load first (at most WORKER_AFTER_S).
        self._first_load.wait(WORKER_AFTER_S)
        sign_in.start()

    # ----------------------------------------------------------------- window plumbing

    def _page_hooks(self, bridge: Bridge) -> engines.PageHooks:
        return engines.PageHooks(
            rc_origin=self.rc_origin,
            cover_source=self.page.cover_source(cover=True),
            desktop_source=injection.desktop_script(self.rc_origin),
            cache_dir=self.paths.webview_cache_dir,
            on_load_finished=self._on_page_load,
            on_external=self._open_external,
            back_to_rocketchat=lambda: self.page.load(self.rc_url),
            on_wake=self._on_wake,
            wake_marker=injection.WAKE_MARKER,
            bridge_call=bridge.dispatch,
            certificate_error=self.trust.decide,
            proxy=self.settings.proxy,
            features=feature_options(
                self.settings, self.paths, self.rc_origin, self.debug, self._open_external, self._notify_file
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
        self.page.loaded(url, ok)
        self._first_load.set()
        if ok and navigation.is_rocketchat(url, self.rc_origin):
            self.timeline.mark("page_loaded")
        elif ok and navigation.is_local_page(url):
            self.timeline.mark("local_page_loaded")
        if not ok and self.sign_in is not None:
            self.sign_in.page_load_failed(url)

    def _on_wake(self, what: str) -> None:
        self.wakeups.notify()
        if what in MILESTONES:
            self.timeline.mark(MILESTONES[what])

    def _open_external(self, url: str) -> None:
        if navigation.carries_secret(url):
            # On the Qt thread, inside the engine's navigation call: the error page loads from a thread.
            _log.warning("refused to send a link with a sign-in token to %s", navigation.redact(url))
            if self.sign_in is not None:
                threading.Thread(
                    target=self.sign_in.token_link_refused, name="refused-link", daemon=True
                ).start()
            return
        self.external_opened.append(url)
        navigation.open_external(url)

    def _notify_file(self, title: str, body: str, open_path: Path | None) -> None:
        if self.desktop is not None:
            self.desktop.notify_file(title, body, open_path)

    def _on_closing(self) -> bool:
        """pywebview's closing (UI thread): keep the window's place; the desktop may keep the window."""
        place.keep(self.engine, self.paths.data_dir)
        return self.desktop.on_closing() if self.desktop is not None else True

    def _after_close(self) -> int:
        self.closed.set()
        if self.desktop is not None:
            self.desktop.close()
        self.episodes.end()
        if self.exit_code is None:
            self.exit_code = EXIT_FAILED if self.exit_rule is not None else EXIT_OK
            if self.exit_rule is not None:
                self.exit_reason = "The window was closed before Rocket.Chat was signed in."
        if self.sign_in is not None and self.sign_in.wipe_at_exit():
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
