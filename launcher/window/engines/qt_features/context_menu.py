"""The right-click menu of the Qt web view, native and built for what was clicked.

pywebview leaves the view without a menu outside debug mode. This one offers what a browser does:
spelling suggestions and "Add to dictionary" on a misspelled word; cut, copy, paste and select all in
fields; copy link and open link in the browser; copy and save image; the spell-check switch; and
"Inspect" only with --debug. Qt's own actions (QWebEnginePage.action) already know whether they apply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from qtpy.QtGui import QAction
from qtpy.QtWebEngineCore import QWebEngineContextMenuRequest, QWebEnginePage
from qtpy.QtWidgets import QMenu

from launcher.window.features.options import FeatureOptions

__all__ = ["MENU_NAME", "ContextMenu"]

_log = logging.getLogger(__name__)
_Act = QWebEnginePage.WebAction
MENU_NAME = "launcher-context-menu"
_SUGGESTIONS_MAX = 6


class ContextMenu:
    """Builds and shows the menu for the view's last context-menu request."""

    def __init__(
        self,
        options: FeatureOptions,
        spellcheck_on: Callable[[], bool],
        set_spellcheck: Callable[[bool], None],
        add_word: Callable[[str], None],
    ) -> None:
        self._options = options
        self._spellcheck_on = spellcheck_on
        self._set_spellcheck = set_spellcheck
        self._add_word = add_word
        self.last: QMenu | None = None  # the menu on screen (the e2e driver reads its entries)

    def show(self, view: Any, global_pos: Any) -> QMenu:
        if self.last is not None:
            self.last.deleteLater()  # one menu at a time; the previous one is closed by now
        menu = self.build(view)
        self.last = menu
        menu.popup(global_pos)
        return menu

    def build(self, view: Any) -> QMenu:
        request: QWebEngineContextMenuRequest = view.lastContextMenuRequest()
        page: QWebEnginePage = view.page()
        menu = QMenu(view)
        menu.setObjectName(MENU_NAME)
        word = request.misspelledWord() if request is not None else ""
        if word:
            suggestions = list(request.spellCheckerSuggestions())[:_SUGGESTIONS_MAX]
            for suggestion in suggestions:
                menu.addAction(suggestion, lambda s=suggestion: page.replaceMisspelledWord(s))
            if not suggestions:
                menu.addAction("No spelling suggestions").setEnabled(False)
            menu.addAction(f"Add “{word}” to dictionary", lambda: self._add_word(word))
            menu.addSeparator()
        if request is not None and request.isContentEditable():
            for action in (_Act.Undo, _Act.Redo):
                menu.addAction(page.action(action))
            menu.addSeparator()
            for action in (_Act.Cut, _Act.Copy, _Act.Paste):
                menu.addAction(page.action(action))
            menu.addSeparator()
            menu.addAction(page.action(_Act.SelectAll))
        elif request is not None and request.selectedText():
            menu.addAction(page.action(_Act.Copy))
        link = request.linkUrl().toString() if request is not None else ""
        if link:
            _separate(menu)
            menu.addAction(_named(page.action(_Act.CopyLinkToClipboard), "Copy link"))
            if link.startswith(("https://", "http://")):
                menu.addAction("Open link in browser", lambda: self._options.open_external(link))
        if (
            request is not None
            and request.mediaType() == QWebEngineContextMenuRequest.MediaType.MediaTypeImage
        ):
            _separate(menu)
            menu.addAction(_named(page.action(_Act.CopyImageToClipboard), "Copy image"))
            menu.addAction(_named(page.action(_Act.DownloadImageToDisk), "Save image"))
        if request is not None and request.isContentEditable():
            _separate(menu)
            toggle = QAction("Check spelling", menu)
            toggle.setCheckable(True)
            toggle.setChecked(self._spellcheck_on())
            toggle.toggled.connect(self._set_spellcheck)
            menu.addAction(toggle)
        if self._options.debug:
            _separate(menu)
            menu.addAction(_named(page.action(_Act.InspectElement), "Inspect"))
        if menu.isEmpty():
            menu.addAction(page.action(_Act.Reload))
        return menu


def _named(action: QAction, text: str) -> QAction:
    action.setText(text)
    return action


def _separate(menu: QMenu) -> None:
    actions = menu.actions()
    if actions and not actions[-1].isSeparator():
        menu.addSeparator()
