"""What the launcher needs from a web engine, in one interface; `engines/qt.py` and `engines/generic.py`
implement it.

Why one interface: Qt WebEngine (Linux) lets the launcher hook every navigation, run scripts at
document start and hear the page's console, while WebView2 and WKWebView are reached only through
pywebview's portable calls. Each engine family answers the same questions its own way, so the shell and
the desktop parts never ask which engine runs.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launcher.origins import origin_of
from launcher.window.features.options import FeatureOptions
from launcher.window.navigation import TokenLoadAllowance
from launcher.window.place import WindowState

__all__ = ["Engine", "PageHooks", "replace_bridge_dispatcher"]


@dataclass
class PageHooks:
    """What the shell asks of every page, set once before the window exists.

    `on_load_finished(url, ok)` follows each top-level load; `on_external(url)` gets links that leave
    the window; `back_to_rocketchat()` is called when a page of another origin got into the window
    anyway (engines without a navigation hook); `on_wake(what)` hears cover.js's console marker;
    `bridge_call(window, name, params, call_id)` replaces pywebview's own dispatcher for every call a
    page makes through `window.pywebview` (see launcher/window/bridge.py); `certificate_error` decides
    on a server certificate the engine doubted.
    """

    rc_origin: str
    cover_source: str
    desktop_source: str
    cache_dir: Path
    on_load_finished: Callable[[str, bool], None]
    on_external: Callable[[str], None]
    back_to_rocketchat: Callable[[], None]
    on_wake: Callable[[str], None]
    wake_marker: str
    bridge_call: Callable[[Any, str, Any, str], None]
    #: `certificate_error(url, chain_der, authority_invalid, description)`: True lets the engine use a
    #: chain it doubted (launcher/window/page_trust.py decides); engines that check certificates
    #: against the OS store themselves never call it.
    certificate_error: Callable[[str, list[bytes], bool, str], bool]
    #: `network.proxy` for the page as well (None: the system's proxy settings).
    proxy: str | None
    #: Downloads, permissions, spell check, pop-ups (engines that have the hooks for them use it).
    features: FeatureOptions
    #: The one Rocket.Chat URL with a sign-in token the launcher itself is about to load (the hand-off);
    #: every other such URL is refused (navigation.refuses_token_link).
    token_loads: TokenLoadAllowance = field(default_factory=TokenLoadAllowance)


class Engine(ABC):
    """One web engine behind pywebview. Methods never raise for a window that is gone: they return
    None/False, since a closing window is normal and not worth a traceback."""

    #: pywebview's `gui` argument for webview.start (None: pywebview picks the platform's own).
    gui: str | None = None
    #: How often the sign-in loops read the page when nothing woke them (seconds).
    poll_interval_s: float = 0.1

    # -- before the window exists --------------------------------------------------------------------

    @abstractmethod
    def prepare(self, hooks: PageHooks, storage_dir: Path) -> None:
        """Put the page hooks and the persistent profile in place; called before webview.start()."""

    @abstractmethod
    def window_options(
        self, saved: WindowState | None, default_size: tuple[int, int], start_hidden: Callable[[], bool]
    ) -> dict[str, Any]:
        """Keyword arguments for webview.create_window: where the window opens (`saved`, fitted on
        today's screens), and hidden when `start_hidden()` says so. It is a callable because the answer
        (is there a tray to open the window from?) may need the toolkit running: engines ask it when
        they can."""

    @abstractmethod
    def attach(self, window: Any) -> None:
        """Follow the pywebview window just created (its events, its place)."""

    def before_show(self, window: Any) -> None:
        """pywebview's before_show, on the UI thread: the last moment to place the window."""
        return None  # nothing to do unless the engine says otherwise

    def shown(self) -> None:
        """The window is on screen (a worker thread)."""
        return None  # nothing to do unless the engine says otherwise

    # -- the page --------------------------------------------------------------------------------------

    @abstractmethod
    def current_url(self) -> str | None:
        """The URL of the page the window shows now."""

    @abstractmethod
    def run_js(self, script: str, timeout: float = 5.0) -> Any:
        """Evaluate `script` in the page; its JSON-able result, or None (also on timeout)."""

    def run_js_on(self, origin: str, script: str, timeout: float = 5.0) -> Any:
        """Run a script that carries a secret (the sign-in token): only while the window shows `origin`,
        checked here before the script leaves Python, and by a path the page's own JavaScript cannot
        hook. None when the window shows another origin, and on timeout."""
        url = self.current_url()
        try:
            if not url or origin_of(url) != origin:
                return None
        except ValueError:
            return None
        return self._run_js_unhooked(script, timeout)

    def _run_js_unhooked(self, script: str, timeout: float) -> Any:
        """`run_js` where the engine evaluates natively (Qt's runJavaScript: no page function sees it)."""
        return self.run_js(script, timeout=timeout)

    def set_document_script(self, source: str) -> None:
        """Replace the cover script that runs at document start, for the next loads (where supported)."""
        return None  # nothing to do unless the engine says otherwise

    @abstractmethod
    def delete_cookies(self) -> None:
        """Forget every cookie of the window's profile."""

    # -- the native window -------------------------------------------------------------------------------

    def on_ui_thread(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run `fn` where the window's toolkit wants it; its result (None on timeout)."""
        return fn()

    @abstractmethod
    def bring_forward(self) -> None:
        """Show, un-minimize, raise and focus the window."""

    @abstractmethod
    def hide(self) -> None:
        """Hide the window (to the tray)."""

    def is_active(self) -> bool:
        """Whether the window is visible and has the focus (False when the engine cannot tell)."""
        return False

    @abstractmethod
    def place(self) -> WindowState | None:
        """The window's place now, to restore at the next start (None when unknown)."""

    def forget_permissions(self) -> int:
        """Forget the remembered microphone/camera/screen answers; how many there were."""
        return 0  # engines without their own permission prompts remember nothing

    def install_shortcuts(self, reload: Callable[[], None]) -> None:
        """Keyboard shortcuts the engine's web view lacks (zoom, find, reload)."""
        return None  # nothing to do unless the engine says otherwise

    def screenshot(self, path: Path) -> bool:
        """Save what the window shows as PNG (False where the engine cannot): the recorder's pictures
        (launcher/window/recorder.py), for the bundle test and the demo."""
        return False


def replace_bridge_dispatcher(call: Callable[[Any, str, Any, str], None]) -> None:
    """Make `call` the function every pywebview platform hands a page's bridge calls to.

    pywebview's own (`webview.util.js_bridge_call`) resolves any dotted name with getattr, underscore
    names included. The platform modules import it by name when they load (in webview.start), so it is
    replaced at its source and in every platform module already loaded."""
    import webview.util

    webview.util.js_bridge_call = call
    for name, module in list(sys.modules.items()):
        if name.startswith("webview.platforms.") and hasattr(module, "js_bridge_call"):
            module.js_bridge_call = call
