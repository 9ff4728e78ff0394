"""What the service shows besides its API: the login page, liveness, readiness and metrics."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ..errors import NotFound
from ..metrics import CONTENT_TYPE_LATEST
from ..service import service_of

__all__ = ["healthz", "login_page", "metrics", "readyz"]

_NO_STORE = {"Cache-Control": "no-store"}


async def login_page(request: Request) -> Response:
    """Rocket.Chat's Accounts_iframe_url: framed only by Rocket.Chat's origin (and this service)."""
    service = service_of(request)
    origin = service.config.rocketchat_origin
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        f"form-action 'self'; base-uri 'none'; frame-ancestors 'self' {origin}"
    )
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        **_NO_STORE,
    }
    return HTMLResponse(service.login_page, headers=headers)


async def healthz(request: Request) -> Response:
    """Liveness: the process answers. Says nothing about the directory, Redis or Rocket.Chat (see /readyz)."""
    return JSONResponse({"ok": True})


async def readyz(request: Request) -> Response:
    """Readiness: 200 only while the directory and the shared state answer, so a load balancer sends
    sign-ins elsewhere (or nowhere) instead of to an instance that can only answer 503. Each check says
    only ok or fail; why is in the log (readiness.py)."""
    checks = await service_of(request).readiness.checks()
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"ready": ready, "checks": checks}, status_code=200 if ready else 503, headers=_NO_STORE
    )


async def metrics(request: Request) -> Response:
    """Prometheus text format. No secrets and no usernames in it, but put it behind the proxy's allow-list
    (or on `server.metrics_port`) all the same."""
    service = service_of(request)
    if service.config.metrics_port is not None:
        raise NotFound()
    return Response(service.metrics.render(), media_type=CONTENT_TYPE_LATEST)
