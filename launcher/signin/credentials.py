"""What the launcher remembers, kept only in the system keyring.

Three entries, one username per service (Windows Credential Manager keys on the service name):

* ``<ns>/org-login``        the employee's username and, when remembered, the password and the address
                            it is sent to (``server``: the sign-in service's login address)
* ``<ns>/org-session``      the organization's session, when ``organization.remember = "session"``, and
                            the address it is sent to (``server``: the token address)
* ``<ns>/rocketchat-token`` the cached Rocket.Chat token, its user id and expiry, and the server it is for

Each secret is bound to its server: the sign-in flow sends it only where it was first accepted (entries of
older versions have no ``server``; the flow binds them on their first successful use).

Values are JSON. A value longer than Windows' credential blob allows (2560 bytes of UTF-16 for
``CredWrite``, see docs/platform-notes.md#keyring) is split into numbered chunks under the same service
instead of being truncated. The store accepts only the operating systems' own stores (keyring_backends.py):
anything else raises a typed error instead of silently keeping secrets elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import keyring
import keyring.backend
import keyring.errors

from launcher import APP_NAME
from launcher.errors import CredentialStoreError, KeyringLockedError, KeyringUnavailable
from launcher.logs.redaction import register_secret
from launcher.signin._text import short_error
from launcher.signin.keyring_backends import (
    OS_STORES,
    backend_name,
    default_backend,
    no_keyring_message,
    os_store,
    refuse_unsafe,
)
from launcher.signin.tokens import OrgSession, RocketChatToken

__all__ = ["CHUNK_SIZE", "OS_STORES", "CredentialStore", "StoredLogin", "backend_name", "os_store"]

log = logging.getLogger(__name__)

#: Characters per keyring entry. Values are ASCII JSON (one UTF-16 unit per character), so 1000 characters
#: stay well under Windows' 1280-character blob limit.
CHUNK_SIZE = 1000
_CHUNK_MARKER = "chunked:v1:"
_MAX_CHUNKS = 64

_LOGIN, _SESSION, _TOKEN = "org-login", "org-session", "rocketchat-token"
_ENTRY_USER = {_LOGIN: "login", _SESSION: "session", _TOKEN: "token"}

T = TypeVar("T")

#: Reads of one entry that found it replaced under them (see ``_read``) before the store gives up.
_READ_TRIES = 3

try:  # the Secret Service's library (Linux); elsewhere no backend raises it
    from secretstorage.exceptions import ItemNotFoundException as _ItemGone
except ImportError:  # pragma: no cover - Windows and macOS

    class _ItemGone(Exception):  # type: ignore[no-redef]
        pass


@dataclass(frozen=True)
class StoredLogin:
    username: str
    password: str | None  # None: only the username is remembered (prefill)
    server: str | None = None  # where the password may be sent; None: stored by an older version


class CredentialStore:
    """The launcher's secrets in the system keyring; every failure is a ``CredentialStoreError``."""

    def __init__(
        self, namespace: str = APP_NAME, backend: keyring.backend.KeyringBackend | None = None
    ) -> None:
        self.namespace = namespace
        self._backend = backend

    # --- backend --------------------------------------------------------------------------------------

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        """The keyring backend in use, after checking it is one that keeps secrets safe."""
        backend = self._backend if self._backend is not None else self._call(default_backend)
        refuse_unsafe(backend)
        return backend

    @property
    def backend_name(self) -> str:
        return backend_name(self.backend)

    def check(self) -> str:
        """Prove the keyring works (a read of our own entry, which unlocks or fails); return its name."""
        self._get(_LOGIN)
        return self.backend_name

    # --- the employee's login ---------------------------------------------------------------------------

    def load_login(self) -> StoredLogin | None:
        data = self._get_json(_LOGIN)
        if not data or not isinstance(data.get("username"), str):
            return None
        password = data.get("password") if isinstance(data.get("password"), str) else None
        server = data.get("server") if isinstance(data.get("server"), str) and password else None
        register_secret(password)
        return StoredLogin(username=data["username"], password=password, server=server)

    def save_login(self, username: str, password: str | None, server: str | None = None) -> None:
        """Keep the username and, unless None, the password bound to ``server`` (where it is sent)."""
        register_secret(password)
        data: dict[str, Any] = {"username": username}
        if password is not None:
            data["password"] = password
            if server is not None:
                data["server"] = server
        self._set_json(_LOGIN, data)

    def forget_password(self) -> None:
        """Keep the username (to prefill the form) but drop the password."""
        login = self.load_login()
        if login is not None and login.password is not None:
            self.save_login(login.username, None)

    # --- the organization's session ---------------------------------------------------------------------

    def load_session(self) -> OrgSession | None:
        data = self._get_json(_SESSION)
        if not data or not isinstance(data.get("username"), str):
            return None
        access_token = data.get("access_token") if isinstance(data.get("access_token"), str) else None
        cookies = {str(k): str(v) for k, v in (data.get("cookies") or {}).items()}
        register_secret(access_token)
        for value in cookies.values():
            register_secret(value)
        return OrgSession(
            username=data["username"],
            access_token=access_token,
            cookies=cookies,
            expires_at=_parse_time(data.get("expires_at")),
            server=data.get("server") if isinstance(data.get("server"), str) else None,
        )

    def save_session(self, session: OrgSession, server: str | None = None) -> None:
        """Keep the session bound to ``server`` (where it is sent; default: ``session.server``)."""
        register_secret(session.access_token)
        data: dict[str, Any] = {
            "username": session.username,
            "access_token": session.access_token,
            "cookies": session.cookies,
            "expires_at": session.expires_at.isoformat() if session.expires_at else None,
        }
        server = server if server is not None else session.server
        if server is not None:
            data["server"] = server
        self._set_json(_SESSION, data)

    def forget_session(self) -> None:
        self._delete(_SESSION)

    # --- the Rocket.Chat token --------------------------------------------------------------------------

    def load_token(self, server: str) -> RocketChatToken | None:
        """The cached token for ``server`` (a token cached for another Rocket.Chat is ignored)."""
        data = self._get_json(_TOKEN)
        if not data or data.get("server") != server:
            return None
        if not isinstance(data.get("authToken"), str) or not isinstance(data.get("userId"), str):
            return None
        register_secret(data["authToken"])
        return RocketChatToken(
            auth_token=data["authToken"],
            user_id=data["userId"],
            expires_at=_parse_time(data.get("expiresAt")),
        )

    def save_token(self, token: RocketChatToken, server: str) -> None:
        register_secret(token.auth_token)
        data = {
            "server": server,
            "authToken": token.auth_token,
            "userId": token.user_id,
            "expiresAt": token.expires_at.isoformat() if token.expires_at else None,
        }
        self._set_json(_TOKEN, data)

    def forget_token(self) -> None:
        self._delete(_TOKEN)

    # --- everything ---------------------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget everything this namespace stored."""
        for kind in (_TOKEN, _SESSION, _LOGIN):
            self._delete(kind)

    def service(self, kind: str) -> str:
        """The keyring service name of an entry kind ("org-login", "org-session", "rocketchat-token")."""
        return f"{self.namespace}/{kind}"

    # --- private: JSON values, chunking, error mapping ------------------------------------------------

    def _get_json(self, kind: str) -> dict[str, Any] | None:
        raw = self._get(kind)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            log.warning("ignoring an unreadable keyring entry %s", self.service(kind))
            return None
        return data if isinstance(data, dict) else None

    def _set_json(self, kind: str, data: dict[str, Any]) -> None:
        self._set(kind, json.dumps(data, ensure_ascii=True, separators=(",", ":")))

    def _get(self, kind: str) -> str | None:
        backend = self.backend
        service, user = self.service(kind), _ENTRY_USER[kind]
        head = self._read(backend, service, user)
        if head is None or not head.startswith(_CHUNK_MARKER):
            return head
        try:
            count_text, length_text = head[len(_CHUNK_MARKER) :].split(":")
            count, length = int(count_text), int(length_text)
        except ValueError:
            log.warning("ignoring a malformed chunked keyring entry %s", service)
            return None
        parts = [self._read(backend, service, f"{user}#{index}") for index in range(1, count + 1)]
        if any(part is None for part in parts):
            log.warning("ignoring keyring entry %s: a chunk is missing", service)
            return None
        value = "".join(part for part in parts if part is not None)
        if len(value) != length:
            log.warning("ignoring keyring entry %s: its chunks do not add up", service)
            return None
        return value

    def _set(self, kind: str, value: str) -> None:
        backend = self.backend
        service, user = self.service(kind), _ENTRY_USER[kind]
        old_chunks = self._chunk_count(backend, service, user)
        if len(value) <= CHUNK_SIZE:
            self._call(backend.set_password, service, user, value)
            new_chunks = 0
        else:
            parts = [value[i : i + CHUNK_SIZE] for i in range(0, len(value), CHUNK_SIZE)]
            if len(parts) > _MAX_CHUNKS:
                raise CredentialStoreError(
                    f"A value of {len(value)} characters is too large to keep in the system keyring; "
                    "ask IT to configure a shorter organization session."
                )
            for index, part in enumerate(parts, start=1):
                self._call(backend.set_password, service, f"{user}#{index}", part)
            # The head entry goes last: a reader never sees a head whose chunks are not all written.
            self._call(backend.set_password, service, user, f"{_CHUNK_MARKER}{len(parts)}:{len(value)}")
            new_chunks = len(parts)
        for index in range(new_chunks + 1, old_chunks + 1):
            self._delete_entry(backend, service, f"{user}#{index}")

    def _delete(self, kind: str) -> None:
        backend = self.backend
        service, user = self.service(kind), _ENTRY_USER[kind]
        chunks = self._chunk_count(backend, service, user)
        self._delete_entry(backend, service, user)
        for index in range(1, chunks + 1):
            self._delete_entry(backend, service, f"{user}#{index}")

    def _read(self, backend: keyring.backend.KeyringBackend, service: str, user: str) -> str | None:
        """One entry's value. The Secret Service finds an item, then fetches its secret: another thread or
        process that replaces the entry in between (a fresh token saved while it is read) makes the item
        vanish. The entry is still there under a new item, so it is looked up again."""
        for _ in range(_READ_TRIES):
            try:
                return self._call(backend.get_password, service, user)
            except _Replaced:
                continue
        raise CredentialStoreError(
            "The system keyring kept changing while the launcher read it; close other copies of the launcher "
            "and try again."
        )

    def _chunk_count(self, backend: keyring.backend.KeyringBackend, service: str, user: str) -> int:
        head = self._read(backend, service, user)
        if head is None or not head.startswith(_CHUNK_MARKER):
            return 0
        try:
            return min(int(head[len(_CHUNK_MARKER) :].split(":")[0]), _MAX_CHUNKS)
        except ValueError:
            return 0

    def _delete_entry(self, backend: keyring.backend.KeyringBackend, service: str, user: str) -> None:
        with contextlib.suppress(_NotFound, _Replaced):  # gone already, whoever removed it
            self._call(backend.delete_password, service, user)

    @staticmethod
    def _call(function: Callable[..., T], *args: Any) -> T:
        try:
            return function(*args)
        except keyring.errors.PasswordDeleteError:
            raise _NotFound from None
        except _ItemGone:
            raise _Replaced from None
        except keyring.errors.KeyringLocked:
            raise KeyringLockedError(
                "The system keyring is locked; unlock it (for example by logging in to your desktop again) "
                "and try again."
            ) from None
        except keyring.errors.InitError as exc:
            if "dismissed" in str(exc).lower() or "unlock" in str(exc).lower():
                raise KeyringLockedError(
                    "The system keyring is locked and its unlock prompt was dismissed; unlock it and try again."
                ) from None
            raise KeyringUnavailable(no_keyring_message()) from None
        except keyring.errors.NoKeyringError:
            raise KeyringUnavailable(no_keyring_message()) from None
        except keyring.errors.PasswordSetError as exc:
            raise CredentialStoreError(
                f"The system keyring refused to save a value ({short_error(exc, 100)}); check the keyring "
                "and try again."
            ) from None
        except keyring.errors.KeyringError as exc:
            raise CredentialStoreError(
                f"The system keyring failed ({type(exc).__name__}: {short_error(exc, 100)}); check the "
                "keyring and try again."
            ) from None
        except (RuntimeError, OSError) as exc:  # D-Bus and backend-library errors that keyring lets through
            log.debug("keyring backend error", exc_info=True)
            raise CredentialStoreError(
                f"The system keyring could not be used ({type(exc).__name__}); check that your desktop's "
                "keyring service is running and try again."
            ) from None


class _NotFound(Exception):
    pass


class _Replaced(Exception):
    """The item found for an entry vanished before it could be read or deleted (see ``_read``)."""


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
