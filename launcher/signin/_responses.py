"""Shared handling of HTTP answers that are errors for every server the launcher talks to."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from launcher.errors import RateLimited, UnexpectedResponse

__all__ = ["capitalized", "host_of", "rate_limited", "said_by_server", "server_message", "unexpected_status"]


def host_of(url: str) -> str:
    return urlsplit(url).netloc.rsplit("@", 1)[-1]


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def server_message(document: dict[str, Any] | None) -> str | None:
    """The human text of an error body (``message`` or ``error``), shortened, or None."""
    if not document:
        return None
    for key in ("message", "error"):
        value = document.get(key)
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            return text if len(text) <= 160 else text[:157] + "..."
    return None


def said_by_server(document: dict[str, Any] | None) -> str:
    """The server's own words for the end of a sentence: " (<its message>)", or "" when it gave none."""
    detail = server_message(document)
    return f" ({detail})" if detail else ""


def retry_after_seconds(response: httpx.Response, document: dict[str, Any] | None) -> float | None:
    """Seconds to wait, from ``Retry-After``, a ``retry_after`` field, ``X-RateLimit-Reset`` (epoch ms)
    or Rocket.Chat's "You must wait N seconds" text."""
    header = response.headers.get("retry-after")
    if header and header.strip().isdigit():
        return float(header)
    if document and isinstance(document.get("retry_after"), int | float):
        return float(document["retry_after"])
    reset = response.headers.get("x-ratelimit-reset")
    if reset and reset.strip().isdigit():
        return max(0.0, int(reset) / 1000.0 - time.time())
    text = server_message(document) or ""
    match = re.search(r"wait (\d+) seconds", text)
    return float(match.group(1)) if match else None


def rate_limited(response: httpx.Response, document: dict[str, Any] | None, *, server: str) -> RateLimited:
    url = str(response.request.url)
    wait = retry_after_seconds(response, document)
    when = f"wait {max(1, round(wait))} seconds" if wait is not None else "wait a minute"
    return RateLimited(
        f"{capitalized(server)} at {host_of(url)} is refusing more attempts for now (HTTP 429); {when} and "
        "try again.",
        server=server,
        url=url,
        retry_after=wait,
    )


def unexpected_status(
    response: httpx.Response, document: dict[str, Any] | None, *, server: str, doing: str
) -> UnexpectedResponse:
    url = str(response.request.url)
    said = said_by_server(document)
    advice = (
        "try again later, or ask IT if it persists"
        if response.status_code >= 500
        else "check the configuration or ask IT"
    )
    return UnexpectedResponse(
        f"{capitalized(server)} at {host_of(url)} answered HTTP {response.status_code} when {doing}{said}; "
        f"{advice}.",
        server=server,
        url=url,
        kind=f"http-{response.status_code}",
    )
