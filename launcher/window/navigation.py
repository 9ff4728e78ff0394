"""Where the window may go: Rocket.Chat's origin and the launcher's own pages; everything else leaves.

One pure decision (`classify`) used by the backend hook that sees every top-level navigation (Qt:
`QWebEnginePage.acceptNavigationRequest`). Links to other origins open in the system browser through
`webbrowser`, which honours the BROWSER environment variable.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import webbrowser
from collections.abc import Callable
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from launcher.logs import redaction
from launcher.origins import origin_of
from launcher.web import WEB_DIR

Destination = Literal["local", "rocketchat", "external", "blocked"]


_log = logging.getLogger(__name__)
_EXTERNAL_SCHEMES = {"http", "https", "mailto"}
# Query or fragment parameters that carry a Rocket.Chat sign-in token.
_TOKEN_PARAMETER = re.compile(r"(?i)(?:^|[?&#;])(?:resumeToken|authToken|loginToken|x-auth-token)=")


def assets_base_url() -> str:
    """file:// URL of the assets folder, with a trailing slash (the prefix every local page has)."""
    return WEB_DIR.as_uri() + "/"


def local_page_url(name: str) -> str:
    return assets_base_url() + name


def is_local_page(url: str | None) -> bool:
    """True for the launcher's own pages (sign-in, error), which alone may use the credential bridge."""
    if not url:
        return False
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    base = urlsplit(assets_base_url())
    return parts.path.startswith(base.path) and ".." not in parts.path.split("/")


def is_rocketchat(url: str | None, rc_origin: str) -> bool:
    if not url:
        return False
    try:
        return origin_of(url) == rc_origin
    except ValueError:
        return False


def classify(url: str, rc_origin: str) -> Destination:
    """Decide what a top-level navigation to `url` is: stay (local/rocketchat), leave (external), or stop."""
    if is_local_page(url):
        return "local"
    if is_rocketchat(url, rc_origin):
        return "rocketchat"
    scheme = urlsplit(url).scheme.lower()
    if scheme in _EXTERNAL_SCHEMES:
        return "external"
    return "blocked"


def carries_secret(url: str) -> bool:
    """True for a URL with a sign-in token in it: the resume-token link that Rocket.Chat's server (a
    wrong Site URL, a reverse proxy) redirected elsewhere, or any token this process handled. Such a URL
    never leaves the window, not even for the system browser."""
    parts = urlsplit(url)
    return bool(_TOKEN_PARAMETER.search(f"?{parts.query}#{parts.fragment}")) or redaction.holds_secret(url)


def refuses_token_link(url: str, rc_origin: str, allowance: TokenLoadAllowance | None) -> bool:
    """True for a navigation the window must not make: a Rocket.Chat URL with a sign-in token in it
    (`/home?resumeToken=<someone's token>` signs the window in as whoever owns that token: session
    fixation) that is not the one load the launcher itself announced (`allowance.peek`). The same rule
    `rocketchat-launcher open` applies to links (launcher/links.py)."""
    if not is_rocketchat(url, rc_origin) or not carries_secret(url):
        return False
    return allowance is None or not allowance.peek(url)


class TokenLoadAllowance:
    """The one Rocket.Chat URL with a token that the launcher is about to load itself (the hand-off's
    resume-token link). The shell announces it right before loading (`allow`); the engine's guard lets
    that exact URL through once and forgets it when the navigation is accepted (`consume`). Whatever
    the navigation's type says (typed, link, script), no other token URL passes: page script cannot
    make the launcher announce one. Used from the shell's threads and the UI thread, hence the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._url: tuple[str, str, str, tuple[tuple[str, str], ...], str] | None = None

    def allow(self, url: str) -> None:
        with self._lock:
            self._url = _comparable(url)

    def peek(self, url: str) -> bool:
        with self._lock:
            return self._url is not None and self._url == _comparable(url)

    def consume(self, url: str) -> bool:
        with self._lock:
            if self._url is None or self._url != _comparable(url):
                return False
            self._url = None
            return True


def _comparable(url: str) -> tuple[str, str, str, tuple[tuple[str, str], ...], str]:
    """The URL as engines may spell it back (percent-encoding, a default port, case of the host)."""
    parts = urlsplit(url)
    try:
        origin = origin_of(url)
    except ValueError:
        origin = ""
    query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return (origin, parts.scheme.lower(), parts.path or "/", query, parts.fragment)


def open_external(url: str) -> bool:
    """Open `url` in the system browser; never raises (a missing browser is not worth a crash)."""
    try:
        return bool(webbrowser.open(url, new=2, autoraise=True))
    except Exception:  # webbrowser raises various errors for broken BROWSER settings
        _log.warning("could not open a link in the system browser")
        return False


def redact(url: str | None) -> str | None:
    """The URL without its query and fragment, for logs and reports (the deep link carries a token)."""
    if not url:
        return url
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.scheme else url


class LaunchBudget:
    """How many pop-ups and system-browser launches one page may still make: `BURST` at once, and one
    more every `REFILL_S` seconds (a token bucket). Each needs a click of its own besides; the budget
    stops one click (or a page that found a way around that) from opening a flood. It belongs to the
    page object, not its current load: a page that reloads itself gains nothing."""

    BURST = 3
    REFILL_S = 10.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens = float(self.BURST)
        self._at = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(float(self.BURST), self._tokens + (now - self._at) / self.REFILL_S)
        self._at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True
