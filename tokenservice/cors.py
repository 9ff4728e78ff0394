"""CORS for the iframe-auth endpoint: exactly one origin (Rocket.Chat's), with credentials.

Rocket.Chat's web client calls `Accounts_Iframe_api_url` with `fetch(..., {credentials: 'include'})` (RC §4.2).
With credentials a browser accepts only an exact `Access-Control-Allow-Origin`, never `*`; `Vary: Origin`
keeps caches from serving one origin's answer to another. Older Rocket.Chat versions send a JSON
Content-Type, which makes the browser send a preflight first.
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
        """True for the Rocket.Chat origin and for requests without Origin (same-origin GET, non-browsers)."""
        origin = request.headers.get("origin")
        return origin is None or origin == self.allowed_origin

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
    return f"the origin {origin} may not call this endpoint; only the configured Rocket.Chat origin may"
