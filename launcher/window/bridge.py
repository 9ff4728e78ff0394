"""The JS bridge (pywebview js_api) the launcher's own pages use: sign-in, retry, switch user.

pywebview hands this object to EVERY page the window shows, Rocket.Chat and whatever it navigates to
included (PF §1.4). So every method first checks that the page calling it is one of the launcher's local
pages; any other caller gets a refusal and nothing else. No method ever returns a password or token
(the only exception is the demo's throw-away password, which the demo prints anyway).
Methods never raise: pywebview would log the traceback, and a traceback is no message for a person.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from launcher.window import navigation

_log = logging.getLogger(__name__)

REFUSED = {"ok": False, "message": "This page may not use the launcher."}


class Controller(Protocol):
    """What the bridge needs from the shell (kept small so the bridge is easy to test)."""

    def page_context(self) -> dict[str, Any]: ...
    def submit_credentials(self, username: str, password: str, remember: bool) -> dict[str, Any]: ...
    def retry(self) -> dict[str, Any]: ...
    def switch_user(self) -> dict[str, Any]: ...


class LauncherApi:
    """Exposed to JavaScript as `window.pywebview.api`; public methods are the whole surface."""

    def __init__(self, controller: Controller, current_url: Callable[[], str | None]) -> None:
        self._controller = controller
        self._current_url = current_url

    def context(self) -> dict[str, Any]:
        """Organization name, logo, prefilled username, and the message the page should show."""
        return self._guarded("context", self._controller.page_context)

    def sign_in(self, username: Any, password: Any, remember: Any = True) -> dict[str, Any]:
        """Sign in with the organization; on success the launcher navigates to Rocket.Chat itself."""
        if not isinstance(username, str) or not isinstance(password, str):
            return {"ok": False, "message": "Enter your username and password.", "field": "username"}
        return self._guarded(
            "sign_in", lambda: self._controller.submit_credentials(username, password, bool(remember))
        )

    def retry(self) -> dict[str, Any]:
        return self._guarded("retry", self._controller.retry)

    def sign_in_as_someone_else(self) -> dict[str, Any]:
        return self._guarded("sign_in_as_someone_else", self._controller.switch_user)

    def _guarded(self, name: str, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            url = self._current_url()
        except Exception:
            url = None
        if not navigation.is_local_page(url):
            _log.warning("refused bridge call %s from a page that is not the launcher's own", name)
            return dict(REFUSED)
        try:
            return action()
        except Exception:
            _log.exception("bridge call %s failed", name)
            return {"ok": False, "message": "Something went wrong in the launcher: try again."}
