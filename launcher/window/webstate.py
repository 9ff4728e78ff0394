"""What the launcher remembers about its webview profile (never a secret): whether it holds a signed-in
Rocket.Chat session, and whether it must be wiped before the next start.

The "signed in" mark lets the window open straight on Rocket.Chat (with the cover) without touching the
keyring first, which keeps the keyring and HTTP work off the window's start path. It holds the Rocket.Chat
user id that was signed in (an id, not a secret), so a page that signs itself in from its own stored
session can be confirmed as soon as it names that user, without waiting for the keyring and `/api/v1/me`. It lives inside the
webview storage folder, so anything that clears that folder (sign-out, `rocketchat-launcher sign-out`)
clears the mark too. A live profile cannot be deleted under Qt's feet, so an in-app sign-out clears what
it can at once and leaves a wipe request that is carried out at exit or at the next start.
"""

from __future__ import annotations

import contextlib
import re

from launcher.paths import Paths, private_dir

_SIGNED_IN = "launcher-signed-in"
_WIPE = "webview-wipe-pending"
_USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # Meteor ids (17 characters) and the like; nothing else


def expects_signed_in(paths: Paths) -> bool:
    return (paths.webview_storage_dir / _SIGNED_IN).exists()


def signed_in_user(paths: Paths) -> str | None:
    """The Rocket.Chat user id kept with the mark; None without a mark or a well-formed id."""
    try:
        text = (paths.webview_storage_dir / _SIGNED_IN).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if _USER_ID.fullmatch(text) else None


def set_signed_in(paths: Paths, signed_in: bool, user_id: str | None = None) -> None:
    """Set or clear the mark; `user_id` replaces the id kept with it (without one, an existing id stays)."""
    mark = paths.webview_storage_dir / _SIGNED_IN
    with contextlib.suppress(OSError):
        if signed_in:
            private_dir(paths.webview_storage_dir)
            if user_id is not None:
                tmp = mark.with_name(_SIGNED_IN + ".tmp")
                tmp.write_text(user_id if _USER_ID.fullmatch(user_id) else "", encoding="ascii")
                tmp.replace(mark)
            else:
                mark.touch()
        else:
            mark.unlink(missing_ok=True)


def request_wipe(paths: Paths) -> None:
    set_signed_in(paths, False)
    with contextlib.suppress(OSError):
        private_dir(paths.data_dir)
        (paths.data_dir / _WIPE).touch()


def wipe_pending(paths: Paths) -> bool:
    return (paths.data_dir / _WIPE).exists()


def wipe_if_requested(paths: Paths) -> bool:
    """Delete the webview storage if a sign-out asked for it; True if it was deleted. Call when no
    webview uses the folder (before the window is created, or after it closed)."""
    if not wipe_pending(paths):
        return False
    with contextlib.suppress(OSError):
        paths.clear_webview_storage()
        (paths.data_dir / _WIPE).unlink(missing_ok=True)
    return not (paths.webview_storage_dir.exists() or paths.webview_cache_dir.exists())
