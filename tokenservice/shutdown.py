"""A request still running when a shutdown gives up on it gets a 503 the client can act on.

Why: on SIGTERM uvicorn stops accepting connections and waits `server.graceful_shutdown_timeout` seconds
for requests in flight, then cancels them; a cancelled request would get uvicorn's plain-text 500 and a
traceback in the log. A token request waiting on a slow Rocket.Chat is the usual one. This middleware
turns that cancellation into `503 shutting_down` with `Retry-After` and the service's JSON error body, so
the launcher (or the proxy) tries again, soon, against an instance that is up.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RETRY_AFTER_SECONDS", "ShutdownAnswer"]

log = logging.getLogger("tokenservice")

RETRY_AFTER_SECONDS = 5
_IFRAME_ROUTE = "/api/rocketchat/iframe-auth"


class ShutdownAnswer:
    """ASGI middleware: a request cancelled before its answer started is answered 503, not 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except asyncio.CancelledError:
            # Only the server cancels a request's task (uvicorn reports a client that left through
            # `receive`, it does not cancel): this is the end of the shutdown's grace time.
            if started:
                raise  # half an answer is out; nothing better can be sent
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # answered here, and the task ends normally
            log.warning(
                "%s %s was still running when the shutdown's grace time ended; answered 503",
                scope.get("method"),
                scope.get("path"),
            )
            await _answer(scope, receive, send)


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse(
        {
            "error": "shutting_down",
            "message": f"The token service is restarting; try again in {RETRY_AFTER_SECONDS} seconds.",
            "retry_after": RETRY_AFTER_SECONDS,
        },
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store", "Connection": "close"},
    )
    if scope.get("path") == _IFRAME_ROUTE:
        # Rocket.Chat's page reads this route across origins; without CORS headers it sees no answer.
        service = getattr(scope["app"].state, "service", None)
        if service is not None:
            response = service.cors.decorate(Request(scope), response)  # type: ignore[assignment]
    await response(scope, receive, send)
