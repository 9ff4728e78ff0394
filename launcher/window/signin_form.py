"""What the person asks of the sign-in: the launcher's own pages through the bridge
(launcher/window/bridge.py's Controller: their context, a sign-in with the typed credentials, Retry,
"Sign in as someone else"), and Sign out (the menu, the tray).

Why apart: this is everything a local page can reach, in one place to review. A typed sign-in that
fails leaves the form where it is, saying why (the answer); one that succeeds goes to the sign-in
controller, which hands the token to Rocket.Chat's page. Sign-out always ends on the form.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from launcher.signin._text import ENTER_BOTH
from launcher.window import injection, navigation, webstate
from launcher.window.states import State

if TYPE_CHECKING:
    from launcher.paths import Paths
    from launcher.window.page import Page
    from launcher.window.signin_controller import SignInController
    from launcher.window.states import Episodes

__all__ = ["SIGNED_OUT_NOTICE", "SignInForm"]

_log = logging.getLogger(__name__)

SIGNED_OUT_NOTICE = "You are signed out."


class SignInForm:
    def __init__(self, signin: SignInController, page: Page, episodes: Episodes, paths: Paths) -> None:
        self._signin = signin
        self._page = page
        self._episodes = episodes
        self._paths = paths

    def page_context(self) -> dict[str, Any]:
        signin = self._signin
        signin.first_resume_done.wait(5)  # let the first resume() fill in the username or a message
        with self._episodes.lock:
            return signin.pages.context(str(self._episodes.state), signin.remember)

    def submit_credentials(self, username: str, password: str, remember: bool) -> dict[str, Any]:
        from launcher.signin.flow import Failed, NeedsCredentials, SignedIn

        username = username.strip()
        if not username or not password:
            return {"ok": False, "message": ENTER_BOTH, "field": "username"}
        flow = self._signin.flows.wait()
        if flow is None:
            return {
                "ok": False,
                "message": self._signin.flows.error or "The launcher is not ready: try again.",
            }
        if self._episodes.state != State.SIGNIN:
            return {"ok": False, "message": "A sign-in is already in progress."}
        result = flow.sign_in(username, password, remember=remember)
        if isinstance(result, SignedIn):
            self._signin.signed_in_by_form(username, result.token, remember)
            return {"ok": True}
        if isinstance(result, NeedsCredentials):
            message = result.message or "Wrong username or password."
            answer: dict[str, Any] = {"ok": False, "message": message, "field": "password"}
        elif isinstance(result, Failed):
            answer = {"ok": False, "message": result.message, "field": None}
        else:
            answer = {"ok": False, "message": "Sign-in failed: try again.", "field": None}
        self._signin.form_failed(answer["message"])
        return answer

    def retry(self) -> dict[str, Any]:
        if not self._signin.retry():
            return {"ok": False, "message": "Nothing to retry."}
        return {"ok": True}

    def switch_user(self) -> dict[str, Any]:
        threading.Thread(target=self.sign_out, args=(None,), name="switch-user", daemon=True).start()
        return {"ok": True}

    def sign_out(self, notice: str | None = SIGNED_OUT_NOTICE) -> None:
        """Sign out everywhere and show the form; `notice` None: "sign in as someone else" (the
        username is forgotten too)."""
        gen = self._episodes.begin(State.SIGNING_OUT)
        token = self._signin.forget_token()
        page = self._page
        url = page.current_url()
        if url and navigation.is_rocketchat(url, page.rc_origin):
            page.evaluate(injection.sign_out(page.rc_origin))
        flow = self._signin.flows.wait()
        self._signin.first_resume_done.wait(30)  # a resume() still running must not save a token after this
        if flow is not None:
            try:
                flow.sign_out()
            except Exception:
                _log.exception("sign-out at the organization failed")
        elif token is not None:
            _log.warning("no sign-in flow: the keyring could not be cleared")
        try:
            page.delete_cookies()
        except Exception:
            _log.exception("could not delete the webview's cookies")
        webstate.request_wipe(self._paths)
        if notice is None:
            self._signin.pages.username = None
        self._signin.pages.show_signin(gen, message=None, notice=notice)
