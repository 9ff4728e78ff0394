"""The `Page` port (launcher/window/page.py) over the window's engine: what the sign-in parts may do with
the page the window shows, and nothing more of the engine or the window.

Why apart from the Shell: the Shell builds and runs the window; this is the narrow side of it the
sign-in controller, the hand-off, the signed-in watch and the link opener get. The Shell feeds it the
window's loads and wake-ups (`loaded`, `wakeups.notify`).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from launcher.window import injection, navigation
from launcher.window.wakeups import Wakeups

if TYPE_CHECKING:
    from launcher.window.engines.base import Engine
    from launcher.window.page_trust import CertificateRefusal, PageTrust

__all__ = ["EnginePage"]

_log = logging.getLogger(__name__)


class EnginePage:
    """`engine` and `window` are set once the Shell created them; before that every read is None."""

    def __init__(
        self, rc_url: str, rc_origin: str, organization: str, trust: PageTrust, closed: threading.Event
    ) -> None:
        self.rc_url = rc_url
        self.rc_origin = rc_origin
        self.closed = closed
        self.engine: Engine | None = None
        self.window: Any = None
        self.wakeups = Wakeups()
        self.token_loads = navigation.TokenLoadAllowance()  # the one token link the window may load
        self._organization = organization
        self._trust = trust
        self._lock = threading.Lock()
        self._last_load: tuple[str, bool] | None = None

    @property
    def poll_interval_s(self) -> float:
        return self.engine.poll_interval_s if self.engine is not None else 0.1

    def evaluate(self, script: str, timeout: float = 5.0) -> Any:
        if self.closed.is_set() or self.engine is None:
            return None
        try:
            return self.engine.run_js(script, timeout=timeout)
        except Exception:
            return None

    def evaluate_with_token(self, script: str, timeout: float = 5.0) -> Any:
        """Only while the window shows Rocket.Chat's origin, through the engine's path that no page
        script can hook (Engine.run_js_on)."""
        if self.closed.is_set() or self.engine is None:
            return None
        try:
            return self.engine.run_js_on(self.rc_origin, script, timeout=timeout)
        except Exception:
            return None

    def current_url(self) -> str | None:
        return self.engine.current_url() if self.engine is not None else None

    def load(self, url: str) -> None:
        with self._lock:
            self._last_load = None
        try:
            self.window.load_url(url)
        except Exception:
            _log.exception("could not load a page")

    def loaded(self, url: str, ok: bool) -> None:
        """The engine finished a load (the Shell's load-finished hook)."""
        with self._lock:
            self._last_load = (url, ok)
        self.wakeups.notify()

    def allow_token_load(self, url: str) -> None:
        self.token_loads.allow(url)

    def load_failed(self) -> bool:
        last = self._last_load
        return bool(last and not last[1] and navigation.is_rocketchat(last[0], self.rc_origin))

    def refusal(self) -> CertificateRefusal | None:
        last = self._last_load
        return self._trust.refusal(last[0] if last else self.rc_url) or self._trust.refusal(self.rc_url)

    def cover_source(self, cover: bool) -> str:
        return injection.cover_script(self.rc_origin, self._organization, cover)

    def set_cover(self, cover: bool) -> None:
        if self.engine is not None:
            self.engine.set_document_script(self.cover_source(cover))

    def wakeups_seen(self) -> int:
        return self.wakeups.seen()

    def wait_wakeup(self, seen: int, timeout: float) -> None:
        self.wakeups.wait(seen, timeout)

    def delete_cookies(self) -> None:
        if self.engine is not None:
            self.engine.delete_cookies()
