"""The Qt WebEngine engine (Linux): what pywebview does not expose, done on Qt directly.

Running code on the Qt (main) thread, scripts in the page, the window's place, shortcuts, screenshots
and the menu. The page itself (navigation guard, the bridge only on local pages, load results, cover.js's
console wake-ups, pop-ups) is qt_page.GuardedPage. Import this module only when the Qt backend is in use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import webview.platforms.qt as _qt
from qtpy import QtCore

import launcher.window.engines.qt_page as qt_page
import launcher.window.engines.qt_proxy as qt_proxy
from launcher.paths import private_dir
from launcher.window import place, strategy
from launcher.window.engines.base import Engine, PageHooks
from launcher.window.engines.qt_page import GuardedPage
from launcher.window.place import WindowState

_log = logging.getLogger(__name__)


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


class QtEngine(Engine):
    """Qt WebEngine through pywebview's Qt platform, with the launcher's page class swapped in."""

    gui = "qt"
    poll_interval_s = strategy.WAKE_POLL_S  # cover.js wakes the loops; this is only the safety net

    def __init__(self) -> None:
        self.hooks: PageHooks | None = None
        self.page: GuardedPage | None = None
        self.invoker: _Invoker | None = None
        self.window: Any = None
        self._saved: WindowState | None = None
        self._start_hidden: Callable[[], bool] = lambda: False
        self._shortcuts: Any = None
        self.features: Any = None  # qt_features.features.QtFeatures, when the shell asked for it

    # -- before the window exists

    def prepare(self, hooks: PageHooks, storage_dir: Path) -> None:
        self.hooks = hooks
        private_dir(storage_dir)
        _qt._profile_storage_path = str(storage_dir)  # read when the window's profile is created
        from launcher.window.engines.qt_features.features import QtFeatures

        self.features = QtFeatures(hooks.features, storage_dir)
        qt_proxy.use_proxy(hooks.proxy)
        qt_page.install(hooks, self._page_created, self.features)

    def _page_created(self, page: GuardedPage) -> None:
        self.page, self.invoker = page, _Invoker()

    def window_options(
        self, saved: WindowState | None, default_size: tuple[int, int], start_hidden: Callable[[], bool]
    ) -> dict[str, Any]:
        self._saved, self._start_hidden = saved, start_hidden
        return {"width": default_size[0], "height": default_size[1]}  # the place is set in before_show

    def attach(self, window: Any) -> None:
        self.window = window

    def before_show(self, window: Any) -> None:
        native = window.native
        if self.features is not None:
            self.features.window_shown(native)
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
            self.on_ui_thread(lambda: qt_page.set_document_script(page, source))

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

    def forget_permissions(self) -> int:
        features = self.features
        return int(self.on_ui_thread(features.forget_permissions) or 0) if features is not None else 0

    def install_shortcuts(self, reload: Callable[[], None]) -> None:
        native = self.native_window
        if native is None:
            return

        def install() -> None:
            from launcher.window.shortcuts import Shortcuts

            self._shortcuts = Shortcuts(native, reload)

        self.on_ui_thread(install)

    def screenshot(self, path: Path) -> bool:
        """A Qt grab of the top-level window, menu bar included."""
        native = self.native_window
        if native is None:
            return False
        return bool(self.on_ui_thread(lambda: native.grab().save(str(path), "PNG"), timeout=15.0))


def _screens() -> list[place.Rect]:
    from qtpy.QtGui import QGuiApplication

    rects = []
    for screen in QGuiApplication.screens():
        g = screen.availableGeometry()
        rects.append(place.Rect(g.x(), g.y(), g.width(), g.height()))
    return rects
