"""Dotted-path lookup into decoded JSON, for configurable response layouts ("data.authToken")."""

from __future__ import annotations

from typing import Any

__all__ = ["MISSING", "lookup"]

MISSING: Any = object()


def lookup(document: Any, path: str) -> Any:
    """Return the value at ``path`` ("a.b.0.c") in ``document``, or ``MISSING`` when any step is absent."""
    current = document
    for step in path.split("."):
        if isinstance(current, dict):
            if step not in current:
                return MISSING
            current = current[step]
        elif isinstance(current, list) and step.isdigit():
            index = int(step)
            if index >= len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    return current
