"""The typed settings: ``Settings`` (every value and where it came from) and ``OrganizationApi`` (the
organization's sign-in service with every address resolved)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from launcher.errors import ConfigError
from launcher.origins import origin_of
from launcher.paths import Paths

__all__ = ["OrganizationApi", "Settings", "organization_api"]


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
    #: Key -> the administrator's file that locks it (user layers cannot override it).
    locks: Mapping[str, str] = field(default_factory=dict)
    #: One sentence per user setting that was ignored because the administrator locked the key.
    warnings: tuple[str, ...] = ()

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
    def downloads_folder(self) -> Path | None:
        folder = self.values["downloads.folder"]
        return Path(folder) if folder else None

    @property
    def downloads_ask(self) -> bool:
        return self.values["downloads.ask"]

    @property
    def spellcheck_enabled(self) -> bool:
        return self.values["spellcheck.enabled"]

    @property
    def spellcheck_languages(self) -> list[str]:
        return list(self.values["spellcheck.languages"])

    @property
    def video_conference_in_app(self) -> bool:
        return self.values["video_conference.in_app"]

    @property
    def video_conference_origins(self) -> list[str]:
        return list(self.values["video_conference.origins"])

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


def organization_api(values: dict[str, Any], sources: dict[str, str], paths: Paths) -> OrganizationApi:
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
