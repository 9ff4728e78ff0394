"""The HTTP face of the token service (contract: docs/architecture.md, "tokenservice").

Flow 1: the launcher signs in (`POST /api/login`), then fetches a Rocket.Chat token with the bearer
(`/api/rocketchat/token`). Flow 2: Rocket.Chat's own web client calls `/api/rocketchat/iframe-auth` with the
browser's cookie and shows `/login` (its Accounts_iframe_url) in place of its own login form when that
answers 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
from collections.abc import AsyncIterator, Callable
from importlib import resources
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .bodies import BodyError, read_json
from .config import TokenServiceConfig
from .cors import CorsPolicy
from .directory import AmbiguousEmployee, DirectoryUnavailable, Employee, EmployeeRefused
from .metrics import CONTENT_TYPE_LATEST, Metrics
from .origins import cookie_use_allowed
from .readiness import Readiness
from .redis_throttle import RedisLoginThrottle
from .rocketchat import RocketChatAdmin, RocketChatError
from .sessions import InvalidSession, RedisSessionStore, Session, SessionError, Sessions, SessionStore
from .shutdown import ShutdownAnswer
from .state import StateUnavailable, open_redis
from .throttle import LoginThrottle, Throttle, Throttled
from .token_cache import RedisTokenCache
from .tokens import TokenBroker
from .usernames import log_name

__all__ = ["create_app"]

log = logging.getLogger("tokenservice")

_MAX_USERNAME = 256
_MAX_PASSWORD = 1024
_NO_STORE = {"Cache-Control": "no-store"}


class _Service:
    """The pieces one running app shares; kept on `app.state.service` for tests and the benchmark."""

    def __init__(
        self,
        config: TokenServiceConfig,
        clock: Callable[[], float],
        transport: httpx.AsyncBaseTransport | None,
    ) -> None:
        self.config = config
        self.metrics = Metrics()
        monotonic = clock
        self.redis = None
        self.sessions: Sessions
        cache = None
        if config.redis_url:
            # Shared by several processes: wall-clock time, since each process's monotonic clock differs.
            clock = time.time
            self.redis = open_redis(
                config.redis_url,
                password=config.redis_password,
                timeout=config.redis_timeout,
                ca_file=config.redis_ca_file,
            )
            self.sessions = RedisSessionStore(self.redis, config.session_lifetime)
            cache = RedisTokenCache(self.redis)
        else:
            self.sessions = SessionStore(config.session_lifetime, clock=clock)
        self.throttle: Throttle
        if self.redis is not None:
            self.throttle = RedisLoginThrottle(self.redis, config.throttle)
        else:
            self.throttle = LoginThrottle(config.throttle, clock=clock)
        self.rc = RocketChatAdmin(
            config.rocketchat_url,
            config.service_account,
            create_tokens_secret=config.create_tokens_secret,
            timeout=httpx.Timeout(config.request_timeout, connect=config.connect_timeout),
            transport=transport,
            observe=self.metrics.rocketchat_call,
            ca_file=config.rocketchat_ca_file,
        )
        self.broker = TokenBroker(
            self.rc,
            reuse_margin=config.token_reuse_margin,
            revalidate_after=config.token_revalidate_after,
            clock=clock,
            cache=cache,
        )
        self.readiness = Readiness(config.directory, self.redis, self.rc, clock=monotonic)
        self.cors = CorsPolicy(config.rocketchat_origin or "")
        self.login_page = _login_page(config.rocketchat_origin or "")


def create_app(
    config: TokenServiceConfig,
    *,
    clock: Callable[[], float] = time.monotonic,
    rc_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """Build the ASGI app. `clock` (monotonic seconds) lets tests expire sessions without waiting."""
    service = _Service(config, clock, rc_transport)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await service.rc.aclose()
        await config.directory.aclose()
        if service.redis is not None:
            await service.redis.aclose()

    routes = [
        Route("/api/login", _login, methods=["POST"]),
        Route("/api/logout", _logout, methods=["POST"]),
        Route("/api/rocketchat/token", _rocketchat_token, methods=["POST"]),
        Route("/api/rocketchat/iframe-auth", _iframe_auth, methods=["GET", "POST", "OPTIONS"]),
        Route("/login", _login_page_route, methods=["GET"]),
        Route("/healthz", _healthz, methods=["GET"]),
        Route("/readyz", _readyz, methods=["GET"]),
        Route("/metrics", _metrics, methods=["GET"]),
        Mount("/static", app=StaticFiles(packages=[("tokenservice", "static")]), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(ShutdownAnswer)],  # a request the shutdown cancels gets 503, not 500
        exception_handlers={
            HTTPException: _http_error,
            StateUnavailable: _state_unavailable,
            Exception: _internal_error,
        },
    )
    # No slash redirects: Starlette builds their Location from the request's Host header, so a forged
    # `Host: evil.example` on `/login/` would send the browser to evil.example (security item L6).
    app.router.redirect_slashes = False
    app.state.service = service
    return app


# -- employee sessions ---------------------------------------------------------------------------------


async def _login(request: Request) -> Response:
    service = _service(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return _error(400, "invalid_request", "Send the username and password as a JSON object.")
    try:
        body = await read_json(request, timeout=service.config.body_timeout)
    except BodyError as exc:
        log.info("login refused client=%s: %s", _client_address(request), exc)
        return _body_error(exc)
    username = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(username, str) or not isinstance(password, str) or not username.strip() or not password:
        return _error(400, "invalid_request", "Both username and password are required, as strings.")
    username = username.strip()
    if len(username) > _MAX_USERNAME or len(password) > _MAX_PASSWORD:
        return _error(400, "invalid_request", "The username or password is too long.")

    address = _client_address(request)
    valid = _encodable(username) and _encodable(password)
    try:
        # The directory's own name keys the throttle, so every spelling it accepts shares one limit.
        with service.metrics.directory_seconds.labels(operation="resolve").time():
            known = await service.config.directory.canonical_name(username) if valid else None
    except DirectoryUnavailable as exc:
        service.metrics.login("directory_unavailable")
        log.warning("login not checked user=%s client=%s: %s", log_name(username, None), address, exc)
        return _directory_unavailable()
    who = log_name(username, known)  # a name the directory does not know may be a mistyped password
    try:
        attempt = await service.throttle.reserve(known or username, address)
    except Throttled as exc:
        wait = exc.retry_after
        service.metrics.login("throttled")
        log.warning("login throttled user=%s client=%s retry_after=%ds", who, address, wait)
        return JSONResponse(
            {
                "error": "too_many_attempts",
                "message": f"Too many failed sign-in attempts; try again in {wait} seconds.",
                "retry_after": wait,
            },
            status_code=429,
            headers={"Retry-After": str(wait), **_NO_STORE},
        )

    if not valid:
        # JSON can carry lone surrogates (an escaped \ud800) that have no UTF-8 form; still a guess.
        await service.throttle.failed(attempt)
        log.info("login refused user=%s client=%s: not valid text", who, address)
        return _error(400, "invalid_request", "The username or password is not valid text.")
    try:
        with service.metrics.directory_seconds.labels(operation="authenticate").time():
            employee = await service.config.directory.authenticate(username, password)
    except DirectoryUnavailable as exc:
        service.metrics.login("directory_unavailable")
        await service.throttle.release(attempt)  # the directory's fault, not a guess: nothing is counted
        log.warning("login not checked user=%s client=%s: %s", who, address, exc)
        return _directory_unavailable()
    except AmbiguousEmployee as exc:
        service.metrics.login(exc.code)
        await service.throttle.failed(attempt)  # no password was checked: it must not become a free probe
        return _error(403, exc.code, _sentence(str(exc)))
    except EmployeeRefused as exc:
        service.metrics.login(exc.code)
        await service.throttle.release(attempt)  # the password was right; the person is just not allowed in
        log.info("login refused user=%s client=%s: %s", who, address, exc.code)
        return _error(403, exc.code, _sentence(str(exc)))
    except BaseException:
        await service.throttle.release(attempt)  # the check did not finish (an error, a dropped request)
        raise
    if employee is None:
        service.metrics.login("invalid_credentials")
        await service.throttle.failed(attempt)
        log.info("login failed user=%s client=%s", who, address)
        return _error(401, "invalid_credentials", "The username or password is wrong.")

    await service.throttle.succeeded(attempt)
    service.metrics.login("ok")
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


async def _logout(request: Request) -> Response:
    """Ends the session named by the bearer, or by the cookie unless a browser says another site sent it."""
    service = _service(request)
    token = _bearer(request)
    if token is None:
        token = request.cookies.get(service.config.cookie.name)
        if token is not None and not cookie_use_allowed(request):
            log.warning(
                "cookie logout refused client=%s: not from this service's own page", _client_address(request)
            )
            message = "The session cookie may only be used from this service's own pages."
            return _error(403, "origin_not_allowed", message)
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


# -- Rocket.Chat tokens ----------------------------------------------------------------------------------


async def _rocketchat_token(request: Request) -> Response:
    """Flow 1: the launcher's session buys `{authToken, userId}`. The cookie counts only when no browser
    says another site sent the request: a browser attaches it to any site's POST, and this answer is a
    Rocket.Chat login."""
    service = _service(request)
    token = _bearer(request)
    if token is None:
        token = request.cookies.get(service.config.cookie.name)
        if token is not None and not cookie_use_allowed(request):
            log.warning(
                "cookie token request refused client=%s: sent by another site", _client_address(request)
            )
            message = "The session cookie may only be used from this service's own pages or the launcher."
            return _error(403, "origin_not_allowed", message)
    try:
        employee = await _employee(service, token)
    except SessionError as exc:
        return _error(401, exc.code, _sentence(str(exc)))
    except DirectoryUnavailable:
        return _directory_unavailable()
    await _added_latency(service)
    # ?revalidate=1: the launcher saw Rocket.Chat refuse the token it got before; it must not get it again.
    rejected = request.query_params.get("revalidate") in ("1", "true")
    try:
        issued = await service.broker.token_for(
            employee, flow="launcher", client=_client_address(request), rejected=rejected
        )
    except RocketChatError as exc:
        return _rocketchat_failed(exc, employee)
    service.metrics.token(issued.source)
    body = {
        "authToken": issued.token.auth_token,
        "userId": issued.token.user_id,
        "expiresAt": issued.expires_at.isoformat().replace("+00:00", "Z"),
    }
    return JSONResponse(body, headers=_NO_STORE)


async def _iframe_auth(request: Request) -> Response:
    """Flow 2: Rocket.Chat's web client asks, with the browser's cookie, for `{loginToken}`, which it then
    uses for a resume login."""
    service = _service(request)
    cors = service.cors
    if request.method == "OPTIONS":
        return cors.preflight(request)
    if not cors.origin_allowed(request):
        return cors.reject(request)
    try:
        employee = await _employee(service, request.cookies.get(service.config.cookie.name))
    except SessionError:
        message = "No valid token-service session in this browser; sign in on the login page."
        return cors.decorate(request, _error(401, "invalid_session", message))
    except DirectoryUnavailable:
        return cors.decorate(request, _directory_unavailable())
    except StateUnavailable:
        return cors.decorate(request, _state_unavailable_response())
    await _added_latency(service)
    try:
        # The web client cannot tell us it was refused, so a cached token is confirmed with Rocket.Chat first.
        issued = await service.broker.token_for(
            employee, flow="iframe", client=_client_address(request), confirm=True
        )
    except RocketChatError as exc:
        return cors.decorate(request, _rocketchat_failed(exc, employee))
    except StateUnavailable:
        return cors.decorate(request, _state_unavailable_response())
    service.metrics.token(issued.source)
    return cors.decorate(request, JSONResponse({"loginToken": issued.token.auth_token}, headers=_NO_STORE))


async def _employee(service: _Service, token: str | None) -> Employee:
    session: Session = await service.sessions.get(token)
    with service.metrics.directory_seconds.labels(operation="lookup").time():
        employee = await service.config.directory.lookup(session.employee.username)
    if employee is None:
        await service.sessions.end(token)
        raise InvalidSession("you are no longer in the employee directory")
    return employee


def _directory_unavailable() -> JSONResponse:
    message = "The employee directory cannot be reached right now; try again in a minute."
    response = _error(503, DirectoryUnavailable.code, message)
    response.headers["Retry-After"] = "30"
    return response


def _rocketchat_failed(exc: RocketChatError, employee: Employee) -> Response:
    log.warning("no Rocket.Chat token for user=%s: %s: %s", employee.username, exc.code, exc)
    return _error(502, exc.code, _sentence(str(exc)))


async def _added_latency(service: _Service) -> None:
    if service.config.latency > 0:
        await asyncio.sleep(service.config.latency)


# -- pages and plumbing ----------------------------------------------------------------------------------


async def _login_page_route(request: Request) -> Response:
    service = _service(request)
    origin = service.config.rocketchat_origin
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        f"form-action 'self'; base-uri 'none'; frame-ancestors 'self' {origin}"
    )
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        **_NO_STORE,
    }
    return HTMLResponse(service.login_page, headers=headers)


async def _healthz(request: Request) -> Response:
    """Liveness: the process answers. Says nothing about the directory, Redis or Rocket.Chat (see /readyz)."""
    return JSONResponse({"ok": True})


async def _readyz(request: Request) -> Response:
    """Readiness: 200 only while the directory and the shared state answer, so a load balancer sends
    sign-ins elsewhere (or nowhere) instead of to an instance that can only answer 503. Each check says
    only ok or fail; why is in the log (readiness.py)."""
    checks = await _service(request).readiness.checks()
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"ready": ready, "checks": checks}, status_code=200 if ready else 503, headers=_NO_STORE
    )


def _login_page(rocketchat_origin: str) -> str:
    template = resources.files("tokenservice").joinpath("static/login.html").read_text(encoding="utf-8")
    return template.replace("{{ROCKETCHAT_ORIGIN}}", html.escape(rocketchat_origin, quote=True))


def _service(request: Request) -> _Service:
    return request.app.state.service


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _body_error(exc: BodyError) -> JSONResponse:
    response = _error(exc.status, exc.code, _sentence(str(exc)))
    if exc.status != 400:
        # The rest of the body was never read, so the connection cannot carry another request.
        response.headers["Connection"] = "close"
    return response


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status, headers=_NO_STORE)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    message = {404: "There is nothing at this address.", 405: "This method is not allowed here."}
    return _error(
        exc.status_code,
        codes.get(exc.status_code, "http_error"),
        message.get(exc.status_code, str(exc.detail)),
    )


async def _metrics(request: Request) -> Response:
    """Prometheus text format. No secrets and no usernames in it, but put it behind the proxy's allow-list
    (or on `server.metrics_port`) all the same."""
    service = _service(request)
    if service.config.metrics_port is not None:
        return _error(404, "not_found", "There is nothing at this address.")
    return Response(service.metrics.render(), media_type=CONTENT_TYPE_LATEST)


async def _state_unavailable(request: Request, exc: Exception) -> Response:
    return _state_unavailable_response()


def _state_unavailable_response() -> JSONResponse:
    """503 for a Redis outage; the iframe route adds Rocket.Chat's CORS headers so its page can read it."""
    message = "The token service's shared state (Redis) cannot be reached right now; try again in a minute."
    response = _error(503, StateUnavailable.code, message)
    response.headers["Retry-After"] = "10"
    return response


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error(500, "internal_error", "The token service failed unexpectedly; see its log.")
