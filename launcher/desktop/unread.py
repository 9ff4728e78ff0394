"""The unread count, from what Rocket.Chat announces: its `unread-changed` event or, when no
event came (older servers, other clients), the `(N)` prefix of the page title (as Ferdium reads it).

Rocket.Chat's payload is a number in new versions; up to 6.x it is `''` (nothing), `'•'` (unread
messages without a count: only muted rooms or no mention counters), a number or `'999+'`. Everything
else is refused: the value comes from the page, so it is checked, never trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COUNT = 999_999
_TITLE = re.compile(r"^\s*\((\d{1,6}|\d{1,3}\+|•)\)")


@dataclass(frozen=True)
class Unread:
    """`count` unread messages (0 = all read); `dot` = unread without a number (RC's `'•'`)."""

    count: int = 0
    dot: bool = False
    capped: bool = False  # RC said "999+"

    @property
    def label(self) -> str:
        """What the badge and the window title show: "", "•", "7", "99+" (a badge has little room)."""
        if self.count <= 0:
            return "•" if self.dot else ""
        return "99+" if self.count > 99 else str(self.count)

    @property
    def any(self) -> bool:
        return self.count > 0 or self.dot


NONE = Unread()


def from_event(value: object) -> Unread | None:
    """Parse an `unread-changed` payload; None if it is not one of Rocket.Chat's forms."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if value != value or value < 0:  # NaN or negative
            return None
        return Unread(count=min(int(value), MAX_COUNT))
    if not isinstance(value, str) or len(value) > 8:
        return None
    text = value.strip()
    if text == "":
        return NONE
    if text == "•":
        return Unread(dot=True)
    if text.endswith("+") and text[:-1].isdigit():
        return Unread(count=min(int(text[:-1]), MAX_COUNT), capped=True)
    if text.isdigit():
        return Unread(count=min(int(text), MAX_COUNT))
    return None


def with_room_alerts(total: Unread, alerted_rooms: object) -> Unread:
    """`total` from `unread-changed`, plus the rooms unread without a count that Rocket.Chat 7.8 and later
    report only per room (`unread-changed-by-subscription`): with nothing counted, they make the dot."""
    if total.count == 0 and not total.dot and isinstance(alerted_rooms, int) and alerted_rooms > 0:
        return Unread(dot=True)
    return total


def from_title(title: object) -> Unread:
    """The `(N) …` / `(•) …` prefix of a page title; no prefix means nothing unread."""
    if not isinstance(title, str):
        return NONE
    match = _TITLE.match(title[:200])
    if match is None:
        return NONE
    return from_event(match.group(1)) or NONE


def window_title(base: str, unread: Unread) -> str:
    """The window title with the count in front, the way browsers show Rocket.Chat's tab."""
    label = unread.label
    return f"({label}) {base}" if label else base
