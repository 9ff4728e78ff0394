"""The token service's routes, one module per concern (contract: docs/architecture.md, "tokenservice")."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import IFRAME_AUTH_PATH
from . import pages, rocketchat_tokens, signin

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    return [
        Route("/api/login", signin.login, methods=["POST"]),
        Route("/api/logout", signin.logout, methods=["POST"]),
        Route("/api/rocketchat/token", rocketchat_tokens.rocketchat_token, methods=["POST"]),
        Route(IFRAME_AUTH_PATH, rocketchat_tokens.iframe_auth, methods=["GET", "POST", "OPTIONS"]),
        Route("/login", pages.login_page, methods=["GET"]),
        Route("/healthz", pages.healthz, methods=["GET"]),
        Route("/readyz", pages.readyz, methods=["GET"]),
        Route("/metrics", pages.metrics, methods=["GET"]),
        Mount("/static", app=StaticFiles(packages=[("tokenservice", "static")]), name="static"),
    ]
