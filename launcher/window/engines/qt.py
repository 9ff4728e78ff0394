"""The Qt WebEngine engine (Linux): what pywebview does not expose, done on Qt directly.

The navigation guard, the document-start cover script, load failures, cover.js's console wake-ups
(injection.WAKE_MARKER), the bridge only on the launcher's own pages, screenshots, the window's place,
and running code on the Qt (main) thread.

pywebview builds its page from the class `BrowserView.WebPage` (webview/platforms/qt.py); the engine
swaps in a subclass before the window is created, so every hook is in place before the first URL loads.
Import this module only when the Qt backend is in use.
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

from launcher.desktop import place
from launcher.desktop.place import WindowState
from launcher.window import navigation, strategy
from launcher.window.engines.base import Engine, PageHooks, replace_bridge_dispatcher

_log = logging.getLogger(__name__)

_SCRIPT_NAME = "rocketchat-launcher-cover"
_DESKTOP_SCRIPT_NAME = "rocketchat-launcher-desktop"


_engine: QtEngine | None = None  # the engine whose hooks the page class reads (one window per process)


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
        engine = _engine
        hooks = engine.hooks if engine is not None and engine.page is None else None
        self._hooks = hooks
        self._channel: Any = None  # pywebview's QWebChannel, attached only while a local page shows
        if engine is None or hooks is None:
            return  # the web inspector's page (or a second page): plain pywebview behaviour
        if profile is not None:
            hooks.cache_dir.mkdir(parents=True, exist_ok=True)
            profile.setCachePath(str(hooks.cache_dir))
        engine.page = self
        engine.invoker = _Invoker()
        _set_document_script(self, hooks.cover_source)
        if hooks.desktop_source:
            _set_document_script(self, hooks.desktop_source, _DESKTOP_SCRIPT_NAME)
        self.loadFinished.connect(self._load_finished)
        self.renderProcessTerminated.connect(self._render_process_terminated)

    def setWebChannel(self, channel: Any, *args: Any) -> None:
        """pywebview attaches its channel once, for every page; keep it for the launcher's own pages."""
        if self._hooks is None:
            super().setWebChannel(channel, *args)
            return
        self._channel = channel
        if navigation.is_local_page(self.url().toString()):
            super().setWebChannel(channel, *args)

    def acceptNavigationRequest(self, url: Any, nav_type: Any, is_main_frame: bool) -> bool:
        hooks = self._hooks
        if hooks is None or not is_main_frame:
            return True  # sub-frames (Rocket.Chat's embeds) stay Rocket.Chat's business
        target = url.toString()
        kind = navigation.classify(target, hooks.rc_origin)
        typed = nav_type == QWebEnginePage.NavigationType.NavigationTypeTyped
        if typed or kind in ("local", "rocketchat"):
            # The bridge's transport exists only in the launcher's own pages: Rocket.Chat's page (an
            # admin's custom script, an XSS) finds no `qt.webChannelTransport` to reach Python through.
            super().setWebChannel(self._channel if kind == "local" else None)
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


_pywebview_set_js_api = _qt.BrowserView._set_js_api


def _set_js_api_on_local_pages(view: Any) -> None:
    """pywebview injects `window.pywebview` after every load; only the launcher's own pages get it.

    Elsewhere the load is only announced (pywebview's `loaded` event), so pywebview's waits go on."""
    if navigation.is_local_page(view.webview.page().url().toString()):
        _pywebview_set_js_api(view)
        return
    window = view.js_bridge.window
    window.events.before_load.set()
    window.events.loaded.set()


class QtEngine(Engine):
    """Qt WebEngine through pywebview's Qt platform, with the launcher's page class swapped in."""

    gui = "qt"
    poll_interval_s = strategy.WAKE_POLL_S  # cover.js wakes the loops; this is only the safety net

    def __init__(self) -> None:
        self.hooks: PageHooks | None = None
        self.page: _GuardedPage | None = None
        self.invoker: _Invoker | None = None
        self.window: Any = None
        self._saved: WindowState | None = None
        self._start_hidden: Callable[[], bool] = lambda: False
        self._shortcuts: Any = None

    # -- before the window exists

    def prepare(self, hooks: PageHooks, storage_dir: Path) -> None:
        global _engine
        _engine = self
        self.hooks = hooks
        storage_dir.mkdir(parents=True, exist_ok=True)
        _qt._profile_storage_path = str(storage_dir)  # read when the window's profile is created
        _qt.BrowserView.WebPage = _GuardedPage
        _qt.BrowserView._set_js_api = _set_js_api_on_local_pages
        replace_bridge_dispatcher(hooks.bridge_call)

    def window_options(
        self, saved: WindowState | None, default_size: tuple[int, int], start_hidden: Callable[[], bool]
    ) -> dict[str, Any]:
        self._saved, self._start_hidden = saved, start_hidden
        return {"width": default_size[0], "height": default_size[1]}  # the place is set in before_show

    def attach(self, window: Any) -> None:
        self.window = window

    def before_show(self, window: Any) -> None:
        native = window.native
        if self._saved is not None:
            fitted = place.fit_on_screen(self._saved, _screens())
            native.setGeometry(fitted.x, fitted.y, fitted.width, fitted.height)
            if fitted.maximized and not window.minimized:
                window.maximized = True
        if self._start_hidden():  # Qt runs now, so the tray's availability is known
            window.minimized = False
            window.hidden = True

    # -- the page

    def current_url(self) -> str | None:
        page = self.page
        return self.on_ui_thread(lambda: page.url().toString()) if page is not None else None

    def run_js(self, script: str, timeout: float = 5.0) -> Any:
        """Evaluate `script` in the page's main world. Unlike pywebview's evaluate_js this does not wait
        for pywebview's own bridge (which Rocket.Chat's pages never get), so the sign-in loop can start as
        soon as the document exists."""
        page, invoker = self.page, self.invoker
        if page is None or invoker is None:
            return None
        done = threading.Event()
        box: dict[str, Any] = {}

        def callback(value: Any) -> None:
            box["value"] = value
            done.set()

        try:
            invoker.submit(lambda: page.runJavaScript(script, 0, callback))
        except Exception:
            return None
        if not done.wait(timeout):
            return None
        return box.get("value")

    def set_document_script(self, source: str) -> None:
        page = self.page
        if page is not None:
            self.on_ui_thread(lambda: _set_document_script(page, source))

    def delete_cookies(self) -> None:
        page = self.page
        if page is not None:
            self.on_ui_thread(lambda: page.profile().cookieStore().deleteAllCookies())

    # -- the native window

    def on_ui_thread(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        invoker = self.invoker
        if invoker is None:
            return None
        return invoker.submit(fn, timeout=timeout)

    @property
    def native_window(self) -> Any:
        """pywebview's QMainWindow (None before it exists); for code that runs on the UI thread."""
        return getattr(self.window, "native", None)

    def bring_forward(self) -> None:
        native = self.native_window
        if native is None:
            return

        def show() -> None:
            native.show()
            if native.isMinimized():
                native.showNormal()
            native.raise_()
            native.activateWindow()

        self.on_ui_thread(show)

    def hide(self) -> None:
        native = self.native_window
        if native is not None:
            native.hide()  # called from pywebview's closing handler, on the UI thread

    def is_active(self) -> bool:
        native = self.native_window
        if native is None:
            return False
        return bool(self.on_ui_thread(lambda: native.isVisible() and native.isActiveWindow(), timeout=2.0))

    def place(self) -> WindowState | None:
        native = self.native_window
        if native is None or not native.isVisible():
            return None
        geometry = native.normalGeometry() if native.isMaximized() else native.geometry()
        return WindowState(
            x=geometry.x(),
            y=geometry.y(),
            width=geometry.width(),
            height=geometry.height(),
            maximized=bool(native.isMaximized()),
        )

    def install_shortcuts(self, reload: Callable[[], None]) -> None:
        native = self.native_window
        if native is None:
            return

        def install() -> None:
            from launcher.desktop.shortcuts import Shortcuts

            self._shortcuts = Shortcuts(native, reload)

        self.on_ui_thread(install)

    def screenshot(self, path: Path) -> bool:
        """A Qt grab of the top-level window, menu bar included."""
        native = self.native_window
        if native is None:
            return False
        return bool(self.on_ui_thread(lambda: native.grab().save(str(path), "PNG"), timeout=15.0))

    def trigger_menu(self, title: str) -> bool:
        native = self.native_window
        if native is None:
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

            return walk(native.menuBar().actions())

        return bool(self.on_ui_thread(find_and_trigger))

    def facts(self) -> dict[str, Any]:
        native = self.native_window
        if native is None:
            return {}

        def read() -> dict[str, Any]:
            g = native.geometry()
            return {
                "title": native.windowTitle(),
                "visible": native.isVisible(),
                "minimized": native.isMinimized(),
                "maximized": native.isMaximized(),
                "geometry": [g.x(), g.y(), g.width(), g.height()],
                "zoom": native.webview.zoomFactor(),
            }

        return self.on_ui_thread(read) or {}


def _screens() -> list[place.Rect]:
    from qtpy.QtGui import QGuiApplication

    rects = []
    for screen in QGuiApplication.screens():
        g = screen.availableGeometry()
        rects.append(place.Rect(g.x(), g.y(), g.width(), g.height()))
    return rects
