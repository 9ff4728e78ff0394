"""Rendering the effective settings for the ``config`` command."""

from __future__ import annotations

import json
from typing import Any

from launcher.config.layers import DEFAULT_SOURCE
from launcher.config.schema import KEYS
from launcher.config.settings import Settings

__all__ = ["format_locks", "format_settings"]


def format_settings(settings: Settings) -> str:
    """The effective settings as TOML-like lines, each with the layer it came from (``config`` command);
    a key the administrator locked says so."""
    width = max(len(key) for key in KEYS)
    lines = []
    for key in KEYS:
        value = settings.values.get(key)
        shown = "(not set)" if value is None or value == "" else _toml_value(value)
        source = settings.sources.get(key, DEFAULT_SOURCE)
        lock = settings.locks.get(key)
        if lock is not None:
            source += " (locked)" if lock == source else f" (locked by {lock})"
        lines.append(f"{key.ljust(width)} = {shown}    # {source}")
    return "\n".join(lines)


def format_locks(settings: Settings) -> str:
    """The user settings that were ignored because of a lock, one per line ("" when none)."""
    if not settings.warnings:
        return ""
    return "\n".join(["Ignored settings:", *(f"  {w}" for w in settings.warnings)])


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)
