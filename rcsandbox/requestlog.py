"""The opt-in request log (`record_requests`): one `request` event per HTTP request, for proxy tests.

A test behind a proxy wants to see which requests reached the sandbox and from where. The path is logged
without its query string, which can carry a `?resumeToken=`; the User-Agent is cut to 60 characters.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RequestLogMiddleware"]

_AGENT_CHARS = 60


class RequestLogMiddleware:
    """Records each request as it arrives, before any route (or the rate limiter) answers it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state: Any = scope["app"].state.sandbox
            if state.record_requests:
                headers = dict(scope.get("headers", []))
                client = scope.get("client")
                state.store.record(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    ip=client[0] if client else None,
                    user_agent=headers.get(b"user-agent", b"").decode("latin-1")[:_AGENT_CHARS],
                )
        await self.app(scope, receive, send)
