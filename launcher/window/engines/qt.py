"""Qt WebEngine specifics pywebview does not expose: navigation guard, document-start script, load
failures, cover.js's console wake-ups (launcher.injection.WAKE_MARKER), screenshots, the persistent profile's paths, and running code on the Qt (main) thread.

pywebview builds its page from the class `BrowserView.WebPage` (webview/platforms/qt.py); we swap in a
subclass before the window is created, so every hook is in place before the first URL loads. Import this
module only when the Qt backend is in use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import webview.platforms.qt as _qt
from qtpy import QtCore
from qtpy.QtWebEngineCore import QWebEnginePage, QWebEngineScript

from launcher.window import navigation

_log = logging.getLogger(__name__)

_SCRIPT_NAME = "rocketchat-launcher-cover"
_DESKTOP_SCRIPT_NAME = "rocketchat-launcher-desktop"


class PageHooks:
    """What the shell wants from the page; set once, before the window is created."""

    def __init__(
        self,
        rc_origin: str,
        cover_source: str,
        cache_dir: Path,
        on_load_finished: Callable[[str, bool], None],
        on_external: Callable[[str], None],
        desktop_source: str | None = None,
        on_wake: Callable[[str], None] | None = None,
        wake_marker: str = "",
    ) -> None:
        self.rc_origin = rc_origin
        self.on_wake = on_wake
        self.wake_marker = wake_marker
        self.cover_source = cover_source
        self.desktop_source = desktop_source
        self.cache_dir = cache_dir
        self.on_load_finished = on_load_finished
        self.on_external = on_external
        self.page: _GuardedPage | None = None
        self.invoker: _Invoker | None = None


_hooks: PageHooks | None = None


class _Invoker(QtCore.QObject):
    """Runs callables on the thread it lives on (the Qt main thread) when called from any thread."""

    _call = QtCore.Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._call.connect(self._run)

    def _run(self, job: Callable[[], None]) -> None:
        job()

    def submit(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run fn on the Qt thread and return its result (None if it did not finish in time)."""
        if threading.current_thread() is threading.main_thread():
            return fn()
        done = threading.Event()
        box: dict[str, Any] = {}

        def job() -> None:
            try:
                box["value"] = fn()
            except Exception as exc:
                box["error"] = exc
            finally:
                done.set()

        self._call.emit(job)
        if not done.wait(timeout):
            return None
        if "error" in box:
            raise box["error"]
        return box.get("value")


_PywebviewPage = _qt.BrowserView.WebPage


class _GuardedPage(_PywebviewPage):
    """pywebview's page plus: top-level navigation policy, the cover script, and load results."""

    def __init__(self, parent: Any = None, profile: Any = None) -> None:
        # pywebview's __init__ calls super(BrowserView.WebPage, self): let that name mean its own class
        # while it runs, or the call would land back in this class.
        _qt.BrowserView.WebPage = _PywebviewPage
        try:
            super().__init__(parent, profile)
        finally:
            _qt.BrowserView.WebPage = _GuardedPage
        hooks = _hooks
        self._hooks = hooks
        if hooks is None:  # e.g. the web inspector window: plain pywebview behaviour
            return
        if profile is not None:
            hooks.cache_dir.mkdir(parents=True, exist_ok=True)
            profile.setCachePath(str(hooks.cache_dir))
        hooks.page = self
        hooks.invoker = _Invoker()
        _set_document_script(self, hooks.cover_source)
        if hooks.desktop_source:
            _set_document_script(self, hooks.desktop_source, _DESKTOP_SCRIPT_NAME)
        self.loadFinished.connect(self._load_finished)
        self.renderProcessTerminated.connect(self._render_process_terminated)

    def acceptNavigationRequest(self, url: Any, nav_type: Any, is_main_frame: bool) -> bool:
        hooks = self._hooks
        if hooks is None or not is_main_frame:
            return True  # sub-frames (Rocket.Chat's embeds) stay Rocket.Chat's business
        target = url.toString()
        if nav_type == QWebEnginePage.NavigationType.NavigationTypeTyped:
            return True  # the launcher itself asked for this URL
        kind = navigation.classify(target, hooks.rc_origin)
        if kind in ("local", "rocketchat"):
            return True
        if kind == "external":
            hooks.on_external(target)
        else:
            _log.info("blocked a navigation to a %s URL", url.scheme() or "scheme-less")
        return False

    def javaScriptConsoleMessage(self, level: Any, message: str, line: int, source: str) -> None:
        """cover.js's wake-up marker: tell the shell to read the page now (the marker proves nothing by
        itself, and is not passed on to Qt's console log). Every other message goes the usual way."""
        hooks = self._hooks
        marker = hooks.wake_marker if hooks is not None and hooks.on_wake is not None else ""
        if marker and isinstance(message, str) and message.startswith(marker):
            try:
                hooks.on_wake(message[len(marker) :][:32])  # type: ignore[union-attr]
            except Exception:
                _log.exception("wake-up handler failed")
            return
        super().javaScriptConsoleMessage(level, message, line, source)

    def createWindow(self, window_type: Any) -> QWebEnginePage:
        """Pop-ups (target=_blank, window.open): hand the URL to the system browser, never a new webview."""
        if self._hooks is None:
            return super().createWindow(window_type)
        catcher = _PopupCatcher(self.profile(), self._hooks)
        self._popups = [p for p in getattr(self, "_popups", []) if not p.done] + [catcher]
        return catcher

    def _load_finished(self, ok: bool) -> None:
        if self._hooks is not None:
            self._hooks.on_load_finished(self.url().toString(), bool(ok))

    def _render_process_terminated(self, status: Any, exit_code: int) -> None:
        if self._hooks is not None:
            _log.warning("the web page process ended (status %s, code %s)", status, exit_code)
            self._hooks.on_load_finished(self.url().toString(), False)


class _PopupCatcher(QWebEnginePage):
    """Receives a pop-up's first navigation, passes http(s) URLs to the system browser, loads nothing."""

    def __init__(self, profile: Any, hooks: PageHooks) -> None:
        super().__init__(profile)
        self._hooks = hooks
        self.done = False

    def acceptNavigationRequest(self, url: Any, nav_type: Any, is_main_frame: bool) -> bool:
        if not self.done:
            self.done = True
            target = url.toString()
            if navigation.classify(target, self._hooks.rc_origin) in ("external", "rocketchat"):
                self._hooks.on_external(target)
            else:
                _log.info("blocked a pop-up to a %s URL", url.scheme() or "scheme-less")
        return False


def _set_document_script(page: QWebEnginePage, source: str, name: str = _SCRIPT_NAME) -> None:
    scripts = page.scripts()
    for old in scripts.find(name):
        scripts.remove(old)
    script = QWebEngineScript()
    script.setName(name)
    script.setSourceCode(source)
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    script.setRunsOnSubFrames(False)
    scripts.insert(script)


def install(hooks: PageHooks, storage_dir: Path) -> None:
    """Put our page class and profile path in place; call before webview.start()."""
    global _hooks
    _hooks = hooks
    storage_dir.mkdir(parents=True, exist_ok=True)
    _qt._profile_storage_path = str(storage_dir)  # read when the window's profile is created
    _qt.BrowserView.WebPage = _GuardedPage


def set_document_script(source: str) -> None:
    """Replace the document-creation script (e.g. cover on/off) for the next page loads."""
    hooks = _hooks
    if hooks is None or hooks.page is None or hooks.invoker is None:
        return
    page = hooks.page
    hooks.invoker.submit(lambda: _set_document_script(page, source))


def on_main_thread(fn: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Run `fn` on the Qt main thread and return its result (None before the page exists or on timeout)."""
    hooks = _hooks
    if hooks is None or hooks.invoker is None:
        return None
    return hooks.invoker.submit(fn, timeout=timeout)


def delete_all_cookies() -> None:
    hooks = _hooks
    if hooks is None or hooks.page is None or hooks.invoker is None:
        return
    page = hooks.page
    hooks.invoker.submit(lambda: page.profile().cookieStore().deleteAllCookies())


def grab(native_window: Any, path: Path) -> bool:
    """Save what the window shows as PNG (a Qt grab of the top-level window, menu bar included)."""
    hooks = _hooks
    if hooks is None or hooks.invoker is None:
        return False
    return bool(hooks.invoker.submit(lambda: native_window.grab().save(str(path), "PNG"), timeout=15.0))


def trigger_menu_action(native_window: Any, title: str) -> bool:
    """Trigger the window's menu entry called `title` exactly as a click would (used by the e2e driver)."""
    hooks = _hooks
    if hooks is None or hooks.invoker is None:
        return False

    def find_and_trigger() -> bool:
        def walk(actions: list[Any]) -> bool:
            for action in actions:
                if action.text() == title:
                    action.trigger()
                    return True
                menu = action.menu()
                if menu is not None and walk(menu.actions()):
                    return True
            return False

        return walk(native_window.menuBar().actions())

    return bool(hooks.invoker.submit(find_and_trigger))


def native_url() -> str | None:
    """The page's current URL straight from Qt (no wait for pywebview's `loaded`)."""
    hooks = _hooks
    if hooks is None or hooks.page is None or hooks.invoker is None:
        return None
    page = hooks.page
    return hooks.invoker.submit(lambda: page.url().toString())


def run_js(script: str, timeout: float = 5.0) -> Any:
    """Evaluate `script` in the page's main world and return its JSON-able result (None on timeout).

    Unlike pywebview's evaluate_js this does not wait for pywebview's own bridge to be injected, so the
    sign-in loop can start as soon as the document exists (Rocket.Chat starts late anyway)."""
    hooks = _hooks
    if hooks is None or hooks.page is None or hooks.invoker is None:
        return None
    page = hooks.page
    done = threading.Event()
    box: dict[str, Any] = {}

    def callback(value: Any) -> None:
        box["value"] = value
        done.set()

    hooks.invoker.submit(lambda: page.runJavaScript(script, 0, callback))
    if not done.wait(timeout):
        return None
    return box.get("value")
