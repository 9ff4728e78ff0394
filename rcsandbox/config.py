"""What a sandbox starts with: users, the createToken secret, settings, timing knobs.

Built directly in tests (dataclasses) or loaded from a TOML file by the CLI. Setting defaults are Rocket.Chat's
(docs/rocketchat-contract.md#settings), so a sandbox with no options behaves like a fresh server.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_SETTINGS",
    "PUBLIC_SETTINGS",
    "ConfigError",
    "SandboxConfig",
    "SandboxUser",
    "check_path_prefix",
    "check_setting",
    "load_config",
    "parse_setting",
]


_VERSION_RE = re.compile(r"^\d+\.\d+(\.\d+)?$")
# ROOT_URL's path: "/chat" or "/a/b"; segments of letters, digits, "-", "_" and ".", no trailing slash.
_PREFIX_RE = re.compile(r"^(/[A-Za-z0-9._-]+)+$")


class ConfigError(ValueError):
    """A sandbox option or config file is unusable; the message says which and how to fix it."""


# Rocket.Chat's defaults (docs/rocketchat-contract.md#settings). Every one of these is `public: true`
# in Rocket.Chat, so settings.public serves them.
PUBLIC_SETTINGS: dict[str, Any] = {
    "Iframe_Integration_send_enable": False,
    "Iframe_Integration_send_target_origin": "*",
    "Iframe_Integration_receive_enable": False,
    "Iframe_Integration_receive_origin": "*",
    "Accounts_iframe_enabled": False,
    "Accounts_iframe_url": "",
    "Accounts_Iframe_api_url": "",
    "Accounts_Iframe_api_method": "POST",
    "Accounts_LoginExpiration": 90,
}
# Not public in Rocket.Chat; they change server behaviour only (docs/rocketchat-contract.md#settings).
# `Custom_Script_Logged_In` is the admin's "Custom Script for Logged In Users" (Layout > Custom Scripts):
# Rocket.Chat serves it inside its own script, run on each `Custom_Script_Logged_In` event (webclient.py).
# Tests use it to play a hostile script on Rocket.Chat's origin; empty (no script) by default.
_PRIVATE_SETTINGS: dict[str, Any] = {
    "API_Enable_Rate_Limiter": True,
    "Enable_CSP": True,
    "Custom_Script_Logged_In": "",
}
DEFAULT_SETTINGS: dict[str, Any] = {**PUBLIC_SETTINGS, **_PRIVATE_SETTINGS}


@dataclass
class SandboxUser:
    """A seeded account. `roles` decide permissions: "admin" may create users and tokens for others."""

    username: str
    password: str
    name: str = ""
    email: str = ""
    roles: list[str] = field(default_factory=lambda: ["user"])

    def __post_init__(self) -> None:
        if not isinstance(self.username, str) or not self.username:
            raise ConfigError("Every sandbox user needs a non-empty username.")
        if not isinstance(self.password, str) or not self.password:
            raise ConfigError(f"Sandbox user {self.username!r} needs a non-empty password.")
        self.name = self.name or self.username
        self.email = self.email or f"{self.username}@example.com"
        self.roles = list(self.roles)


DEFAULT_ADMIN = SandboxUser(
    username="admin",
    password="admin-pw",  # noqa: S106 - documented test account
    name="Sandbox Admin",
    email="admin@example.com",
    roles=["admin"],
)


@dataclass
class SandboxConfig:
    """Everything a sandbox starts with. `settings` overrides Rocket.Chat's defaults."""

    users: list[SandboxUser] = field(default_factory=list)
    create_tokens_secret: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    client_start_delay: float = 1.0
    login_rate_limit: int = 10
    login_rate_window: float = 60.0
    # Every other REST route (and /api/info), each counted on its own per client IP. None: counted (the
    # X-RateLimit-* headers are sent) but never refused; Rocket.Chat's default would be 10 per 60 s.
    rest_rate_limit: int | None = None
    rest_rate_window: float = 60.0
    latency: float = 0.0
    # `{iframe: true, token}` logins: opaque token -> username. Empty = such logins fail, as in RC
    # when no user has `services.iframe.token`.
    iframe_tokens: dict[str, str] = field(default_factory=dict)
    version: str = "8.0.0"
    # Seconds before a web-client resume login is answered: Rocket.Chat's DDP connect time.
    resume_delay: float = 0.0
    # Every request becomes a `request` event (method, path without query, ip, User-Agent): proxy tests.
    record_requests: bool = False
    # The path of Rocket.Chat's ROOT_URL ("/chat" for https://example.com/chat): every route, page and file
    # is served under it, and the page's Meteor storage keys are namespaced (docs/rcsandbox.md). "": the root.
    path_prefix: str = ""

    def __post_init__(self) -> None:
        if not any(u.username == DEFAULT_ADMIN.username for u in self.users):
            self.users = [DEFAULT_ADMIN, *self.users]
        names = [u.username for u in self.users]
        if len(set(names)) != len(names):
            raise ConfigError("Sandbox usernames must be unique; remove the duplicate user.")
        for name, value in self.settings.items():
            check_setting(name, value)
        check_version(self.version)
        check_path_prefix(self.path_prefix)
        if not isinstance(self.record_requests, bool):
            raise ConfigError("record_requests must be true or false.")
        _check_seconds("client_start_delay", self.client_start_delay)
        _check_seconds("latency", self.latency)
        _check_seconds("resume_delay", self.resume_delay)
        _check_seconds("login_rate_window", self.login_rate_window)
        if not isinstance(self.login_rate_limit, int) or self.login_rate_limit < 1:
            raise ConfigError("login_rate_limit must be a whole number of calls, at least 1.")
        _check_seconds("rest_rate_window", self.rest_rate_window)
        if self.rest_rate_limit is not None and (
            not isinstance(self.rest_rate_limit, int)
            or isinstance(self.rest_rate_limit, bool)
            or self.rest_rate_limit < 1
        ):
            raise ConfigError("rest_rate_limit must be a whole number of calls, at least 1 (or unset).")

    def initial_settings(self) -> dict[str, Any]:
        return {**DEFAULT_SETTINGS, **self.settings}


def check_setting(name: str, value: Any) -> None:
    """Refuse unknown names and values of the wrong type, so a typo in a test fails loudly."""
    if name not in DEFAULT_SETTINGS:
        known = ", ".join(sorted(DEFAULT_SETTINGS))
        raise ConfigError(f"Unknown setting {name!r}; use one of: {known}.")
    default = DEFAULT_SETTINGS[name]
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise ConfigError(f"Setting {name!r} must be a {type(default).__name__}, not {value!r}.")


def parse_setting(name: str, text: str) -> Any:
    """A setting value from text (command line): typed by the setting's default, then checked."""
    default = DEFAULT_SETTINGS.get(name)
    value: Any = text
    if isinstance(default, bool):
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise ConfigError(f"Setting {name!r} takes true or false, not {text!r}.")
        value = lowered == "true"
    elif isinstance(default, int):
        try:
            value = float(text) if "." in text else int(text)
        except ValueError:
            raise ConfigError(f"Setting {name!r} takes a number, not {text!r}.") from None
    check_setting(name, value)
    return value


def check_version(version: Any) -> None:
    """A version the stand-in can play: X.Y or X.Y.Z (its major decides the settings mode)."""
    if not isinstance(version, str) or not _VERSION_RE.match(version):
        raise ConfigError(f"version {version!r} is not X.Y.Z (for example 6.13.0 or 8.0.0).")


def check_path_prefix(prefix: Any) -> None:
    """ "" (served at the root) or a path like "/chat": no trailing slash, no query, plain segments."""
    if not isinstance(prefix, str) or (prefix and not _PREFIX_RE.match(prefix)):
        raise ConfigError(f"path_prefix {prefix!r} must be empty or a path like /chat (no trailing slash).")


def _check_seconds(name: str, value: Any) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} must be a number of seconds, 0 or more.")


def load_config(path: Path) -> SandboxConfig:
    """Read a TOML file (see `python -m rcsandbox --help` for its keys)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Cannot read sandbox config {path}: {exc.strerror}; check the path.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Sandbox config {path} is not valid TOML ({exc}); fix the file.") from None
    return config_from_mapping(data, source=str(path))


_TOP_KEYS = {
    "users",
    "create_tokens_secret",
    "settings",
    "client_start_delay",
    "login_rate_limit",
    "login_rate_window",
    "rest_rate_limit",
    "rest_rate_window",
    "latency",
    "iframe_tokens",
    "version",
    "resume_delay",
    "record_requests",
    "path_prefix",
}
_USER_KEYS = {"username", "password", "name", "email", "roles"}


def config_from_mapping(data: dict[str, Any], source: str = "config") -> SandboxConfig:
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(
            f"Unknown key(s) in {source}: {', '.join(sorted(unknown))}; see --help for the keys."
        )
    users = []
    for entry in data.get("users", []):
        if not isinstance(entry, dict) or set(entry) - _USER_KEYS:
            raise ConfigError(
                f"Each [[users]] entry in {source} may only have: {', '.join(sorted(_USER_KEYS))}."
            )
        if not isinstance(entry.get("username"), str) or not isinstance(entry.get("password"), str):
            raise ConfigError(f"Each [[users]] entry in {source} needs a username and a password (strings).")
        users.append(SandboxUser(**entry))
    kwargs = {k: v for k, v in data.items() if k != "users"}
    try:
        return SandboxConfig(users=users, **kwargs)
    except TypeError as exc:
        raise ConfigError(f"Bad value in {source}: {exc}.") from None
