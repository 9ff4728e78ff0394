"""Waiting out a short rate limit when nobody is waiting at the form.

At 9:00 a whole office shares one address and one rate limit: an unattended sign-in (a start, not a
typed one) waits as the server's ``Retry-After`` / ``X-RateLimit-Reset`` says, when that is at most
MAX_BACKOFF_S away, up to BACKOFF_TRIES times, with a little spread so the office does not come back
at the same instant. A person who typed a password gets the refusal at once instead.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import TypeVar

from launcher.errors import RateLimited

__all__ = ["BACKOFF_TRIES", "MAX_BACKOFF_S", "patiently"]

log = logging.getLogger("launcher.signin.flow")

MAX_BACKOFF_S = 30.0  # the longest announced wait an unattended sign-in sits out (seconds)
BACKOFF_TRIES = 2
T = TypeVar("T")


def patiently(unattended: bool, call: Callable[[], T], sleep: Callable[[float], None]) -> T:
    """``call()``; when `unattended`, a RateLimited that names a short enough wait is waited out with
    `sleep` and the call made again."""
    tries = 0
    while True:
        try:
            return call()
        except RateLimited as error:
            tries += 1
            wait = error.retry_after
            if not unattended or wait is None or wait > MAX_BACKOFF_S or tries > BACKOFF_TRIES:
                raise
            wait += random.uniform(0.0, min(1.0, wait / 2 + 0.1))  # noqa: S311 - spread, not a secret
            log.info("rate-limited by %s; trying again in %.1f s", error.server, wait)
            sleep(wait)
