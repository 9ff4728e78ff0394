"""`--exit-when-ready`: close the window once the start is decided, and say how it ended.

Why: IT's scripts and the tests need one answer per start: exit 0 when Rocket.Chat is signed in, 2
when a password is needed, 1 on an error page, 3 when nothing was decided within the time limit
(exit codes are documented in docs/desktop.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from launcher.window.states import State

__all__ = [
    "EXIT_BACKEND",
    "EXIT_FAILED",
    "EXIT_NEEDS_CREDENTIALS",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "EXIT_WHEN_READY_TIMEOUT_S",
    "ExitWhenReady",
]

EXIT_OK, EXIT_FAILED, EXIT_NEEDS_CREDENTIALS, EXIT_TIMEOUT, EXIT_BACKEND = 0, 1, 2, 3, 4
EXIT_WHEN_READY_TIMEOUT_S = 90.0
_NO_SAVED_SIGN_IN = "No saved sign-in: start the launcher without --exit-when-ready and sign in once."


class ExitWhenReady:
    """Decides the exit from the states the window reaches. `request_exit(code, reason)` closes it.

    `wait_for_form` keeps the window open on the sign-in form (a driver is about to type into it), so
    only a failed sign-in there ends the run with EXIT_NEEDS_CREDENTIALS."""

    def __init__(self, request_exit: Callable[[int, str], None], wait_for_form: bool = False) -> None:
        self._request_exit = request_exit
        self.wait_for_form = wait_for_form

    def state_changed(self, state: str, info: dict[str, Any]) -> None:
        if state == State.SIGNED_IN:
            self._request_exit(EXIT_OK, "Rocket.Chat is signed in.")
        elif state == State.ERROR:
            self._request_exit(EXIT_FAILED, info.get("message") or "Rocket.Chat could not open.")
        elif state == State.SIGNIN and not self.wait_for_form:
            self._request_exit(EXIT_NEEDS_CREDENTIALS, info.get("message") or _NO_SAVED_SIGN_IN)

    def sign_in_failed(self, message: str) -> None:
        if self.wait_for_form:
            self._request_exit(EXIT_NEEDS_CREDENTIALS, message)

    def start_watchdog(self, closed: threading.Event, timeout_s: float = EXIT_WHEN_READY_TIMEOUT_S) -> None:
        """Give up after `timeout_s` with EXIT_TIMEOUT, unless the window closed first."""

        def watch() -> None:
            if not closed.wait(timeout_s):
                self._request_exit(
                    EXIT_TIMEOUT, f"Rocket.Chat was not signed in within {timeout_s:.0f} seconds."
                )

        threading.Thread(target=watch, name="exit-watchdog", daemon=True).start()
