"""``rocketchat-launcher doctor``: one line per check, a verdict, and what to do when it fails.

Meant for the employee on the phone with IT and for IT's scripts (``--json``). A warning does not fail the
run: the launcher works, less well (e.g. the resume-token fallback instead of the iframe command).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from launcher.config import Settings, load_settings
from launcher.errors import ConfigError, LauncherError
from launcher.origins import receive_origin_admits
from launcher.paths import Paths
from launcher.signin.credentials import CredentialStore
from launcher.signin.flow import Failed, NeedsCredentials, SignedIn, SignInFlow
from launcher.signin.http import make_client
from launcher.signin.orgclient import OrganizationClient
from launcher.signin.rcclient import RocketChatClient

__all__ = ["Check", "exit_code", "format_json", "format_text", "run_checks", "version_notes"]

Status = Literal["ok", "warn", "fail", "skip"]

_RECEIVE_ENABLE = "Iframe_Integration_receive_enable"
_RECEIVE_ORIGIN = "Iframe_Integration_receive_origin"
_ADMIN_PLACE = "Administration > Settings > General > Iframe Integration"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str | None = None


def run_checks(
    *,
    paths: Paths,
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
    store: CredentialStore | None = None,
) -> list[Check]:
    """Run every check in order; later checks are skipped when what they need failed."""
    checks: list[Check] = []
    settings: Settings | None = None
    try:
        settings = load_settings(cli=cli, env=env, paths=paths, config_file=config_file)
    except ConfigError as error:
        checks.append(Check("Configuration", "fail", str(error)))
    else:
        summary = (
            f"valid (Rocket.Chat {settings.rocketchat_url}, mode {settings.mode}, "
            f"login strategy {settings.login_strategy})"
        )
        if settings.warnings:
            checks.append(
                Check(
                    "Configuration",
                    "warn",
                    f"{summary}, but some settings were ignored: " + " ".join(settings.warnings),
                    "remove those settings from your own configuration files; the administrator's values "
                    "apply (rocketchat-launcher config shows which settings are locked).",
                )
            )
        else:
            checks.append(Check("Configuration", "ok", summary))

    store = store or CredentialStore(paths.keyring_namespace)
    if settings is None:
        needs = "needs a valid configuration"
        checks += [
            Check("Organization sign-in service", "skip", needs),
            Check("Rocket.Chat", "skip", needs),
            Check("Page certificate", "skip", needs),
            Check("Iframe login command", "skip", needs),
        ]
        checks += _keyring_checks(store)
        checks.append(Check("Test sign-in", "skip", needs))
        return checks

    with make_client(settings) as client:
        checks.append(_check_organization(settings, client))
        rocketchat = RocketChatClient(settings.rocketchat_url, client)
        rc_check = _check_rocketchat(rocketchat)
        checks.append(rc_check)
        checks.append(_check_page_certificate(settings))
        if rc_check.status == "fail":
            checks.append(Check("Iframe login command", "skip", "needs Rocket.Chat to answer"))
        else:
            checks.append(_check_iframe(settings, rocketchat))
        keyring_checks = _keyring_checks(store)
        checks += keyring_checks
        checks.append(_check_sign_in(settings, store, client, keyring_checks))
    return checks


def exit_code(checks: list[Check]) -> int:
    return 1 if any(check.status == "fail" for check in checks) else 0


def format_text(checks: list[Check]) -> str:
    labels = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "skip": "skip"}
    lines = []
    for check in checks:
        line = f"[{labels[check.status]:<4}] {check.name}: {check.detail}"
        if check.fix:
            line += f" To fix: {check.fix}"
        lines.append(line)
    return "\n".join(lines)


def format_json(checks: list[Check]) -> str:
    return json.dumps({"ok": exit_code(checks) == 0, "checks": [asdict(c) for c in checks]}, indent=2)


# --- the checks -------------------------------------------------------------------------------------------


def _check_organization(settings: Settings, client: Any) -> Check:
    name = "Organization sign-in service"
    api = settings.organization
    if api is None:
        return Check(name, "skip", 'not used (mode = "rocketchat": Rocket.Chat checks the password itself)')
    url = api.health_url or api.login_url
    try:
        status = OrganizationClient(api, client).check_health()
    except LauncherError as error:
        return Check(name, "fail", str(error))
    if 200 <= status < 300:
        return Check(name, "ok", f"answers at {url} (HTTP {status})")
    return Check(
        name,
        "warn",
        f"reachable, but {url} answered HTTP {status}",
        "set organization.health_url to an address of the service that answers 200, or ask IT.",
    )


def _check_rocketchat(rocketchat: RocketChatClient) -> Check:
    try:
        info = rocketchat.info()
    except LauncherError as error:
        return Check("Rocket.Chat", "fail", str(error))
    version = info["version"]
    detail = f"version {version} answers at {rocketchat.base_url}"
    notes = version_notes(version)
    return Check("Rocket.Chat", "ok", detail + (f"; {notes}" if notes else ""))


def version_notes(version: str) -> str:
    """What the launcher does differently for this Rocket.Chat version, in words for IT
    (docs/rocketchat-contract.md#version-differences)."""
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError:
        return f"an unrecognised version number, so the launcher assumes a current server ({version!r})"
    notes = []
    if major < 7:
        notes.append(
            "before 7.0, so its public settings come as one long list that the launcher reads page by page"
        )
    if (major, minor) < (7, 8):
        notes.append("unread counts come from its unread-changed event only")
    else:
        notes.append("rooms unread without a count show as a dot, from its per-room unread events")
    return "; ".join(notes)


def _check_page_certificate(settings: Settings) -> Check:
    from launcher.doctor.certificate import CertificateCheckError, check_page_certificate

    name = "Page certificate"
    url = settings.rocketchat_url
    if not url.startswith("https://"):
        return Check(name, "skip", f"{url} is not https")
    try:
        refusal = check_page_certificate(url, settings.ca_file, settings.proxy)
    except CertificateCheckError as error:
        return Check(name, "fail", str(error))
    if refusal is None:
        extra = " (with network.ca_file)" if settings.ca_file else ""
        return Check(name, "ok", f"the window trusts the certificate chain of {url}{extra}")
    return Check(
        name,
        "fail",
        refusal.message(),
        "add the CA certificate that issued it (PEM) as network.ca_file, or install it in the system's trust "
        "store (update-ca-certificates), then run doctor again.",
    )


def _check_iframe(settings: Settings, rocketchat: RocketChatClient) -> Check:
    name = "Iframe login command"
    if settings.login_strategy == "resume-token":
        return Check(name, "skip", 'not used (login_strategy = "resume-token")')
    try:
        values = rocketchat.public_settings([_RECEIVE_ENABLE, _RECEIVE_ORIGIN])
    except LauncherError as error:
        return Check(name, "fail", str(error))
    origin = settings.rocketchat_origin
    if _RECEIVE_ENABLE not in values:
        return Check(
            name,
            "warn",
            f"Rocket.Chat did not list {_RECEIVE_ENABLE} among its public settings, so whether it takes the "
            "command is unknown; the launcher tries the command first and falls back to the resume-token link",
            "check that the address is Rocket.Chat itself and not a proxy page, or ask IT.",
        )
    enabled = values.get(_RECEIVE_ENABLE) is True
    allowed = values.get(_RECEIVE_ORIGIN, "*")
    if allowed is None:
        allowed = "*"  # Rocket.Chat's default
    if enabled and allowed == "*":
        return Check(
            name,
            "warn",
            "\"Receive Origins\" is *, so any site, even another site's frame inside Rocket.Chat's page, can "
            "post the login-with-token command and sign this window in as another user",
            f'in Rocket.Chat, {_ADMIN_PLACE}, set "Receive Origins" to {origin} (Rocket.Chat\'s own address; '
            "the launcher sends the command from there).",
        )
    if enabled and receive_origin_admits(allowed, origin):
        return Check(name, "ok", f'enabled, and "Receive Origins" ({allowed!s}) admits {origin}')
    forced = settings.login_strategy == "iframe-command"
    consequence = (
        'login_strategy = "iframe-command" forbids the fallback, so signing in the window will fail.'
        if forced
        else "until then the launcher signs in with the resume-token link instead (it works, but the token "
        "passes through the page address)."
    )
    if not enabled:
        problem = '"Enable Receive" is off in Rocket.Chat'
        fix = f'in Rocket.Chat, {_ADMIN_PLACE}, turn on "Enable Receive"'
        if allowed == "*":
            fix += f' and set "Receive Origins" to {origin} instead of *'
        elif not receive_origin_admits(allowed, origin):
            fix += f' and add {origin} to "Receive Origins" (comma-separated, no spaces)'
    else:
        problem = f'"Receive Origins" ({allowed!s}) does not admit {origin}'
        fix = (
            f'in Rocket.Chat, {_ADMIN_PLACE}, set "Receive Origins" to {origin} (Rocket.Chat\'s own address; '
            "to keep other senders, add it to the list: comma-separated, no spaces, no trailing slash)"
        )
    return Check(name, "fail" if forced else "warn", problem, f"{fix}; {consequence}")


def _keyring_checks(store: CredentialStore) -> list[Check]:
    try:
        backend = store.check()
    except LauncherError as error:
        return [
            Check("Keyring", "fail", str(error)),
            Check("Stored sign-in", "skip", "needs a usable keyring"),
        ]
    checks = [Check("Keyring", "ok", f"{backend} is usable")]
    try:
        login = store.load_login()
    except LauncherError as error:
        checks.append(Check("Stored sign-in", "fail", str(error)))
        return checks
    if login is None:
        checks.append(
            Check(
                "Stored sign-in",
                "warn",
                "nothing is stored",
                'sign in once in the window with "Remember me", or run: rocketchat-launcher sign-in',
            )
        )
    elif login.password is None:
        checks.append(
            Check(
                "Stored sign-in",
                "warn",
                f"the username {login.username} is stored, but no password",
                'sign in with "Remember me", or run: rocketchat-launcher sign-in',
            )
        )
    else:
        checks.append(Check("Stored sign-in", "ok", f"username {login.username} and password are stored"))
    return checks


def _check_sign_in(
    settings: Settings, store: CredentialStore, client: Any, keyring_checks: list[Check]
) -> Check:
    name = "Test sign-in"
    if keyring_checks[0].status != "ok":
        return Check(name, "skip", "needs a usable keyring")
    try:
        has_token = store.load_token(settings.rocketchat_url) is not None
        login = store.load_login()
    except LauncherError as error:
        return Check(name, "fail", str(error))
    if not has_token and (login is None or login.password is None):
        return Check(name, "skip", "nothing stored to sign in with")
    outcome = SignInFlow(settings, store, client=client).resume()
    if isinstance(outcome, SignedIn):
        how = (
            "the cached Rocket.Chat token is accepted"
            if outcome.source == "cached"
            else "with the stored login"
        )
        who = f" as {outcome.username}" if outcome.username else ""
        return Check(name, "ok", f"signed in{who} ({how})")
    if isinstance(outcome, NeedsCredentials):
        return Check(
            name,
            "fail",
            outcome.message or "the stored sign-in no longer works",
            "run: rocketchat-launcher sign-in",
        )
    assert isinstance(outcome, Failed)
    return Check(name, "fail", outcome.message)
