"""Configuration of the token service: a dataclass tests build directly, and a TOML loader for operators.

Secrets (the service account's password or token, the createToken secret) are never written in the config
file itself: the file names a file (`password_file`) or an environment variable (`password_env`) holding
each one. Relative paths are resolved against the config file's directory.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .directory import DirectoryError, EmployeeDirectory, UsersFileDirectory
from .errors import TokenServiceError
from .ldap_directory import LdapDirectory, LdapSettings
from .rocketchat import ServiceAccount
from .state import check_redis_url
from .throttle import ThrottleSettings

__all__ = ["ConfigError", "CookieSettings", "ServiceAccount", "TokenServiceConfig", "load_config"]

_SAMESITE = ("lax", "strict", "none")


class ConfigError(TokenServiceError):
    """The configuration cannot be used; the detail says which key and what to do. Raised before the
    service serves anything, so never answered."""


@dataclass(frozen=True)
class CookieSettings:
    """The session cookie. See docs/tokenservice.md for when SameSite must be None (and Secure)."""

    name: str = "ts_session"
    secure: bool = True
    samesite: str = "lax"
    path: str = "/"
    max_age: int | None = None  # None: the session lifetime

    def __post_init__(self) -> None:
        if self.samesite not in _SAMESITE:
            raise ConfigError(f"cookie.samesite must be one of {', '.join(_SAMESITE)}, not {self.samesite!r}")
        if self.samesite == "none" and not self.secure:
            raise ConfigError(
                "cookie.samesite = 'none' needs cookie.secure = true (browsers drop it otherwise)"
            )
        if not self.name or any(c in self.name for c in ' =;,\t"'):
            raise ConfigError(f"cookie.name {self.name!r} is not a valid cookie name")
        if self.name.startswith("__Host-") and (not self.secure or self.path != "/"):
            raise ConfigError("a __Host- cookie name needs cookie.secure = true and cookie.path = '/'")
        if not self.path.startswith("/"):
            raise ConfigError("cookie.path must start with '/'")


@dataclass
class TokenServiceConfig:
    """Everything `create_app` needs; build it directly in tests, or with `load_config` from TOML."""

    rocketchat_url: str
    service_account: ServiceAccount
    directory: EmployeeDirectory
    rocketchat_origin: str | None = None  # default: derived from rocketchat_url
    rocketchat_ca_file: str | None = None  # extra CA (PEM) for an https Rocket.Chat behind a company CA
    create_tokens_secret: str | None = field(default=None, repr=False)
    session_lifetime: float = 8 * 3600.0
    cookie: CookieSettings = field(default_factory=CookieSettings)
    throttle: ThrottleSettings = field(default_factory=ThrottleSettings)
    token_reuse_margin: float = 86400.0
    token_revalidate_after: float | None = 300.0
    connect_timeout: float = 5.0
    request_timeout: float = 10.0
    latency: float = 0.0
    host: str = "127.0.0.1"
    port: int = 8765
    forwarded_allow_ips: str = "127.0.0.1"
    # Slow or idle clients: the whole request body must arrive within body_timeout (else 408); an idle
    # keep-alive connection is closed after keep_alive_timeout; beyond limit_concurrency connections or
    # requests at once uvicorn answers 503.
    body_timeout: float = 10.0
    keep_alive_timeout: float = 5.0
    limit_concurrency: int = 500
    graceful_shutdown_timeout: float = 10.0
    # Shared state for several instances (sessions, token cache, single-flight locks); None: this process.
    redis_url: str | None = field(default=None, repr=False)
    redis_password: str | None = field(default=None, repr=False)
    redis_ca_file: str | None = None
    redis_timeout: float = 2.0
    # Serve /metrics on this port (on `host`) instead of the main port; None: at /metrics on the main port.
    metrics_port: int | None = None
    # One JSON object per log line instead of plain text.
    json_logs: bool = False

    def __post_init__(self) -> None:
        if self.redis_url is not None:
            try:
                check_redis_url(self.redis_url)
            except ValueError as exc:
                raise ConfigError(str(exc)) from exc
        self.rocketchat_url = _http_url(self.rocketchat_url, "rocketchat.url").rstrip("/")
        self.rocketchat_origin = _origin(self.rocketchat_origin or self.rocketchat_url, "rocketchat.origin")
        for name in (
            "session_lifetime",
            "connect_timeout",
            "request_timeout",
            "body_timeout",
            "keep_alive_timeout",
            "graceful_shutdown_timeout",
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be a positive number of seconds")
        if self.limit_concurrency < 1:
            raise ConfigError("server.limit_concurrency must be at least 1")
        for name in (
            "max_failures_per_username",
            "max_failures_per_address",
            "max_failures_per_username_everywhere",
            "known_addresses",
        ):
            if getattr(self.throttle, name) < 1:
                raise ConfigError(f"throttle.{name} must be at least 1")
        if self.throttle.window <= 0:
            raise ConfigError("throttle.window must be a positive number of seconds")
        if self.latency < 0 or self.token_reuse_margin < 0:
            raise ConfigError("latency and token_reuse_margin cannot be negative")

    @property
    def cookie_max_age(self) -> int:
        return self.cookie.max_age if self.cookie.max_age is not None else int(self.session_lifetime)


def load_config(path: str | os.PathLike[str], env: dict[str, str] | None = None) -> TokenServiceConfig:
    """Read a TOML config (see tokenservice.example.toml); raises ConfigError with a one-sentence reason."""
    path = Path(path)
    env = dict(os.environ) if env is None else env
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the config file {path} is not valid TOML: {exc}") from exc
    base = path.parent
    top = _Table(data, "")
    server = top.table("server")
    rc = top.table("rocketchat")
    account = rc.table("service_account")
    directory = top.table("directory")
    sessions = top.table("sessions")
    cookie = top.table("cookie")
    throttle = top.table("throttle")
    state = top.table("state")

    employees = _directory(directory, base, env)

    try:
        service_account = ServiceAccount(
            user_id=account.get("user_id", str),
            token=account.secret("token", base, env),
            username=account.get("username", str),
            password=account.secret("password", base, env),
        )
    except ValueError as exc:
        raise ConfigError(
            "rocketchat.service_account needs either user_id + token_file/token_env "
            "or username + password_file/password_env"
        ) from exc

    lifetime = sessions.get("lifetime", (int, float), 8 * 3600)
    config = TokenServiceConfig(
        rocketchat_url=rc.require("url", str),
        rocketchat_origin=rc.get("origin", str),
        rocketchat_ca_file=str(base / rc_ca) if (rc_ca := rc.get("ca_file", str)) else None,
        create_tokens_secret=rc.secret("create_tokens_secret", base, env),
        service_account=service_account,
        directory=employees,
        session_lifetime=float(lifetime),
        cookie=CookieSettings(
            name=cookie.get("name", str, "ts_session"),
            secure=cookie.get("secure", bool, True),
            samesite=cookie.get("samesite", str, "lax").lower(),
            path=cookie.get("path", str, "/"),
            max_age=cookie.get("max_age", int),
        ),
        throttle=ThrottleSettings(
            max_failures_per_username=throttle.get("max_failures_per_username", int, 5),
            max_failures_per_address=throttle.get("max_failures_per_address", int, 20),
            max_failures_per_username_everywhere=throttle.get(
                "max_failures_per_username_everywhere", int, 50
            ),
            known_addresses=throttle.get("known_addresses", int, 10_000),
            window=float(throttle.get("window", (int, float), 900)),
        ),
        token_reuse_margin=float(rc.get("token_reuse_margin", (int, float), 86400)),
        token_revalidate_after=_optional_float(rc.get("token_revalidate_after", (int, float), 300)),
        connect_timeout=float(rc.get("connect_timeout", (int, float), 5.0)),
        request_timeout=float(rc.get("timeout", (int, float), 10.0)),
        latency=float(top.get("latency", (int, float), 0.0)),
        host=server.get("host", str, "127.0.0.1"),
        port=server.get("port", int, 8765),
        forwarded_allow_ips=server.get("forwarded_allow_ips", str, "127.0.0.1"),
        body_timeout=float(server.get("body_timeout", (int, float), 10.0)),
        keep_alive_timeout=float(server.get("keep_alive_timeout", (int, float), 5.0)),
        limit_concurrency=server.get("limit_concurrency", int, 500),
        graceful_shutdown_timeout=float(server.get("graceful_shutdown_timeout", (int, float), 10.0)),
        metrics_port=server.get("metrics_port", int),
        json_logs=server.get("json_logs", bool, False),
        redis_url=state.get("redis_url", str),
        redis_password=state.secret("redis_password", base, env),
        redis_ca_file=str(base / ca) if (ca := state.get("redis_ca_file", str)) else None,
        redis_timeout=float(state.get("timeout", (int, float), 2.0)),
    )
    if config.redis_url and urlsplit(config.redis_url).password:
        raise ConfigError(
            "state.redis_url must not carry the password; use state.redis_password_file or redis_password_env"
        )
    for table in (top, server, rc, account, directory, sessions, cookie, throttle, state):
        table.check_unknown()
    return config


def _directory(table: _Table, base: Path, env: dict[str, str]) -> EmployeeDirectory:
    """The users file (the default) or LDAP / Active Directory, from the [directory] table."""
    kind = table.get("kind", str, "users-file")
    try:
        if kind == "users-file":
            users_path = table.get("path", str)
            if users_path is None:
                raise ConfigError("directory.path is missing: name the users file (see hash-password)")
            return UsersFileDirectory(base / users_path)
        if kind == "ldap":
            return LdapDirectory(_ldap_settings(table, base, env))
    except DirectoryError as exc:
        raise ConfigError(str(exc)) from exc
    raise ConfigError(f"directory.kind {kind!r} is not supported; use 'users-file' or 'ldap'")


def _ldap_settings(table: _Table, base: Path, env: dict[str, str]) -> LdapSettings:
    ca_file = table.get("ca_file", str)
    group_dn = table.get("group_dn", str)
    password = table.secret("bind_password", base, env)
    if password is None:
        raise ConfigError("directory.bind_password_file or directory.bind_password_env is missing")
    return LdapSettings(
        url=table.require("url", str),
        base_dn=table.require("base_dn", str),
        bind_dn=table.require("bind_dn", str),
        bind_password=password,
        user_filter=table.get("user_filter", str, "(uid={username})"),
        username_attribute=table.get("username_attribute", str, "uid"),
        name_attribute=table.get("name_attribute", str, "displayName"),
        email_attribute=table.get("email_attribute", str, "mail"),
        group_dn=group_dn or None,
        group_member_attribute=table.get("group_member_attribute", str, "member"),
        start_tls=table.get("start_tls", bool, False),
        ca_file=base / ca_file if ca_file else None,
        connect_timeout=float(table.get("connect_timeout", (int, float), 5.0)),
        timeout=float(table.get("timeout", (int, float), 10.0)),
        pool_size=table.get("pool_size", int, 4),
        lookup_cache_seconds=float(table.get("lookup_cache_seconds", (int, float), 60.0)),
    )


def _optional_float(value: float | None) -> float | None:
    # 0 turns the /api/v1/me re-check off.
    return None if not value else float(value)


class _Table:
    """A TOML table that remembers which keys were read, so typos are reported instead of ignored."""

    def __init__(self, data: dict[str, Any], prefix: str) -> None:
        self._data = data
        self._prefix = prefix
        self._seen: set[str] = set()

    def table(self, key: str) -> _Table:
        value = self._data.get(key, {})
        self._seen.add(key)
        if not isinstance(value, dict):
            raise ConfigError(f"{self._name(key)} must be a table ([{self._name(key)}])")
        return _Table(value, self._name(key) + ".")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        self._seen.add(key)
        if key not in self._data:
            return default
        value = self._data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise ConfigError(f"{self._name(key)} must be {names}, not {value!r}")
        return value

    def require(self, key: str, kind: type) -> Any:
        value = self.get(key, kind)
        if value is None:
            raise ConfigError(f"{self._name(key)} is missing")
        return value

    def secret(self, key: str, base: Path, env: dict[str, str]) -> str | None:
        self._seen.add(key)
        if key in self._data:
            raise ConfigError(
                f"{self._name(key)} must not be written in the config file; "
                f"use {key}_file (a file holding it) or {key}_env (an environment variable)"
            )
        file_name, env_name = self.get(f"{key}_file", str), self.get(f"{key}_env", str)
        if file_name and env_name:
            raise ConfigError(f"set only one of {self._name(key)}_file and {self._name(key)}_env")
        if file_name:
            try:
                value = (base / file_name).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"cannot read {self._name(key)}_file {file_name}: {exc.strerror}") from exc
            if not value:
                raise ConfigError(f"{self._name(key)}_file {file_name} is empty")
            return value
        if env_name:
            value = env.get(env_name, "").strip()
            if not value:
                raise ConfigError(f"the environment variable {env_name} ({self._name(key)}_env) is not set")
            return value
        return None

    def check_unknown(self) -> None:
        unknown = sorted(set(self._data) - self._seen)
        if unknown:
            raise ConfigError(f"unknown config key {self._name(unknown[0])}; see tokenservice.example.toml")

    def _name(self, key: str) -> str:
        return self._prefix + key


def _http_url(value: str, key: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{key} must be an http(s) URL such as https://chat.example.com, not {value!r}")
    return value.strip()


def _origin(value: str, key: str) -> str:
    parts = urlsplit(_http_url(value, key))
    default_port = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{key} has an invalid port: {value!r}") from exc
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")
