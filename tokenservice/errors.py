"""One base for every error the token service answers with, and the handler that answers them.

Why: each module raises what it means (a directory outage stays `DirectoryUnavailable`, a refused session
stays a `SessionError`) and the error itself carries its answer: the HTTP `status`, the JSON `error` code,
the one-sentence `message` the client reads, and `retry_after` for the Retry-After header. The routes map
nothing by hand; one exception handler turns any of them into `{"error", "message"}`.

`str(exc)` is the detail for the log. The client reads `message`, which is a fixed sentence unless the
class says its detail is public (`public_detail`); the default never repeats the detail, so an error
nobody meant to show says only that the service failed. No message or detail ever holds a password or
token.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = [
    "IFRAME_AUTH_PATH",
    "InternalError",
    "InvalidRequest",
    "MethodNotAllowed",
    "NotFound",
    "OriginNotAllowed",
    "TokenServiceError",
    "answer_error",
    "answer_unexpected",
    "error_response",
    "sentence",
]

log = logging.getLogger("tokenservice")

# The one route Rocket.Chat's page reads across origins: its errors need CORS headers to be readable.
IFRAME_AUTH_PATH = "/api/rocketchat/iframe-auth"


class TokenServiceError(Exception):
    """An error with its HTTP answer. Subclasses set `status`, `code` and `message` (or `public_detail`)."""

    status: int = 500
    code: str = "internal_error"
    message: str = "The token service failed unexpectedly; see its log."
    public_detail: ClassVar[bool] = False  # True: the detail is the client's message, made a sentence
    retry_after: int | None = None  # seconds; sent as Retry-After

    def __init__(self, detail: str = "", *, message: str | None = None) -> None:
        super().__init__(detail or message or self.message)
        if message is not None:
            self.message = message
        elif self.public_detail and detail:
            self.message = sentence(detail)

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}

    def headers(self) -> dict[str, str]:
        headers = {"Cache-Control": "no-store"}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class InvalidRequest(TokenServiceError):
    """The request cannot be used as sent (HTTP 400); the message says what to send instead."""

    status = 400
    code = "invalid_request"


class OriginNotAllowed(TokenServiceError):
    """A browser says another site sent a request that carries the session cookie (HTTP 403)."""

    status = 403
    code = "origin_not_allowed"


class NotFound(TokenServiceError):
    status = 404
    code = "not_found"
    message = "There is nothing at this address."


class MethodNotAllowed(TokenServiceError):
    status = 405
    code = "method_not_allowed"
    message = "This method is not allowed here."


class InternalError(TokenServiceError):
    """Anything unexpected: a bug, logged with its traceback (HTTP 500)."""


def error_response(exc: TokenServiceError) -> JSONResponse:
    """The JSON answer `exc` carries."""
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers())


async def answer_error(request: Request, exc: Exception) -> Response:
    """The exception handler for TokenServiceError and Starlette's own HTTPException (404, 405)."""
    if isinstance(exc, HTTPException):
        return error_response(_from_http(exc))
    assert isinstance(exc, TokenServiceError)
    if exc.status == 500:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    response = error_response(exc)
    if request.url.path == IFRAME_AUTH_PATH:
        return request.app.state.service.cors.decorate(request, response)
    return response


async def answer_unexpected(request: Request, exc: Exception) -> Response:
    """The handler of last resort (any other exception): logged with its traceback, answered 500."""
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(InternalError())


def sentence(text: str) -> str:
    """`text` as a sentence: a capital first letter and a final full stop."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _from_http(exc: HTTPException) -> TokenServiceError:
    known: dict[int, type[TokenServiceError]] = {404: NotFound, 405: MethodNotAllowed}
    if exc.status_code in known:
        return known[exc.status_code]()
    error = TokenServiceError(message=str(exc.detail))
    error.status, error.code = exc.status_code, "http_error"
    return error
