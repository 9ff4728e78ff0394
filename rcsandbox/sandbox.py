"""`Sandbox`: a running Rocket.Chat stand-in on 127.0.0.1 plus the handles tests drive it with.

State (users, tokens, events, settings) lives in the handle, so `stop()`/`start()` is Rocket.Chat going down
and coming back on the same port with its database intact.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any

from .app import create_app
from .background import BackgroundServer
from .config import ConfigError, SandboxConfig, SandboxUser, check_version
from .ratelimit import route_key
from .sidedoor import change_password, post_message, revoke_sessions
from .state import LOGIN_ROUTE, SandboxState
from .store import UserRecord

__all__ = ["Sandbox"]


class Sandbox:
    """In-process sandbox. `with Sandbox(cfg) as rc:` returns once it answers HTTP."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: tuple[str | os.PathLike[str], str | os.PathLike[str]] | None = None,
    ) -> None:
        """`tls=(cert_file, key_file)` (PEM) serves HTTPS: `url` and `origin` become https://127.0.0.1:PORT."""
        self.config = config or SandboxConfig()
        self.state = SandboxState(self.config)
        self.app = create_app(self.state)
        if tls is not None:
            for path in tls:
                if not os.path.isfile(path):
                    raise ConfigError(
                        f"TLS file {os.fspath(path)!r} does not exist; pass (cert_file, key_file)."
                    )
        self._server = BackgroundServer(self.app, host=host, port=port, tls=tls)

    # lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def running(self) -> bool:
        return self._server.running

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """ "http://127.0.0.1:PORT" plus the path prefix ("…/chat"), no trailing slash (valid once started)."""
        return self._server.url + self.config.path_prefix

    @property
    def origin(self) -> str:
        """ "http://127.0.0.1:PORT": the page's origin, without the path prefix."""
        return self._server.url

    @property
    def port(self) -> int:
        return self._server.port

    # knobs -----------------------------------------------------------------------------------------------
    def set_setting(self, name: str, value: Any) -> None:
        """Change a Rocket.Chat setting; pages read settings at start, so reload to see it (ConfigError if unknown)."""
        self.state.set_setting(name, value)

    def setting(self, name: str) -> Any:
        return self.state.setting(name)

    def set_client_start_delay(self, seconds: float) -> None:
        self.state.client_start_delay = _seconds("client_start_delay", seconds)

    def set_latency(self, seconds: float) -> None:
        self.state.latency = _seconds("latency", seconds)

    def set_version(self, version: str) -> None:
        """Play another Rocket.Chat version ("6.13.0"): `/api/info`, `settings.public`'s mode, the page's events."""
        check_version(version)
        self.state.version = version

    def record_requests(self, on: bool = True) -> None:
        """Log every request as a `request` event (method, path without its query, ip, User-Agent's start)."""
        self.state.record_requests = bool(on)

    def set_resume_delay(self, seconds: float) -> None:
        """Delay the page's resume logins by `seconds`, as Rocket.Chat's DDP connect does (0: none)."""
        self.state.resume_delay = _seconds("resume_delay", seconds)

    def redirect_home_to(self, origin: str | None) -> None:
        """Redirect every `/home` request, query included, to `origin` (None: serve it again)."""
        self.state.home_redirect = origin.rstrip("/") if origin else None

    def set_create_tokens_secret(self, secret: str | None) -> None:
        self.state.create_tokens_secret = secret

    def set_login_rate_limit(self, limit: int, window: float | None = None) -> None:
        """New limit (and window) for `/api/v1/login`; counting starts afresh."""
        current_window = self.state.limiter.rule(LOGIN_ROUTE)[1]
        self.set_rate_limit(LOGIN_ROUTE, limit, current_window if window is None else window)

    def set_rate_limit(self, route: str, limit: int, window: float) -> None:
        """Calls per `window` seconds and client IP for one REST route ("/api/v1/me", "/api/info").

        Limit 0 refuses every call (429 until the window ends, then again). Counting starts afresh.
        """
        if route_key(route) != route:
            raise ConfigError(f"{route!r} is not a REST route; use a path like '/api/v1/me' or '/api/info'.")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ConfigError("A rate limit is a whole number of calls, 0 or more.")
        self.state.limiter.set_rule(route, limit, _seconds("window", window))

    def set_iframe_token(self, token: str, username: str) -> None:
        """Let `{iframe: true, token}` log `username` in, as a user with that `services.iframe.token`."""
        self.state.iframe_tokens[token] = username

    # data ------------------------------------------------------------------------------------------------
    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The side-door log: dicts with "kind", "time" (epoch seconds) and details, never a token."""
        return self.state.store.events(kind)

    def user_id(self, username: str) -> str | None:
        user = self.state.store.by_username(username)
        return user.id if user else None

    def add_user(self, user: SandboxUser) -> str:
        if self.state.store.by_username(user.username) is not None:
            raise ConfigError(f"Sandbox user {user.username!r} exists already; pick another username.")
        return self.state.store.add_user(user).id

    def login_token(self, username: str) -> tuple[str, str]:
        """Mint a token as `users.createToken` would; returns (user_id, token)."""
        user = self._user(username)
        token, _ = self.state.store.issue_token(user)
        self.state.store.record("token-issued", user_id=user.id, username=user.username, by="sandbox")
        return user.id, token

    def expire_tokens(self, username: str) -> None:
        """Age every token of `username` past `Accounts_LoginExpiration` (resume logins then fail)."""
        user = self._user(username)
        self.state.store.backdate_tokens(user, self.state.expiration_seconds() + 1.0)

    def revoke_sessions(self, username: str) -> int:
        """An admin's "log out this user from all sessions": every token goes; returns how many.

        A page signed in as the user finds out at its next update poll and shows the login form.
        """
        self._user(username)
        return revoke_sessions(self.state, username)

    def change_password(self, username: str, new: str) -> None:
        """Set a new password; like Rocket.Chat, this ends the user's sessions (every token goes)."""
        self._user(username)
        if not isinstance(new, str) or not new:
            raise ConfigError("The new password must be a non-empty string.")
        change_password(self.state, username, new)

    def post_message(
        self,
        username: str,
        text: str,
        sender: str = "rocket.cat",
        room: str = "general",
        alert_only: bool = False,
    ) -> str:
        """Deliver a message to `username`'s unread count; returns the message id. `alert_only`: the room
        turns unread without a count (the page's `unread-changed-by-subscription` shows it)."""
        return post_message(self.state, username, text, sender, room, alert_only).id

    def _user(self, username: str) -> UserRecord:
        user = self.state.store.by_username(username)
        if user is None:
            raise ConfigError(f"No sandbox user {username!r}; add it to SandboxConfig.users.")
        return user


def _seconds(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{name} must be a number of seconds, 0 or more.")
    return float(value)
