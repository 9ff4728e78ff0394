"""Rocket.Chat's REST routes, with RC 8.x paths, fields, bodies and status codes.

Each handler reads `request.app.state.sandbox` (a `SandboxState`). Events go to the side-door log with the
login method but never a token value. What each route answers is in docs/rocketchat-contract.md.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .config import PUBLIC_SETTINGS, SandboxUser
from .responses import (
    ApiError,
    failure,
    invalid_params,
    read_json_object,
    success,
    unauthorized,
)
from .state import SandboxState
from .store import StoredToken, UserRecord, iso
from .validation import Field, validate
from .versions import MAX_COUNT, legacy_settings, major, query_ids

__all__ = ["LOGIN_METHOD_HEADER", "TOKEN_EXPIRES_HEADER", "api_routes", "authenticate"]

_log = logging.getLogger(__name__)

# The sandbox web client says which of its paths triggered a resume login, so the event log can tell
# an iframe command from a ?resumeToken= link. Sandbox-only; Rocket.Chat ignores unknown headers.
LOGIN_METHOD_HEADER = "X-Sandbox-Login-Method"
# Meteor's DDP login result carries `tokenExpires`; REST login does not. The web client needs it for
# `Meteor.loginTokenExpires`, so the sandbox adds it as a header, leaving the JSON body RC's.
TOKEN_EXPIRES_HEADER = "X-Sandbox-Token-Expires"  # noqa: S105 - a header name
_CLIENT_RESUME_METHODS = {"resume", "iframe-command", "resume-token-url", "iframe-auth"}

# The resume-login refusals: error 403 (a number) inside a REST 401 (docs/rocketchat-contract.md#login).
LOGGED_OUT_TEXT = "You've been logged out by the server. Please log in again."
EXPIRED_TEXT = "Your session has expired. Please log in again."
UNRECOGNIZED_TEXT = "Unrecognized options for login request"
_USERNAME_RE = re.compile(r"^[0-9a-zA-Z\-_.]+$")  # UTF8_User_Names_Validation default
_EMAIL_RE = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")

Handler = Callable[[Request], Awaitable[Response]]


def _endpoint(handler: Handler) -> Handler:
    """Adds the latency knob and turns `ApiError` (and any bug) into Rocket.Chat's JSON bodies."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        if state.latency > 0:
            await asyncio.sleep(state.latency)
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response
        except ClientDisconnect:
            # The caller went away before its request body arrived (a page reloaded or a window closed
            # mid-login): nobody reads an answer, and it is no bug of the route.
            return Response(status_code=499)
        except Exception:
            _log.exception("sandbox route %s failed", request.url.path)
            return JSONResponse({"success": False, "error": "Internal server error"}, status_code=500)

    return wrapper


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def authenticate(request: Request) -> tuple[UserRecord, StoredToken] | None:
    """Header auth. Deliberately no expiry check: RC's REST layer does not do one either."""
    user_id = request.headers.get("x-user-id")
    token = request.headers.get("x-auth-token")
    if not user_id or not token:
        return None
    return _state(request).store.find_token(token, user_id)


def _require_auth(request: Request) -> tuple[UserRecord, StoredToken]:
    found = authenticate(request)
    if found is None:
        raise ApiError(unauthorized())
    return found


# ---------------------------------------------------------------------------------------------------------
@_endpoint
async def info(request: Request) -> Response:
    """`GET /api/info`: major.minor only, as for a caller without `view-statistics`."""
    version = _state(request).version
    major_minor = ".".join(version.split(".")[:2])
    return success(
        {"version": major_minor, "minimumClientVersions": {"desktop": "3.9.0", "mobile": "4.39.0"}}
    )


def _login_failed(error: Any, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A Meteor.Error from the login method becomes a 401 with `error`, `status`, `message`."""
    body = {"success": False, "error": error, "status": "error", "message": message}
    return JSONResponse(body, status_code=401, headers=headers)


@_endpoint
async def login(request: Request) -> Response:
    """`POST /api/v1/login`: password, resume, or `{iframe: true, token}`."""
    state = _state(request)
    headers: dict[str, str] = {}  # the rate limit's are added by RateLimitMiddleware
    body = await read_json_object(request)
    client = "web" if LOGIN_METHOD_HEADER.lower() in request.headers else "rest"

    if "resume" in body:
        if client == "web" and state.resume_delay > 0:
            # Rocket.Chat's page resumes over DDP: its answer waits for the websocket to connect.
            await asyncio.sleep(state.resume_delay)
        method = request.headers.get(LOGIN_METHOD_HEADER, "resume")
        method = method if method in _CLIENT_RESUME_METHODS else "resume"
        return _resume_login(state, body["resume"], method, client, headers)
    if body.get("iframe") is True:
        return _iframe_login(state, body.get("token"), client, headers)
    return _password_login(state, body, client, headers)


def _resume_login(
    state: SandboxState, token: Any, method: str, client: str, headers: dict[str, str]
) -> Response:
    if not isinstance(token, str):
        state.store.record("login-failed", method=method, client=client, reason="Match failed")
        return _login_failed(400, "Match failed", headers)
    found = state.store.find_token(token)
    if found is None:
        state.store.record("login-failed", method=method, client=client, reason=LOGGED_OUT_TEXT)
        return _login_failed(403, LOGGED_OUT_TEXT, headers)
    user, stored = found
    if state.token_expired(stored):
        state.store.record(
            "login-failed", method=method, client=client, reason=EXPIRED_TEXT, username=user.username
        )
        return _login_failed(403, EXPIRED_TEXT, headers)
    # A resume login hands back the same token with its original `when`.
    return _logged_in(state, user, token, stored, method, client, headers)


def _iframe_login(state: SandboxState, token: Any, client: str, headers: dict[str, str]) -> Response:
    """RC's `iframe` login handler finds the user by `services.iframe.token`; none -> no handler matched."""
    username = state.iframe_tokens.get(token) if isinstance(token, str) else None
    user = state.store.by_username(username) if username else None
    if user is None:
        state.store.record("login-failed", method="iframe-auth", client=client, reason=UNRECOGNIZED_TEXT)
        return _login_failed(400, UNRECOGNIZED_TEXT, headers)
    new_token, stored = state.store.issue_token(user)
    return _logged_in(state, user, new_token, stored, "iframe-auth", client, headers)


def _password_login(
    state: SandboxState, body: dict[str, Any], client: str, headers: dict[str, str]
) -> Response:
    """`{user|username|email, password}`; `user` with '@' is an email."""
    selector = body.get("user", body.get("username", body.get("email")))
    if isinstance(selector, dict):  # Meteor's own form: {user: {username} | {email}}
        selector = selector.get("username", selector.get("email"))
    password = body.get("password")
    plain = password if isinstance(password, str) else None
    digest = None
    if (
        isinstance(password, dict)
        and password.get("algorithm") == "sha-256"
        and isinstance(password.get("digest"), str)
    ):
        digest = password["digest"]
    if not isinstance(selector, str) or not selector or (plain is None and digest is None):
        state.store.record("login-failed", method="password", client=client, reason=UNRECOGNIZED_TEXT)
        return _login_failed(400, UNRECOGNIZED_TEXT, headers)
    by_email = "email" in body and "user" not in body and "username" not in body
    user = (
        state.store.by_email(selector) if by_email or "@" in selector else state.store.by_username(selector)
    )
    if user is None or not state.store.check_password(user, plain, digest):
        # Unknown user and wrong password look the same on the wire.
        state.store.record(
            "login-failed", method="password", client=client, reason="Unauthorized", username=selector
        )
        return _login_failed("Unauthorized", "Unauthorized", headers)
    token, stored = state.store.issue_token(user)
    return _logged_in(state, user, token, stored, "password", client, headers)


def _logged_in(
    state: SandboxState,
    user: UserRecord,
    token: str,
    stored: StoredToken,
    method: str,
    client: str,
    headers: dict[str, str],
) -> Response:
    state.store.record("login", method=method, client=client, user_id=user.id, username=user.username)
    headers = {**headers, TOKEN_EXPIRES_HEADER: iso(state.token_expires(stored))}
    data = {"userId": user.id, "authToken": token, "me": user.me()}
    return JSONResponse({"status": "success", "data": data, "success": True}, headers=headers)


@_endpoint
async def me(request: Request) -> Response:
    """`GET /api/v1/me`: proves the token, not that any page is logged in."""
    user, _ = _require_auth(request)
    return success(user.me())


@_endpoint
async def logout(request: Request) -> Response:
    """`POST /api/v1/logout`: removes only the token that made the call."""
    state = _state(request)
    user, stored = _require_auth(request)
    state.store.remove_token(user, stored)
    state.store.record("logout", user_id=user.id, username=user.username)
    return success({"status": "success", "data": {"message": "You've been logged out!"}})


@_endpoint
async def users_info(request: Request) -> Response:
    """`GET /api/v1/users.info`: exactly one of userId, username, email, importId."""
    state = _state(request)
    _require_auth(request)
    keys = [k for k in ("userId", "username", "email", "importId") if k in request.query_params]
    if not keys:
        return failure("Invalid search query.")
    if len(keys) > 1:
        return invalid_params("must match exactly one schema in oneOf", "error-invalid-params")
    value = request.query_params[keys[0]]
    user = {
        "userId": state.store.by_id,
        "username": state.store.by_username,
        "email": state.store.by_email,
        "importId": lambda _value: None,
    }[keys[0]](value)
    if user is None:
        return failure("User not found.")
    return success({"user": user.public()})


_CREATE_SCHEMA = {
    "email": Field("string", required=True),
    "name": Field("string", required=True),
    "password": Field("string", required=True),
    "username": Field("string", required=True),
    "active": Field("boolean"),
    "bio": Field("string"),
    "nickname": Field("string"),
    "statusText": Field("string"),
    "roles": Field("array"),
    "joinDefaultChannels": Field("boolean"),
    "requirePasswordChange": Field("boolean"),
    "setRandomPassword": Field("boolean"),
    "sendWelcomeEmail": Field("boolean"),
    "verified": Field("boolean"),
    "customFields": Field("object"),
    "settings": Field("object"),
    "freeSwitchExtension": Field("string"),
    "phones": Field("array"),
    "fields": Field("string"),
}


@_endpoint
async def users_create(request: Request) -> Response:
    """`POST /api/v1/users.create`: schema, then `create-user`, then field checks."""
    state = _state(request)
    caller, _ = _require_auth(request)
    body = await read_json_object(request)
    problem = validate(body, _CREATE_SCHEMA)
    if problem:
        return invalid_params(problem)
    roles = body.get("roles", ["user"])
    if not all(isinstance(r, str) for r in roles):
        return invalid_params("must be string")
    if "admin" not in caller.roles:
        details = {"method": "insertOrUpdateUser", "action": "Adding_user"}
        return failure("Adding user is not allowed", "error-action-not-allowed", details)
    for field_name in ("name", "username", "email", "password"):
        if not body[field_name].strip():
            label = field_name.capitalize()
            details = {"method": "insertOrUpdateUser", "field": label}
            return failure(f"The field {label} is required", "error-the-field-is-required", details)
    username, email = body["username"], body["email"]
    if not _USERNAME_RE.match(username):
        details = {"method": "insertOrUpdateUser", "input": username, "field": "Username"}
        return failure(f"{username} is not a valid username", "error-input-is-not-a-valid-field", details)
    if not _EMAIL_RE.match(email):
        return failure(
            f"Invalid email {email}", "error-invalid-email", {"method": "insertOrUpdateUser", "email": email}
        )
    for taken, value in ((state.store.by_username(username), username), (state.store.by_email(email), email)):
        if taken is not None:
            details = {"method": "insertOrUpdateUser", "field": value}
            return failure(f"{_escape(value)} is already in use :(", "error-field-unavailable", details)
    user = state.store.add_user(
        SandboxUser(username=username, password=body["password"], name=body["name"], email=email, roles=roles)
    )
    state.store.record("user-created", user_id=user.id, username=user.username, by=caller.username)
    return success({"user": user.public()})


def _escape(text: str) -> str:
    """RC escapes the value it echoes into the error (lodash `escape`)."""
    table = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
    return "".join(table.get(ch, ch) for ch in text)


_CREATE_TOKEN_SCHEMA = {
    "userId": Field("string", required=True, min_length=1),
    "secret": Field("string", required=True, min_length=1),
}


@_endpoint
async def users_create_token(request: Request) -> Response:
    """`POST /api/v1/users.createToken` as RC 8.7+ gates it: secret, then permission.

    A wrong secret, no configured secret and a missing permission all get the same 400 `error-not-authorized`.
    """
    state = _state(request)
    caller, _ = _require_auth(request)
    body = await read_json_object(request)
    problem = validate(body, _CREATE_TOKEN_SCHEMA)
    if problem:
        return invalid_params(problem)
    secret_ok = state.create_tokens_secret is not None and _same(body["secret"], state.create_tokens_secret)
    allowed = caller.id == body["userId"] or "admin" in caller.roles  # user-generate-access-token
    if not secret_ok or not allowed:
        state.store.record(
            "token-refused",
            by=caller.username,
            user_id=body["userId"],
            reason="secret" if not secret_ok else "permission",
        )
        return failure("Not authorized", "error-not-authorized")
    target = state.store.by_id(body["userId"])
    if target is None:
        return failure("Invalid user", "error-invalid-user")
    token, _ = state.store.issue_token(target)
    state.store.record("token-issued", user_id=target.id, username=target.username, by=caller.username)
    return success({"data": {"userId": target.id, "authToken": token}})


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@_endpoint
async def settings_public(request: Request) -> Response:
    """`GET /api/v1/settings.public`: 7.0+ filters by `_id` (trimmed, unlike the origin list); older servers
    ignore `_id`, take a JSON `query` and page through every public setting (versions.py)."""
    state = _state(request)
    query = request.query_params
    try:
        offset = int(query.get("offset", "0"))
        count = int(query.get("count", "50"))
    except ValueError:
        return invalid_params("offset and count must be integers", "error-invalid-params")
    if offset < 0 or count < 0:
        return invalid_params("offset and count must be 0 or more", "error-invalid-params")
    count = min(count, MAX_COUNT)  # 0 stays "all" (API_Allow_Infinite_Count)
    values = state.settings()
    public = {name: values[name] for name in PUBLIC_SETTINGS}
    if major(state.version) < 7:
        items = legacy_settings(public)
        if "query" in query:
            try:
                ids = query_ids(query["query"])
            except ValueError:
                return failure("Invalid query parameter provided", "error-invalid-query")
            if ids is not None:
                items = [item for item in items if item[0] in ids]
    else:
        items = list(public.items())
        wanted = query.get("_id")
        if wanted:
            ids = {i.strip() for i in wanted.split(",")}
            items = [item for item in items if item[0] in ids]
    page = items[offset : offset + count] if count else items[offset:]
    settings = [{"_id": name, "value": value} for name, value in page]
    return success({"settings": settings, "count": len(settings), "offset": offset, "total": len(items)})


@_endpoint
async def not_found(request: Request) -> Response:
    """Unknown API path or method. **Unconfirmed**: RC 8's body for unknown routes."""
    return JSONResponse({"success": False, "error": "Not found"}, status_code=404)


def api_routes() -> list[Route]:
    return [
        Route("/api/info", info, methods=["GET"]),
        Route("/api/v1/login", login, methods=["POST"]),
        Route("/api/v1/me", me, methods=["GET"]),
        Route("/api/v1/logout", logout, methods=["POST"]),
        Route("/api/v1/users.info", users_info, methods=["GET"]),
        Route("/api/v1/users.create", users_create, methods=["POST"]),
        Route("/api/v1/users.createToken", users_create_token, methods=["POST"]),
        Route("/api/v1/settings.public", settings_public, methods=["GET"]),
        Route("/api/{rest:path}", not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    ]
