"""The `Page` port: everything the window's sign-in parts may do with the page the window shows.

Why a port: the sign-in controller, the hand-off, the signed-in watch and the link opener decide from
what the page says (the dicts the injected scripts return, launcher/window/injection.py) and act on it
through these few calls only. The Shell implements it over the engine (engine_page.py); the unit
tests implement it with a scripted page (tests/launcher/window/scripted_page.py), so the sign-in
rules run in a fraction of a second without a window.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from launcher.window.page_trust import CertificateRefusal

__all__ = ["Page"]


class Page(Protocol):
    rc_url: str  # Rocket.Chat's address (settings.rocketchat_url)
    rc_origin: str
    closed: threading.Event  # set once the window is gone

    @property
    def poll_interval_s(self) -> float: ...  # how often to read the page between wake-ups

    def evaluate(self, script: str, timeout: float = 5.0) -> Any:
        """Run `script` in whatever page the window shows; its JSON-able result, or None."""

    def evaluate_with_token(self, script: str, timeout: float = 5.0) -> Any:
        """Run a script that carries the sign-in token: only while the page is Rocket.Chat's origin,
        through the engine's path no page script can hook; None otherwise."""

    def current_url(self) -> str | None: ...

    def load(self, url: str) -> None: ...

    def allow_token_load(self, url: str) -> None:
        """The next load of exactly `url` (the hand-off's resume-token link) passes the window's guard,
        once (navigation.TokenLoadAllowance); no other URL with a token does."""

    def load_failed(self) -> bool:
        """The last load of a Rocket.Chat page failed (network gone, server down)."""

    def refusal(self) -> CertificateRefusal | None:
        """The certificate refusal behind the last failed load of Rocket.Chat, if that was the cause."""

    def cover_source(self, cover: bool) -> str:
        """cover.js configured for Rocket.Chat (`cover`: drawn over the page while signing in)."""

    def set_cover(self, cover: bool) -> None:
        """cover.js, covering or not, as the script that runs at every next document's start."""

    def wakeups_seen(self) -> int:
        """The page's wake-up count: read it before reading the page, then `wait_wakeup`."""

    def wait_wakeup(self, seen: int, timeout: float) -> None:
        """Until the page's next wake-up after `seen`, or `timeout` seconds."""

    def delete_cookies(self) -> None: ...
