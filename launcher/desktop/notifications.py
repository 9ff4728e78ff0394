"""Rocket.Chat's notifications, checked and turned into what a desktop notification needs.

The payload is Rocket.Chat's `notification` CustomEvent detail: `{notification, fromOpenedRoom,
hasFocus}`, where `notification` is the `notify-user` object: `{title, text, payload: {rid, type, name,
sender: {username, name}, message: {msg}}}`. It comes from the page, so every field is type-checked,
cut to a fixed size and kept as plain text; nothing else of the object is used.

`should_show` follows what Rocket.Chat's own client does before it shows a desktop notification: not
for the room the person is looking at, not while the user's status is *busy* (do not disturb), and
not when the person or the desktop turned notifications off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

TITLE_MAX = 120
BODY_MAX = 400
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_USERNAME = re.compile(r"^[\w.\-]{1,64}$")
_ROOM_PREFIX = {"c": "channel", "p": "group", "d": "direct", "l": "live"}


@dataclass(frozen=True)
class Notification:
    """One notification, plain text only. `room_path` is Rocket.Chat's route of the room ("channel/general")."""

    title: str
    body: str
    room_path: str | None = None
    sender_username: str | None = None
    from_opened_room: bool = False
    has_focus: bool = False
    #: A file the launcher saved (a download): a click opens it instead of a room.
    open_path: str | None = None


def parse(detail: object) -> Notification | None:
    """The `notification` event's detail as a Notification, or None when it is not that shape."""
    if not isinstance(detail, dict):
        return None
    inner = detail.get("notification")
    if not isinstance(inner, dict):
        return None
    payload = inner.get("payload") if isinstance(inner.get("payload"), dict) else {}
    title = _text(inner.get("title"), TITLE_MAX)
    body = _text(inner.get("text"), BODY_MAX)
    if not body and isinstance(payload.get("message"), dict):
        body = _text(payload["message"].get("msg"), BODY_MAX)
    if not title and not body:
        return None
    sender = payload.get("sender") if isinstance(payload.get("sender"), dict) else {}
    username = sender.get("username")
    return Notification(
        title=title or "Rocket.Chat",
        body=body,
        room_path=room_path(payload),
        sender_username=username if isinstance(username, str) and _USERNAME.match(username) else None,
        from_opened_room=detail.get("fromOpenedRoom") is True,
        has_focus=detail.get("hasFocus") is True,
    )


def room_path(payload: dict[str, object]) -> str | None:
    """Rocket.Chat's route for the room of a notification: channel/<name>, group/<name>, direct/<rid>."""
    kind, rid, name = payload.get("type"), payload.get("rid"), payload.get("name")
    prefix = _ROOM_PREFIX.get(kind) if isinstance(kind, str) else None
    if prefix is None or not isinstance(rid, str) or not _ID.match(rid):
        return None
    if kind in ("c", "p") and isinstance(name, str) and 0 < len(name) <= 100 and not _CONTROL.search(name):
        return f"{prefix}/{quote(name, safe='')}"
    return f"{prefix}/{rid}"


def should_show(
    note: Notification,
    *,
    enabled: bool,
    user_status: str | None,
    window_active: bool,
    desktop_inhibited: bool,
) -> bool:
    """Whether a desktop notification is wanted (see module docstring)."""
    if not enabled or desktop_inhibited or user_status == "busy":
        return False
    return not (note.from_opened_room and (note.has_focus or window_active))


def escape_markup(text: str) -> str:
    """For notification servers that read the body as markup: show the text, never interpret it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(value: object, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    text = _CONTROL.sub("", value[: limit * 2]).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
