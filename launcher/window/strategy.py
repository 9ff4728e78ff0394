"""Which way to hand the token to Rocket.Chat's web client: the iframe command or the deep link.

The iframe command (`login-with-token` posted to the page) keeps the token out of URLs, but works only
when Rocket.Chat listens (Iframe_Integration_receive_enable) and admits its own origin
(Iframe_Integration_receive_origin). The `/home?resumeToken=` deep link always works
but puts the token in a URL, so `auto` uses it only when the command cannot work, or did not.
See docs/rocketchat-contract.md#origin-check and #resume-token-link.
"""

from __future__ import annotations

from typing import Any, Literal

from launcher.origins import receive_origin_admits

LoginPath = Literal["iframe-command", "resume-token"]

RECEIVE_ENABLE = "Iframe_Integration_receive_enable"
RECEIVE_ORIGIN = "Iframe_Integration_receive_origin"
PUBLIC_SETTING_IDS = (RECEIVE_ENABLE, RECEIVE_ORIGIN)

# Bounded waits, counted from the moment Rocket.Chat's client started (cover.js sees it read its stored
# login, or its `startup`), never from the page load: a real client downloads megabytes of scripts first,
# which takes seconds, sometimes more than ten (docs/rocketchat-contract.md#slow-starts). How long the
# command may stay unconfirmed before `auto` falls back, and how long the deep link's login may take.
COMMAND_WAIT_S = 12.0
RESUME_WAIT_S = 20.0
# A page whose client has not started yet is still loading, not failing; past this, it counts as failed.
PAGE_LOAD_CAP_S = 90.0
# The command unconfirmed this long after the client started: ask Rocket.Chat (one /me) whether the token
# was revoked meanwhile, since the client ignores a refused command silently.
TOKEN_PROBE_AFTER_S = 3.0
# The command is posted by a script inside the page (injection.login_tick): at once, right after
# Rocket.Chat's `startup`, then every IN_PAGE_POST_INTERVAL_S until Rocket.Chat started (or for at most
# IN_PAGE_FAST_FOR_S), and every IN_PAGE_RETRY_S after that (each post is then a rate-limited login
# attempt), until signed in. Python reads the page's
# state when cover.js reports an event (Qt) and at least every WAKE_POLL_S; backends without that
# wake-up (WebView2, WKWebView) read it every POLL_S.
IN_PAGE_POST_INTERVAL_S = 0.12
IN_PAGE_RETRY_S = 2.0
IN_PAGE_FAST_FOR_S = 5.0
WAKE_POLL_S = 0.25
POLL_S = 0.075
# A profile with the signed-in mark: how long to watch for the page signing itself in from its own
# stored session (the token path runs beside it and takes over when it cannot).
PAGE_SESSION_WAIT_S = 30.0
# After the deep link, Rocket.Chat removes ?resumeToken= whether the login worked or not; signed
# out that long after the removal means the token was refused.
REJECTED_GRACE_S = 2.5


def command_can_work(public_settings: dict[str, Any], rc_origin: str) -> bool:
    """True when Rocket.Chat listens for commands and admits a message posted from its own origin."""
    if public_settings.get(RECEIVE_ENABLE) is not True:
        return False
    return receive_origin_admits(public_settings.get(RECEIVE_ORIGIN, "*"), rc_origin)


def first_path(strategy: str, public_settings: dict[str, Any] | None, rc_origin: str) -> LoginPath:
    """The path to try first. `public_settings` is None when they could not be read, and lacks the
    receive setting when Rocket.Chat did not list it: then try the command, which falls back to the deep
    link if it is not confirmed in time."""
    if strategy == "resume-token":
        return "resume-token"
    if strategy == "iframe-command":
        return "iframe-command"
    if public_settings is None or RECEIVE_ENABLE not in public_settings:
        return "iframe-command"  # unknown (not read, or not listed): a missing setting is not "off"
    return "iframe-command" if command_can_work(public_settings, rc_origin) else "resume-token"


def fallback_path(strategy: str, tried: LoginPath) -> LoginPath | None:
    """What to try after `tried` was not confirmed in time; forced strategies never switch."""
    if strategy == "auto" and tried == "iframe-command":
        return "resume-token"
    return None


def commands_work(
    login_path: str | None, configured: str, public: dict[str, Any] | None, rc_origin: str
) -> bool:
    """Whether Rocket.Chat takes iframe commands (`go`...): it took the launcher's login command, or,
    signed in from its own session ("page-session"), its public settings say it would (unknown: False,
    so callers load a URL instead, which always works)."""
    if login_path == "iframe-command":
        return True
    if login_path != "page-session":
        return False
    if configured != "auto":
        return configured == "iframe-command"
    return public is not None and command_can_work(public, rc_origin)
