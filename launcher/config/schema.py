"""The schema: every configuration key, its default, its checker and a line of help."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import launcher.config.checks as checks
from launcher.config.checks import Checker

__all__ = ["ADDRESS_KEYS", "KEYS", "SPECS", "TABLES", "KeySpec"]


@dataclass(frozen=True)
class KeySpec:
    """One configuration key: its default, how it is checked, and a line of help for people."""

    name: str
    default: Any
    check: Checker
    help: str


SPECS = [
    KeySpec(
        "mode",
        "organization",
        checks.enum_checker("organization", "rocketchat"),
        'How to sign in: "organization" (the organization\'s token service) or "rocketchat" '
        "(Rocket.Chat's own /api/v1/login, for servers that check LDAP themselves).",
    ),
    KeySpec(
        "login_strategy",
        "auto",
        checks.enum_checker("auto", "iframe-command", "resume-token"),
        'How the window hands the token to Rocket.Chat: "auto" (iframe command when Rocket.Chat '
        'allows it, else the resume-token link), "iframe-command" or "resume-token".',
    ),
    KeySpec(
        "remember_me_default", True, checks.check_bool, 'Whether "Remember me" is ticked on the sign-in page.'
    ),
    KeySpec(
        "autostart",
        "",
        checks.check_optional_bool,
        "Start the launcher (minimized) when the user logs in: true or false enforces it at every start; "
        '"" (unset) leaves it to the user (`rocketchat-launcher autostart on|off`).',
    ),
    KeySpec(
        "rocketchat.url",
        None,
        checks.check_url,
        "Address of your Rocket.Chat, e.g. https://chat.example.com (required).",
    ),
    KeySpec("organization.name", "", checks.check_str, "Organization name shown on the sign-in page."),
    KeySpec(
        "organization.logo",
        "",
        checks.file_checker("an image"),
        "Logo shown on the sign-in page (PNG or SVG); relative to the file that sets it.",
    ),
    KeySpec(
        "organization.url",
        None,
        checks.check_url,
        "Base address of the organization's sign-in (token) service; the paths below are relative to it.",
    ),
    KeySpec(
        "organization.health_url",
        "/healthz",
        checks.check_url_or_path,
        "Address the doctor uses to check that the organization service answers.",
    ),
    KeySpec(
        "organization.remember",
        "password",
        checks.enum_checker("password", "session"),
        '"password": remember the password in the keyring; "session": remember the organization\'s '
        "session instead (only useful when the service issues long-lived sessions).",
    ),
    KeySpec(
        "organization.login.url",
        "/api/login",
        checks.check_url_or_path,
        "Where the username and password are sent.",
    ),
    KeySpec(
        "organization.login.method", "POST", checks.enum_checker("POST", "PUT"), "HTTP method of the login."
    ),
    KeySpec(
        "organization.login.body",
        "json",
        checks.enum_checker("json", "form"),
        'Encoding of the login body: "json" or "form" (application/x-www-form-urlencoded).',
    ),
    KeySpec(
        "organization.login.username_field",
        "username",
        checks.check_field_name,
        "Name of the username field in the login body.",
    ),
    KeySpec(
        "organization.login.password_field",
        "password",
        checks.check_field_name,
        "Name of the password field in the login body.",
    ),
    KeySpec(
        "organization.login.session",
        "bearer",
        checks.enum_checker("bearer", "cookie"),
        '"bearer": the login answer holds a token sent as "Authorization: Bearer"; '
        '"cookie": the session is the cookies the login sets.',
    ),
    KeySpec(
        "organization.login.session_token_path",
        "access_token",
        checks.check_dotted_path,
        "Dotted path of the bearer token in the login answer.",
    ),
    KeySpec(
        "organization.login.expires_in_path",
        "expires_in",
        checks.check_optional_dotted_path,
        'Dotted path of the session lifetime in seconds in the login answer ("" if none).',
    ),
    KeySpec(
        "organization.token.url",
        "/api/rocketchat/token",
        checks.check_url_or_path,
        "Where the Rocket.Chat token is fetched with the session.",
    ),
    KeySpec(
        "organization.token.method",
        "POST",
        checks.enum_checker("POST", "GET"),
        "HTTP method of the token fetch.",
    ),
    KeySpec(
        "organization.token.auth_token_path",
        "authToken",
        checks.check_dotted_path,
        "Dotted path of the Rocket.Chat auth token in the token answer.",
    ),
    KeySpec(
        "organization.token.user_id_path",
        "userId",
        checks.check_dotted_path,
        "Dotted path of the Rocket.Chat user id in the token answer.",
    ),
    KeySpec(
        "organization.token.expires_at_path",
        "expiresAt",
        checks.check_optional_dotted_path,
        'Dotted path of the token\'s expiry (ISO 8601 or epoch seconds) in the token answer ("" if none).',
    ),
    KeySpec(
        "organization.logout.url",
        "/api/logout",
        checks.check_url_or_path,
        'Where the session is ended on sign-out ("" to skip).',
    ),
    KeySpec(
        "organization.logout.method",
        "POST",
        checks.enum_checker("POST", "GET", "DELETE"),
        "HTTP method of the logout.",
    ),
    KeySpec(
        "network.ca_file",
        "",
        checks.file_checker("a PEM file of CA certificates"),
        "Extra CA certificates (PEM) trusted in addition to the system's, e.g. a company CA.",
    ),
    KeySpec(
        "network.proxy",
        "",
        checks.check_proxy,
        'Proxy for all requests, e.g. http://proxy.example.com:3128 ("" = the system\'s and '
        "HTTPS_PROXY/NO_PROXY).",
    ),
    KeySpec("network.connect_timeout", 5.0, checks.check_timeout, "Seconds to wait for a connection."),
    KeySpec("network.read_timeout", 15.0, checks.check_timeout, "Seconds to wait for an answer."),
    KeySpec(
        "desktop.tray", True, checks.check_bool, "Show an icon with the unread count in the system tray."
    ),
    KeySpec(
        "desktop.close_to_tray",
        True,
        checks.check_bool,
        "Closing the window hides it to the tray (when a tray is shown); false: closing quits.",
    ),
    KeySpec(
        "desktop.notifications",
        True,
        checks.check_bool,
        "Show Rocket.Chat's notifications as desktop notifications (do-not-disturb is respected).",
    ),
    KeySpec(
        "downloads.folder",
        "",
        checks.check_folder,
        'Where downloads are saved ("" = the system\'s Downloads folder).',
    ),
    KeySpec(
        "downloads.ask",
        False,
        checks.check_bool,
        "Ask where to save each download (a Save As dialog that keeps the name and extension).",
    ),
    KeySpec(
        "spellcheck.enabled",
        True,
        checks.check_bool,
        "Check spelling while typing (the person can switch it off from the right-click menu).",
    ),
    KeySpec(
        "spellcheck.languages",
        [],
        checks.check_languages,
        'Spell-check languages, e.g. ["en-US", "de-DE"] ([] = the system\'s language).',
    ),
    KeySpec(
        "video_conference.in_app",
        True,
        checks.check_bool,
        "Open video calls of the origins below in a window of the launcher (false: in the browser).",
    ),
    KeySpec(
        "video_conference.origins",
        [],
        checks.check_origins,
        "Video-conference servers (Jitsi, BigBlueButton...) that may open in-app and ask for the "
        'microphone, camera and screen, e.g. ["https://meet.example.com"].',
    ),
]

#: Every known key, by dotted name, in documentation order.
KEYS: dict[str, KeySpec] = {spec.name: spec for spec in SPECS}
#: Every table name ("organization", "organization.login", ...).
TABLES = frozenset(".".join(name.split(".")[:i]) for name in KEYS for i in range(1, name.count(".") + 1))
#: The keys that name a server the launcher sends something to (an address, or a path on
#: organization.url): an administrator's file that sets one locks it (``locks``).
ADDRESS_KEYS: tuple[str, ...] = tuple(
    spec.name for spec in SPECS if spec.check in (checks.check_url, checks.check_url_or_path)
)
