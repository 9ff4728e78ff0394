"""Which web engine pywebview picked, and whether Rocket.Chat can run in it.

pywebview falls back silently: on Windows without the WebView2 runtime it uses Internet Explorer
(mshtml), where Rocket.Chat does not run at all. We refuse such a renderer with a message
that tells the user what to install, instead of showing a broken window.
See docs/platform-notes.md#pywebview-renderer-selection.
"""

from __future__ import annotations

import sys

# Renderers Rocket.Chat's web client runs in, per platform (pywebview's `renderer` names).
_SUPPORTED = {
    "linux": {"qtwebengine", "gtkwebkit2"},
    "win32": {"edgechromium"},
    "darwin": {"cocoa"},
}

_WEBVIEW2_URL = "https://developer.microsoft.com/microsoft-edge/webview2/"


def renderer_problem(renderer: str | None, platform: str | None = None) -> str | None:
    """Return a one-sentence reason to refuse `renderer` on `platform`, or None when it is fine."""
    platform = platform or sys.platform
    key = "win32" if platform.startswith("win") else "darwin" if platform == "darwin" else "linux"
    if renderer in _SUPPORTED[key]:
        return None
    if key == "win32":
        if renderer == "mshtml":
            return (
                "This computer has no Microsoft Edge WebView2 runtime, so only Internet Explorer is "
                f"available and Rocket.Chat cannot run in it: install WebView2 from {_WEBVIEW2_URL} "
                "and start the launcher again."
            )
        return (
            f"The web engine '{renderer}' cannot show Rocket.Chat: install the Microsoft Edge WebView2 "
            f"runtime from {_WEBVIEW2_URL} and start the launcher again."
        )
    if key == "darwin":
        return f"The web engine '{renderer}' cannot show Rocket.Chat: reinstall the launcher (it needs WKWebView)."
    return (
        f"The web engine '{renderer}' cannot show Rocket.Chat: install the Qt WebEngine packages "
        "(pip install PyQt6-WebEngine, or your distribution's libqt6webengine) and start again."
    )


def backend_problem(error: BaseException) -> str:
    """Turn a failure to load the GUI backend into a sentence naming the package to install."""
    text = f"{type(error).__name__}: {error}"
    lowered = text.lower()
    if sys.platform.startswith("win"):
        if "pythonnet" in lowered or "clr" in lowered:
            return "The window cannot open because pythonnet is missing: pip install pythonnet, then start again."
        return f"The window cannot open ({text}): reinstall the launcher, then start again."
    if sys.platform == "darwin":
        return "The window cannot open because PyObjC is missing: pip install pyobjc, then start again."
    if "qtpy" in lowered or "qt bindings" in lowered or "pyqt6" in lowered:
        return (
            "The window cannot open because the Qt bindings are missing: "
            "pip install PyQt6 PyQt6-WebEngine qtpy, then start again."
        )
    if ".so" in lowered or "libxcb" in lowered or "cannot open shared object" in lowered:
        return (
            f"The window cannot open because a system library is missing ({error}): "
            "run scripts/install-system-deps.sh (or install your distribution's Qt 6 runtime libraries)."
        )
    if "qt or gtk" in lowered or "qt" in lowered:
        return (
            "The window cannot open because Qt WebEngine could not be loaded: "
            "pip install PyQt6 PyQt6-WebEngine qtpy and run scripts/install-system-deps.sh, then start again."
        )
    return f"The window cannot open ({text}): reinstall the launcher, then start again."
