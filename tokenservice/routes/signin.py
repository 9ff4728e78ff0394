"""Employee sessions: `POST /api/login` checks the password with the directory, `POST /api/logout` ends it.

Every refusal is raised as the module's own error and answered by the one handler (errors.py); this
module only adds what a sign-in means for the throttle, the metrics and the log.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..bodies import BodyError, read_json
from ..directory import AmbiguousEmployee, DirectoryUnavailable, Employee, EmployeeRefused, InvalidCredentials
from ..errors import InvalidRequest, TokenServiceError
from ..service import Service, client_address, service_of, session_token
from ..throttle import Throttled, attempt
from ..usernames import log_name

__all__ = ["login", "logout"]

log = logging.getLogger("tokenservice")

_MAX_USERNAME = 256
_MAX_PASSWORD = 1024
_NO_STORE = {"Cache-Control": "no-store"}


class NotText(InvalidRequest):
    """JSON can carry lone surrogates (an escaped \\ud800) that have no UTF-8 form; still a guess."""

    message = "The username or password is not valid text."


# What counts against the throttle: a wrong password, one that is not text, and a name several directory
# entries match (no password was checked, so it must not become a free probe). Anything else that stops
# the check (the directory down, a right password for someone not allowed in, a dropped request) is not
# a guess and counts nothing.
_GUESSES = (InvalidCredentials, NotText, AmbiguousEmployee)


async def login(request: Request) -> Response:
    service = service_of(request)
    username, password = await _credentials(request, service)
    address = client_address(request)
    valid = _encodable(username) and _encodable(password)
    who = log_name(username, None)
    try:
        # The directory's own name keys the throttle, so every spelling it accepts shares one limit.
        with service.metrics.directory_seconds.labels(operation="resolve").time():
            known = await service.config.directory.canonical_name(username) if valid else None
        who = log_name(username, known)  # a name the directory does not know may be a mistyped password
        async with attempt(service.throttle, known or username, address, guesses=_GUESSES):
            if not valid:
                raise NotText()
            with service.metrics.directory_seconds.labels(operation="authenticate").time():
                employee = await service.config.directory.authenticate(username, password)
            if employee is None:
                raise InvalidCredentials()
    except TokenServiceError as exc:
        _note_refusal(service, exc, who, address)
        raise
    service.metrics.login("ok")
    return await _signed_in(service, employee, address)


async def logout(request: Request) -> Response:
    """Ends the session named by the bearer, or by the cookie unless a browser says another site sent it."""
    service = service_of(request)
    message = "The session cookie may only be used from this service's own pages."
    token = session_token(request, action="logout", refusal=message)
    await service.sessions.end(token)
    response = JSONResponse({"ok": True}, headers=_NO_STORE)
    cookie = service.config.cookie
    response.delete_cookie(
        cookie.name,
        path=cookie.path,
        secure=cookie.secure,
        httponly=True,
        samesite=cookie.samesite,  # type: ignore[arg-type]
    )
    return response


async def _credentials(request: Request, service: Service) -> tuple[str, str]:
    """The username (stripped) and password from the JSON body; raises InvalidRequest or a BodyError."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise InvalidRequest(message="Send the username and password as a JSON object.")
    try:
        body = await read_json(request, timeout=service.config.body_timeout)
    except BodyError as exc:
        log.info("login refused client=%s: %s", client_address(request), exc)
        raise
    username = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(username, str) or not isinstance(password, str) or not username.strip() or not password:
        raise InvalidRequest(message="Both username and password are required, as strings.")
    username = username.strip()
    if len(username) > _MAX_USERNAME or len(password) > _MAX_PASSWORD:
        raise InvalidRequest(message="The username or password is too long.")
    return username, password


def _note_refusal(service: Service, exc: TokenServiceError, who: str, address: str) -> None:
    """The metric and the log line of a refused sign-in (usernames as `log_name` gives them)."""
    if isinstance(exc, Throttled):
        service.metrics.login("throttled")
        log.warning("login throttled user=%s client=%s retry_after=%ds", who, address, exc.retry_after)
    elif isinstance(exc, DirectoryUnavailable):
        service.metrics.login(exc.code)
        log.warning("login not checked user=%s client=%s: %s", who, address, exc)
    elif isinstance(exc, AmbiguousEmployee):
        service.metrics.login(exc.code)  # the directory logs it, in its own words
    elif isinstance(exc, EmployeeRefused):
        service.metrics.login(exc.code)
        log.info("login refused user=%s client=%s: %s", who, address, exc.code)
    elif isinstance(exc, InvalidCredentials):
        service.metrics.login(exc.code)
        log.info("login failed user=%s client=%s", who, address)
    elif isinstance(exc, NotText):
        log.info("login refused user=%s client=%s: not valid text", who, address)


async def _signed_in(service: Service, employee: Employee, address: str) -> Response:
    token, _session = await service.sessions.create(employee)
    log.info("login ok user=%s client=%s", employee.username, address)
    response = JSONResponse(
        {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": int(service.config.session_lifetime),
            "username": employee.username,
        },
        headers=_NO_STORE,
    )
    cookie = service.config.cookie
    response.set_cookie(
        cookie.name,
        token,
        max_age=service.config.cookie_max_age,
        path=cookie.path,
        secure=cookie.secure,
        httponly=True,
        samesite=cookie.samesite,  # type: ignore[arg-type]
    )
    return response


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
