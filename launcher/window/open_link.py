"""Opening a Rocket.Chat route in the window: a link forwarded by `rocketchat-launcher open <link>`.

Why its own part: a link can arrive at any moment (the single-instance channel's thread, or the start
itself), while the window may still be on the sign-in page or signing in. So the route is remembered
and applied once Rocket.Chat is signed in, and only the newest one counts. Applying it prefers
Rocket.Chat's own `go` iframe command, posted to Rocket.Chat's origin only (injection.open_room), which
moves within the running client without a reload; when Rocket.Chat does not take commands, or the
command does not move the page (its listener not attached yet), the window loads the route's URL
instead, which always works. Every route is checked again here (launcher/links.py): whatever comes over
the channel is treated as untrusted input.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from launcher.links import LinkRefused, RoomLink, parse_route
from launcher.window import injection
from launcher.window.states import State

if TYPE_CHECKING:
    from launcher.window.page import Page
    from launcher.window.states import Episodes

__all__ = ["GO_WAIT_S", "LinkOpener"]

_log = logging.getLogger(__name__)

#: How long the `go` command may take to move the page before the window loads the URL instead. The
#: command is posted again every GO_REPOST_S meanwhile (it is idempotent, unlike the login command).
GO_WAIT_S = 6.0
GO_REPOST_S = 0.5
_POLL_S = 0.1
_WHERE = "({origin: location.origin, path: location.pathname})"


class LinkOpener:
    """`open(route)` from any thread; the room opens now when signed in, else once signed in."""

    def __init__(
        self,
        page: Page,
        episodes: Episodes,
        commands_work: Callable[[], bool],
        bring_forward: Callable[[], None],
    ) -> None:
        self._page = page
        self._episodes = episodes
        self._commands_work = commands_work
        self._bring_forward = bring_forward
        self._lock = threading.Lock()
        self._pending: RoomLink | None = None
        self.opened: list[str] = []  # routes applied, with how ("go" or "load"), for the e2e driver
        episodes.add_listener(self._on_state)

    def open(self, route: str, *, bring_forward: bool = True) -> bool:
        """Remember `route` (a forwarded Rocket.Chat route) and open it as soon as the window can;
        False (and nothing happens) when the route is not one the launcher opens."""
        try:
            link = parse_route(route)
        except LinkRefused as error:
            _log.warning("ignored a forwarded link: %s", error)
            return False
        with self._lock:
            self._pending = link
        _log.info("a link to a Rocket.Chat room arrived")
        if bring_forward:
            self._bring_forward()
        if self._episodes.state == State.SIGNED_IN:
            self._start()
        return True

    @property
    def pending(self) -> str | None:
        link = self._pending
        return link.path if link is not None else None

    # ------------------------------------------------------------------ applying

    def _on_state(self, state: str, _info: dict[str, Any]) -> None:
        if state == State.SIGNED_IN and self._pending is not None:
            self._start()

    def _start(self) -> None:
        threading.Thread(target=self._apply, name="open-link", daemon=True).start()

    def _apply(self) -> None:
        with self._lock:
            link, self._pending = self._pending, None
        if link is None or self._page.closed.is_set():
            return
        if self._episodes.state != State.SIGNED_IN:
            with self._lock:  # signed out meanwhile: keep it for the next sign-in
                self._pending = self._pending or link
            return
        if self._commands_work() and self._go(link):
            self.opened.append(f"go {link.path}")
            return
        self._page.load(f"{self._page.rc_url}/{link.path.lstrip('/')}")
        self.opened.append(f"load {link.path}")

    def _go(self, link: RoomLink) -> bool:
        """Post `go` until the page moved (True), or give up after GO_WAIT_S (False)."""
        page = self._page
        expected = unquote(urlsplit(page.rc_url).path.rstrip("/") + link.route)
        before = self._where()
        if before is None:
            return False
        script = injection.open_room(page.rc_origin, link.path)
        waited, since_post = 0.0, GO_REPOST_S
        while waited < GO_WAIT_S and not page.closed.is_set() and self._episodes.state == State.SIGNED_IN:
            if since_post >= GO_REPOST_S:
                if page.evaluate(script) is not True:
                    return False  # not on Rocket.Chat's origin: the URL load decides
                since_post = 0.0
            page.closed.wait(_POLL_S)
            waited += _POLL_S
            since_post += _POLL_S
            now = self._where()
            if now is None:
                return False
            if unquote(now) == expected or now != before:
                return True
        _log.info("Rocket.Chat did not follow its go command in time; loading the room's address")
        return False

    def _where(self) -> str | None:
        """The page's path while it shows Rocket.Chat, else None."""
        where = self._page.evaluate(_WHERE)
        if not isinstance(where, dict) or where.get("origin") != self._page.rc_origin:
            return None
        path = where.get("path")
        return path if isinstance(path, str) else None
