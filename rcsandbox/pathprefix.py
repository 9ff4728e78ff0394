"""Serves the whole sandbox under a ROOT_URL path, as Rocket.Chat does at https://example.com/chat.

Everything inside sees the path without the prefix, as if served at the root; the page and its scripts
put the prefix back in front of the URLs they build (`data-path-prefix`). A request outside the prefix
gets Rocket.Chat's usual answer for an unknown path behind a reverse proxy: 404.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["PathPrefixMiddleware"]


class PathPrefixMiddleware:
    """Strips `prefix` ("/chat") from each request's path; refuses paths outside it."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.prefix:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            body = f"Not found: this server is served under {self.prefix}/".encode()
            headers = [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        scope = {**scope, "path": path[len(self.prefix) :] or "/"}
        raw = scope.get("raw_path")
        if isinstance(raw, bytes) and raw.startswith(self.prefix.encode()):
            scope["raw_path"] = raw[len(self.prefix) :] or b"/"
        await self.app(scope, receive, send)
