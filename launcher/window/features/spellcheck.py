"""Spell check: which languages, and where their dictionaries are.

Qt WebEngine reads Chromium's `.bdic` dictionaries from the folder named by QTWEBENGINE_DICTIONARIES_PATH
(read once, when the engine starts). The bundle ships them in `qtwebengine_dictionaries/` beside the
program; a source checkout uses `build/dictionaries/` (`make dictionaries` converts Debian's Hunspell
dictionaries). So spell check works offline, with no download at first use.
"""

from __future__ import annotations

import locale
import os
import sys
from pathlib import Path

__all__ = ["available", "dictionaries_dir", "languages", "use_dictionaries"]

_REPO_DICTIONARIES = Path(__file__).resolve().parents[3] / "build" / "dictionaries"
_ENV = "QTWEBENGINE_DICTIONARIES_PATH"


def dictionaries_dir() -> Path | None:
    """The folder with the `.bdic` files: the bundle's, else the source tree's build (None: neither)."""
    frozen = getattr(sys, "_MEIPASS", None)
    candidates = [Path(frozen) / "qtwebengine_dictionaries"] if frozen else []
    candidates.append(_REPO_DICTIONARIES)
    return next((folder for folder in candidates if folder.is_dir()), None)


def use_dictionaries() -> Path | None:
    """Point Qt WebEngine at the dictionaries (before the engine starts); the folder used, or None."""
    if os.environ.get(_ENV):
        return Path(os.environ[_ENV])
    folder = dictionaries_dir()
    if folder is not None:
        os.environ[_ENV] = str(folder)
    return folder


def available(folder: Path | None) -> set[str]:
    """The languages that have a dictionary ("en-US", ...)."""
    if folder is None or not folder.is_dir():
        return set()
    return {path.stem for path in folder.glob("*.bdic")}


def languages(
    configured: tuple[str, ...] | list[str], have: set[str], system: str | None = None
) -> list[str]:
    """The configured languages that have a dictionary; with none configured, the system's language
    (its exact region first, else any dictionary of that language), else English."""
    if configured:
        return [tag for tag in configured if tag in have]
    tag = (system if system is not None else _system_language()).replace("_", "-")
    if tag in have:
        return [tag]
    base = tag.split("-")[0]
    same_language = sorted(name for name in have if name.split("-")[0] == base)
    if same_language:
        return same_language[:1]
    return ["en-US"] if "en-US" in have else sorted(have)[:1]


def _system_language() -> str:
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return value.split(".")[0]
    found = locale.getlocale()[0]
    return found or "en-US"
