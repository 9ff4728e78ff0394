"""Qt's side of the e2e commands (tests/support/e2e_commands.py): each function runs on the UI thread
and works on Qt's own objects (the pywebview window, the engine's `features`, what QApplication
holds), with Qt's test input events where a person would press keys or click."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from qtpy import QtCore, QtGui
from qtpy.QtTest import QTest
from qtpy.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSystemTrayIcon,
)

from launcher.desktop.tray.linux import TRAY_NAME
from launcher.window.engines.qt_features import guard
from launcher.window.engines.qt_features.downloads import CANCEL_BUTTON_NAME

_LEFT, _RIGHT = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.RightButton
_NONE = QtCore.Qt.KeyboardModifier.NoModifier


# -- the window ------------------------------------------------------------------------------------------


def window_facts(native: Any) -> dict[str, Any]:
    g = native.geometry()
    return {
        "title": native.windowTitle(),
        "visible": native.isVisible(),
        "minimized": native.isMinimized(),
        "maximized": native.isMaximized(),
        "geometry": [g.x(), g.y(), g.width(), g.height()],
        "zoom": native.webview.zoomFactor(),
    }


def trigger_menu(native: Any, title: str) -> bool:
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


def click_view(native: Any, box: list[float], fx: float, fy: float, right: bool) -> bool:
    view = native.webview
    zoom = view.zoomFactor()
    point = QtCore.QPoint(int((box[0] + box[2] * fx) * zoom), int((box[1] + box[3] * fy) * zoom))
    QTest.mouseClick(view.focusProxy() or view, _RIGHT if right else _LEFT, _NONE, point)
    return True


def press(native: Any, key: str) -> bool:
    """Press `key` ("Ctrl+=") in the window's page the way a keyboard would."""
    combo = QtGui.QKeySequence(key)[0]
    target = native.webview.focusProxy() or native.webview
    native.activateWindow()
    target.setFocus()
    QTest.keyClick(target, combo.key(), combo.keyboardModifiers())
    return True


def type_text(native: Any, text: str) -> bool:
    """Type into the page's focused field; the window is made active first (under Xvfb nothing else
    activates it, and an inactive view gets no text)."""
    target = native.webview.focusProxy() or native.webview
    native.activateWindow()
    handle = native.windowHandle()
    if handle is not None:
        handle.requestActivate()
        QTest.qWaitForWindowActive(handle, 3000)
    target.setFocus()
    QTest.keyClicks(target, text)
    return True


def grab_screen(path: Path) -> bool:
    """The whole screen: dialogs and menus are windows of their own."""
    screen = QtGui.QGuiApplication.primaryScreen()
    return bool(screen is not None and screen.grabWindow(0).save(str(path), "PNG"))


def fail_in_a_slot() -> bool:
    """A Qt slot that fails, as a buggy handler would."""

    def fail() -> None:
        raise RuntimeError("a handler failed on purpose (e2e)")

    QtCore.QTimer.singleShot(0, fail)
    return True


def copy_image() -> bool:
    """An image put on the clipboard (a screenshot tool would)."""
    image = QtGui.QImage(64, 48, QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor("#1d74f5"))
    QtGui.QGuiApplication.clipboard().setImage(image)
    return True


class Drag:
    """Files dragged from a file manager over the middle of `box` in the window's view."""

    def __init__(self, native: Any, box: list[float], paths: list[str]) -> None:
        self.view = native.webview  # QWebEngineView takes drags itself and hands them to Chromium
        self.box, self.paths = box, paths

    def _point_and_mime(self) -> tuple[QtCore.QPointF, QtCore.QMimeData]:
        zoom = self.view.zoomFactor()
        point = QtCore.QPointF((self.box[0] + self.box[2] / 2) * zoom, (self.box[1] + self.box[3] / 2) * zoom)
        mime = QtCore.QMimeData()
        mime.setUrls([QtCore.QUrl.fromLocalFile(str(p)) for p in self.paths])
        self._mime = mime  # Qt keeps a pointer only
        return point, mime

    def move(self, first: bool) -> bool:
        point, mime = self._point_and_mime()
        copy = QtCore.Qt.DropAction.CopyAction
        if first:
            QApplication.sendEvent(
                self.view, QtGui.QDragEnterEvent(point.toPoint(), copy, mime, _LEFT, _NONE)
            )
        QApplication.sendEvent(self.view, QtGui.QDragMoveEvent(point.toPoint(), copy, mime, _LEFT, _NONE))
        return True

    def drop(self) -> bool:
        point, mime = self._point_and_mime()
        copy = QtCore.Qt.DropAction.CopyAction
        QApplication.sendEvent(self.view, QtGui.QDropEvent(point, copy, mime, _LEFT, _NONE))
        return True


# -- the tray (found through QApplication: the launcher names its icon) ---------------------------------


def _tray_icon() -> Any:
    app = QApplication.instance()
    return app.findChild(QSystemTrayIcon, TRAY_NAME) if app is not None else None


def tray_facts() -> tuple[list[str], str] | None:
    icon = _tray_icon()
    menu = icon.contextMenu() if icon is not None else None
    if menu is None:
        return None
    return [a.text() for a in menu.actions() if not a.isSeparator()], str(icon.toolTip())


def trigger_tray(title: str) -> bool:
    icon = _tray_icon()
    menu = icon.contextMenu() if icon is not None else None
    for action in menu.actions() if menu is not None else []:
        if action.text() == title:
            action.trigger()
            return True
    return False


def save_tray_icon(path: Path) -> bool:
    """The tray icon as drawn now."""
    icon = _tray_icon()
    return icon is not None and bool(icon.icon().pixmap(64, 64).save(str(path), "PNG"))


# -- the engine's features (downloads, prompts, menus, pop-ups) --------------------------------------------


def features_facts(engine: Any) -> dict[str, Any]:
    """Downloads, open dialogs and menus, remembered permissions, spell check, pop-ups."""
    features = engine.features
    if features is None:
        return {}
    menu = features.menu.last
    visible_menu = menu is not None and _alive(menu) and menu.isVisible()
    profile = engine.page.profile() if engine.page is not None else None
    return {
        "spellcheck": {
            "enabled": bool(profile is not None and profile.isSpellCheckEnabled()),
            "languages": list(features.spell_languages),
        },
        "context_menu": _menu_entries(menu) if visible_menu else None,
        "dialogs": [_describe(d) for d in features.permissions.dialogs],
        "screen_requests": features.permissions.screen_requests,
        "screen_pickers": features.permissions.screen_pickers,
        "file_picker": features.files.open is not None,
        "save_dialog": features.downloads.asking is not None,
        "downloads": list(features.downloads.finished),
        "popups": [
            {"title": w.windowTitle(), "url": w.view.page().url().toString(), "visible": w.isVisible()}
            for w in features.popups
            if _alive(w)
        ],
        "permissions": features.choices.remembered(),
        "survived": guard.survived(),
    }


def answer_dialog(features: Any, command: dict[str, Any]) -> bool:
    """Press the button `button` of the launcher's dialog `name` (a permission prompt, the screen picker)."""
    for dialog in features.permissions.dialogs if features is not None else []:
        if dialog.objectName() != command.get("name"):
            continue
        if "item" in command:
            for widget in dialog.findChildren(QListWidget):
                widget.setCurrentRow(int(command["item"]))
        for button in dialog.findChildren(QAbstractButton):
            if button.text() == command.get("button"):
                button.click()
                return True
    return False


def close_menu(features: Any) -> bool:
    menu = features.menu.last if features is not None else None
    if menu is None:
        return False
    menu.close()
    return True


def choose_menu(features: Any, text: str) -> bool:
    """A person picking an entry of the right-click menu."""
    menu = features.menu.last if features is not None else None
    for action in menu.actions() if menu is not None else []:
        if action.text().replace("&", "") == text and action.isEnabled():
            menu.close()
            action.trigger()
            return True
    return False


def pick_files(features: Any, paths: list[str]) -> bool:
    """Go to the files' folder and type their quoted names into the picker's name field, as a person
    choosing several files does (QFileDialog.selectFile takes one name only), then press Open."""
    dialog = features.files.open if features is not None else None
    field = dialog.findChild(QLineEdit, "fileNameEdit") if dialog is not None else None
    if field is None or not paths:
        return False
    dialog.setDirectory(str(Path(paths[0]).parent))
    field.setText(" ".join(f'"{Path(p).name}"' for p in paths))
    dialog.accept()
    return True


def save_as(features: Any, name: str) -> bool:
    """A person typing a name into the download's Save As dialog."""
    dialog = features.downloads.asking if features is not None else None
    field = dialog.findChild(QLineEdit, "fileNameEdit") if dialog is not None else None
    if field is None:
        return False
    field.setText(name)
    dialog.accept()
    return True


def save_as_cancel(features: Any) -> dict[str, Any]:
    """What the Save As dialog shows (its title, the file name), then its Cancel."""
    dialog = features.downloads.asking if features is not None else None
    if dialog is None:
        return {"cancelled": False}
    field = dialog.findChild(QLineEdit, "fileNameEdit")
    shown = {"title": dialog.windowTitle(), "name": field.text() if field is not None else ""}
    dialog.reject()
    return {"cancelled": True, **shown}


def cancel_download_button(native: Any) -> dict[str, Any]:
    """A real mouse click on the status bar's Cancel download button, if it is on screen."""
    button = native.findChild(QPushButton, CANCEL_BUTTON_NAME)
    if button is None or not button.isVisible():
        return {"clicked": False, "visible": False}
    text = button.text()
    QTest.mouseClick(button, _LEFT)
    return {"clicked": True, "visible": True, "text": text}


def click_popup(features: Any) -> bool:
    """A person's click in the middle of the first in-app pop-up's page."""
    popups = list(features.popups) if features is not None else []
    if not popups:
        return False
    view = popups[0].view
    QTest.mouseClick(view.focusProxy() or view, _LEFT, _NONE, view.rect().center())
    return True


def close_popups(features: Any) -> int:
    popups = list(features.popups) if features is not None else []
    for window in popups:
        window.close()
    return len(popups)


def first_popup_page(features: Any) -> Any:
    popups = list(features.popups) if features is not None else []
    return popups[0].view.page() if popups else None


def run_js_in_page(engine: Any, page: Any, script: str, timeout: float = 5.0) -> Any:
    """`script`'s result in another page of the window's Qt (an in-app pop-up's); None on timeout."""
    if page is None:
        return None
    done = threading.Event()
    box: dict[str, Any] = {}

    def callback(value: Any) -> None:
        box["value"] = value
        done.set()

    engine.on_ui_thread(lambda: page.runJavaScript(script, 0, callback))
    return box.get("value") if done.wait(timeout) else None


def _menu_entries(menu: Any) -> list[dict[str, Any]]:
    return [
        {"text": action.text(), "enabled": action.isEnabled(), "checked": action.isChecked()}
        for action in menu.actions()
        if not action.isSeparator()
    ]


def _alive(obj: Any) -> bool:
    try:
        obj.objectName()
    except RuntimeError:
        return False
    return True


def _describe(dialog: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"name": dialog.objectName(), "title": dialog.windowTitle()}
    if isinstance(dialog, QMessageBox) or callable(getattr(dialog, "text", None)):
        info["text"] = dialog.text()
    info["buttons"] = [b.text() for b in dialog.findChildren(QAbstractButton) if b.isVisible()]
    lists = dialog.findChildren(QListWidget)
    if lists:
        info["items"] = [lists[0].item(i).text() for i in range(lists[0].count())]
    return info
