"""The e2e driver's commands for the download dialogs and controls: what a person reads in the Save As
dialog before pressing Cancel, and a real click on the status bar's Cancel download button. Run on
the UI thread (the driver's `on_ui_thread`)."""

from __future__ import annotations

from typing import Any

__all__ = ["cancel_button", "save_as_cancel"]


def save_as_cancel(engine: Any) -> dict[str, Any]:
    """What the Save As dialog shows (its title, the file name), then its Cancel."""
    from qtpy.QtWidgets import QLineEdit

    workday = getattr(engine, "features", None)
    dialog = workday.downloads.asking if workday is not None else None
    if dialog is None:
        return {"cancelled": False}
    field = dialog.findChild(QLineEdit, "fileNameEdit")
    shown = {"title": dialog.windowTitle(), "name": field.text() if field is not None else ""}
    dialog.reject()
    return {"cancelled": True, **shown}


def cancel_button(native: Any) -> dict[str, Any]:
    """A real mouse click on the status bar's Cancel download button, if it is on screen."""
    from qtpy import QtCore
    from qtpy.QtTest import QTest
    from qtpy.QtWidgets import QPushButton

    from launcher.window.engines.qt_features.downloads import CANCEL_BUTTON_NAME

    button = native.findChild(QPushButton, CANCEL_BUTTON_NAME)
    if button is None or not button.isVisible():
        return {"clicked": False, "visible": False}
    text = button.text()
    QTest.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)
    return {"clicked": True, "visible": True, "text": text}
