"""rocketchat-launcher: opens the organization's Rocket.Chat in a desktop window, already signed in."""

from __future__ import annotations

import sys as _sys
from importlib import metadata as _metadata

# httpx/__init__ does `try: from ._main import main except ImportError`, and httpx._main imports its
# command-line client's click, pygments and rich whenever they are installed (uvicorn brings click, so
# they usually are): about 10 MB and 50 ms in the window's process for a CLI it never runs. A None entry
# makes that import fail cleanly (httpx then only lacks `httpx.main`). Set before any launcher module
# imports httpx; it changes nothing if httpx was imported already.
_sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

APP_NAME = "rocketchat-launcher"

try:
    __version__ = _metadata.version(APP_NAME)
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["APP_NAME", "__version__"]
