"""Pop-ups that stay in the app: Rocket.Chat's own (file previews, its OAuth sign-in windows) and video
calls of the configured conference servers, each in a window of its own that shares the main window's
profile, so the session's cookies come along ("opens in the browser with an access error" is what the
official desktop app's users get when such a pop-up leaves it).

A pop-up page never gets the launcher's bridge (no web channel is attached to it). It may navigate only
within its own origin; any other link goes to the system browser. Closing it, or the page calling
window.close(), closes that window only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from qtpy import QtCore
from qtpy.QtWebEngineCore import QWebEnginePage
from qtpy.QtWebEngineWidgets import QWebEngineView
from qtpy.QtWidgets import QMainWindow

from launcher.origins import origin_of
from launcher.window import navigation
from launcher.window.workday.options import WorkdayOptions

__all__ = ["POPUP_NAME", "PopupPage", "where_popup_goes"]

_log = logging.getLogger(__name__)
POPUP_NAME = "launcher-popup"


def where_popup_goes(url: str, options: WorkdayOptions) -> str:
    """ "app" (an in-app window), "browser", or "blocked" (a scheme with no business leaving the app)."""
    kind = navigation.classify(url, options.rc_origin)
    if kind == "rocketchat":
        return "app"
    if kind != "external":
        return "blocked"
    try:
        origin = origin_of(url)
    except ValueError:
        return "blocked"
    if options.calls_in_app and origin in options.call_origins:
        return "app"
    return "browser"


class PopupPage(QWebEnginePage):
    """The page Qt gets for `window.open`/target=_blank. Its first navigation decides where it goes:
    an in-app window (it then shows itself there), or the browser (it loads nothing and goes away)."""

    def __init__(
        self,
        profile: Any,
        options: WorkdayOptions,
        on_open: Callable[[PopupPage], None],
        on_external: Callable[[str], None],
    ) -> None:
        super().__init__(profile)
        self._options = options
        self._on_open = on_open
        self._on_external = on_external
        self.origin: str | None = None  # set once it shows in a window
        self.window: QMainWindow | None = None
        self.done = False  # it handed its URL away and holds nothing
        self.in_modal_request = False  # a modal answer (the screen picker) runs inside one of its slots
        self.close_after_request = False

    def close_window(self) -> None:
        """Close its window (after a modal request it was asked to close during)."""
        if self.window is not None:
            self.window.close()

    def acceptNavigationRequest(self, url: Any, nav_type: Any, is_main_frame: bool) -> bool:
        if not is_main_frame:
            return True
        target = url.toString()
        if self.origin is not None:
            if target == "about:blank":
                return True
            try:
                same = origin_of(target) == self.origin
            except ValueError:
                same = False
            if same:
                return True
            self._hand_away(target)
            return False
        where = where_popup_goes(target, self._options)
        if where == "app":
            self.origin = origin_of(target)
            QtCore.QTimer.singleShot(0, lambda: self._on_open(self))  # not inside Qt's call
            return True
        self.done = True
        self._hand_away(target)
        # A page left alive keeps running script the opener can write into: let it go.
        self.deleteLater()
        return False

    def createWindow(self, window_type: Any) -> QWebEnginePage:
        """A pop-up's own pop-up follows the same rules."""
        page = PopupPage(self.profile(), self._options, self._on_open, self._on_external)
        self._children = [p for p in getattr(self, "_children", []) if not p.done] + [page]
        return page

    def _hand_away(self, target: str) -> None:
        if navigation.classify(target, self._options.rc_origin) in ("external", "rocketchat"):
            self._on_external(target)
        else:
            _log.info("blocked a pop-up to a non-web URL")


class PopupWindow(QMainWindow):
    """A window for one in-app pop-up page; closing it closes only itself."""

    def __init__(self, page: PopupPage, parent: Any, title: str) -> None:
        super().__init__(parent, QtCore.Qt.WindowType.Window)
        self.setObjectName(POPUP_NAME)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(title)
        self.view = QWebEngineView(self)
        self.view.setPage(page)
        self.setCentralWidget(self.view)
        self._page = page
        page.windowCloseRequested.connect(self.close)
        page.titleChanged.connect(lambda text: self.setWindowTitle(text or title))
        page.window = self
        geometry = parent.geometry() if parent is not None else None
        if geometry is not None:
            self.resize(max(640, geometry.width() * 3 // 4), max(480, geometry.height() * 3 // 4))
        else:
            self.resize(900, 680)

    def closeEvent(self, event: Any) -> None:
        """The page goes with its window: left alive, it would keep running its script unseen. While a
        modal answer runs inside one of the page's slots, deleting the page would pull it from under
        that slot: the window only hides, and closes once the answer is given."""
        page = self._page
        if page.in_modal_request:
            page.close_after_request = True
            event.ignore()
            self.hide()
            return
        page.done = True
        page.deleteLater()
        super().closeEvent(event)
