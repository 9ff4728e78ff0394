"""The launcher's typed errors.

Every error's ``str()`` is one sentence for a person: what happened and what to do. The window and the CLI
show it as is, so messages never contain secrets (passwords, tokens, cookies).
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "CredentialStoreError",
    "InvalidCredentials",
    "KeyringLockedError",
    "KeyringUnavailable",
    "LauncherError",
    "RateLimited",
    "ServerError",
    "ServerUnreachable",
    "SessionRejected",
    "TokenRejected",
    "UnexpectedResponse",
]


class LauncherError(Exception):
    """Base of every error the launcher reports to a person."""

    #: True when trying again later, unchanged, may succeed (network trouble, a busy server).
    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(LauncherError):
    """A configuration file or flag is missing, malformed or holds a value that is not allowed."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.key = key


class CredentialStoreError(LauncherError):
    """The system keyring refused or failed an operation."""


class KeyringUnavailable(CredentialStoreError):
    """There is no usable keyring backend (or only one that would store secrets in plain text)."""


class KeyringLockedError(CredentialStoreError):
    """The keyring exists but is locked, or its unlock prompt was dismissed."""

    retryable = True


class ServerError(LauncherError):
    """A server could not be used: it is unreachable or answered something unusable.

    ``server`` names the server for people ("the organization sign-in service", "Rocket.Chat"),
    ``url`` is the address that failed, ``kind`` is a short machine-readable cause.
    """

    retryable = True

    def __init__(self, message: str, *, server: str, url: str, kind: str) -> None:
        super().__init__(message)
        self.server = server
        self.url = url
        self.kind = kind


class ServerUnreachable(ServerError):
    """No HTTP answer: DNS, connection refused, timeout, TLS/CA or proxy trouble."""


class UnexpectedResponse(ServerError):
    """An HTTP answer that is not what the contract says (an HTML page, JSON without the token, a 5xx)."""


class RateLimited(ServerError):
    """The server asked us to slow down (HTTP 429)."""

    def __init__(self, message: str, *, server: str, url: str, retry_after: float | None) -> None:
        super().__init__(message, server=server, url=url, kind="rate-limited")
        self.retry_after = retry_after


class InvalidCredentials(LauncherError):
    """The organization (or Rocket.Chat in mode "rocketchat") rejected the username or password."""


class SessionRejected(LauncherError):
    """The organization no longer accepts a session it issued (expired or revoked)."""


class TokenRejected(LauncherError):
    """Rocket.Chat no longer accepts a token (HTTP 401 on an authenticated call)."""
