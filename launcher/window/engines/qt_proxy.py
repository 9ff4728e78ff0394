"""The page's proxy: `network.proxy` for Rocket.Chat's page too, not only for the sign-in.

Why: with only the sign-in going through the company proxy, the page itself tries to go direct and
fails where the firewall allows only the proxy. Qt WebEngine takes Chromium's `--proxy-server` switch
(read once, when the engine starts); without it Chromium follows the system's proxy settings, which is
what an empty `network.proxy` means. Chromium takes no credentials in that switch, so a proxy address
with a user and password is given without them, and the page answers the proxy's challenge from
memory instead; the password never reaches the environment or a command line.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["answer_proxy_challenges", "chromium_proxy_server", "use_proxy"]

_log = logging.getLogger(__name__)
_FLAGS = "QTWEBENGINE_CHROMIUM_FLAGS"


def chromium_proxy_server(proxy: str) -> str:
    """`http://user:pw@proxy.example.com:3128` -> `http://proxy.example.com:3128` (socks5h -> socks5:
    Chromium resolves names through a SOCKS proxy by itself)."""
    parts = urlsplit(proxy)
    scheme = "socks5" if parts.scheme == "socks5h" else parts.scheme
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname
    default = {"http": 80, "https": 443}.get(scheme, 1080)
    return f"{scheme}://{host}:{parts.port or default}"


def use_proxy(proxy: str | None) -> None:
    """Before the engine starts: send the page through `proxy` (None: the system's settings)."""
    if not proxy:
        return
    flag = f"--proxy-server={chromium_proxy_server(proxy)}"
    existing = os.environ.get(_FLAGS, "")
    if flag not in existing.split():
        os.environ[_FLAGS] = f"{existing} {flag}".strip()
    _log.info("the page goes through the proxy %s", chromium_proxy_server(proxy))


def answer_proxy_challenges(page: Any, proxy: str | None) -> None:
    """Give the configured proxy's user and password when that proxy (and only it) asks the page."""
    if not proxy:
        return
    parts = urlsplit(proxy)
    if not parts.username:
        return
    user, password = unquote(parts.username), unquote(parts.password or "")

    def challenged(_url: Any, authenticator: Any, proxy_host: str) -> None:
        if proxy_host.strip("[]").lower() == (parts.hostname or "").lower():
            authenticator.setUser(user)
            authenticator.setPassword(password)
        else:
            _log.warning(
                "a proxy the configuration does not name (%s) asked for credentials; none given", proxy_host
            )

    page.proxyAuthenticationRequired.connect(challenged)
