"""`QtFeatures`: the Qt window's everyday features in one place, wired to the window's page and profile.

The Qt engine creates one before the window exists (`prepare`) and calls `attach` once pywebview built
the page and its profile: downloads and spell check are the profile's, permissions and pop-ups the
page's, and the right-click menu the view's. Everything here runs on the Qt thread.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from qtpy import QtCore

from launcher.window.engines.qt_features import guard
from launcher.window.engines.qt_features.context_menu import ContextMenu
from launcher.window.engines.qt_features.downloads import Downloads
from launcher.window.engines.qt_features.file_picker import FilePicker
from launcher.window.engines.qt_features.permissions import Permissions
from launcher.window.engines.qt_features.popups import NewWindows, PopupPage, PopupWindow
from launcher.window.features import dictionary, spellcheck
from launcher.window.features.choices import Choices
from launcher.window.features.options import FeatureOptions

__all__ = ["QtFeatures"]

_log = logging.getLogger(__name__)


class QtFeatures:
    def __init__(self, options: FeatureOptions, storage_dir: Path) -> None:
        guard.install()
        self.options = options
        self.storage_dir = storage_dir
        self.choices = Choices(options.choices_file)
        self.dictionaries = spellcheck.use_dictionaries()  # before Qt WebEngine starts
        self.downloads = Downloads(options)
        self.permissions = Permissions(options, self.choices, self._main_window)
        self.menu = ContextMenu(options, self._spellcheck_on, self.set_spellcheck, self.add_word)
        self.popups: list[PopupWindow] = []
        self.files = FilePicker()
        self.spell_languages: list[str] = []
        self._page: Any = None
        self._profile: Any = None
        self._native: Any = None  # pywebview's QMainWindow, parent of the prompts and pop-ups

    # -- wiring

    def attach(self, page: Any, profile: Any) -> None:
        """The window's page and its profile exist (pywebview's page constructor, on the Qt thread)."""
        self._page, self._profile = page, profile
        profile.downloadRequested.connect(self.downloads.handle)
        # Qt would remember answers itself (and never ask the launcher again): the profile's choices
        # file is the one memory, so "Forget permissions" and the origin rules always apply.
        profile.setPersistentPermissionsPolicy(profile.PersistentPermissionsPolicy.AskEveryTime)
        self.spell_languages = spellcheck.languages(
            self.options.spellcheck_languages, spellcheck.available(self.dictionaries)
        )
        if self.spell_languages:
            profile.setSpellCheckLanguages(self.spell_languages)
        profile.setSpellCheckEnabled(bool(self.spell_languages) and self._spellcheck_on())
        if not self.spell_languages:
            _log.info("spell check is off: no dictionary for the configured or system language")
        self._permissions_for(page)
        # A file dropped beside Rocket.Chat's drop area would replace the chat with the file itself.
        settings = page.settings()
        settings.setAttribute(settings.WebAttribute.NavigateOnDropEnabled, False)

    def window_shown(self, native: Any) -> None:
        """pywebview's QMainWindow exists: progress goes to its status bar, the menu to its view."""
        self._native = native
        self.downloads.set_window(native)
        native.webview.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.DefaultContextMenu)

    def _permissions_for(self, page: Any) -> None:
        page.permissionRequested.connect(self.permissions.on_permission)
        page.desktopMediaRequested.connect(self.permissions.on_desktop_media)

    # -- the page's requests

    def create_popup(self, profile: Any) -> PopupPage:
        return PopupPage(profile, self.options, self._show_popup, self.options.open_external)

    def new_windows(self, profile: Any) -> NewWindows:
        """The window's page's answer to window.open/target=_blank (popups.NewWindows)."""
        return NewWindows(self.options, lambda: self.create_popup(profile))

    def _show_popup(self, page: PopupPage) -> None:
        self._permissions_for(page)  # a call window asks for the microphone too
        window = PopupWindow(page, self._main_window(), page.origin or "")
        window.destroyed.connect(lambda: self._forget_popup(window))
        self.popups.append(window)
        window.show()

    def _forget_popup(self, window: PopupWindow) -> None:
        self.popups = [w for w in self.popups if w is not window]

    def choose_files(self, mode: Any, old_files: list[str]) -> list[str]:
        return self.files.choose(self._main_window(), mode, old_files)

    def context_menu(self, view: Any, event: Any) -> None:
        self.menu.show(view, event.globalPos())

    # -- choices

    def _spellcheck_on(self) -> bool:
        return self.choices.spellcheck(self.options.spellcheck_enabled)

    def set_spellcheck(self, on: bool) -> None:
        self.choices.set_spellcheck(on)
        if self._profile is not None:
            self._profile.setSpellCheckEnabled(bool(on) and bool(self.spell_languages))

    def add_word(self, word: str) -> None:
        if dictionary.add_word(self.storage_dir, word):
            _log.info("a word was added to the personal dictionary")

    def forget_permissions(self) -> int:
        return self.choices.forget_permissions()

    def _main_window(self) -> Any:
        return self._native
