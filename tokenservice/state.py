"""Shared state in Redis for several token-service instances: the connection, its errors, URL redaction.

Sessions (sessions.py) and the Rocket.Chat token cache with its per-employee lock (token_cache.py) each
have an in-memory and a Redis implementation behind one small protocol; this module is what the Redis
ones share. Any Redis failure becomes `StateUnavailable` (HTTP 503); redis-py reconnects on the next
command, so the service recovers by itself when Redis is back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from .errors import TokenServiceError

__all__ = ["StateUnavailable", "guard", "open_redis", "redact_url"]

log = logging.getLogger("tokenservice.state")

KEY_PREFIX = "tokenservice:"


class StateUnavailable(TokenServiceError):
    """The shared state (Redis) cannot be used right now (HTTP 503); the detail, for the log, never holds
    the Redis password, and the client reads only that the state is down."""

    status = 503
    code = "state_unavailable"
    message = "The token service's shared state (Redis) cannot be reached right now; try again in a minute."
    retry_after = 10


def redact_url(url: str) -> str:
    """`url` with any password replaced by `***`, for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


def check_redis_url(url: str) -> str:
    """The URL if it is redis:// or rediss:// with a host; else ValueError with a one-sentence reason."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(
            f"state.redis_url must be a redis:// or rediss:// URL such as redis://:password@redis.internal:6379/0, "
            f"not {redact_url(url)!r}"
        )
    return url


def open_redis(
    url: str, *, password: str | None = None, timeout: float = 2.0, ca_file: str | None = None
) -> aioredis.Redis:
    """A client for `url` with short timeouts and one quick retry, so an outage is a prompt 503, not a hang."""
    options: dict[str, object] = {}
    if password:
        options["password"] = password
    if ca_file and urlsplit(url).scheme == "rediss":
        options["ssl_ca_certs"] = ca_file
    return aioredis.Redis.from_url(
        check_redis_url(url),
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 1),
        decode_responses=True,
        **options,
    )


@contextlib.asynccontextmanager
async def guard(client: aioredis.Redis, what: str) -> AsyncIterator[None]:
    """Turn a Redis failure during `what` into StateUnavailable (logged once, without the password)."""
    try:
        yield
    except (RedisError, OSError) as exc:
        where = _where(client)
        log.warning("shared state %s failed during %s: %s", where, what, type(exc).__name__)
        raise StateUnavailable(
            f"the shared state store {where} cannot be reached ({type(exc).__name__})"
        ) from None


def _where(client: aioredis.Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    return f"redis at {kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
