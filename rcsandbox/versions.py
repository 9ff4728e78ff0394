"""What differs between the Rocket.Chat versions the stand-in can play (`SandboxConfig.version`).

Before 7.0, `settings.public` ignored `_id`, took a Mongo-like `query` (JSON) instead and served every public
setting page by page; a real server has a few hundred of them, so the sandbox pads its list with generated
filler (neutral names, plain values) placed before the settings the launcher asks for. 7.0 filters by `_id`
and dropped `query`. The page's status and unread events changed shape too (see client.js).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "FILLER_BEFORE",
    "FILLER_SETTINGS",
    "MAX_COUNT",
    "legacy_settings",
    "major",
    "query_ids",
    "version_tuple",
]

MAX_COUNT = 100  # API_Upper_Count_Limit's default

_GROUPS = [
    "Layout",
    "Message",
    "FileUpload",
    "UI",
    "Markdown",
    "Livechat",
    "Theme",
    "Search",
    "Video",
    "Push",
]
_TOPICS = [
    "Home",
    "Sidebar",
    "Header",
    "Footer",
    "Composer",
    "Thread",
    "Emoji",
    "Avatar",
    "Embed",
    "Audio",
    "Mention",
    "Reaction",
    "Translate",
    "Directory",
    "Badge",
    "Draft",
    "Preview",
    "Banner",
    "Sound",
    "Status",
    "Search",
]
_SUFFIXES = ["Enabled", "Visible"]


def version_tuple(version: str) -> tuple[int, int, int]:
    """ "6.13.1" -> (6, 13, 1); "7.8" -> (7, 8, 0). The version was checked by config.check_version."""
    parts = [int(part) for part in version.split(".")]
    return parts[0], parts[1], parts[2] if len(parts) > 2 else 0


def major(version: str) -> int:
    return version_tuple(version)[0]


def _filler() -> dict[str, Any]:
    names = [f"{g}_{t}_{s}" for g in _GROUPS for t in _TOPICS for s in _SUFFIXES]
    return {name: i % 3 == 0 for i, name in enumerate(names)}


# 420 generated public settings; the first FILLER_BEFORE of them come before the real ones.
FILLER_SETTINGS: dict[str, Any] = _filler()
FILLER_BEFORE = 250


def legacy_settings(real: dict[str, Any]) -> list[tuple[str, Any]]:
    """The full public list in the old order: filler first, the real public settings after the first pages."""
    filler = list(FILLER_SETTINGS.items())
    return [*filler[:FILLER_BEFORE], *real.items(), *filler[FILLER_BEFORE:]]


def query_ids(text: str) -> set[str] | None:
    """The ids an old `query` parameter selects: {"_id": "a"}, {"_id": {"$in": [...]}}, {"_id": {"$eq": "a"}}.

    `{}` selects everything (None). Anything else is a ValueError (the route's `error-invalid-query`).
    """
    data = json.loads(text)
    if not isinstance(data, dict) or set(data) - {"_id"}:
        raise ValueError("only _id can be queried")
    if "_id" not in data:
        return None
    wanted = data["_id"]
    if isinstance(wanted, str):
        return {wanted}
    if isinstance(wanted, dict) and len(wanted) == 1:
        ((op, value),) = wanted.items()
        if op == "$in" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return set(value)
        if op == "$eq" and isinstance(value, str):
            return {value}
    raise ValueError("unsupported _id selector")
