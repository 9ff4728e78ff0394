"""A synchronous httpx transport into an ASGI app: the app's answers without a socket or a server thread.

Why: most tests of the stand-in and of the launcher's HTTP code are about requests and answers, not
about the socket; in process they take about a millisecond instead of a server's start and stop. The
app runs on one event loop (an anyio blocking portal) for the transport's life, so state the app keeps
between requests (tasks, timers) behaves as under uvicorn. Tests whose subject is the socket (TLS,
restarts, closed ports, concurrency) keep a real server.
"""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

__all__ = ["InProcessTransport"]


class InProcessTransport(httpx.BaseTransport):
    """``httpx.Client(transport=InProcessTransport(app), base_url=...)``: requests go to ``app`` in process."""

    def __init__(self, app: Any, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=client)
        self._exit = contextlib.ExitStack()
        self._portal: BlockingPortal = self._exit.enter_context(start_blocking_portal())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        status, headers, body = self._portal.call(self._send, request)
        return httpx.Response(status, headers=headers, content=body, request=request)

    async def _send(self, request: httpx.Request) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        body = request.read()  # a sync client's body is bytes; the ASGI transport reads an async stream
        forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        response = await self._asgi.handle_async_request(forwarded)
        content = await response.aread()
        return response.status_code, response.headers.raw, content

    def close(self) -> None:
        self._exit.close()
