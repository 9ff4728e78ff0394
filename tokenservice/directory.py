"""Who the employees are: the pluggable directory behind `POST /api/login`.

The endpoints only see the `EmployeeDirectory` protocol, so an LDAP bind (or anything else) can replace the
users file without touching them. `UsersFileDirectory` is the one implementation today: a TOML file of
`[[users]]` entries with scrypt hashes made by `python -m tokenservice hash-password`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from .errors import TokenServiceError
from .passwords import PasswordHashError, hash_password, verify_password
from .usernames import fold

__all__ = [
    "AmbiguousEmployee",
    "DirectoryError",
    "DirectoryUnavailable",
    "Employee",
    "EmployeeDirectory",
    "EmployeeRefused",
    "InvalidCredentials",
    "NotPermitted",
    "UsersFileDirectory",
]

log = logging.getLogger("tokenservice.directory")


@dataclass(frozen=True)
class Employee:
    """What Rocket.Chat needs to create the employee's account."""

    username: str
    name: str
    email: str


@runtime_checkable
class EmployeeDirectory(Protocol):
    """Checks passwords and answers who someone is. Implementations must not log passwords."""

    async def authenticate(self, username: str, password: str) -> Employee | None:
        """The employee if `password` is right for `username`, else None (unknown user or wrong password).

        Raises DirectoryUnavailable when the directory cannot answer, EmployeeRefused when it will not admit
        someone whose password it cannot or need not check against one entry."""
        ...

    async def lookup(self, username: str) -> Employee | None:
        """The employee if `username` is (still) in the directory; lets a removed employee lose access."""
        ...

    async def canonical_name(self, username: str) -> str | None:
        """The directory's own name for the one entry `username` matches, None if it matches none (or
        several). Checks no password; the login throttle keys on it, so that every spelling the
        directory accepts for one employee shares that employee's limits."""
        ...

    async def check(self) -> None:
        """Raise DirectoryUnavailable unless the directory answers now (for /readyz)."""
        ...

    async def aclose(self) -> None:
        """Release connections and threads."""
        ...


class DirectoryError(TokenServiceError):
    """The directory cannot be used as configured (unreadable or invalid users file, bad LDAP settings).

    Raised while the service starts (load_config turns it into a ConfigError), never answered."""


class DirectoryUnavailable(TokenServiceError):
    """The directory cannot be reached or is failing now (HTTP 503); never a wrong password.

    The detail (for the log) names the server and what failed, never a password; the client reads only
    that the directory is down."""

    status = 503
    code = "directory_unavailable"
    message = "The employee directory cannot be reached right now; try again in a minute."
    retry_after = 30


class InvalidCredentials(TokenServiceError):
    """The directory does not accept this username and password (HTTP 401); which one is wrong is not told."""

    status = 401
    code = "invalid_credentials"
    message = "The username or password is wrong."


class EmployeeRefused(TokenServiceError):
    """The directory knows the person but will not let them in (HTTP 403), distinct from a wrong password.
    The detail is the client's message."""

    status = 403
    code = "not_permitted"
    public_detail = True


class NotPermitted(EmployeeRefused):
    """The password is right but the employee is not in the group that may use chat."""

    code = "not_permitted"


class AmbiguousEmployee(EmployeeRefused):
    """More than one directory entry matches the username; the service never picks one."""

    code = "ambiguous_account"


@dataclass(frozen=True)
class _Entry:
    employee: Employee
    password_hash: str


class UsersFileDirectory:
    """Employees from a TOML users file, re-read when the file changes on disk.

    ```toml
    [[users]]
    username = "alice"
    name = "Alice Doe"
    email = "alice@example.com"
    password_hash = "scrypt$n=16384,r=8,p=1$...$..."
    ```
    Usernames match as LDAP matches them: after case folding and Unicode compatibility normalisation
    (usernames.fold), so `ＡＬＩＣＥ` is alice; Rocket.Chat gets the spelling from the file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._entries: dict[str, _Entry] = {}
        self._dummy_hash: str | None = None
        self._reload(force=True)

    async def authenticate(self, username: str, password: str) -> Employee | None:
        return await asyncio.to_thread(self._authenticate, username, password)

    async def lookup(self, username: str) -> Employee | None:
        self._reload()
        entry = self._entries.get(fold(username))
        return entry.employee if entry else None

    async def canonical_name(self, username: str) -> str | None:
        self._reload()
        entry = self._entries.get(fold(username))
        return entry.employee.username if entry else None

    async def check(self) -> None:
        self._reload()

    async def aclose(self) -> None:
        return None

    def _authenticate(self, username: str, password: str) -> Employee | None:
        self._reload()
        entry = self._entries.get(fold(username))
        if entry is None:
            # Spend the same scrypt time for unknown names so timing does not reveal who exists.
            verify_password(password, self._dummy())
            return None
        try:
            ok = verify_password(password, entry.password_hash)
        except PasswordHashError:
            log.error(
                "users file %s: the password hash of %r is unusable", self.path, entry.employee.username
            )
            return None
        return entry.employee if ok else None

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = hash_password("not-a-real-password")
        return self._dummy_hash

    def _reload(self, force: bool = False) -> None:
        try:
            st = self.path.stat()
        except OSError as exc:
            if force:
                raise DirectoryError(f"cannot read the users file {self.path}: {exc.strerror}") from exc
            log.error("users file %s is no longer readable; keeping the last good copy", self.path)
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            try:
                entries = _parse_users_file(self.path)
            except DirectoryError:
                if force:
                    raise
                log.exception("users file %s changed but is invalid; keeping the last good copy", self.path)
                self._stamp = stamp
                return
            self._entries = entries
            self._stamp = stamp
            log.info("loaded %d employees from %s", len(entries), self.path)


def _parse_users_file(path: Path) -> dict[str, _Entry]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DirectoryError(f"cannot read the users file {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DirectoryError(f"the users file {path} is not valid TOML: {exc}") from exc
    users = data.get("users", [])
    if not isinstance(users, list):
        raise DirectoryError(f"the users file {path} must hold [[users]] tables")
    entries: dict[str, _Entry] = {}
    for index, raw in enumerate(users, start=1):
        where = f"users file {path}, entry {index}"
        if not isinstance(raw, dict):
            raise DirectoryError(f"{where} is not a table")
        fields = {}
        for key in ("username", "name", "email", "password_hash"):
            value = raw.get(key)
            if not isinstance(value, str) or not value.strip():
                raise DirectoryError(f"{where} needs a non-empty string {key!r}")
            fields[key] = value.strip()
        if raw.get("disabled", False) is True:
            continue
        key = fold(fields["username"])
        if key in entries:
            raise DirectoryError(f"{where}: username {fields['username']!r} appears twice")
        employee = Employee(username=fields["username"], name=fields["name"], email=fields["email"])
        entries[key] = _Entry(employee=employee, password_hash=fields["password_hash"])
    return entries
