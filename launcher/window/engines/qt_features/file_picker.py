"""The file picker behind Rocket.Chat's "Upload file": several files at once, from the last folder used.

Qt WebEngine asks the page for files through `QWebEnginePage.chooseFiles`, whose default is a bare
QFileDialog starting in the process's working directory, which for an app started from the menu is
whatever folder it was started in. This one opens in the folder the person picked from last (else
their home), says what it is for, and allows several files when the page's input does. Like Qt's
default it runs its own event loop until the person answers (chooseFiles must return the files).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from qtpy.QtWebEngineCore import QWebEnginePage
from qtpy.QtWidgets import QFileDialog

__all__ = ["PICKER_NAME", "FilePicker"]

_log = logging.getLogger(__name__)
PICKER_NAME = "launcher-file-picker"
_Mode = QWebEnginePage.FileSelectionMode


class FilePicker:
    def __init__(self) -> None:
        self.last_folder: Path = Path.home()
        self.open: QFileDialog | None = None  # the dialog on screen (the e2e driver answers it)

    def choose(self, parent: Any, mode: Any, old_files: list[str]) -> list[str]:
        """The files the person picked (empty when they cancelled)."""
        dialog = QFileDialog(parent, "Choose files to send")
        dialog.setObjectName(PICKER_NAME)
        if mode == _Mode.FileSelectOpenMultiple:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        elif mode == _Mode.FileSelectUploadFolder:
            dialog.setFileMode(QFileDialog.FileMode.Directory)
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        start = Path(old_files[0]).parent if old_files else self.last_folder
        dialog.setDirectory(str(start if start.is_dir() else Path.home()))
        self.open = dialog
        try:
            picked = dialog.selectedFiles() if dialog.exec() else []
        finally:
            self.open = None
            dialog.deleteLater()
        if picked:
            self.last_folder = Path(picked[0]).parent
            _log.info("%d file(s) chosen for the page", len(picked))
        return picked
