"""What the Shell needs from the parts app.py hands it, declared here so the Shell imports none of them.

The sign-in controller (launcher/window/signin_controller.py), the person's requests
(launcher/window/signin_form.py), the desktop (launcher/desktop/integration.py) and the link opener
(launcher/window/open_link.py) implement these; the Shell only calls them at the window's moments
(opened, first page loaded, a load failed, closing, closed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

__all__ = ["DesktopPart", "LinksPart", "SignInPart"]


class SignInPart(Protocol):
    def first_page(self) -> str: ...  # the URL the window opens on (and the state it starts in)
    def page_opened(self) -> None: ...  # the window exists, its first URL is loading
    def start(self) -> None: ...  # on the worker, once the first page loaded (or WORKER_AFTER_S)
    def token_link_refused(self) -> None: ...  # the window refused a link carrying a sign-in token
    def page_load_failed(self, url: str) -> None: ...
    def commands_work(self) -> bool: ...
    def wipe_at_exit(self) -> bool: ...  # leave no web session behind ("keep me signed in" was off)


class DesktopPart(Protocol):
    def start_hidden(self) -> bool: ...  # --start-minimized, with a tray to open the window again
    def on_closing(self) -> bool: ...  # False keeps the window (it went to the tray)
    def start(self) -> None: ...  # on a thread of its own once the window settled; returns at close
    def close(self) -> None: ...
    def bring_forward(self) -> None: ...
    def notify_file(self, title: str, body: str, open_path: Path | None) -> None: ...


class LinksPart(Protocol):
    def open(self, route: str, *, bring_forward: bool = True) -> bool: ...
