"""Links into the app: which links `rocketchat-launcher open <link>` accepts, and the room route each names.

Two forms name a place in the organization's Rocket.Chat:

- an ``https://`` link on the configured Rocket.Chat address, e.g. ``https://chat.example.com/channel/general``
  (the scheme and origin must equal the configured ones exactly; under a path prefix, the link must be
  below it);
- the launcher's own URL scheme, ``rocketchat-launcher://channel/general``: the route written after the
  ``//``, with no server in it, so such a link can only ever open the configured Rocket.Chat. Rocket.Chat's
  official desktop app registers ``rocketchat://``; this scheme does not collide with it.

What is accepted is a Rocket.Chat route (``/home``, ``/channel|group|direct|live/<name>[/<tab>[/<id>]]``,
``/directory[/<tab>]``), at most the ``msg`` query parameter (a message id), nothing else. Everything else is
refused with a `LinkRefused`, whose ``str()`` is the one sentence the CLI prints. A refused link is never
opened anywhere, not even in the system browser. Pure code: no I/O, cheap to import (the CLI and the
single-instance receiver both parse with it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from launcher.errors import LauncherError
from launcher.origins import origin_of

__all__ = ["SCHEME", "LinkRefused", "RoomLink", "parse_link", "parse_route"]

SCHEME = "rocketchat-launcher"

# Rocket.Chat's client routes that name a place someone links to (its router: /channel/:name/:tab?/:context?,
# the same for group, direct and live; /directory/:tab?; /home). First segment -> (min, max) segments after it.
_ROUTES: dict[str, tuple[int, int]] = {
    "home": (0, 0),
    "channel": (1, 3),
    "group": (1, 3),
    "direct": (1, 3),
    "live": (1, 3),
    "directory": (0, 1),
}
# One decoded path segment: letters and digits of any script, and the few marks room names and ids use.
_SEGMENT = re.compile(r"^[\w.@+-]{1,200}$")
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MAX_LINK = 2048
# Query or fragment names that carry a sign-in token (the same names launcher.window.navigation refuses).
_TOKEN_NAMES = {"resumetoken", "authtoken", "logintoken", "x-auth-token", "token"}


class LinkRefused(LauncherError):
    """The link is not one the launcher opens; ``str()`` says which rule it broke, in one sentence."""


@dataclass(frozen=True)
class RoomLink:
    """A checked Rocket.Chat route: ``path`` is relative to Rocket.Chat's address, starts with "/",
    is percent-encoded and may end in ``?msg=<id>``; it is what Rocket.Chat's ``go`` command takes."""

    path: str

    @property
    def route(self) -> str:
        """The path without its query (what the page's location.pathname ends with once it is there)."""
        return self.path.split("?", 1)[0]


def parse_link(link: str, rocketchat_url: str) -> RoomLink:
    """The room `link` names on the Rocket.Chat at `rocketchat_url`; LinkRefused for anything else."""
    text = link.strip()
    if not text or len(text) > _MAX_LINK or any(ord(c) < 0x21 or ord(c) == 0x7F for c in text):
        raise LinkRefused(
            "Refused the link: it is empty, too long or has spaces or control characters in it."
        )
    if _carries_token(text):
        raise LinkRefused("Refused the link: it carries a sign-in token, and such links are never opened.")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == SCHEME:
        if not parts.netloc or "@" in parts.netloc or ":" in parts.netloc:
            raise LinkRefused(
                f"Refused the link: a {SCHEME}:// link names a room, like {SCHEME}://channel/general."
            )
        # `rocketchat-launcher://channel/general`: the first route segment sits where a host would.
        return parse_route(f"/{parts.netloc}{parts.path}", parts.query, parts.fragment)
    base = urlsplit(rocketchat_url)
    if scheme not in ("http", "https"):
        raise LinkRefused(
            f"Refused the link: only {base.scheme}:// links to your Rocket.Chat and {SCHEME}:// links open here."
        )
    try:
        same_origin = origin_of(text) == origin_of(rocketchat_url) and scheme == base.scheme.lower()
    except ValueError:
        same_origin = False
    if not same_origin or parts.username is not None or parts.password is not None:
        raise LinkRefused(
            f"Refused the link: it does not point to your Rocket.Chat at {origin_of(rocketchat_url)}."
        )
    prefix = base.path.rstrip("/")
    path = parts.path
    if prefix:
        if path != prefix and not path.startswith(prefix + "/"):
            raise LinkRefused(f"Refused the link: it does not point to your Rocket.Chat at {rocketchat_url}.")
        path = path[len(prefix) :]
    return parse_route(path or "/", parts.query, parts.fragment)


def parse_route(path: str, query: str = "", fragment: str = "") -> RoomLink:
    """Check a route (a path relative to Rocket.Chat's address, and its query), e.g. what a second start
    forwarded over the single-instance channel; the normalised RoomLink, or LinkRefused."""
    if fragment:
        raise LinkRefused("Refused the link: Rocket.Chat room links have no #fragment.")
    if "?" in path and not query:
        path, query = path.split("?", 1)
    if not path.startswith("/") or "\\" in path or "//" in path:
        raise LinkRefused("Refused the link: its path is not a Rocket.Chat room or page.")
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]  # a trailing slash
    segments = []
    for raw in (path[1:] or "home").split("/"):
        decoded = unquote(raw, errors="strict") if "%" in raw else raw
        if "%" in decoded or not _SEGMENT.match(decoded) or decoded in (".", ".."):
            raise LinkRefused("Refused the link: its path is not a Rocket.Chat room or page.")
        segments.append(decoded)
    kind, rest = segments[0], segments[1:]
    bounds = _ROUTES.get(kind)
    if bounds is None or not bounds[0] <= len(rest) <= bounds[1]:
        raise LinkRefused("Refused the link: its path is not a Rocket.Chat room or page.")
    encoded = "/" + "/".join(quote(s, safe="@+") for s in segments)
    return RoomLink(encoded + _checked_query(query))


def _checked_query(query: str) -> str:
    if not query:
        return ""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise LinkRefused("Refused the link: its query is not Rocket.Chat's ?msg=<message id>.") from None
    if len(pairs) != 1 or pairs[0][0] != "msg" or not _MESSAGE_ID.match(pairs[0][1]):
        raise LinkRefused("Refused the link: its query is not Rocket.Chat's ?msg=<message id>.")
    return f"?msg={pairs[0][1]}"


def _carries_token(link: str) -> bool:
    """A sign-in token in any query or fragment parameter, also when percent-encoded once or twice
    (navigation.carries_secret, the rule the window's navigation guard applies, on each decoding)."""
    from launcher.window.navigation import carries_secret

    text = link
    for _ in range(3):
        lowered = text.lower()
        if carries_secret(text) or any(
            re.search(rf"(?:^|[?&#;/]){re.escape(n)}=", lowered) for n in _TOKEN_NAMES
        ):
            return True
        decoded = unquote(text)
        if decoded == text:
            return False
        text = decoded
    return True  # encoded more than three times: nobody writes a room link like that
