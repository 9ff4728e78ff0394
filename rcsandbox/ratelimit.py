"""Rocket.Chat's REST rate limiter, per route and client IP (docs/rocketchat-contract.md#rate-limits).

Meteor's RateLimiter counts every call in a window that opens with the first call; when the count passes
the limit the route answers 429 until the window resets. `X-RateLimit-Reset` is epoch milliseconds.
`RateLimitMiddleware` applies it to every `/api/v1/*` route and `/api/info`, in front of the routes, so each
answer (a 400, a 401, an upload) carries the headers. Authenticated admins bypass it, as users with
Rocket.Chat's `api-bypass-rate-limit` permission do; so does everyone while `API_Enable_Rate_Limiter` is off.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["LOGIN_ROUTE", "UNLIMITED", "Decision", "RateLimitMiddleware", "RateLimiter", "route_key"]

LOGIN_ROUTE = "/api/v1/login"
# A route with this limit is counted (and the headers sent) but never refused.
UNLIMITED = 2**31 - 1


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_ms: int

    @property
    def wait_seconds(self) -> int:
        return max(0, math.ceil(self.reset_ms / 1000 - time.time()))

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_ms),
        }


class RateLimiter:
    """Fixed windows keyed by (route, ip): a rule per route, else the default. Rules may change while running."""

    def __init__(self, default_limit: int, default_window: float) -> None:
        self.default = (default_limit, default_window)
        self._rules: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def rule(self, route: str) -> tuple[int, float]:
        """(limit, window seconds) for `route`."""
        with self._lock:
            return self._rules.get(route, self.default)

    @property
    def limit(self) -> int:
        """The login route's limit (what this limiter held when only logins were limited)."""
        return self.rule(LOGIN_ROUTE)[0]

    @property
    def window(self) -> float:
        return self.rule(LOGIN_ROUTE)[1]

    def set_rule(self, route: str, limit: int, window: float) -> None:
        """New limit for one route; its counting starts afresh. Limit 0 refuses every call."""
        with self._lock:
            self._rules[route] = (limit, window)
            for key in [k for k in self._windows if k[0] == route]:
                del self._windows[key]

    def hit(self, route: str, ip: str) -> Decision:
        now = time.time()
        with self._lock:
            limit, window = self._rules.get(route, self.default)
            start, count = self._windows.get((route, ip), (now, 0))
            if now >= start + window:
                start, count = now, 0
            count += 1
            self._windows[(route, ip)] = (start, count)
        reset_ms = int((start + window) * 1000)
        return Decision(count <= limit, limit, max(0, limit - count), reset_ms)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


def route_key(path: str) -> str | None:
    """The counted route for a path (`/api/v1/rooms.media/GENERAL` -> `/api/v1/rooms.media`), None if not REST."""
    if path == "/api/info":
        return path
    if path.startswith("/api/v1/"):
        return "/api/v1/" + path[len("/api/v1/") :].split("/", 1)[0]
    return None


def too_many_requests_text(decision: Decision) -> str:
    return (
        "Error, too many requests. Please slow down. You must wait "
        f"{decision.wait_seconds} seconds before trying this endpoint again. [error-too-many-requests]"
    )


class RateLimitMiddleware:
    """Counts each REST call before its route runs; refuses with 429 over the limit, else adds the headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = route_key(scope.get("path", "")) if scope["type"] == "http" else None
        state: Any = scope["app"].state.sandbox if route else None
        if route is None or not state.setting("API_Enable_Rate_Limiter") or _bypasses(state, scope):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        decision = state.limiter.hit(route, ip)
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in decision.headers().items()]
        if not decision.allowed:
            state.store.record("rate-limited", route=route, ip=ip)
            body = json.dumps({"success": False, "error": too_many_requests_text(decision)}).encode("utf-8")
            start = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 429, "headers": start + headers})
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _bypasses(state: Any, scope: Scope) -> bool:
    """An authenticated admin (Rocket.Chat's api-bypass-rate-limit permission, which admins have)."""
    headers = dict(scope.get("headers", []))
    user_id = headers.get(b"x-user-id", b"").decode("latin-1")
    token = headers.get(b"x-auth-token", b"").decode("latin-1")
    if not user_id or not token:
        return False
    found = state.store.find_token(token, user_id)
    return found is not None and "admin" in found[0].roles
