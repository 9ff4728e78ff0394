"""Senders' avatars for notifications: fetched once per sender from Rocket.Chat's `/avatar/<username>`,
kept as files (notification servers want a path) in a private temporary folder removed at exit."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from launcher.config.settings import Settings

_log = logging.getLogger(__name__)

_MAX_BYTES = 256_000


class Avatars:
    def __init__(self, settings: Settings, rc_url: str) -> None:
        self._settings = settings
        self._rc_url = rc_url
        self._dir: Path | None = None
        self._paths: dict[str, str | None] = {}

    def path_for(self, username: str | None) -> str | None:
        """The avatar's file, or None (no sender, not an image, too big, or Rocket.Chat unreachable)."""
        if not username:
            return None
        if username in self._paths:
            return self._paths[username]
        path: str | None = None
        try:
            from launcher.signin.http import make_client

            with make_client(self._settings) as client:
                answer = client.get(f"{self._rc_url}/avatar/{username}", timeout=2.0)
            kind = answer.headers.get("content-type", "")
            if answer.status_code == 200 and kind.startswith("image/") and len(answer.content) <= _MAX_BYTES:
                path = self._store(answer.content, kind)
        except Exception as exc:
            _log.info("no avatar for a notification: %s", type(exc).__name__)
        self._paths[username] = path
        return path

    def _store(self, content: bytes, kind: str) -> str:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="rcl-avatars-"))  # 0700, this user's only
        suffix = ".svg" if "svg" in kind else ".img"
        target = self._dir / f"{len(self._paths)}{suffix}"
        target.write_bytes(content)
        return str(target)

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
