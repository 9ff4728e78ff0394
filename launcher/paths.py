"""Where the launcher keeps its state on disk, and which keyring namespace goes with it.

``Paths.default()`` follows the platform conventions (platformdirs). ``Paths.under(root)`` puts everything
below one directory, with its own keyring namespace, so the demo and tests never touch a real profile.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from launcher import APP_NAME

__all__ = ["CONFIG_FILE_NAME", "Paths"]

CONFIG_FILE_NAME = "launcher.toml"


@dataclass(frozen=True)
class Paths:
    """The directories of one launcher profile."""

    config_dir: Path
    data_dir: Path
    log_dir: Path
    webview_storage_dir: Path
    #: Prefix of the keyring service names ("rocketchat-launcher" -> "rocketchat-launcher/org-login").
    keyring_namespace: str = APP_NAME

    @classmethod
    def default(cls) -> Paths:
        """The per-user locations of this platform (e.g. ~/.config, ~/.local/share, ~/.local/state)."""
        data_dir = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=data_dir,
            log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
            webview_storage_dir=data_dir / "webview",
        )

    @classmethod
    def under(cls, root: str | Path) -> Paths:
        """Everything below ``root``; the keyring namespace is derived from the absolute path of ``root``."""
        root = Path(root).expanduser().resolve()
        digest = hashlib.sha256(str(root).encode("utf-8")).hexdigest()[:12]
        return cls(
            config_dir=root / "config",
            data_dir=root / "data",
            log_dir=root / "logs",
            webview_storage_dir=root / "data" / "webview",
            keyring_namespace=f"{APP_NAME}-profile-{digest}",
        )

    @property
    def user_config_file(self) -> Path:
        return self.config_dir / CONFIG_FILE_NAME

    @property
    def log_file(self) -> Path:
        return self.log_dir / "launcher.log"

    def clear_webview_storage(self) -> bool:
        """Delete the webview's cookies and local storage (a signed-out Rocket.Chat page). True if removed."""
        if not self.webview_storage_dir.exists():
            return False
        shutil.rmtree(self.webview_storage_dir)
        return True
