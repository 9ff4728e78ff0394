"""Pop-ups that stay in the app: Rocket.Chat's own (file previews, its OAuth sign-in windows) and video
calls of the configured conference servers, each in a window of its own that shares the main window's
profile, so the session's cookies come along ("opens in the browser with an access error" is what the
official desktop app's users get when such a pop-up leaves it).

A pop-up page never gets the launcher's bridge (no web channel is attached to it). It may navigate only
within its own origin; any other link goes to the system browser. Closing it, or the page calling
window.close(), closes that window only.

Every `window.open`/target=_blank comes to `NewWindows` (the pages' createWindow answers None, so Qt
hands over its QWebEngineNewWindowRequest, which says whether a person's gesture started it): without
one nothing opens, in the app or in the browser. A page gets a few at once and one more every ten seconds
(`navigation.LaunchBudget`). A call window opens as a page of its own with no opener (its script cannot
reach the main window), and only when no frame of another site in the opening page was ever clicked:
Qt does not say which frame asked, and only a clicked frame can open a window with a gesture.
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
from launcher.window.engines.qt_features.frames import foreign_frames_a_person_used
from launcher.window.features.options import FeatureOptions

__all__ = ["POPUP_NAME", "NewWindows", "PopupPage", "where_popup_goes"]

_log = logging.getLogger(__name__)
POPUP_NAME = "launcher-popup"


def where_popup_goes(url: str, options: FeatureOptions) -> str:
    """ "app" (an in-app window), "browser", or "blocked" (a scheme with no business leaving the app)."""
    kind = navigation.classify(url, options.rc_origin)
    if kind == "rocketchat":
        # someone's sign-in token in the address would sign the shared profile in as them
        return "blocked" if navigation.carries_secret(url) else "app"
    if kind != "external":
        return "blocked"
    try:
        origin = origin_of(url)
    except ValueError:
        return "blocked"
    if options.calls_in_app and origin in options.call_origins:
        return "app"
    return "browser"


class NewWindows:
    """Answers one page's new-window requests (connect `handle` to its newWindowRequested)."""

    def __init__(self, options: FeatureOptions, make_popup: Callable[[], PopupPage]) -> None:
        self._options = options
        self._make = make_popup
        self.budget = navigation.LaunchBudget()  # shared with the page's own browser hand-offs
        self._pages: list[PopupPage] = []  # kept alive while they hold something

    def handle(self, opener: Any, request: Any) -> None:
        """Open, hand to the browser, or refuse (leaving the request unanswered: Qt drops the window)."""
        url = request.requestedUrl().toString()
        if not request.isUserInitiated():
            _log.info("refused a pop-up that a page opened without a click")
            return
        if navigation.refuses_token_link(url, self._options.rc_origin, None):
            _log.warning("refused a Rocket.Chat address with a sign-in token in it for a pop-up")
            return
        where = where_popup_goes(url, self._options)
        if where == "blocked":
            _log.info("blocked a pop-up to a non-web URL")
            return
        if not self.budget.take():
            _log.warning("refused a pop-up: this page opened too many at once")
            return
        if where == "browser":
            self._options.open_external(url)
            return
        if origin_of(url) == self._options.rc_origin:
            request.openIn(self._keep(self._make()))  # Rocket.Chat's own (its OAuth windows need the opener)
            return
        allowed = {self._options.rc_origin, *self._options.call_origins}
        used = foreign_frames_a_person_used(opener, allowed)
        if used:
            _log.warning("a call link from another site's frame (%s) goes to the browser", ", ".join(used))
            self._options.open_external(url)
            return
        self._keep(self._make()).setUrl(QtCore.QUrl(url))  # a page of its own: no opener

    def _keep(self, page: PopupPage) -> PopupPage:
        self._pages = [p for p in self._pages if not p.done] + [page]
        return page


class PopupPage(QWebEnginePage):
    """The page Qt gets for `window.open`/target=_blank. Its first navigation decides where it goes:
    an in-app window (it then shows itself there), or the browser (it loads nothing and goes away)."""

    def __init__(
        self,
        profile: Any,
        options: FeatureOptions,
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
        self.new_windows = NewWindows(options, self._child)
        self.newWindowRequested.connect(lambda request: self.new_windows.handle(self, request))

    def close_window(self) -> None:
        """Close its window (after a modal request it was asked to close during)."""
        if self.window is not None:
            self.window.close()

    def acceptNavigationRequest(self, url: Any, nav_type: Any, is_main_frame: bool) -> bool:
        target = url.toString()
        if navigation.refuses_token_link(target, self._options.rc_origin, None):
            _log.warning("refused a Rocket.Chat address with a sign-in token in it in a pop-up")
            if is_main_frame and self.origin is None:
                self.done = True
                self.deleteLater()
            return False
        if not is_main_frame:
            return True
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

    def createWindow(self, window_type: Any) -> QWebEnginePage | None:
        """None: Qt then asks `new_windows` with the request's gesture flag (a pop-up's own pop-up
        follows the same rules)."""
        return None

    def _child(self) -> PopupPage:
        return PopupPage(self.profile(), self._options, self._on_open, self._on_external)

    def _hand_away(self, target: str) -> None:
        if navigation.classify(target, self._options.rc_origin) not in ("external", "rocketchat"):
            _log.info("blocked a pop-up to a non-web URL")
        elif self.new_windows.budget.take():
            self._on_external(target)
        else:
            _log.warning("refused a link from a pop-up: it opened too many at once")


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
