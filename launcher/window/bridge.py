"""The launcher's own pages' way to Python: four plain functions, and a dispatcher that refuses the rest.

Why this shape: pywebview's own dispatcher resolves any dotted name a page sends with getattr,
underscore names included, so any object handed to it is reachable in full (from the shell to the
keyring and `os`). The launcher therefore hands pywebview no object at all (`js_api=None`): it exposes
`context`, `sign_in`, `retry` and `sign_in_as_someone_else` as plain functions, and replaces
pywebview's dispatcher with `Bridge.dispatch`, which runs a call only when its name is one of those
four exact names and the page calling is one of the launcher's local pages. On Qt, Rocket.Chat's pages
do not even get the channel a call would travel on (launcher/window/engines/qt.py).

No function returns a password or token. Functions never raise: a traceback is no message for a person.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Any, Protocol

from launcher.window import navigation

__all__ = ["ALLOWED", "REFUSED", "Bridge", "Controller"]

_log = logging.getLogger(__name__)

ALLOWED = ("context", "sign_in", "retry", "sign_in_as_someone_else")
REFUSED = {"ok": False, "message": "This page may not use the launcher."}
_FAILED = {"ok": False, "message": "Something went wrong in the launcher: try again."}
_CALL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_PARAMS = 3


class Controller(Protocol):
    """What the bridge needs from the shell (kept small so the bridge is easy to test)."""

    def page_context(self) -> dict[str, Any]: ...
    def submit_credentials(self, username: str, password: str, remember: bool) -> dict[str, Any]: ...
    def retry(self) -> dict[str, Any]: ...
    def switch_user(self) -> dict[str, Any]: ...


class Bridge:
    """The allowlist and its dispatcher. `current_url()` and `run_js(script)` reach the window's page."""

    def __init__(
        self,
        controller: Controller,
        current_url: Callable[[], str | None],
        run_js: Callable[[str], Any],
    ) -> None:
        self._current_url = current_url
        self._run_js = run_js
        self._functions: dict[str, Callable[..., dict[str, Any]]] = _functions(controller)

    def functions(self) -> list[Callable[..., dict[str, Any]]]:
        """The plain functions to `window.expose`; their names are what the local pages call."""
        return list(self._functions.values())

    def dispatch(self, window: Any, name: Any, params: Any, call_id: Any) -> None:
        """pywebview's platforms call this for every bridge call a page makes (pywebview's own
        signature). Anything but an allowed name, from a local page, with a plain call id, is refused
        and logged; nothing else of the launcher is reachable through it."""
        function = self._functions.get(name) if isinstance(name, str) else None
        if function is None:
            _log.warning("refused a bridge call to a name that is not the launcher's (%.40r)", name)
            return
        if not isinstance(call_id, str) or not _CALL_ID.fullmatch(call_id):
            _log.warning("refused bridge call %s: malformed call id", name)
            return
        if not self._on_local_page():
            _log.warning("refused bridge call %s from a page that is not the launcher's own", name)
            return
        args = params if isinstance(params, list) and len(params) <= _MAX_PARAMS else []
        threading.Thread(target=self._run, args=(name, function, args, call_id), daemon=True).start()

    def _run(self, name: str, function: Callable[..., dict[str, Any]], args: list[Any], call_id: str) -> None:
        try:
            result = function(*args)
        except TypeError:
            result = dict(_FAILED)  # wrong number of arguments: not a call our pages make
        if not self._on_local_page():
            return  # the page moved on (to Rocket.Chat, after a sign-in): the answer is not for it
        value = json.dumps(json.dumps(result))
        self._run_js(
            f"window.pywebview._returnValuesCallbacks[{json.dumps(name)}][{json.dumps(call_id)}]"
            f"({{value: {value}}})"
        )

    def _on_local_page(self) -> bool:
        try:
            return navigation.is_local_page(self._current_url())
        except Exception:
            return False


def _functions(controller: Controller) -> dict[str, Callable[..., dict[str, Any]]]:
    """The four functions, named as the pages call them (pywebview exposes a function by its __name__)."""

    def context() -> dict[str, Any]:
        """Organization name, logo, prefilled username, and the message the page should show."""
        return _guarded("context", controller.page_context)

    def sign_in(username: Any = None, password: Any = None, remember: Any = True) -> dict[str, Any]:
        """Sign in with the organization; on success the launcher navigates to Rocket.Chat itself."""
        name = username if isinstance(username, str) else ""  # the controller says what is missing
        secret = password if isinstance(password, str) else ""
        return _guarded("sign_in", lambda: controller.submit_credentials(name, secret, bool(remember)))

    def retry() -> dict[str, Any]:
        return _guarded("retry", controller.retry)

    def sign_in_as_someone_else() -> dict[str, Any]:
        return _guarded("sign_in_as_someone_else", controller.switch_user)

    functions = {f.__name__: f for f in (context, sign_in, retry, sign_in_as_someone_else)}
    assert tuple(functions) == ALLOWED
    return functions


def _guarded(name: str, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return action()
    except Exception:
        _log.exception("bridge call %s failed", name)
        return dict(_FAILED)
