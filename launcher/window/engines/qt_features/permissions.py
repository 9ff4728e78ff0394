"""Microphone, camera, screen and notification requests in the Qt window, and the screen picker.

Qt asks through QWebEnginePage.permissionRequested (a QWebEnginePermission: origin, kind, grant/deny)
and, for screen sharing, desktopMediaRequested (which screen or window). `permissions.decide` says
grant, deny or ask; asking is a native dialog that does not block the window (a call may already ring),
and its answer is remembered for that origin and kind.

Screen sharing is different: Qt never sends it through the permission step, and its request object
lives only while the desktopMediaRequested slot runs (answered later, from a dialog that outlived the
slot, it is a dead object and the process ends with SIGSEGV). So the slot itself applies the origin rule
and runs the picker modally (`exec()`), answers, and never keeps the request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from qtpy import QtCore
from qtpy.QtWebEngineCore import QWebEnginePermission
from qtpy.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
)

from launcher.origins import origin_of
from launcher.window.engines.qt_features.frames import foreign_frames_that_may_capture
from launcher.window.features.choices import Choices
from launcher.window.features.options import FeatureOptions
from launcher.window.features.permissions import ASK_TEXT, Decision, decide

__all__ = ["PROMPT_NAME", "SCREEN_PICKER_NAME", "Permissions"]

_log = logging.getLogger(__name__)
_Type = QWebEnginePermission.PermissionType
_KINDS = {
    _Type.MediaAudioCapture: "microphone",
    _Type.MediaVideoCapture: "camera",
    _Type.MediaAudioVideoCapture: "microphone+camera",
    _Type.DesktopVideoCapture: "screen",
    _Type.DesktopAudioVideoCapture: "screen",
    _Type.Notifications: "notifications",
    _Type.ClipboardReadWrite: "clipboard",
}
PROMPT_NAME = "launcher-permission-prompt"
SCREEN_PICKER_NAME = "launcher-screen-picker"


class Permissions(QtCore.QObject):
    """Answers one page's permission and screen-sharing requests (connect `on_permission` and
    `on_desktop_media` to the page's signals)."""

    def __init__(self, options: FeatureOptions, choices: Choices, parent_window: Callable[[], Any]) -> None:
        super().__init__()
        self._options = options
        self._choices = choices
        self._parent = parent_window
        self._open: list[QDialog] = []  # dialogs on screen (kept alive; the e2e driver reads them)
        self.screen_requests = 0  # for the e2e driver and --debug: how many came, how many got a picker
        self.screen_pickers = 0

    @property
    def dialogs(self) -> list[QDialog]:
        self._open = [d for d in self._open if _on_screen(d)]
        return list(self._open)

    def on_permission(self, permission: QWebEnginePermission) -> None:
        # The signal's argument lives only while the slot runs: keep a copy for an answer given later.
        permission = QWebEnginePermission(permission)
        kind = _KINDS.get(permission.permissionType(), "other")
        try:
            origin = origin_of(permission.origin().toString())
        except ValueError:
            permission.deny()
            return
        decision = decide(
            origin,
            kind,
            rc_origin=self._options.rc_origin,
            call_origins=self._options.call_origins,
            choices=self._choices,
        )
        _log.info(
            "%s asked for %s: %s",
            "Rocket.Chat" if origin == self._options.rc_origin else "a page",
            kind,
            decision.value,
        )
        if decision is Decision.GRANT:
            permission.grant()
        elif decision is Decision.DENY:
            permission.deny()
        else:
            self._ask(origin, kind, permission)

    def _ask(self, origin: str, kind: str, permission: QWebEnginePermission) -> None:
        box = QMessageBox(self._parent())
        box.setObjectName(PROMPT_NAME)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Allow access?")
        box.setText(f"{origin} wants to {ASK_TEXT[kind]}.")
        box.setInformativeText("The launcher remembers your answer; Account ▸ Forget permissions resets it.")
        allow = box.addButton("Allow", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Don't allow", QMessageBox.ButtonRole.RejectRole)
        box.setWindowModality(QtCore.Qt.WindowModality.NonModal)

        def answered(_: Any = None) -> None:
            allowed = box.clickedButton() is allow
            for part in kind.split("+"):
                self._choices.remember(origin, part, allowed)
            (permission.grant if allowed else permission.deny)()
            box.deleteLater()

        box.finished.connect(answered)
        self._open.append(box)
        box.show()

    def on_desktop_media(self, request: Any) -> None:
        """Screen sharing, answered before this slot returns (Qt's `request` dies with it).

        Qt's request names neither origin nor frame (Qt 6.11), so the asker is the page's main frame,
        with one exception the launcher cannot see past: a frame of another site that Rocket.Chat's page
        delegated the screen to (`allow="display-capture"`; Chromium refuses all others itself). If such
        a frame is in the page, the request is refused, for Rocket.Chat's own too: it cannot be told apart
        (frames.py)."""
        page = self.sender()
        self.screen_requests += 1
        try:
            origin = origin_of(page.url().toString()) if page is not None else ""
        except ValueError:
            origin = ""
        decision = (
            decide(
                origin,
                "screen",
                rc_origin=self._options.rc_origin,
                call_origins=self._options.call_origins,
                choices=self._choices,
            )
            if origin
            else Decision.DENY
        )
        who = "Rocket.Chat" if origin == self._options.rc_origin else "a page"
        if decision is Decision.DENY:
            _log.info("%s asked for the screen: deny", who)
            request.cancel()
            return
        allowed = {self._options.rc_origin, *self._options.call_origins}
        foreign = foreign_frames_that_may_capture(page, allowed)
        if foreign:
            _log.warning(
                "refused screen sharing: another site's frame inside the page may ask for it (%s)",
                ", ".join(foreign),
            )
            request.cancel()
            return
        _log.info("%s asked for the screen: ask", who)
        self._pick(page, origin, request)

    def _pick(self, page: Any, origin: str, request: Any) -> None:
        picker = _ScreenPicker(self._parent(), request, origin)
        self._open.append(picker)
        self.screen_pickers += 1
        page.in_modal_request = True  # an in-app pop-up closing meanwhile waits (popups.py)
        try:
            picker.exec()  # modal: a nested event loop inside this slot, so `request` stays alive
            picker.answer(request)
        finally:
            page.in_modal_request = False
            picker.deleteLater()
        if getattr(page, "close_after_request", False):
            QtCore.QTimer.singleShot(0, page.close_window)


def _on_screen(dialog: QDialog) -> bool:
    try:
        return dialog.isVisible()
    except RuntimeError:  # answered and deleted
        return False


class _ScreenPicker(QDialog):
    """Lists the screens and windows Qt offers and says who asks; Share selects one, Cancel refuses.
    It reads the request's lists while it is built and is answered by `answer`, both inside the slot."""

    def __init__(self, parent: Any, request: Any, origin: str) -> None:
        super().__init__(parent)
        self.setObjectName(SCREEN_PICKER_NAME)
        self.setWindowTitle("Share your screen")
        self.setModal(True)
        self._question = f"{origin} wants to {ASK_TEXT['screen']}."
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self._question))
        layout.addWidget(QLabel("Choose what to share in the call:"))
        self.sources = QListWidget()
        for label, model in (("Screen", request.screensModel()), ("Window", request.windowsModel())):
            for row in range(model.rowCount()):
                index = model.index(row, 0)
                title = str(model.data(index) or f"{label} {row + 1}")
                item = QListWidgetItem(f"{label}: {title}")
                item.setData(QtCore.Qt.ItemDataRole.UserRole, (label, row))
                self.sources.addItem(item)
        if self.sources.count():
            self.sources.setCurrentRow(0)
        layout.addWidget(self.sources)
        buttons = QDialogButtonBox()
        buttons.addButton("Share", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def text(self) -> str:
        return self._question

    def answer(self, request: Any) -> None:
        """Select the chosen source, or cancel (closed, Cancel, nothing to choose)."""
        item = self.sources.currentItem()
        if self.result() != QDialog.DialogCode.Accepted or item is None:
            request.cancel()
            return
        label, row = item.data(QtCore.Qt.ItemDataRole.UserRole)
        model = request.screensModel() if label == "Screen" else request.windowsModel()
        (request.selectScreen if label == "Screen" else request.selectWindow)(model.index(row, 0))
