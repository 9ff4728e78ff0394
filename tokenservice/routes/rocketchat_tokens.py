"""Rocket.Chat tokens for a signed-in employee: flow 1 (the launcher) and flow 2 (Rocket.Chat's own page).

Errors are raised and answered by the one handler (errors.py), which adds Rocket.Chat's CORS headers on
the iframe-auth route so its page can read why.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..directory import Employee
from ..rocketchat import RocketChatError
from ..service import added_latency, client_address, employee_for, service_of, session_token
from ..sessions import NoBrowserSession, SessionError
from ..tokens import IssuedToken

__all__ = ["iframe_auth", "rocketchat_token"]

log = logging.getLogger("tokenservice")

_NO_STORE = {"Cache-Control": "no-store"}


async def rocketchat_token(request: Request) -> Response:
    """Flow 1: the launcher's session buys `{authToken, userId}`. The cookie counts only when no browser
    says another site sent the request: a browser attaches it to any site's POST, and this answer is a
    Rocket.Chat login."""
    service = service_of(request)
    message = "The session cookie may only be used from this service's own pages or the launcher."
    token = session_token(request, action="token request", refusal=message)
    employee = await employee_for(service, token)
    await added_latency(service)
    # ?revalidate=1: the launcher saw Rocket.Chat refuse the token it got before; it must not get it again.
    rejected = request.query_params.get("revalidate") in ("1", "true")
    with _logged(employee):
        issued = await service.broker.token_for(
            employee, flow="launcher", client=client_address(request), rejected=rejected
        )
    service.metrics.token(issued.source)
    body = {
        "authToken": issued.token.auth_token,
        "userId": issued.token.user_id,
        "expiresAt": issued.expires_at.isoformat().replace("+00:00", "Z"),
    }
    return JSONResponse(body, headers=_NO_STORE)


async def iframe_auth(request: Request) -> Response:
    """Flow 2: Rocket.Chat's web client asks, with the browser's cookie, for `{loginToken}`, which it then
    uses for a resume login."""
    service = service_of(request)
    cors = service.cors
    if request.method == "OPTIONS":
        return cors.preflight(request)
    if not cors.origin_allowed(request):
        return cors.reject(request)
    try:
        employee = await employee_for(service, request.cookies.get(service.config.cookie.name))
    except SessionError:
        raise NoBrowserSession() from None
    await added_latency(service)
    with _logged(employee):
        # The web client cannot tell us it was refused, so a cached token is confirmed with Rocket.Chat first.
        issued: IssuedToken = await service.broker.token_for(
            employee, flow="iframe", client=client_address(request), confirm=True
        )
    service.metrics.token(issued.source)
    return cors.decorate(request, JSONResponse({"loginToken": issued.token.auth_token}, headers=_NO_STORE))


@contextlib.contextmanager
def _logged(employee: Employee) -> Iterator[None]:
    """Logs a RocketChatError (who was left without a token, and why) on its way to the handler."""
    try:
        yield
    except RocketChatError as exc:
        log.warning("no Rocket.Chat token for user=%s: %s: %s", employee.username, exc.code, exc)
        raise
