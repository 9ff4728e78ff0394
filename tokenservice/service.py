"""The pieces one running token service shares, and what every route asks of a request.

`Service` is built once per app (create_app) and kept on `app.state.service` for the routes, the tests
and the benchmark. The helpers below are the checks more than one route makes, written once: whose
session a request carries (bearer, or the cookie unless a browser says another site sent it) and which
employee that session still belongs to.
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
from collections.abc import Callable
from importlib import resources

import httpx
from starlette.requests import Request

from .config import TokenServiceConfig
from .cors import CorsPolicy
from .directory import Employee
from .errors import OriginNotAllowed
from .metrics import Metrics
from .origins import cookie_use_allowed
from .readiness import Readiness
from .redis_throttle import RedisLoginThrottle
from .rocketchat import RocketChatAdmin
from .sessions import InvalidSession, RedisSessionStore, Sessions, SessionStore
from .state import open_redis
from .throttle import LoginThrottle, Throttle
from .token_cache import RedisTokenCache
from .tokens import TokenBroker

__all__ = ["Service", "added_latency", "client_address", "employee_for", "service_of", "session_token"]

log = logging.getLogger("tokenservice")


class Service:
    """The stores, clients and policies of one app: in memory, or shared through Redis when configured."""

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
        self.throttle: Throttle
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
            self.throttle = RedisLoginThrottle(self.redis, config.throttle)
        else:
            self.sessions = SessionStore(config.session_lifetime, clock=clock)
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

    async def aclose(self) -> None:
        await self.rc.aclose()
        await self.config.directory.aclose()
        if self.redis is not None:
            await self.redis.aclose()


def service_of(request: Request) -> Service:
    return request.app.state.service


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def session_token(request: Request, *, action: str, refusal: str) -> str | None:
    """The session token the request carries: the bearer, else the cookie, unless a browser says another
    site sent the request (a browser attaches the cookie to any site's POST). `action` names the request
    in the log line of a refusal; `refusal` is the client's message then. None: no token at all."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        bearer = value.strip() or None
        if bearer is not None:
            return bearer
    token = request.cookies.get(service_of(request).config.cookie.name)
    if token is not None and not cookie_use_allowed(request):
        log.warning("cookie %s refused client=%s: sent by another site", action, client_address(request))
        raise OriginNotAllowed(message=refusal)
    return token


async def employee_for(service: Service, token: str | None) -> Employee:
    """The employee whose live session `token` is, still in the directory; raises a SessionError (and
    ends the session of someone the directory no longer has), DirectoryUnavailable or StateUnavailable."""
    session = await service.sessions.get(token)
    with service.metrics.directory_seconds.labels(operation="lookup").time():
        employee = await service.config.directory.lookup(session.employee.username)
    if employee is None:
        await service.sessions.end(token)
        raise InvalidSession("you are no longer in the employee directory")
    return employee


async def added_latency(service: Service) -> None:
    """The configured delay before each token answer (benchmarks only)."""
    if service.config.latency > 0:
        await asyncio.sleep(service.config.latency)


def _login_page(rocketchat_origin: str) -> str:
    template = resources.files("tokenservice").joinpath("static/login.html").read_text(encoding="utf-8")
    return template.replace("{{ROCKETCHAT_ORIGIN}}", html.escape(rocketchat_origin, quote=True))
