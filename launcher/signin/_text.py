"""Short, one-line renderings of exceptions for the launcher's user-facing error sentences."""

from __future__ import annotations

__all__ = ["short_error"]


def short_error(exc: BaseException, limit: int) -> str:
    """``str(exc)`` (or the exception's type name when that is empty), cut to ``limit`` characters."""
    text = str(exc) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
