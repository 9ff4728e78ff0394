"""CORS for the iframe-auth endpoint: exactly one origin (Rocket.Chat's), with credentials.

Rocket.Chat's web client calls `Accounts_Iframe_api_url` with `fetch(..., {credentials: 'include'})` and
no headers of its own, so the browser sends the session cookie and Rocket.Chat's `Origin`.
With credentials a browser accepts only an exact `Access-Control-Allow-Origin`, never `*`; `Vary: Origin`
keeps caches from serving one origin's answer to another. Older Rocket.Chat versions send a JSON
Content-Type, which makes the browser send a preflight first.

CORS only decides who may read the answer; the token is minted before the browser decides. So the
request itself is refused unless it comes from Rocket.Chat: a POST must carry Rocket.Chat's `Origin`
(browsers send it on every cross-origin POST), and a GET is refused when its `Origin` is another one or
its `Sec-Fetch-Site` says another site sent it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = ["CorsPolicy"]

_ALLOWED_METHODS = "GET, POST, OPTIONS"
_ALLOWED_HEADERS = {"content-type", "accept", "accept-language", "content-language", "x-requested-with"}


class CorsPolicy:
    """Admits one origin with credentials and rejects every other cross-origin caller."""

    def __init__(self, allowed_origin: str) -> None:
        self.allowed_origin = allowed_origin

    def origin_allowed(self, request: Request) -> bool:
        """True for the Rocket.Chat origin; for a GET without Origin, unless another site sent it."""
        origin = request.headers.get("origin")
        if origin is not None:
            return origin == self.allowed_origin
        if request.method != "GET":
            return False
        # No Origin: a same-origin GET, a navigation, or no browser at all; refused if another site sent it.
        return request.headers.get("sec-fetch-site") not in ("same-site", "cross-site")

    def decorate(self, request: Request, response: Response) -> Response:
        """Add the CORS answer headers to `response` when the caller is the allowed origin."""
        response.headers.append("Vary", "Origin")
        if request.headers.get("origin") == self.allowed_origin:
            response.headers["Access-Control-Allow-Origin"] = self.allowed_origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
        return response

    def preflight(self, request: Request) -> Response:
        """Answer an OPTIONS preflight: 204 with the grant for the right origin, 403 without it otherwise."""
        origin = request.headers.get("origin")
        method = request.headers.get("access-control-request-method", "").upper()
        wanted = {
            h.strip().lower()
            for h in request.headers.get("access-control-request-headers", "").split(",")
            if h.strip()
        }
        if origin != self.allowed_origin:
            return self.decorate(
                request, JSONResponse({"error": "origin_not_allowed", "message": _wrong_origin(origin)}, 403)
            )
        if method not in ("GET", "POST") or not wanted <= _ALLOWED_HEADERS:
            message = "only GET and POST with simple or JSON content headers are allowed here"
            return self.decorate(
                request, JSONResponse({"error": "preflight_refused", "message": message}, 403)
            )
        response = Response(status_code=204)
        response.headers["Access-Control-Allow-Methods"] = _ALLOWED_METHODS
        if wanted:
            response.headers["Access-Control-Allow-Headers"] = ", ".join(sorted(wanted))
        response.headers["Access-Control-Max-Age"] = "600"
        return self.decorate(request, response)

    def reject(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        body = {"error": "origin_not_allowed", "message": _wrong_origin(origin)}
        return self.decorate(request, JSONResponse(body, status_code=403))


def _wrong_origin(origin: str | None) -> str:
    caller = f"the origin {origin}" if origin else "a request that does not come from Rocket.Chat's page"
    return f"{caller} may not call this endpoint; only the configured Rocket.Chat origin may"
