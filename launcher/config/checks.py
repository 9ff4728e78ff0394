"""Value checkers: each takes a raw value (and the directory of the file that set it) and returns the
normalised value, or raises ``Invalid`` with what was expected."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from launcher.origins import origin_of

__all__ = [
    "Checker",
    "Invalid",
    "check_bool",
    "check_dotted_path",
    "check_field_name",
    "check_optional_bool",
    "check_optional_dotted_path",
    "check_proxy",
    "check_str",
    "check_timeout",
    "check_url",
    "check_url_or_path",
    "enum_checker",
    "file_checker",
]

Checker = Callable[[Any, Path | None], Any]

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class Invalid(Exception):
    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def check_url(value: Any, base_dir: Path | None) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid("an https:// address")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("an https:// address such as https://chat.example.com")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise Invalid("an address without query, fragment or user name")
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        raise Invalid("an https:// address (http:// is accepted only for localhost, 127.0.0.1 and ::1)")
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise Invalid("an address with a valid port number") from None
    return value.rstrip("/")


def check_url_or_path(value: Any, base_dir: Path | None) -> str:
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
        return value
    if value == "":
        return ""
    try:
        return check_url(value, base_dir)
    except Invalid:
        raise Invalid("an https:// address, or a path starting with / relative to organization.url") from None


def check_proxy(value: Any, base_dir: Path | None) -> str:
    if not isinstance(value, str):
        raise Invalid("a proxy address such as http://proxy.example.com:3128")
    if value == "":
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
        raise Invalid("a proxy address such as http://proxy.example.com:3128")
    return value


def check_str(value: Any, base_dir: Path | None) -> str:
    if not isinstance(value, str):
        raise Invalid("a string")
    return value


def check_bool(value: Any, base_dir: Path | None) -> bool:
    if not isinstance(value, bool):
        raise Invalid("true or false")
    return value


def check_timeout(value: Any, base_dir: Path | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 600:
        raise Invalid("a number of seconds greater than 0 and at most 600")
    return float(value)


def check_dotted_path(value: Any, base_dir: Path | None) -> str:
    if not isinstance(value, str) or any(not step for step in value.split(".")):
        raise Invalid('a dotted path into the JSON answer, such as "data.authToken"')
    return value


def check_optional_dotted_path(value: Any, base_dir: Path | None) -> str:
    if value == "":
        return ""
    return check_dotted_path(value, base_dir)


def check_field_name(value: Any, base_dir: Path | None) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid("a non-empty field name")
    return value


def file_checker(what: str) -> Checker:
    def check(value: Any, base_dir: Path | None) -> str:
        if not isinstance(value, str):
            raise Invalid(f"the path of {what}")
        if value == "":
            return ""
        path = Path(value).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise Invalid(f"the path of an existing file ({what})")
        return str(path)

    return check


def check_optional_bool(value: Any, base_dir: Path | None) -> bool | None:
    if value == "":
        return None
    return check_bool(value, base_dir)


def enum_checker(*choices: str) -> Checker:
    def check(value: Any, base_dir: Path | None) -> str:
        if isinstance(value, str) and value in choices:
            return value
        if isinstance(value, str) and value.lower() in choices:
            return value.lower()
        if isinstance(value, str) and value.upper() in choices:
            return value.upper()
        raise Invalid("one of " + ", ".join(f'"{c}"' for c in choices))

    return check


def check_folder(value: Any, base_dir: Path | None) -> str:
    """A folder that may not exist yet ("" = the default); `~` is expanded, relative to the file."""
    if not isinstance(value, str):
        raise Invalid("the path of a folder")
    if value == "":
        return ""
    path = Path(value).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if path.exists() and not path.is_dir():
        raise Invalid("the path of a folder (it names a file)")
    return str(path)


_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")


def check_languages(value: Any, base_dir: Path | None) -> list[str]:
    """Spell-check languages such as ["en-US", "de-DE"] ([] = the system's language)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid('a list of language tags such as ["en-US", "de-DE"]')
    tags = [v.replace("_", "-") for v in value]
    for tag in tags:
        if not _LANGUAGE.match(tag):
            raise Invalid(f'language tags such as "en-US" (not {tag!r})')
    return tags


def check_origins(value: Any, base_dir: Path | None) -> list[str]:
    """A list of https origins (scheme, host and port only), such as ["https://meet.example.com"]."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid('a list of addresses such as ["https://meet.example.com"]')
    origins = []
    for item in value:
        parts = urlsplit(item)
        local = parts.hostname in _LOCAL_HOSTS
        if (
            parts.scheme not in ("https", "http")
            or not parts.hostname
            or (parts.scheme == "http" and not local)
        ):
            raise Invalid(f"https:// addresses (not {item!r})")
        if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
            raise Invalid(f"origins only, without a path (not {item!r})")
        try:
            # As pages report theirs: no default port, a non-ASCII host in punycode, lower-case.
            origins.append(origin_of(item))
        except ValueError:
            raise Invalid(f"https:// addresses with a valid host name and port (not {item!r})") from None
    return origins
