"""What the launcher remembers about its webview profile (never a secret): whether it holds a signed-in
Rocket.Chat session, and whether it must be wiped before the next start.

The "signed in" mark lets the window open straight on Rocket.Chat (with the cover) without touching the
keyring first, which keeps the keyring and HTTP work off the window's start path. It lives inside the
webview storage folder, so anything that clears that folder (sign-out, `rocketchat-launcher sign-out`)
clears the mark too. A live profile cannot be deleted under Qt's feet, so an in-app sign-out clears what
it can at once and leaves a wipe request that is carried out at exit or at the next start.
"""

from __future__ import annotations

import contextlib
import shutil

from launcher.paths import Paths

_SIGNED_IN = "launcher-signed-in"
_WIPE = "webview-wipe-pending"


def expects_signed_in(paths: Paths) -> bool:
    return (paths.webview_storage_dir / _SIGNED_IN).exists()


def set_signed_in(paths: Paths, signed_in: bool) -> None:
    mark = paths.webview_storage_dir / _SIGNED_IN
    with contextlib.suppress(OSError):
        if signed_in:
            paths.webview_storage_dir.mkdir(parents=True, exist_ok=True)
            mark.touch()
        else:
            mark.unlink(missing_ok=True)


def request_wipe(paths: Paths) -> None:
    set_signed_in(paths, False)
    with contextlib.suppress(OSError):
        paths.data_dir.mkdir(parents=True, exist_ok=True)
        (paths.data_dir / _WIPE).touch()


def wipe_pending(paths: Paths) -> bool:
    return (paths.data_dir / _WIPE).exists()


def wipe_if_requested(paths: Paths) -> bool:
    """Delete the webview storage if a sign-out asked for it; True if it was deleted. Call when no
    webview uses the folder (before the window is created, or after it closed)."""
    if not wipe_pending(paths):
        return False
    with contextlib.suppress(OSError):
        if paths.webview_storage_dir.exists():
            shutil.rmtree(paths.webview_storage_dir, ignore_errors=True)
        (paths.data_dir / _WIPE).unlink(missing_ok=True)
    return not paths.webview_storage_dir.exists()
