"""The launcher's own pages (sign-in form, error page) and what they may ask of it through the bridge.

Why apart from the shell: these are the only pages the bridge answers, so everything they can reach
is here, in one place to review: the page's context (no secret in it), a sign-in with the typed
credentials, Retry, and "Sign in as someone else".
"""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from launcher.signin._text import ENTER_BOTH
from launcher.window import navigation
from launcher.window.states import State

if TYPE_CHECKING:
    from launcher.window.shell import Shell

__all__ = ["ERROR_TITLE", "LocalPages"]

ERROR_TITLE = "Rocket.Chat could not open"

_LOGO_MAX_BYTES = 1_000_000
_LOGO_TYPES = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
}


class LocalPages:
    """Shows the sign-in and error pages and answers their bridge calls (the bridge's Controller)."""

    def __init__(self, shell: Shell, username: str | None) -> None:
        self._shell = shell
        self.username = username
        self._notice: str | None = None
        self._message: str | None = None
        self._field: str | None = None
        self._title = ERROR_TITLE
        self._can_retry = True

    # -- showing them

    def enter_signin(
        self, gen: int, message: str | None, notice: str | None = None, load: bool = True
    ) -> None:
        """The sign-in form, saying why (`message`: a problem with the password; `notice`: news)."""
        shell = self._shell
        with shell.episodes.lock:
            if not shell.episodes.current(gen):
                return
            self._message, self._notice = message, notice
            self._field = "password" if message else None
        shell.forget_signed_in_page()
        if load:
            shell.load(navigation.local_page_url("signin.html"))
        shell.change_state(gen, State.SIGNIN, message=message)

    def show_error(self, gen: int, message: str, retry: bool = True, title: str | None = None) -> None:
        shell = self._shell
        with shell.episodes.lock:
            if not shell.episodes.current(gen):
                return
            self._message, self._can_retry = message, retry
            self._title = title or ERROR_TITLE
        shell.load(navigation.local_page_url("error.html"))
        shell.change_state(gen, State.ERROR, message=message)

    # -- the bridge's controller

    def page_context(self) -> dict[str, Any]:
        shell = self._shell
        shell.session.first_resume_done.wait(5)  # let the first resume() fill in the username or a message
        with shell.episodes.lock:
            return {
                "state": str(shell.state),
                "organization": shell.organization,
                "logo": _logo_data_url(shell.settings.organization_logo),
                "username": self.username or "",
                "remember": shell.remember,
                "message": self._message,
                "field": self._field,
                "notice": self._notice,
                "title": self._title,
                "can_retry": self._can_retry,
            }

    def submit_credentials(self, username: str, password: str, remember: bool) -> dict[str, Any]:
        from launcher.signin.flow import Failed, NeedsCredentials, SignedIn

        shell = self._shell
        username = username.strip()
        if not username or not password:
            return {"ok": False, "message": ENTER_BOTH, "field": "username"}
        flow = shell.session.wait_flow()
        if flow is None:
            return {
                "ok": False,
                "message": shell.session.flow_error or "The launcher is not ready: try again.",
            }
        if shell.state != State.SIGNIN:
            return {"ok": False, "message": "A sign-in is already in progress."}
        result = flow.sign_in(username, password, remember=remember)
        if isinstance(result, SignedIn):
            self.username = username
            shell.session.signed_in_by_form(result.token, remember)
            return {"ok": True}
        if isinstance(result, NeedsCredentials):
            answer = {
                "ok": False,
                "message": result.message or "Wrong username or password.",
                "field": "password",
            }
        elif isinstance(result, Failed):
            answer = {"ok": False, "message": result.message, "field": None}
        else:
            answer = {"ok": False, "message": "Sign-in failed: try again.", "field": None}
        shell.episodes.emit("signin-failed", {"message": answer["message"]})
        shell.sign_in_failed(answer["message"])
        return answer

    def retry(self) -> dict[str, Any]:
        shell = self._shell
        if shell.state != State.ERROR:
            return {"ok": False, "message": "Nothing to retry."}
        gen = shell.episodes.begin(State.SIGNING_IN)
        threading.Thread(target=shell.session.resume, args=(gen,), name="retry", daemon=True).start()
        return {"ok": True}

    def switch_user(self) -> dict[str, Any]:
        threading.Thread(
            target=self._shell.session.sign_out_as, args=(None,), name="switch-user", daemon=True
        ).start()
        return {"ok": True}


def _logo_data_url(logo: Path | None) -> str | None:
    """The organization's logo inlined (the local page cannot read files), or None if unusable."""
    if logo is None:
        return None
    kind = _LOGO_TYPES.get(logo.suffix.lower())
    try:
        if kind is None or logo.stat().st_size > _LOGO_MAX_BYTES:
            return None
        return f"data:{kind};base64," + base64.b64encode(logo.read_bytes()).decode("ascii")
    except OSError:
        return None
