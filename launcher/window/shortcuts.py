"""Keyboard shortcuts of the Qt window: reload (Ctrl+R, F5), zoom in/out/reset (Ctrl+= or Ctrl++,
Ctrl+-, Ctrl+0) and find in page (Ctrl+F: a small find bar at the bottom; Enter = next, Shift+Enter =
previous, Esc = close). Qt only; install on the main thread once the window exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtpy import QtCore, QtGui, QtWidgets
from qtpy.QtWebEngineCore import QWebEnginePage

ZOOM_STEPS = (0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)


class Shortcuts:
    """The shortcuts and find bar of one window (`native` is pywebview's QMainWindow)."""

    def __init__(self, native: Any, reload: Callable[[], None]) -> None:
        self._native = native
        self._view = native.webview
        self._bar = QtWidgets.QToolBar("Find", native)
        self._bar.setMovable(False)
        self._field = QtWidgets.QLineEdit(self._bar)
        self._field.setPlaceholderText("Find in page")
        self._field.setClearButtonEnabled(True)
        self._field.returnPressed.connect(lambda: self.find(self._field.text()))
        self._field.textChanged.connect(lambda text: self.find(text))
        self._bar.addWidget(self._field)
        close = self._bar.addAction("Close")
        close.triggered.connect(self.close_find)
        native.addToolBar(QtCore.Qt.ToolBarArea.BottomToolBarArea, self._bar)
        self._bar.hide()
        self._keep: list[Any] = []
        self._bind(("Ctrl+R", "F5"), reload)
        self._bind(("Ctrl+=", "Ctrl++"), lambda: self.zoom(+1))
        self._bind(("Ctrl+-",), lambda: self.zoom(-1))
        self._bind(("Ctrl+0",), lambda: self.zoom(0))
        self._bind(("Ctrl+F",), self.open_find)
        self._bind(
            ("Shift+Return", "Shift+Enter"), lambda: self.find(self._field.text(), backward=True), self._field
        )
        self._bind(("Esc",), self.close_find, self._field)

    def _bind(self, keys: tuple[str, ...], action: Callable[[], None], parent: Any = None) -> None:
        for key in keys:
            shortcut = QtGui.QShortcut(QtGui.QKeySequence(key), parent or self._native)
            if parent is not None:
                shortcut.setContext(QtCore.Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(action)
            self._keep.append(shortcut)

    def zoom(self, direction: int) -> float:
        """+1 / -1: the next zoom step; 0: 100 %. Returns the new zoom factor."""
        current = self._view.zoomFactor()
        if direction == 0:
            factor = 1.0
        elif direction > 0:
            factor = next((z for z in ZOOM_STEPS if z > current + 0.001), ZOOM_STEPS[-1])
        else:
            factor = next((z for z in reversed(ZOOM_STEPS) if z < current - 0.001), ZOOM_STEPS[0])
        self._view.setZoomFactor(factor)
        return factor

    def open_find(self) -> None:
        self._bar.show()
        self._field.setFocus()
        self._field.selectAll()

    def close_find(self) -> None:
        self._view.page().findText("")  # clears the highlight
        self._bar.hide()
        self._view.setFocus()

    def find(self, text: str, backward: bool = False) -> None:
        flags = QWebEnginePage.FindFlag.FindBackward if backward else QWebEnginePage.FindFlag(0)
        self._view.page().findText(text, flags)
