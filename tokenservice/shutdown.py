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
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import IFRAME_AUTH_PATH, TokenServiceError, error_response

__all__ = ["RETRY_AFTER_SECONDS", "ShutdownAnswer", "ShuttingDown"]

log = logging.getLogger("tokenservice")

RETRY_AFTER_SECONDS = 5


class ShuttingDown(TokenServiceError):
    """The shutdown's grace time ended before the answer (HTTP 503); try again soon, elsewhere."""

    status = 503
    code = "shutting_down"
    message = f"The token service is restarting; try again in {RETRY_AFTER_SECONDS} seconds."
    retry_after = RETRY_AFTER_SECONDS

    def body(self) -> dict[str, Any]:
        return {**super().body(), "retry_after": self.retry_after}

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "Connection": "close"}


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
    # Answered here, not by the app's handler: the app's task is what the shutdown cancelled.
    response = error_response(ShuttingDown())
    if scope.get("path") == IFRAME_AUTH_PATH:
        # Rocket.Chat's page reads this route across origins; without CORS headers it sees no answer.
        service = getattr(scope["app"].state, "service", None)
        if service is not None:
            response = service.cors.decorate(Request(scope), response)  # type: ignore[assignment]
    await response(scope, receive, send)
