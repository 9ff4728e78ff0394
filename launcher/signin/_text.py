"""The sign-in's user-facing sentences that the window needs too, and short renderings of exceptions.

Imports nothing: the window's local pages read ENTER_BOTH before the window exists, and must not pull
the sign-in's HTTP and keyring libraries in with it (they load after the window shows).
"""

from __future__ import annotations

__all__ = ["ENTER_BOTH", "SIGN_IN_EXPIRED", "server_changed", "short_error"]

ENTER_BOTH = "Enter your username and password."  # the flow, the sign-in page and `sign-in` say this
SIGN_IN_EXPIRED = "Your Rocket.Chat sign-in has expired; enter your password to sign in again."


def server_changed(server: str) -> str:
    """Why a stored password is not sent: the configuration now names another sign-in address."""
    return (
        f"The sign-in address is now {server}, not the one your password was saved for; enter your password "
        "to sign in there, but only if you trust that address."
    )


def short_error(exc: BaseException, limit: int) -> str:
    """``str(exc)`` (or the exception's type name when that is empty), cut to ``limit`` characters."""
    text = str(exc) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
