"""What both notification backends are (`Notifier`) and how they refuse to start (`NotifierUnavailable`).

Its own module so the backends import it from where it is defined, not through the package that picks
them (that would be an import circle)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from launcher.desktop.notifications import Notification

__all__ = ["Notifier", "NotifierUnavailable"]


class NotifierUnavailable(Exception):
    """The system will not show this process's notifications; str() says why."""


class Notifier(Protocol):
    def show(self, note: Notification, image_path: str | None = None) -> Any: ...
    def inhibited(self) -> bool: ...
    def close(self) -> None: ...
