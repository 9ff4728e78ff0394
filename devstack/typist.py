"""The demo's stand-in for a person at the sign-in form: it types the demo credentials into the page
(one input event per character, as a keyboard would) and, when asked to, presses Sign in.

Why here and not in the launcher: the shipped window has no demo mode. The form is filled from
outside, through the page, exactly where a person would fill it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

__all__ = ["Typist", "signin_form_script"]

_log = logging.getLogger(__name__)

_FORM_READY = "document.body && document.body.getAttribute('data-ready') === 'true'"
_FORM_WAIT_S = 30.0


class Typist:
    """Fills the sign-in form once, the first time the window shows it; presses Sign in if `submit`."""

    def __init__(self, username: str, password: str, *, submit: bool) -> None:
        self._username, self._password, self._submit = username, password, submit
        self._shell: Any = None
        self._done = threading.Event()

    def attach(self, shell: Any) -> None:
        """For launcher.app.run(attach=...): follow the window's states from before it opens."""
        self._shell = shell
        if self._submit:
            shell.expect_typed_sign_in()  # with --exit-when-ready, the form alone must not end the run
        shell.add_listener(self._on_state)

    def _on_state(self, state: str, _info: dict[str, Any]) -> None:
        if state != "signin" or self._done.is_set():
            return
        self._done.set()
        threading.Thread(target=self._type, name="demo-typist", daemon=True).start()

    def _type(self) -> None:
        shell = self._shell
        deadline = time.monotonic() + _FORM_WAIT_S
        while shell.evaluate(f"!!({_FORM_READY})") is not True:  # the page says when its form is up
            if time.monotonic() > deadline or shell.closed.is_set():
                _log.warning("the sign-in form did not show: the demo did not fill it in")
                return
            time.sleep(0.05)
        script = signin_form_script(self._username, self._password, remember=True, submit=self._submit)
        if shell.evaluate(script) is not True:
            _log.warning("the demo could not fill in the sign-in form")


def signin_form_script(username: str, password: str, *, remember: bool, submit: bool) -> str:
    """JavaScript that types into the launcher's sign-in form as a person would (one input event per
    character), sets "keep me signed in", and presses Sign in when `submit`. It does nothing outside the
    launcher's own (file:) pages. The password is a throw-away test or demo password."""
    values = json.dumps({"username": username, "password": password, "remember": remember, "submit": submit})
    return (
        "(function (v) {"
        " if (location.protocol !== 'file:') return false;"
        " function type(el, text) { el.focus(); el.value = ''; for (var i = 0; i < text.length; i++) {"
        "   el.value += text[i]; el.dispatchEvent(new Event('input', {bubbles: true})); } }"
        " type(document.getElementById('username'), v.username);"
        " type(document.getElementById('password'), v.password);"
        " var r = document.getElementById('remember'); if (r.checked !== v.remember) r.click();"
        " if (v.submit) document.getElementById('submit').click(); return true; })(" + values + ")"
    )
