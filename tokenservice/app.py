"""The HTTP face of the token service (contract: docs/architecture.md, "tokenservice").

Flow 1: the launcher signs in (`POST /api/login`), then fetches a Rocket.Chat token with the bearer
(`/api/rocketchat/token`). Flow 2: Rocket.Chat's own web client calls `/api/rocketchat/iframe-auth` with the
browser's cookie and shows `/login` (its Accounts_iframe_url) in place of its own login form when that
answers 401. The routes are in routes/, the shared pieces in service.py, the errors' answers in errors.py.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from .config import TokenServiceConfig
from .errors import TokenServiceError, answer_error, answer_unexpected
from .routes import routes
from .service import Service
from .shutdown import ShutdownAnswer

__all__ = ["create_app"]


def create_app(
    config: TokenServiceConfig,
    *,
    clock: Callable[[], float] = time.monotonic,
    rc_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """Build the ASGI app. `clock` (monotonic seconds) lets tests expire sessions without waiting;
    `rc_transport` reaches Rocket.Chat without a socket (an httpx.ASGITransport to the stand-in)."""
    service = Service(config, clock, rc_transport)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await service.aclose()

    app = Starlette(
        routes=routes(),
        lifespan=lifespan,
        middleware=[Middleware(ShutdownAnswer)],  # a request the shutdown cancels gets 503, not 500
        exception_handlers={
            TokenServiceError: answer_error,
            HTTPException: answer_error,
            Exception: answer_unexpected,
        },
    )
    # No slash redirects: Starlette builds their Location from the request's Host header, so a forged
    # `Host: evil.example` on `/login/` would send the browser to evil.example (security item L6).
    app.router.redirect_slashes = False
    app.state.service = service
    return app
