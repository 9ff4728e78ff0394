"""Layered TOML configuration.

Layers, lowest first: built-in defaults; the user's file; the administrator's files (the platform's
site-wide config directories, then ``launcher.toml`` next to a frozen executable); the file named by
``ROCKETCHAT_LAUNCHER_CONFIG``; the file given with ``--config``; single values from the command line.
Administrator files come after the user's because IT expects its values to win.

Every value is checked where it is read, so an error names the file, the key, the value and what was
expected. Unknown keys are errors too: a typo would otherwise be ignored silently.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import platformdirs

from launcher import APP_NAME
from launcher.errors import ConfigError
from launcher.origins import origin_of
from launcher.paths import CONFIG_FILE_NAME, Paths

__all__ = [
    "CONFIG_ENV_VAR",
    "KEYS",
    "KeySpec",
    "OrganizationApi",
    "Settings",
    "config_layers",
    "format_settings",
    "load_settings",
]

CONFIG_ENV_VAR = "ROCKETCHAT_LAUNCHER_CONFIG"
DEFAULT_SOURCE = "built-in default"
COMMAND_LINE_SOURCE = "command line"

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


# --- value checkers: each returns the normalised value or raises _Invalid(expected) -----------------------


class _Invalid(Exception):
    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _check_url(value: Any, base_dir: Path | None) -> str:
    if not isinstance(value, str) or not value:
        raise _Invalid("an https:// address")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Invalid("an https:// address such as https://chat.example.com")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise _Invalid("an address without query, fragment or user name")
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        raise _Invalid("an https:// address (http:// is accepted only for localhost, 127.0.0.1 and ::1)")
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise _Invalid("an address with a valid port number") from None
    return value.rstrip("/")


def _check_url_or_path(value: Any, base_dir: Path | None) -> str:
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
        return value
    if value == "":
        return ""
    try:
        return _check_url(value, base_dir)
    except _Invalid:
        raise _Invalid(
            "an https:// address, or a path starting with / relative to organization.url"
        ) from None


def _check_proxy(value: Any, base_dir: Path | None) -> str:
    if not isinstance(value, str):
        raise _Invalid("a proxy address such as http://proxy.example.com:3128")
    if value == "":
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
        raise _Invalid("a proxy address such as http://proxy.example.com:3128")
    return value


def _check_str(value: Any, base_dir: Path | None) -> str:
    if not isinstance(value, str):
        raise _Invalid("a string")
    return value


def _check_bool(value: Any, base_dir: Path | None) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("true or false")
    return value


def _check_timeout(value: Any, base_dir: Path | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 600:
        raise _Invalid("a number of seconds greater than 0 and at most 600")
    return float(value)


def _check_dotted_path(value: Any, base_dir: Path | None) -> str:
    if not isinstance(value, str) or any(not step for step in value.split(".")):
        raise _Invalid('a dotted path into the JSON answer, such as "data.authToken"')
    return value


def _check_optional_dotted_path(value: Any, base_dir: Path | None) -> str:
    if value == "":
        return ""
    return _check_dotted_path(value, base_dir)


def _check_field_name(value: Any, base_dir: Path | None) -> str:
    if not isinstance(value, str) or not value:
        raise _Invalid("a non-empty field name")
    return value


def _file_checker(what: str) -> Callable[[Any, Path | None], str]:
    def check(value: Any, base_dir: Path | None) -> str:
        if not isinstance(value, str):
            raise _Invalid(f"the path of {what}")
        if value == "":
            return ""
        path = Path(value).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise _Invalid(f"the path of an existing file ({what})")
        return str(path)

    return check


def _check_optional_bool(value: Any, base_dir: Path | None) -> bool | None:
    if value == "":
        return None
    return _check_bool(value, base_dir)


def _enum_checker(*choices: str) -> Callable[[Any, Path | None], str]:
    def check(value: Any, base_dir: Path | None) -> str:
        if isinstance(value, str) and value in choices:
            return value
        if isinstance(value, str) and value.lower() in choices:
            return value.lower()
        if isinstance(value, str) and value.upper() in choices:
            return value.upper()
        raise _Invalid("one of " + ", ".join(f'"{c}"' for c in choices))

    return check


@dataclass(frozen=True)
class KeySpec:
    """One configuration key: its default, how it is checked, and a line of help for people."""

    name: str
    default: Any
    check: Callable[[Any, Path | None], Any]
    help: str


_SPECS = [
    KeySpec(
        "mode",
        "organization",
        _enum_checker("organization", "rocketchat"),
        'How to sign in: "organization" (the organization\'s token service) or "rocketchat" '
        "(Rocket.Chat's own /api/v1/login, for servers that check LDAP themselves).",
    ),
    KeySpec(
        "login_strategy",
        "auto",
        _enum_checker("auto", "iframe-command", "resume-token"),
        'How the window hands the token to Rocket.Chat: "auto" (iframe command when Rocket.Chat '
        'allows it, else the resume-token link), "iframe-command" or "resume-token".',
    ),
    KeySpec("remember_me_default", True, _check_bool, 'Whether "Remember me" is ticked on the sign-in page.'),
    KeySpec(
        "autostart",
        "",
        _check_optional_bool,
        "Start the launcher (minimized) when the user logs in: true or false enforces it at every start; "
        '"" (unset) leaves it to the user (`rocketchat-launcher autostart on|off`).',
    ),
    KeySpec(
        "rocketchat.url",
        None,
        _check_url,
        "Address of your Rocket.Chat, e.g. https://chat.example.com (required).",
    ),
    KeySpec("organization.name", "", _check_str, "Organization name shown on the sign-in page."),
    KeySpec(
        "organization.logo",
        "",
        _file_checker("an image"),
        "Logo shown on the sign-in page (PNG or SVG); relative to the file that sets it.",
    ),
    KeySpec(
        "organization.url",
        None,
        _check_url,
        "Base address of the organization's sign-in (token) service; the paths below are relative to it.",
    ),
    KeySpec(
        "organization.health_url",
        "/healthz",
        _check_url_or_path,
        "Address the doctor uses to check that the organization service answers.",
    ),
    KeySpec(
        "organization.remember",
        "password",
        _enum_checker("password", "session"),
        '"password": remember the password in the keyring; "session": remember the organization\'s '
        "session instead (only useful when the service issues long-lived sessions).",
    ),
    KeySpec(
        "organization.login.url",
        "/api/login",
        _check_url_or_path,
        "Where the username and password are sent.",
    ),
    KeySpec("organization.login.method", "POST", _enum_checker("POST", "PUT"), "HTTP method of the login."),
    KeySpec(
        "organization.login.body",
        "json",
        _enum_checker("json", "form"),
        'Encoding of the login body: "json" or "form" (application/x-www-form-urlencoded).',
    ),
    KeySpec(
        "organization.login.username_field",
        "username",
        _check_field_name,
        "Name of the username field in the login body.",
    ),
    KeySpec(
        "organization.login.password_field",
        "password",
        _check_field_name,
        "Name of the password field in the login body.",
    ),
    KeySpec(
        "organization.login.session",
        "bearer",
        _enum_checker("bearer", "cookie"),
        '"bearer": the login answer holds a token sent as "Authorization: Bearer"; '
        '"cookie": the session is the cookies the login sets.',
    ),
    KeySpec(
        "organization.login.session_token_path",
        "access_token",
        _check_dotted_path,
        "Dotted path of the bearer token in the login answer.",
    ),
    KeySpec(
        "organization.login.expires_in_path",
        "expires_in",
        _check_optional_dotted_path,
        'Dotted path of the session lifetime in seconds in the login answer ("" if none).',
    ),
    KeySpec(
        "organization.token.url",
        "/api/rocketchat/token",
        _check_url_or_path,
        "Where the Rocket.Chat token is fetched with the session.",
    ),
    KeySpec(
        "organization.token.method", "POST", _enum_checker("POST", "GET"), "HTTP method of the token fetch."
    ),
    KeySpec(
        "organization.token.auth_token_path",
        "authToken",
        _check_dotted_path,
        "Dotted path of the Rocket.Chat auth token in the token answer.",
    ),
    KeySpec(
        "organization.token.user_id_path",
        "userId",
        _check_dotted_path,
        "Dotted path of the Rocket.Chat user id in the token answer.",
    ),
    KeySpec(
        "organization.token.expires_at_path",
        "expiresAt",
        _check_optional_dotted_path,
        'Dotted path of the token\'s expiry (ISO 8601 or epoch seconds) in the token answer ("" if none).',
    ),
    KeySpec(
        "organization.logout.url",
        "/api/logout",
        _check_url_or_path,
        'Where the session is ended on sign-out ("" to skip).',
    ),
    KeySpec(
        "organization.logout.method",
        "POST",
        _enum_checker("POST", "GET", "DELETE"),
        "HTTP method of the logout.",
    ),
    KeySpec(
        "network.ca_file",
        "",
        _file_checker("a PEM file of CA certificates"),
        "Extra CA certificates (PEM) trusted in addition to the system's, e.g. a company CA.",
    ),
    KeySpec(
        "network.proxy",
        "",
        _check_proxy,
        'Proxy for all requests, e.g. http://proxy.example.com:3128 ("" = the system\'s and '
        "HTTPS_PROXY/NO_PROXY).",
    ),
    KeySpec("network.connect_timeout", 5.0, _check_timeout, "Seconds to wait for a connection."),
    KeySpec("network.read_timeout", 15.0, _check_timeout, "Seconds to wait for an answer."),
    KeySpec("desktop.tray", True, _check_bool, "Show an icon with the unread count in the system tray."),
    KeySpec(
        "desktop.close_to_tray",
        True,
        _check_bool,
        "Closing the window hides it to the tray (when a tray is shown); false: closing quits.",
    ),
    KeySpec(
        "desktop.notifications",
        True,
        _check_bool,
        "Show Rocket.Chat's notifications as desktop notifications (do-not-disturb is respected).",
    ),
]

#: Every known key, by dotted name, in documentation order.
KEYS: dict[str, KeySpec] = {spec.name: spec for spec in _SPECS}
_TABLES = frozenset(".".join(name.split(".")[:i]) for name in KEYS for i in range(1, name.count(".") + 1))


@dataclass(frozen=True)
class OrganizationApi:
    """The organization's sign-in service, with every URL resolved to an absolute address."""

    base_url: str | None
    health_url: str | None
    remember: str
    login_url: str
    login_method: str
    login_body: str
    username_field: str
    password_field: str
    session: str
    session_token_path: str
    expires_in_path: str
    token_url: str
    token_method: str
    auth_token_path: str
    user_id_path: str
    expires_at_path: str
    logout_url: str | None
    logout_method: str


@dataclass(frozen=True)
class Settings:
    """The effective configuration: one value per key, and which layer it came from."""

    values: Mapping[str, Any]
    sources: Mapping[str, str]
    organization: OrganizationApi | None = field(default=None)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def rocketchat_url(self) -> str:
        return self.values["rocketchat.url"]

    @property
    def rocketchat_origin(self) -> str:
        return origin_of(self.values["rocketchat.url"])

    @property
    def mode(self) -> str:
        return self.values["mode"]

    @property
    def login_strategy(self) -> str:
        return self.values["login_strategy"]

    @property
    def remember_me_default(self) -> bool:
        return self.values["remember_me_default"]

    @property
    def autostart(self) -> bool | None:
        """True/false: the administrator decides login autostart; None: the user does."""
        value = self.values["autostart"]
        return None if value == "" else value

    @property
    def desktop_tray(self) -> bool:
        return self.values["desktop.tray"]

    @property
    def desktop_close_to_tray(self) -> bool:
        return self.values["desktop.close_to_tray"]

    @property
    def desktop_notifications(self) -> bool:
        return self.values["desktop.notifications"]

    @property
    def organization_name(self) -> str:
        return self.values["organization.name"]

    @property
    def organization_logo(self) -> Path | None:
        logo = self.values["organization.logo"]
        return Path(logo) if logo else None

    @property
    def ca_file(self) -> Path | None:
        ca_file = self.values["network.ca_file"]
        return Path(ca_file) if ca_file else None

    @property
    def proxy(self) -> str | None:
        return self.values["network.proxy"] or None

    @property
    def connect_timeout(self) -> float:
        return self.values["network.connect_timeout"]

    @property
    def read_timeout(self) -> float:
        return self.values["network.read_timeout"]


@dataclass(frozen=True)
class _Layer:
    source: str
    values: dict[str, Any]


def config_layers(
    *,
    paths: Paths | None = None,
    env: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
    site_config_dirs: Iterable[str | Path] | None = None,
    exe_dir: str | Path | None = None,
) -> list[tuple[str, Path, bool]]:
    """The configuration files in the order they apply: (role, path, must_exist)."""
    paths = paths or Paths.default()
    env = os.environ if env is None else env
    files: list[tuple[str, Path, bool]] = [("user", paths.user_config_file, False)]
    if site_config_dirs is None:
        site_config_dirs = _platform_site_config_dirs()
    for directory in reversed([Path(d) for d in site_config_dirs]):  # the first listed wins
        files.append(("administrator", directory / CONFIG_FILE_NAME, False))
    if exe_dir is None and getattr(sys, "frozen", False):
        exe_dir = Path(sys.executable).parent
    if exe_dir is not None:
        files.append(("administrator (next to the program)", Path(exe_dir) / CONFIG_FILE_NAME, False))
    if env.get(CONFIG_ENV_VAR):
        files.append((CONFIG_ENV_VAR, Path(env[CONFIG_ENV_VAR]).expanduser(), True))
    if config_file is not None:
        files.append(("--config", Path(config_file).expanduser(), True))
    return files


def load_settings(
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    paths: Paths | None = None,
    config_file: str | Path | None = None,
    site_config_dirs: Iterable[str | Path] | None = None,
    exe_dir: str | Path | None = None,
    require_complete: bool = True,
) -> Settings:
    """Read every layer and return the effective settings; raise ``ConfigError`` with one clear sentence.

    ``require_complete=False`` skips the checks that need values no layer set (the ``config`` command
    shows what is there before saying what is missing); ``settings.organization`` is then None."""
    paths = paths or Paths.default()
    layers = [_Layer(DEFAULT_SOURCE, {spec.name: spec.default for spec in _SPECS})]
    for role, path, must_exist in config_layers(
        paths=paths, env=env, config_file=config_file, site_config_dirs=site_config_dirs, exe_dir=exe_dir
    ):
        layer = _read_file(role, path, must_exist)
        if layer is not None:
            layers.append(layer)
    if cli:
        layers.append(_read_mapping(COMMAND_LINE_SOURCE, dict(cli), base_dir=Path.cwd()))

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for layer in layers:
        for key, value in layer.values.items():
            values[key] = value
            sources[key] = layer.source

    if not require_complete:
        return Settings(values=values, sources=sources, organization=None)
    if not values["rocketchat.url"]:
        raise ConfigError(
            "No Rocket.Chat address is configured: set rocketchat.url (for example "
            f'rocketchat.url = "https://chat.example.com" under [rocketchat]) in {paths.user_config_file}, '
            "or ask your IT department for the launcher's configuration file.",
            file=str(paths.user_config_file),
            key="rocketchat.url",
        )
    organization = _organization_api(values, sources, paths) if values["mode"] == "organization" else None
    return Settings(values=values, sources=sources, organization=organization)


def _platform_site_config_dirs() -> list[str]:
    joined = platformdirs.site_config_dir(APP_NAME, appauthor=False, multipath=True)
    return [part for part in joined.split(os.pathsep) if part]


def _read_file(role: str, path: Path, must_exist: bool) -> _Layer | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if must_exist:
            via = "ROCKETCHAT_LAUNCHER_CONFIG" if role == CONFIG_ENV_VAR else "--config"
            raise ConfigError(
                f"The configuration file {path} (given by {via}) does not exist; check the path.",
                file=str(path),
            ) from None
        return None
    except IsADirectoryError:
        raise ConfigError(
            f"The configuration path {path} is a directory, not a file; point it at a .toml file.",
            file=str(path),
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"The configuration file {path} could not be read ({exc.strerror}); check its permissions.",
            file=str(path),
        ) from None
    try:
        text = raw.decode("utf-8")
        document = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(
            f"The configuration file {path} is not UTF-8 text; save it as UTF-8.", file=str(path)
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"The configuration file {path} is not valid TOML ({exc}); fix the file or remove it.",
            file=str(path),
        ) from None
    return _read_mapping(str(path), document, base_dir=path.parent, nested=True)


def _read_mapping(source: str, document: dict[str, Any], *, base_dir: Path, nested: bool = False) -> _Layer:
    flat = _flatten(source, document) if nested else document
    values: dict[str, Any] = {}
    for key, value in flat.items():
        spec = KEYS.get(key)
        if spec is None:
            raise ConfigError(_unknown_key_message(source, key), file=source, key=key)
        try:
            values[key] = spec.check(value, base_dir)
        except _Invalid as invalid:
            raise ConfigError(
                f"Invalid setting {key} = {_show(value)} in {_where(source, key)}: expected {invalid.expected}.",
                file=source,
                key=key,
            ) from None
    return _Layer(source, values)


def _flatten(source: str, document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if name not in _TABLES:
                if name in KEYS:
                    raise ConfigError(
                        f"Invalid setting {name} in {_where(source)}: expected a value, not a table.",
                        file=source,
                        key=name,
                    )
                raise ConfigError(_unknown_key_message(source, name, table=True), file=source, key=name)
            flat.update(_flatten(source, value, prefix=f"{name}."))
        else:
            if name in _TABLES:
                raise ConfigError(
                    f"Invalid setting {name} = {_show(value)} in {_where(source)}: expected a table "
                    f"[{name}] holding keys such as {_first_key_of(name)}.",
                    file=source,
                    key=name,
                )
            flat[name] = value
    return flat


def _first_key_of(table: str) -> str:
    return next(name for name in KEYS if name.startswith(table + "."))


def _unknown_key_message(source: str, key: str, *, table: bool = False) -> str:
    # A known key name in the wrong table is the likeliest mistake; then a typo of a full name.
    leaf = key.rsplit(".", 1)[-1]
    suggestion = [name for name in KEYS if name.rsplit(".", 1)[-1] == leaf and name != key][:1]
    if not suggestion:
        suggestion = difflib.get_close_matches(key, list(KEYS) + sorted(_TABLES), n=1, cutoff=0.7)
    what = "table" if table else "key"
    hint = f'did you mean "{suggestion[0]}"?' if suggestion else "remove it or check the spelling."
    return f'Unknown {what} "{key}" in {_where(source)}; {hint}'


_CLI_FLAGS = {"rocketchat.url": "--rocketchat-url"}


def _where(source: str, key: str | None = None) -> str:
    if source != COMMAND_LINE_SOURCE:
        return source
    flag = _CLI_FLAGS.get(key or "")
    return f"the command line ({flag})" if flag else "the command line"


def _show(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _organization_api(values: dict[str, Any], sources: dict[str, str], paths: Paths) -> OrganizationApi:
    base = values["organization.url"]

    def resolve(key: str, *, optional: bool = False) -> str | None:
        value = values[key]
        if value == "" and optional:
            return None
        if value.startswith("/"):
            if not base:
                raise ConfigError(
                    "No organization sign-in service is configured: set organization.url (the address of "
                    f"your organization's token service) in {paths.user_config_file}, or set "
                    'mode = "rocketchat" to sign in with Rocket.Chat\'s own login.',
                    file=str(paths.user_config_file),
                    key="organization.url",
                )
            return urljoin(base + "/", value.lstrip("/"))
        return value

    return OrganizationApi(
        base_url=base,
        health_url=resolve("organization.health_url", optional=True),
        remember=values["organization.remember"],
        login_url=resolve("organization.login.url") or "",
        login_method=values["organization.login.method"],
        login_body=values["organization.login.body"],
        username_field=values["organization.login.username_field"],
        password_field=values["organization.login.password_field"],
        session=values["organization.login.session"],
        session_token_path=values["organization.login.session_token_path"],
        expires_in_path=values["organization.login.expires_in_path"],
        token_url=resolve("organization.token.url") or "",
        token_method=values["organization.token.method"],
        auth_token_path=values["organization.token.auth_token_path"],
        user_id_path=values["organization.token.user_id_path"],
        expires_at_path=values["organization.token.expires_at_path"],
        logout_url=resolve("organization.logout.url", optional=True),
        logout_method=values["organization.logout.method"],
    )


def format_settings(settings: Settings) -> str:
    """The effective settings as TOML-like lines, each with the layer it came from (``config`` command)."""
    width = max(len(key) for key in KEYS)
    lines = []
    for key in KEYS:
        value = settings.values.get(key)
        shown = "(not set)" if value is None or value == "" else _toml_value(value)
        lines.append(f"{key.ljust(width)} = {shown}    # {settings.sources.get(key, DEFAULT_SOURCE)}")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)
