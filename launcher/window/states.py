"""The window's states, how a hand-off can end, and the episode counter that keeps loops apart.

States: STARTING -> SIGNIN (the local form) | SIGNING_IN (Rocket.Chat under the cover) -> SIGNED_IN |
ERROR (the local page with Retry / Sign in as someone else); SIGNING_OUT on the way back to the form.
Every change starts or ends an *episode*: a loop started for one episode stops as soon as another
begins, so a late answer from a slow server can never move the window after the person moved on.
The values are plain strings (StrEnum): listeners, the timeline and the e2e report see "signed-in".
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from enum import StrEnum
from typing import Any

__all__ = ["SETTLED", "Episodes", "HandOffResult", "LoginPath", "State"]

_log = logging.getLogger(__name__)


class State(StrEnum):
    STARTING = "starting"
    SIGNIN = "signin"
    SIGNING_IN = "signing-in"
    SIGNED_IN = "signed-in"
    ERROR = "error"
    SIGNING_OUT = "signing-out"


#: States the window can rest in: the desktop parts start once one is reached.
SETTLED = frozenset({State.SIGNED_IN, State.SIGNIN, State.ERROR})


class LoginPath(StrEnum):
    """How Rocket.Chat's page got signed in."""

    PAGE_SESSION = "page-session"  # it signed itself in from its own stored session
    IFRAME_COMMAND = "iframe-command"  # it took the launcher's login-with-token command
    RESUME_TOKEN = "resume-token"  # noqa: S105 (a name, no secret): it took the /home?resumeToken= link


class HandOffResult(StrEnum):
    """How a hand-off of the token to the page ended (one attempt, or all of them). Not to be confused
    with launcher.signin.flow.Outcome, how a sign-in with the organization ended."""

    CONFIRMED = "confirmed"  # the page says it is signed in
    REJECTED = "rejected"  # Rocket.Chat tried the token and stayed signed out
    TIMEOUT = "timeout"  # the page did not confirm within the attempt's wait
    UNREACHABLE = "unreachable"  # Rocket.Chat's page did not load
    CANCELLED = "cancelled"  # another episode began, or the window closed


class Episodes:
    """The current state and episode, and the listeners told of each change.

    Listeners run on one dispatcher thread, in order, so a slow one (the e2e driver's screenshots)
    never blocks the sign-in."""

    def __init__(self, closed: threading.Event, initial: State = State.STARTING) -> None:
        self.lock = threading.RLock()
        self.settled = threading.Event()  # a state in SETTLED was reached (or the window closed)
        self._closed = closed
        self._state = initial
        self._generation = 0
        self._listeners: list[Callable[[str, dict[str, Any]], None]] = []
        self._events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()

    @property
    def state(self) -> State:
        return self._state

    @property
    def generation(self) -> int:
        return self._generation

    def start_in(self, state: State) -> None:
        """The state the window opens in (before any episode)."""
        self._state = state
        if state in SETTLED:
            self.settled.set()

    def begin(self, state: State) -> int:
        """Start a new episode in `state`: every loop of the previous one stops."""
        with self.lock:
            self._generation += 1
            self._state = state
            gen = self._generation
        self.emit(state, {})
        return gen

    def interrupt(self) -> int:
        """Stop every loop of the current episode and go on in a new one, in the same state and
        without announcing it (the caller says what happened next); returns the new episode."""
        with self.lock:
            self._generation += 1
            return self._generation

    def current(self, gen: int) -> bool:
        return gen == self._generation and not self._closed.is_set()

    def change(self, gen: int, state: State, info: dict[str, Any]) -> bool:
        """Move episode `gen` to `state`; False (and nothing changes) when that episode is over."""
        with self.lock:
            if not self.current(gen):
                return False
            self._state = state
        if state in SETTLED:
            self.settled.set()
        _log.info("window state: %s", state)
        self.emit(state, info)
        return True

    def end(self) -> None:
        """The window closed: stop every loop, tell the listeners last."""
        with self.lock:
            self._generation += 1
        self.settled.set()
        self.emit("closed", {})

    # -- listeners

    def add_listener(self, listener: Callable[[str, dict[str, Any]], None]) -> None:
        self._listeners.append(listener)

    def emit(self, state: str, info: dict[str, Any]) -> None:
        self._events.put((state, info))

    def dispatch(self) -> None:
        """The dispatcher thread's loop; returns after "closed"."""
        while True:
            state, info = self._events.get()
            for listener in list(self._listeners):
                try:
                    listener(str(state), info)
                except Exception:
                    _log.exception("state listener failed")
            if state == "closed":
                return
