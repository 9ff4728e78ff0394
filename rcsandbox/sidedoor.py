"""The test-only side door under `/sandbox/...`, apart from every Rocket.Chat path.

Tests read the event log, post messages to users (to drive `unread-changed` and `notification`), and flip
settings. The web client reports console-only rejections here (Rocket.Chat itself reports nothing), and
polls for new messages, standing in for Rocket.Chat's DDP subscriptions.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .api import authenticate
from .config import PUBLIC_SETTINGS, ConfigError
from .state import SandboxState
from .store import Message, UserRecord, iso

__all__ = ["change_password", "post_message", "revoke_sessions", "sidedoor_routes"]

# What the page may report; anything else is refused so the log stays meaningful.
_CLIENT_KINDS = {"origin-rejected", "command-rejected", "client-error", "user-status", "navigated"}
_MAX_TEXT = 500


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


async def _json(request: Request) -> dict[str, Any] | None:
    """The body as a JSON object or None. `sendBeacon` posts text/plain, so content type is not checked."""
    try:
        data = json.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


async def events(request: Request) -> Response:
    kind = request.query_params.get("kind")
    return JSONResponse({"events": _state(request).store.events(kind)})


def post_message(
    state: SandboxState,
    username: str,
    text: str,
    sender: str | None,
    room: str | None,
    alert_only: bool = False,
) -> Message:
    """Deliver a message to `username` (ValueError when the user is unknown); `alert_only` marks its
    room unread without adding to the count."""
    user = state.store.by_username(username)
    if user is None:
        raise ValueError(f"No sandbox user {username!r}; create the user first.")
    sender_name = sender or "rocket.cat"
    sender_user = state.store.by_username(sender_name)
    message = state.store.post_message(user, text, sender_user, sender_name, room or "general", alert_only)
    state.store.record("message-posted", username=username, sender=message.sender, room=message.room)
    return message


async def messages(request: Request) -> Response:
    data = await _json(request)
    if data is None:
        return _bad('Send a JSON object like {"username": "alice", "text": "hello"}.')
    username, text = data.get("username"), data.get("text")
    sender, room = data.get("sender"), data.get("room")
    if not isinstance(username, str) or not isinstance(text, str):
        return _bad('"username" and "text" must be strings.')
    if any(v is not None and not isinstance(v, str) for v in (sender, room)):
        return _bad('"sender" and "room" must be strings when given.')
    alert_only = data.get("alert_only", False)
    if not isinstance(alert_only, bool):
        return _bad('"alert_only" must be true or false when given.')
    try:
        message = post_message(_state(request), username, text, sender, room, alert_only)
    except ValueError as exc:
        return _bad(str(exc), 404)
    return JSONResponse({"ok": True, "id": message.id})


def revoke_sessions(state: SandboxState, username: str, reason: str = "admin") -> int:
    """Remove every login token of `username` (ValueError when unknown); returns how many went."""
    user = state.store.by_username(username)
    if user is None:
        raise ValueError(f"No sandbox user {username!r}; create the user first.")
    count = state.store.remove_all_tokens(user)
    state.store.record("sessions-revoked", username=username, tokens=count, reason=reason)
    return count


def change_password(state: SandboxState, username: str, password: str) -> int:
    """A new password, and every session ended as Rocket.Chat does on a password change."""
    user = state.store.by_username(username)
    if user is None:
        raise ValueError(f"No sandbox user {username!r}; create the user first.")
    if not isinstance(password, str) or not password:
        raise ValueError("The new password must be a non-empty string.")
    state.store.set_password(user, password)
    state.store.record("password-changed", username=username)
    return revoke_sessions(state, username, reason="password-changed")


async def user_logout(request: Request) -> Response:
    """`POST /sandbox/users/{username}/logout`: an admin's "log out this user from all sessions"."""
    try:
        count = revoke_sessions(_state(request), request.path_params["username"])
    except ValueError as exc:
        return _bad(str(exc), 404)
    return JSONResponse({"ok": True, "revoked": count})


async def user_password(request: Request) -> Response:
    """`POST /sandbox/users/{username}/password` with `{"password": "..."}`: change it, end every session."""
    data = await _json(request)
    password = data.get("password") if data else None
    if not isinstance(password, str) or not password:
        return _bad('Send a JSON object like {"password": "new-pw"}.')
    state, username = _state(request), request.path_params["username"]
    if state.store.by_username(username) is None:
        return _bad(f"No sandbox user {username!r}; create the user first.", 404)
    count = change_password(state, username, password)
    return JSONResponse({"ok": True, "revoked": count})


async def settings(request: Request) -> Response:
    data = await _json(request)
    if data is None:
        return _bad('Send a JSON object like {"Iframe_Integration_receive_enable": true}.')
    state = _state(request)
    try:
        for name, value in data.items():
            state.set_setting(name, value)
    except ConfigError as exc:
        return _bad(str(exc))
    return JSONResponse({"ok": True, "settings": state.settings()})


async def client_log(request: Request) -> Response:
    """What the page logged with console.error; values are truncated, tokens are never sent here."""
    data = await _json(request)
    kind = data.get("kind") if data else None
    if kind not in _CLIENT_KINDS:
        return _bad(f"kind must be one of: {', '.join(sorted(_CLIENT_KINDS))}.")
    fields = {
        k: (v[:_MAX_TEXT] if isinstance(v, str) else v)
        for k, v in data.items()
        if k != "kind" and isinstance(v, str | int | float | bool | type(None))
    }
    _state(request).store.record(kind, source="web-client", **fields)
    return JSONResponse({"ok": True})


def _notification(user: UserRecord, message: Message) -> dict[str, Any]:
    """The `notify-user` object RC's client gets in its `notification` event (`payload.rid` included)."""
    return {
        "title": message.sender,
        "text": message.text,
        "duration": 4,
        "payload": {
            "_id": message.id,
            "rid": message.rid,
            "sender": {"_id": message.sender_id, "username": message.sender, "name": message.sender_name},
            "type": "c",
            "name": message.room,
            "message": {"msg": message.text},
        },
    }


async def client_updates(request: Request) -> Response:
    """The page's stand-in for DDP: unread count and notifications since `since` (auth headers)."""
    found = authenticate(request)
    if found is None:
        return JSONResponse({"ok": False, "error": "You must be logged in to do this."}, status_code=401)
    user, _ = found
    try:
        since = int(request.query_params.get("since", "0"))
    except ValueError:
        return _bad("since must be an integer.")
    unread, subscriptions, new, cursor = _state(request).store.updates(user, since)
    return JSONResponse(
        {
            "ok": True,
            "unread": unread,
            "subscriptions": subscriptions,
            "cursor": cursor,
            "notifications": [{**_notification(user, m), "ts": iso(m.ts)} for m in new],
        }
    )


async def client_settings(request: Request) -> Response:
    """The page's public settings. Rocket.Chat's client gets them over DDP, not from the rate-limited REST
    route, so the page's loads never count against a launcher's `settings.public` calls."""
    state = _state(request)
    values = state.settings()
    settings = {name: values[name] for name in PUBLIC_SETTINGS}
    return JSONResponse({"ok": True, "settings": settings, "version": state.version})


async def client_read(request: Request) -> Response:
    """The page opened the room: mark everything read, so `unread-changed` falls to 0."""
    found = authenticate(request)
    if found is None:
        return JSONResponse({"ok": False, "error": "You must be logged in to do this."}, status_code=401)
    _state(request).store.mark_read(found[0])
    return JSONResponse({"ok": True})


def sidedoor_routes() -> list[Route]:
    return [
        Route("/sandbox/events", events, methods=["GET"]),
        Route("/sandbox/messages", messages, methods=["POST"]),
        Route("/sandbox/settings", settings, methods=["POST"]),
        Route("/sandbox/users/{username}/logout", user_logout, methods=["POST"]),
        Route("/sandbox/users/{username}/password", user_password, methods=["POST"]),
        Route("/sandbox/client-log", client_log, methods=["POST"]),
        Route("/sandbox/client/updates", client_updates, methods=["GET"]),
        Route("/sandbox/client/read", client_read, methods=["POST"]),
        Route("/sandbox/client/settings", client_settings, methods=["GET"]),
        Route("/sandbox/{rest:path}", _unknown, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    ]


async def _unknown(request: Request) -> Response:
    return _bad(f"No side-door route {request.method} {request.url.path}; see docs/architecture.md.", 404)
