"""Downloads in the Qt window, done by the launcher (pywebview's own Qt handler calls a Qt 5 API and
aborts the process on PyQt6).

Each file goes to the Downloads folder (or `downloads.folder`) under the server's name, with " (1)" on a
clash, and without a dialog when Rocket.Chat's origin offers it; a file from any other origin, or every
file with `downloads.ask`, gets a Save As dialog that keeps the name and extension. Progress shows in the
window's status bar; the end gives a notification (a click opens the file); a failed download leaves no
partial file behind.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from qtpy import QtCore
from qtpy.QtWebEngineCore import QWebEngineDownloadRequest
from qtpy.QtWidgets import QFileDialog

from launcher.window.workday import downloads
from launcher.window.workday.options import WorkdayOptions

__all__ = ["SAVE_DIALOG_NAME", "Downloads"]

_log = logging.getLogger(__name__)
SAVE_DIALOG_NAME = "launcher-save-dialog"
_State = QWebEngineDownloadRequest.DownloadState
_STATUS_KEEP_MS = 6000


class Downloads(QtCore.QObject):
    """Connect `handle` to QWebEngineProfile.downloadRequested; `status(text)` shows progress."""

    def __init__(self, options: WorkdayOptions, window: Any = None) -> None:
        super().__init__()
        self._options = options
        self._window = window  # the QMainWindow whose status bar shows progress (set when known)
        self._running: dict[int, tuple[Any, Path]] = {}
        self.finished: list[dict[str, Any]] = []  # what ended, for the e2e driver and the log
        self.asking: QFileDialog | None = None  # the Save As dialog on screen (the e2e driver answers it)

    def set_window(self, window: Any) -> None:
        self._window = window

    def handle(self, request: QWebEngineDownloadRequest) -> None:
        url = request.url().toString()
        page = request.page()
        page_url = page.url().toString() if page is not None else ""
        name = downloads.file_name_for(request.suggestedFileName(), url)
        folder = self._options.downloads_folder
        trusted = downloads.source_origin(url, page_url) == self._options.rc_origin
        if self._options.downloads_ask or not trusted:
            target = self._ask(folder, name)
            if target is None:
                request.cancel()
                return
        else:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                target = downloads.unique_path(folder, name)
            except OSError as exc:
                request.cancel()
                reason = f"the folder {folder} cannot be written ({exc.strerror or exc})"
                self.finished.append({"name": name, "path": "", "ok": False, "reason": reason})
                self._failed(name, reason)
                return
        request.setDownloadDirectory(str(target.parent))
        request.setDownloadFileName(target.name)
        key = request.id()
        self._running[key] = (request, target)
        request.receivedBytesChanged.connect(lambda: self._progress(key))
        request.stateChanged.connect(lambda state: self._state_changed(key, state))
        request.accept()
        self._status(f"Downloading {target.name}…")

    def _ask(self, folder: Path, name: str) -> Path | None:
        """Save As, starting on the server's name in the downloads folder; None when cancelled."""
        suffix = downloads.extension_of(name)
        with contextlib.suppress(OSError):  # the dialog opens in the folder only if it exists
            folder.mkdir(parents=True, exist_ok=True)
        dialog = QFileDialog(self._window, "Save download", str(folder))
        dialog.setObjectName(SAVE_DIALOG_NAME)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(
            [f"*{suffix} files (*{suffix})", "All files (*)"] if suffix else ["All files (*)"]
        )
        dialog.selectFile(name)
        self.asking = dialog
        try:
            chosen = dialog.selectedFiles()[0] if dialog.exec() and dialog.selectedFiles() else ""
        finally:
            self.asking = None
            dialog.deleteLater()
        if not chosen:
            return None
        path = Path(chosen)
        if suffix and not path.name.lower().endswith(suffix.lower()):
            path = path.with_name(path.name + suffix)  # a typed name without the extension keeps it
        return path

    def _progress(self, key: int) -> None:
        entry = self._running.get(key)
        if entry is None:
            return
        request, target = entry
        received, total = request.receivedBytes(), request.totalBytes()
        if total > 0:
            self._status(
                f"Downloading {target.name}: {received * 100 // total}% ({_size(received)} of {_size(total)})"
            )
        else:
            self._status(f"Downloading {target.name}: {_size(received)}")

    def _state_changed(self, key: int, state: Any) -> None:
        entry = self._running.get(key)
        if entry is None or state in (_State.DownloadRequested, _State.DownloadInProgress):
            return
        del self._running[key]
        request, target = entry
        if state == _State.DownloadCompleted:
            self.finished.append({"name": target.name, "path": str(target), "ok": True})
            _log.info("download saved (%s bytes)", request.receivedBytes())
            self._status(f"Saved {target.name} in {target.parent}", keep=True)
            self._options.notify("Download complete", f"{target.name} — click to open it.", target)
            return
        reason = (
            request.interruptReasonString() if state == _State.DownloadInterrupted else "it was cancelled"
        )
        _remove_partial(target)
        self.finished.append({"name": target.name, "path": str(target), "ok": False, "reason": reason})
        self._failed(target.name, reason)

    def _failed(self, name: str, reason: str) -> None:
        _log.warning("a download failed: %s", reason)
        self._status(f"{name} was not downloaded: {reason}", keep=True)
        self._options.notify("Download failed", f"{name} was not downloaded: {reason}. Try again.", None)

    def _status(self, text: str, keep: bool = False) -> None:
        window = self._window
        if window is None:
            return
        bar = window.statusBar()
        bar.show()
        bar.showMessage(text)
        if keep:
            QtCore.QTimer.singleShot(_STATUS_KEEP_MS, lambda: self._hide_status(text))

    def _hide_status(self, text: str) -> None:
        window = self._window
        if window is not None and not self._running and window.statusBar().currentMessage() == text:
            window.statusBar().hide()


def _remove_partial(target: Path) -> None:
    for leftover in (target, target.with_name(target.name + ".crdownload")):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} bytes"
