"""Serves the web client: one page at `/`, `/home` and any client-side route, plus its static files.

The page itself is small and loads fast; it holds only a loader that injects the "bundle"
(`static/client.js`) after the configured start delay, like Rocket.Chat's lazy chunks
(docs/rocketchat-contract.md#startup-race).
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .state import SandboxState

__all__ = ["STATIC_DIR", "webclient_routes"]

STATIC_DIR = Path(__file__).parent / "static"
# Like Rocket.Chat's (docs/rocketchat-contract.md#content-security-policy): no 'unsafe-inline' scripts,
# so injected <script> elements fail as they do against RC.
_CSP = "script-src 'self' 'unsafe-eval'; frame-src *; connect-src *; object-src 'none'"


async def page(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    delay_ms = str(round(state.client_start_delay * 1000))
    body = template.replace("{{START_DELAY_MS}}", html.escape(delay_ms))
    headers = {"Cache-Control": "no-store"}
    if state.setting("Enable_CSP"):
        headers["Content-Security-Policy"] = _CSP
    return HTMLResponse(body, headers=headers)


def webclient_routes() -> list[Route | Mount]:
    return [
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        Route("/", page, methods=["GET"]),
        Route("/{path:path}", page, methods=["GET"]),
    ]
