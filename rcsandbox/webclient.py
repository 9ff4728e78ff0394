"""Serves the web client: one page at `/`, `/home` and any client-side route, plus its static files.

The page itself is small and loads fast; it holds only a loader that injects the "bundle"
(`static/client.js`) after the configured start delay, like Rocket.Chat's lazy chunks
(docs/rocketchat-contract.md#startup-race).

`/scripts.js` is Rocket.Chat's server-built script (app/ui-master/server/scripts.ts): it wraps the
admin's `Custom_Script_Logged_In` setting in a listener for the client's `Custom_Script_Logged_In`
event, so whatever an admin (or an attacker with admin rights) puts there runs in Rocket.Chat's origin.
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
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
    redirect = state.home_redirect
    prefix = state.config.path_prefix  # request.url.path has it stripped (pathprefix.py)
    if redirect and request.url.path == "/home":
        return RedirectResponse(f"{redirect}{prefix}/home?{request.url.query}", status_code=302)
    template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    delay_ms = str(round(state.client_start_delay * 1000))
    body = template.replace("{{START_DELAY_MS}}", html.escape(delay_ms))
    body = body.replace("{{PATH_PREFIX}}", html.escape(prefix))
    headers = {"Cache-Control": "no-store"}
    if state.setting("Enable_CSP"):
        headers["Content-Security-Policy"] = _CSP
    return HTMLResponse(body, headers=headers)


async def custom_scripts(request: Request) -> Response:
    """The admin's custom script, run by the page each time a user is logged in (as Rocket.Chat does)."""
    state: SandboxState = request.app.state.sandbox
    script = state.setting("Custom_Script_Logged_In")
    body = (
        "// Custom_Script_Logged_In\n"
        "window.addEventListener('Custom_Script_Logged_In', function() {\n" + script + "\n})\n"
    )
    return PlainTextResponse(body, media_type="text/javascript", headers={"Cache-Control": "no-store"})


def webclient_routes() -> list[Route | Mount]:
    return [
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        Route("/scripts.js", custom_scripts, methods=["GET"]),
        Route("/", page, methods=["GET"]),
        Route("/{path:path}", page, methods=["GET"]),
    ]
