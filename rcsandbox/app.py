"""`create_app`: the sandbox's Starlette app (Rocket.Chat REST, side door, web client) over one state."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from .api import api_routes
from .config import SandboxConfig
from .files import file_routes
from .pathprefix import PathPrefixMiddleware
from .ratelimit import RateLimitMiddleware
from .requestlog import RequestLogMiddleware
from .sidedoor import sidedoor_routes
from .state import SandboxState
from .uploads import upload_routes
from .webclient import webclient_routes

__all__ = ["create_app"]


def create_app(state: SandboxState | SandboxConfig | None = None) -> Starlette:
    """The ASGI app. Pass a `SandboxState` to share it with a `Sandbox` handle (tests), or a config."""
    if not isinstance(state, SandboxState):
        state = SandboxState(state or SandboxConfig())
    # Order matters: API and side door before the web client's catch-all page route.
    app = Starlette(
        routes=[*upload_routes(), *api_routes(), *sidedoor_routes(), *file_routes(), *webclient_routes()],
        middleware=[
            Middleware(PathPrefixMiddleware, prefix=state.config.path_prefix),  # first: the rest see "/api/…"
            Middleware(RequestLogMiddleware),
            Middleware(RateLimitMiddleware),
        ],
    )
    app.state.sandbox = state
    return app
