"""What the person decided and the launcher remembers in the profile: permission answers per origin and
kind, and whether spell check is on. A small JSON file readable by this user only; an unreadable or
damaged file counts as "nothing decided yet" (a prompt again), never as a grant."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

__all__ = ["Choices"]

_log = logging.getLogger(__name__)


class Choices:
    """The profile's remembered choices (`path` None: kept in memory only)."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._data: dict[str, Any] = self._read()

    def permission(self, origin: str, kind: str) -> bool | None:
        """True (allowed), False (refused), or None (never asked)."""
        answer = self._data.get("permissions", {}).get(origin, {}).get(kind)
        return answer if isinstance(answer, bool) else None

    def remember(self, origin: str, kind: str, allowed: bool) -> None:
        with self._lock:
            per_origin = self._data.setdefault("permissions", {}).setdefault(origin, {})
            per_origin[kind] = bool(allowed)
            self._write()

    def forget_permissions(self) -> int:
        """Forget every answer (the menu's "Forget permissions"); how many there were."""
        with self._lock:
            count = sum(len(kinds) for kinds in self._data.get("permissions", {}).values())
            self._data["permissions"] = {}
            self._write()
        return count

    def remembered(self) -> dict[str, dict[str, bool]]:
        return {origin: dict(kinds) for origin, kinds in self._data.get("permissions", {}).items()}

    def spellcheck(self, default: bool) -> bool:
        value = self._data.get("spellcheck")
        return value if isinstance(value, bool) else default

    def set_spellcheck(self, on: bool) -> None:
        with self._lock:
            self._data["spellcheck"] = bool(on)
            self._write()

    def _read(self) -> dict[str, Any]:
        if self._path is None or not self._path.exists():
            return {}
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _log.warning("the remembered permissions could not be read; the launcher will ask again")
            return {}
        if not isinstance(data, dict) or not isinstance(data.get("permissions", {}), dict):
            return {}
        return data

    def _write(self) -> None:
        if self._path is None:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._data, handle, indent=2, sort_keys=True)
            os.replace(tmp, self._path)
        except OSError:
            _log.exception("could not save the remembered permissions")
