"""What the desktop parts need from the window, declared once: the shell implements it, and the
desktop tests' fake does too. Keeping this small is the point: the desktop code never reaches into
the shell's private state, and never asks which web engine runs (it talks to `engine`)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from launcher.config.settings import Settings
    from launcher.paths import Paths
    from launcher.window.engines.base import Engine
    from launcher.window.states import State

__all__ = ["WindowHost"]


class WindowHost(Protocol):
    settings: Settings  # the desktop_* switches and the network settings
    organization: str
    rc_url: str
    rc_origin: str
    start_minimized: bool
    paths: Paths
    closed: threading.Event  # set once the window is gone

    @property
    def engine(self) -> Engine | None: ...  # None until the window is being created
    @property
    def state(self) -> State: ...
    @property
    def exiting(self) -> bool: ...  # an exit was requested: closing must not hide to the tray

    def evaluate(self, script: str, timeout: float = 5.0) -> Any: ...
    def set_title(self, title: str) -> None: ...
    def commands_work(self) -> bool: ...
    def load_rocketchat(self, path: str) -> None: ...
    def reload(self) -> None: ...
    def sign_out(self) -> None: ...
    def request_exit(self, code: int, reason: str) -> None: ...
