"""What the launcher's own pages (sign-in form, error page) show: the message, the field to focus, the
error page's title and Retry, the prefilled username, and the context they read through the bridge.

Why apart: the context is all these pages can read of the launcher (no secret in it), so it is built
here, in one place to review. Which page comes next is the sign-in controller's decision
(launcher/window/signin_controller.py); this shows it and holds what it says.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from launcher.window import navigation, webstate
from launcher.window.states import State

if TYPE_CHECKING:
    from launcher.paths import Paths
    from launcher.window.page import Page
    from launcher.window.states import Episodes

__all__ = [
    "CERTIFICATE_TITLE",
    "ERROR_TITLE",
    "SIGNIN_PAGE",
    "SIGN_IN_LINK_REFUSED",
    "UNREACHABLE",
    "LocalPages",
]

SIGNIN_PAGE = navigation.local_page_url("signin.html")
ERROR_PAGE = navigation.local_page_url("error.html")

ERROR_TITLE = "Rocket.Chat could not open"
CERTIFICATE_TITLE = "Rocket.Chat's certificate is not trusted"
UNREACHABLE = "Rocket.Chat cannot be reached: check your network connection, then Retry."
# Rocket.Chat's server redirected the resume-token link to another origin (see navigation.carries_secret).
SIGN_IN_LINK_REFUSED = (
    "Rocket.Chat sent the sign-in on to another site, so the launcher stopped it: "
    "ask IT to check Rocket.Chat's Site URL and proxy, then Retry."
)

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
    """Shows the sign-in and error pages in episode `gen` (nothing when that episode is over), and holds
    what they say. `change(gen, state, **info)` moves the window's state (the controller's)."""

    def __init__(
        self,
        page: Page,
        episodes: Episodes,
        paths: Paths,
        change: Callable[..., None],
        organization: str,
        logo: Path | None,
        username: str | None,
    ) -> None:
        self._page = page
        self._episodes = episodes
        self._paths = paths
        self._change = change
        self._organization = organization
        self._logo = logo
        self.username = username
        self._notice: str | None = None
        self._message: str | None = None
        self._field: str | None = None
        self._title = ERROR_TITLE
        self._can_retry = True

    def show_signin(
        self, gen: int, message: str | None, notice: str | None = None, load: bool = True
    ) -> None:
        """The sign-in form, saying why (`message`: a problem with the password; `notice`: news)."""
        with self._episodes.lock:
            if not self._episodes.current(gen):
                return
            self._message, self._notice = message, notice
            self._field = "password" if message else None
        webstate.set_signed_in(self._paths, False)
        if load:
            self._page.load(SIGNIN_PAGE)
        self._change(gen, State.SIGNIN, message=message)

    def show_error(self, gen: int, message: str, retry: bool = True, title: str | None = None) -> None:
        with self._episodes.lock:
            if not self._episodes.current(gen):
                return
            self._message, self._can_retry = message, retry
            self._title = title or ERROR_TITLE
        self._page.load(ERROR_PAGE)
        self._change(gen, State.ERROR, message=message)

    def show_unreachable(self, gen: int) -> None:
        """Rocket.Chat's page did not load: a refused certificate gets its own page (the host, the
        issuer, what IT must do), never "check your network"; anything else is the network."""
        refusal = self._page.refusal()
        if refusal is None:
            self.show_error(gen, UNREACHABLE)
        else:
            self.show_error(gen, refusal.message(), title=CERTIFICATE_TITLE)

    def context(self, state: str, remember: bool) -> dict[str, Any]:
        """What the page may read: no password, no token (the caller holds the episodes' lock)."""
        return {
            "state": state,
            "organization": self._organization,
            "logo": _logo_data_url(self._logo),
            "username": self.username or "",
            "remember": remember,
            "message": self._message,
            "field": self._field,
            "notice": self._notice,
            "title": self._title,
            "can_retry": self._can_retry,
        }


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
