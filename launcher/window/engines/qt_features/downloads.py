"""Downloads in the Qt window, done by the launcher (pywebview's own Qt handler calls a Qt 5 API and
aborts the process on PyQt6).

Each file goes to the Downloads folder (or `downloads.folder`) under the server's name, with " (1)" on a
clash, and without a dialog when Rocket.Chat's origin offers it (at most `downloads.PACE_LIMIT` in
`PACE_WINDOW_S` seconds). A file from any other origin, a data: link (Qt does not say which frame made
it, so it counts as another site's), Rocket.Chat's files beyond the pace, or every file with
`downloads.ask`, gets a Save As dialog that keeps the name and extension and names who offers it. One
dialog at a time: a download asked for while one is open is refused, and after a person cancels another
site's dialog that site's next downloads are refused for the pace's window. Each running download owns
its path (created exclusively) until it ends; a failed or cancelled one removes only what it created.
Progress shows in the window's status bar next to a Cancel button (Ctrl+Shift+X); the end gives a
notification (a click opens the file, or shows a program in its folder).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qtpy import QtCore, QtGui
from qtpy.QtWebEngineCore import QWebEngineDownloadRequest
from qtpy.QtWidgets import QFileDialog, QPushButton

from launcher.window.features import downloads
from launcher.window.features.options import FeatureOptions

__all__ = ["CANCEL_BUTTON_NAME", "CANCEL_SHORTCUT", "SAVE_DIALOG_NAME", "Downloads"]

_log = logging.getLogger(__name__)
SAVE_DIALOG_NAME = "launcher-save-dialog"
CANCEL_BUTTON_NAME = "launcher-cancel-downloads"
CANCEL_SHORTCUT = "Ctrl+Shift+X"
_State = QWebEngineDownloadRequest.DownloadState
_STATUS_KEEP_MS = 6000
_BUSY = "another download is waiting for your answer; start it again afterwards"
_QUIET = "you refused a file from the same site a moment ago"


@dataclass
class _Running:
    request: Any
    target: Path
    created: bool  # the launcher made the file (a reservation): a failure may remove it
    by_person: bool = False  # the Cancel button ended it


class Downloads(QtCore.QObject):
    """Connect `handle` to QWebEngineProfile.downloadRequested; `set_window` gives the status bar."""

    def __init__(self, options: FeatureOptions, window: Any = None) -> None:
        super().__init__()
        self._options = options
        self._window: Any = None  # the QMainWindow whose status bar shows progress (set when known)
        self._running: dict[int, _Running] = {}
        self._pace = downloads.Pace()
        self._quiet_until = 0.0  # another site's downloads are refused until then (a dialog was cancelled)
        self._cancel: QPushButton | None = None
        self._shortcut: QtGui.QShortcut | None = None
        self.finished: list[dict[str, Any]] = []  # what ended, for the e2e driver and the log
        self.asking: QFileDialog | None = None  # the Save As dialog on screen (the e2e driver answers it)
        if window is not None:
            self.set_window(window)

    def set_window(self, window: Any) -> None:
        """The main window: its status bar gets the progress line and the Cancel button."""
        if window is self._window:
            return
        self._window = window
        self._cancel = QPushButton("Cancel download")
        self._cancel.setObjectName(CANCEL_BUTTON_NAME)
        self._cancel.setToolTip(
            f"Stop the running downloads and delete their partial files ({CANCEL_SHORTCUT})"
        )
        self._cancel.clicked.connect(self.cancel_all)
        self._cancel.hide()
        window.statusBar().addPermanentWidget(self._cancel)
        self._shortcut = QtGui.QShortcut(QtGui.QKeySequence(CANCEL_SHORTCUT), window)
        self._shortcut.setContext(QtCore.Qt.ShortcutContext.ApplicationShortcut)
        self._shortcut.activated.connect(self.cancel_all)
        self._shortcut.setEnabled(False)  # the page keeps the key while nothing downloads

    def handle(self, request: QWebEngineDownloadRequest) -> None:
        url = request.url().toString()
        name = downloads.file_name_for(request.suggestedFileName(), url)
        folder = self._options.downloads_folder
        origin = downloads.source_origin(url)
        trusted = origin == self._options.rc_origin
        quiet = trusted and not self._options.downloads_ask and self._pace.allow()
        if quiet:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                target = downloads.reserve_path(folder, name, self._targets())
            except OSError as exc:
                request.cancel()
                self._refused(name, f"the folder {folder} cannot be written ({exc.strerror or exc})", True)
                return
            created = True
        else:
            refusal = _BUSY if self.asking is not None else None
            if not trusted and time.monotonic() < self._quiet_until:
                refusal = _QUIET
            if refusal is not None:
                request.cancel()
                self._refused(name, refusal, False)
                return
            chosen = self._ask(folder, name, _who(url, origin))
            if chosen is None:
                request.cancel()
                if not trusted:
                    self._quiet_until = time.monotonic() + downloads.PACE_WINDOW_S
                return
            if chosen in self._targets():
                request.cancel()
                self._refused(chosen.name, "another download is being saved under that name", True)
                return
            target, created = chosen, _create(chosen)
        request.setDownloadDirectory(str(target.parent))
        request.setDownloadFileName(target.name)
        key = request.id()
        self._running[key] = _Running(request, target, created)
        request.receivedBytesChanged.connect(lambda: self._progress(key))
        request.stateChanged.connect(lambda state: self._state_changed(key, state))
        request.accept()
        self._status(f"Downloading {target.name}…")
        self._show_cancel()

    def cancel_all(self) -> None:
        """The person's Cancel: every running download stops and its partial file goes."""
        for entry in list(self._running.values()):
            entry.by_person = True
            entry.request.cancel()

    def _targets(self) -> frozenset[Path]:
        return frozenset(entry.target for entry in self._running.values())

    def _ask(self, folder: Path, name: str, who: str) -> Path | None:
        """Save As, starting on the server's name in the downloads folder; None when cancelled."""
        suffix = downloads.extension_of(name)
        with contextlib.suppress(OSError):  # the dialog opens in the folder only if it exists
            folder.mkdir(parents=True, exist_ok=True)
        dialog = QFileDialog(self._window, f"Save a file from {who}", str(folder))
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
        request, target = entry.request, entry.target
        received, total = request.receivedBytes(), request.totalBytes()
        more = f" (and {len(self._running) - 1} more)" if len(self._running) > 1 else ""
        if total > 0:
            self._status(
                f"Downloading {target.name}: {received * 100 // total}% ({_size(received)} of {_size(total)}){more}"
            )
        else:
            self._status(f"Downloading {target.name}: {_size(received)}{more}")

    def _state_changed(self, key: int, state: Any) -> None:
        entry = self._running.get(key)
        if entry is None or state in (_State.DownloadRequested, _State.DownloadInProgress):
            return
        del self._running[key]
        self._show_cancel()
        request, target = entry.request, entry.target
        if state == _State.DownloadCompleted:
            self.finished.append({"name": target.name, "path": str(target), "ok": True})
            _log.info("download saved (%s bytes)", request.receivedBytes())
            self._status(f"Saved {target.name} in {target.parent}", keep=True)
            program = downloads.opens_as_program(target.name, _mode(target))
            action = "click to show it in its folder" if program else "click to open it"
            self._options.notify("Download complete", f"{target.name} — {action}.", target)
            return
        _remove_partial(target, entry.created)
        if entry.by_person:
            self.finished.append(
                {"name": target.name, "path": str(target), "ok": False, "reason": "cancelled"}
            )
            _log.info("a download was cancelled by the person")
            self._status(f"{target.name} was cancelled", keep=True)
            return
        reason = (
            request.interruptReasonString() if state == _State.DownloadInterrupted else "it was cancelled"
        )
        self.finished.append({"name": target.name, "path": str(target), "ok": False, "reason": reason})
        self._failed(target.name, reason)

    def _refused(self, name: str, reason: str, notify: bool) -> None:
        """A download that never started; a refusal the page caused gives no notification (a page
        could otherwise fill the screen with them)."""
        self.finished.append({"name": name, "path": "", "ok": False, "reason": reason})
        if notify:
            self._failed(name, reason)
        else:
            _log.info("a download was refused: %s", reason)
            self._status(f"{name} was not downloaded: {reason}", keep=True)

    def _failed(self, name: str, reason: str) -> None:
        _log.warning("a download failed: %s", reason)
        self._status(f"{name} was not downloaded: {reason}", keep=True)
        self._options.notify("Download failed", f"{name} was not downloaded: {reason}. Try again.", None)

    def _show_cancel(self) -> None:
        count = len(self._running)
        if self._cancel is not None:
            self._cancel.setText("Cancel download" if count <= 1 else f"Cancel {count} downloads")
            self._cancel.setVisible(count > 0)
        if self._shortcut is not None:
            self._shortcut.setEnabled(count > 0)

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


def _who(url: str, origin: str | None) -> str:
    """Who offers the file, as the dialog's title names it."""
    if origin is not None:
        return origin
    return "a page inside Rocket.Chat (a data: link)" if url[:5].lower() == "data:" else "an unknown page"


def _create(path: Path) -> bool:
    """Create the chosen file if it is new (True: this download made it); False for a file the person
    chose to replace, which a failure must leave alone."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    except OSError:
        return False
    return True


def _remove_partial(target: Path, created: bool) -> None:
    """Qt writes to `<target>.download` and renames it at the end; the target itself goes only if
    this download created it."""
    leftovers = [target.with_name(target.name + ".download"), target.with_name(target.name + ".crdownload")]
    for leftover in [target] * created + leftovers:
        with contextlib.suppress(OSError):
            leftover.unlink()


def _mode(path: Path) -> int:
    try:
        return path.stat().st_mode
    except OSError:
        return 0


def _size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} bytes"
