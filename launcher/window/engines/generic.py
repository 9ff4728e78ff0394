"""WebView2 (Windows) and WKWebView (macOS): the engines reached only through pywebview's portable calls.

No navigation hook and no document-start script here: after each load the engine checks where the
window is (a page of another origin goes to the system browser and the window back to Rocket.Chat) and
installs the desktop script then. No token reaches a foreign page either way: every injected script
re-checks the origin inside the page. pywebview's own object is injected into every page on these
engines (its evaluate_js needs it), so the bridge's dispatcher, not its absence, refuses other pages.
The window's place is followed through pywebview's move/resize events.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from launcher.paths import private_dir
from launcher.window import navigation, strategy
from launcher.window.engines.base import Engine, PageHooks, replace_bridge_dispatcher
from launcher.window.place import Rect, WindowState
from launcher.window.place_tracker import WindowTracker

_log = logging.getLogger(__name__)


class GenericEngine(Engine):
    """pywebview's platform engine, whatever it picked (the renderer check refuses the ones that
    cannot show Rocket.Chat)."""

    gui = None
    poll_interval_s = strategy.POLL_S  # nothing wakes the loops here: read the page often

    def __init__(self) -> None:
        self.hooks: PageHooks | None = None
        self.window: Any = None
        self._tracker: WindowTracker | None = None

    def prepare(self, hooks: PageHooks, storage_dir: Path) -> None:
        self.hooks = hooks
        private_dir(storage_dir)
        replace_bridge_dispatcher(hooks.bridge_call)

    def window_options(
        self, saved: WindowState | None, default_size: tuple[int, int], start_hidden: Callable[[], bool]
    ) -> dict[str, Any]:
        self._tracker = WindowTracker(_screens(), saved, default_size)
        return self._tracker.create_options(start_hidden=start_hidden())

    def attach(self, window: Any) -> None:
        self.window = window
        if self._tracker is not None:
            self._tracker.attach(window.events)
        window.events.loaded += self._on_loaded

    def shown(self) -> None:
        """Where the system put the window, when no saved place told it where to open."""
        window = self.window
        if self._tracker is None or window is None:
            return
        try:
            self._tracker.seed(int(window.x), int(window.y), int(window.width), int(window.height))
        except Exception:
            _log.info("the window's place could not be read")

    def _on_loaded(self) -> None:
        hooks = self.hooks
        url = self.current_url()
        if hooks is None or not url:
            return
        kind = navigation.classify(url, hooks.rc_origin)
        if navigation.refuses_token_link(url, hooks.rc_origin, hooks.token_loads):
            # No hook before the load here: the page has seen the token already; leave it at once (the
            # signed-in watch then finds the page on another account and signs the employee in again).
            _log.warning("a Rocket.Chat address with a sign-in token in it loaded (not the launcher's own)")
            hooks.back_to_rocketchat()
            return
        if kind == "rocketchat":
            hooks.token_loads.consume(url)
        if kind in ("external", "blocked"):
            if kind == "external":
                hooks.on_external(url)
            hooks.back_to_rocketchat()
            return
        hooks.on_load_finished(url, True)
        if kind == "rocketchat":  # no document-start hook here: install the desktop script now
            self.run_js(hooks.desktop_source)

    def current_url(self) -> str | None:
        try:
            return self.window.get_current_url() if self.window is not None else None
        except Exception:
            return None

    def run_js(self, script: str, timeout: float = 5.0) -> Any:
        window = self.window
        return _within(timeout, lambda: window.evaluate_js(script)) if window is not None else None

    def _run_js_unhooked(self, script: str, timeout: float) -> Any:
        """pywebview's `evaluate_js` hands the script's text to the page's own `eval` (and `pywebview.
        stringify`), which a page can replace and so read a token in it: scripts that carry one go
        through `run_js`, which WebView2 (ExecuteScriptAsync) and WKWebView (evaluateJavaScript)
        evaluate natively. Both return the script's completion value as JSON-able data."""
        window = self.window
        if window is None:
            return None

        def call() -> Any:
            value = window.run_js(script)
            return json.loads(value) if isinstance(value, str) else value

        return _within(timeout, call)

    def delete_cookies(self) -> None:
        if self.window is not None:
            self.window.clear_cookies()

    def bring_forward(self) -> None:
        window = self.window
        if window is None:
            return
        try:
            window.show()  # WebView2: Show + Activate; WKWebView: makeKeyAndOrderFront + activate
            if self._tracker is None or self._tracker.minimized:
                window.restore()  # only when minimized: on Windows it would also un-maximize
        except Exception:
            _log.exception("could not bring the window forward")

    def hide(self) -> None:
        if self.window is not None:
            self.window.hide()

    def place(self) -> WindowState | None:
        return self._tracker.state() if self._tracker is not None else None


def _within(timeout: float, call: Callable[[], Any]) -> Any:
    """`call()` on a worker thread (pywebview's script calls block until the page answers): its result,
    or None if it raised or did not return within `timeout` seconds."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except Exception:
            box["value"] = None

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    return box.get("value")


def _screens() -> list[Rect]:
    """pywebview's screens (WinForms, AppKit): available before the window exists."""
    try:
        import webview

        return [Rect(s.x, s.y, s.width, s.height) for s in webview.screens]
    except Exception:
        _log.info("the screens are unknown: the saved window place is used as it is")
        return []
