"""Rocket.Chat's REST response bodies, so clients parse the stand-in exactly like the real thing."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

__all__ = [
    "ApiError",
    "failure",
    "invalid_params",
    "read_json_object",
    "success",
    "unauthorized",
]

UNAUTHORIZED_TEXT = "You must be logged in to do this."


class ApiError(Exception):
    """Raised inside a route to answer with a ready Rocket.Chat error response."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def success(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    """`API.v1.success`: the body plus `success: true`."""
    return JSONResponse({**body, "success": True}, headers=headers)


def failure(
    reason: str, error_type: str | None = None, details: dict[str, Any] | None = None, status: int = 400
) -> JSONResponse:
    """`API.v1.failure` of a MeteorError: `error` is "<reason> [<errorType>]"."""
    body: dict[str, Any] = {"success": False}
    if error_type is None:
        body["error"] = reason
    else:
        body["error"] = f"{reason} [{error_type}]"
        body["errorType"] = error_type
    if details is not None:
        body["details"] = details
    return JSONResponse(body, status_code=status)


def invalid_params(message: str, error_type: str = "invalid-params") -> JSONResponse:
    """A schema violation from RC 8's router: body -> `invalid-params`, query -> `error-invalid-params`."""
    return JSONResponse({"success": False, "errorType": error_type, "error": message}, status_code=400)


def unauthorized() -> JSONResponse:
    """The 8.x 401 body: 9.0 drops `status`/`message`, clients should read `message ?? error`."""
    return JSONResponse(
        {"success": False, "error": UNAUTHORIZED_TEXT, "status": "error", "message": UNAUTHORIZED_TEXT},
        status_code=401,
    )


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; anything else is an `invalid-params` answer, never a 500."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(invalid_params("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise ApiError(invalid_params("must be object"))
    return data
