"""Reading JSON request bodies, bounded in size and in time.

Why: `/api/login` is unauthenticated, and reading whatever it is sent let anyone grow the process (a 50 MB
body raised it to 208 MB) or hold a connection by dripping a body byte by byte. The cap is checked against
`Content-Length` before anything is read, and again while a chunked body streams in: reading stops at the
first chunk past it. The whole body must arrive within a timeout (not each read: a drip keeps every read
short). Every endpoint that reads a body goes through `read_json`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import ClientDisconnect, Request

from .errors import TokenServiceError

__all__ = ["MAX_BODY_BYTES", "BodyError", "BodyTimeout", "BodyTooLarge", "InvalidBody", "read_json"]

MAX_BODY_BYTES = 8 * 1024  # a sign-in is a few hundred bytes


class BodyError(TokenServiceError):
    """The request body cannot be used; the detail says why and is the client's message."""

    status = 400
    code = "invalid_request"
    public_detail = True

    def headers(self) -> dict[str, str]:
        headers = super().headers()
        if self.status != 400:
            # The rest of the body was never read, so the connection cannot carry another request.
            headers["Connection"] = "close"
        return headers


class InvalidBody(BodyError):
    """Not JSON (or JSON nested deeper than the parser recurses), or a malformed `Content-Length`."""


class BodyTooLarge(BodyError):
    """Over `MAX_BODY_BYTES`, declared or streamed."""

    status = 413
    code = "request_too_large"


class BodyTimeout(BodyError):
    """The body did not arrive in time (a slow or stalled client)."""

    status = 408
    code = "request_timeout"


async def read_json(request: Request, *, timeout: float, limit: int = MAX_BODY_BYTES) -> Any:
    """The parsed JSON body, read within `timeout` seconds; raises a BodyError subclass."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise InvalidBody("the Content-Length header is not a number")
        if int(declared) > limit:
            raise BodyTooLarge(f"the request body is larger than {limit} bytes")
    try:
        raw = await asyncio.wait_for(_read_capped(request, limit), timeout)
    except TimeoutError:
        raise BodyTimeout(f"the request body did not arrive within {timeout:g} seconds") from None
    try:
        return json.loads(raw)
    except RecursionError:
        raise InvalidBody("the request body is JSON nested too deeply") from None
    except ValueError:
        raise InvalidBody("the request body is not valid JSON") from None


async def _read_capped(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(f"the request body is larger than {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise InvalidBody("the client closed the connection before sending the whole body") from None
    return b"".join(chunks)
