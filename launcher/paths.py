"""Where the launcher keeps its state on disk, and which keyring namespace goes with it.

``Paths.default()`` follows the platform conventions (platformdirs). ``Paths.under(root)`` puts everything
below one directory, with its own keyring namespace, so the demo and tests never touch a real profile.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from launcher import APP_NAME

__all__ = ["CONFIG_FILE_NAME", "Paths", "private_dir"]

CONFIG_FILE_NAME = "launcher.toml"


def private_dir(path: Path) -> Path:
    """Create `path` (with any missing parents) readable by this user only, and tighten it if it exists.

    A profile holds the web view's session, the log (server and user names) and the window's state: other
    accounts on a shared desk have no business reading them. mkdir's mode alone is masked by the umask and
    leaves an existing folder as it was."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # not ours (a shared parent given with --profile): leave it
        os.chmod(path, 0o700)
    return path


@dataclass(frozen=True)
class Paths:
    """The directories of one launcher profile."""

    config_dir: Path
    data_dir: Path
    log_dir: Path
    webview_storage_dir: Path
    #: The web view's HTTP cache: it holds every URL the window loaded, the resume-token link included.
    webview_cache_dir: Path
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
            webview_cache_dir=data_dir / "webview-cache",
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
            webview_cache_dir=root / "data" / "webview-cache",
            keyring_namespace=f"{APP_NAME}-profile-{digest}",
        )

    @property
    def user_config_file(self) -> Path:
        return self.config_dir / CONFIG_FILE_NAME

    @property
    def log_file(self) -> Path:
        return self.log_dir / "launcher.log"

    def clear_webview_storage(self) -> bool:
        """Delete the web view's cookies, local storage and HTTP cache (a signed-out Rocket.Chat page, and
        no trace of the resume-token link). True if anything was removed."""
        removed = False
        for folder in (self.webview_storage_dir, self.webview_cache_dir):
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
                removed = True
        return removed
