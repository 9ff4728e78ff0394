"""Where a cookie-carrying request comes from: the check that keeps other sites from using the session cookie.

Why: a browser attaches the session cookie to requests that any site makes to this service (a form POST,
an image, a fetch). A write that acts on the cookie must come from this service's own pages, which the
browser says in `Sec-Fetch-Site` and `Origin`; pages cannot set either. A bearer is never attached by the
browser on its own, so requests that carry one need no such check.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

__all__ = ["cookie_use_allowed", "normalized_origin", "own_origin", "same_origin_write"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_origin_write(request: Request) -> bool:
    """True when the browser says the request comes from this service's own origin.

    `Sec-Fetch-Site` decides when present (it is right even behind a proxy that does not pass the scheme
    on); otherwise `Origin` must equal this service's origin. A request with neither is refused: browsers
    send at least one of them on every POST."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = normalized_origin(request.headers.get("origin") or "")
    return bool(origin) and origin == own_origin(request)


def cookie_use_allowed(request: Request) -> bool:
    """True unless a browser says another site sent this request.

    A request with neither `Origin` nor `Sec-Fetch-Site` comes from no browser (the launcher's cookie
    mode sends the cookie itself, over its own HTTP client), so no other site can have caused it.
    Browsers send at least one of the two on every POST, and then it must be our own origin."""
    if "origin" not in request.headers and "sec-fetch-site" not in request.headers:
        return True
    return same_origin_write(request)


def own_origin(request: Request) -> str:
    """This service's origin as the browser addressed it: the scheme (from the trusted proxy) and Host."""
    host = request.headers.get("host", "")
    return normalized_origin(f"{request.url.scheme}://{host}")


def normalized_origin(value: str) -> str:
    """`scheme://host[:port]` in lower case without a default port; "" for anything that is no origin."""
    parts = urlsplit(value.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return ""
    try:
        port = parts.port
    except ValueError:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[parts.scheme] else "")
