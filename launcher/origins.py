"""Rocket.Chat's iframe-command origin rule, reproduced exactly (docs/rocketchat-contract.md#origin-check).

The doctor and the window both need to know whether Rocket.Chat will accept a ``login-with-token`` command
posted from its own page; getting the rule subtly wrong (trimming spaces, matching ``*`` inside a list) would
predict success where Rocket.Chat silently ignores the command.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["ascii_host", "origin_of", "receive_origin_admits"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """Return the browser origin ``scheme://host[:port]`` of ``url`` as a page reports it: default ports
    omitted, lower-case, a non-ASCII host in its ASCII (punycode) form. Qt's URL strings show some hosts
    in Unicode and others not, so both sides of a comparison go through here."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        raise ValueError(f"not an absolute URL: {url!r}")
    scheme = parts.scheme.lower()
    host = ascii_host(parts.hostname.lower())
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def ascii_host(host: str) -> str:
    """A host name in the form browsers use in origins: IDNA (UTS #46, non-transitional, as Chromium);
    raises ValueError (UnicodeError) for a name that has none."""
    if host.isascii():
        return host
    try:
        import idna  # httpx's own dependency
    except ImportError:  # pragma: no cover - always installed with httpx
        return host.encode("idna").decode("ascii")
    return idna.encode(host, uts46=True, transitional=False).decode("ascii")


def receive_origin_admits(setting_value: object, origin: str) -> bool:
    """True when ``Iframe_Integration_receive_origin`` = ``setting_value`` lets ``origin`` send commands.

    Rocket.Chat treats ``*`` as a wildcard only as the whole value, splits on commas without trimming and
    compares each entry with the event origin by exact string equality. A missing value means ``*``
    (the setting's default).
    """
    if setting_value is None:
        setting_value = "*"
    if not isinstance(setting_value, str):
        return False
    if setting_value == "*":
        return True
    return origin in setting_value.split(",")
