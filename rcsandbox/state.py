"""The live state one sandbox app serves: store, settings, knobs. Shared by the routes and `Sandbox`."""

from __future__ import annotations

import threading
import time
from typing import Any

from .config import SandboxConfig, check_setting
from .ratelimit import LOGIN_ROUTE, UNLIMITED, RateLimiter
from .store import Store, StoredToken

__all__ = ["LOGIN_ROUTE", "SandboxState"]

_DAY = 86400.0
_DEFAULT_EXPIRATION_DAYS = 90.0


class SandboxState:
    """Settings and knobs may change while the server runs (tests flip them); reads take the lock."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = Store(config.users)
        rest_limit = UNLIMITED if config.rest_rate_limit is None else config.rest_rate_limit
        self.limiter = RateLimiter(rest_limit, config.rest_rate_window)
        self.limiter.set_rule(LOGIN_ROUTE, config.login_rate_limit, config.login_rate_window)
        self.create_tokens_secret = config.create_tokens_secret
        self.iframe_tokens = dict(config.iframe_tokens)
        self.client_start_delay = float(config.client_start_delay)
        self.latency = float(config.latency)
        self.resume_delay = float(config.resume_delay)
        self.record_requests = config.record_requests  # requestlog.py
        self.version = config.version  # the Rocket.Chat version played (versions.py); Sandbox.set_version
        # A misconfigured reverse proxy (or Site URL) in front of Rocket.Chat: `/home` is redirected,
        # query and all, to this origin. None: no redirect.
        self.home_redirect: str | None = None
        self.uploads: dict[str, dict[str, Any]] = {}  # rooms.media file id -> what arrived (uploads.py)
        self._settings = config.initial_settings()
        self._lock = threading.Lock()

    def setting(self, name: str) -> Any:
        with self._lock:
            return self._settings[name]

    def settings(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._settings)

    def set_setting(self, name: str, value: Any) -> None:
        check_setting(name, value)
        with self._lock:
            self._settings[name] = value

    def expiration_seconds(self) -> float:
        """`Accounts_LoginExpiration` in seconds; 90 days for 0, negative or non-numbers.

        Fractions of a day are allowed so tests can watch a token expire in seconds.
        """
        days = self.setting("Accounts_LoginExpiration")
        if isinstance(days, bool) or not isinstance(days, int | float) or not days > 0:
            days = _DEFAULT_EXPIRATION_DAYS
        return float(days) * _DAY

    def token_expires(self, stored: StoredToken) -> float:
        return stored.when + self.expiration_seconds()

    def token_expired(self, stored: StoredToken) -> bool:
        return time.time() >= self.token_expires(stored)
