"""rocketchat-launcher: opens the organization's Rocket.Chat in a desktop window, already signed in."""

from __future__ import annotations

from importlib import metadata as _metadata

APP_NAME = "rocketchat-launcher"

try:
    __version__ = _metadata.version(APP_NAME)
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["APP_NAME", "__version__"]
