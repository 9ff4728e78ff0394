"""Employees from LDAP or Active Directory: find the entry as a service account, then bind as it.

ldap3 is synchronous, so every directory call runs on a small dedicated thread pool; its size bounds both
the threads and the service-account connections kept open (`pool_size`), and the event loop never waits
on a socket. A password is checked by binding as the entry's DN on a connection of its own, closed at once.

Security points, each tested against a real slapd:
- the username is escaped (RFC 4515) before it goes into the filter, so `*` or `)(` match nothing;
- an empty password is refused before any bind: LDAP treats it as an "unauthenticated bind" that succeeds;
- more than one entry for a username is refused, never resolved by picking one;
- group membership is checked only after the password, so it cannot be probed without one;
- a directory that cannot be reached is `DirectoryUnavailable` (503), never a wrong password.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import queue
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from .directory import (
    AmbiguousEmployee,
    DirectoryError,
    DirectoryUnavailable,
    Employee,
    NotPermitted,
)
from .usernames import fold, printable

__all__ = ["LdapDirectory", "LdapSettings"]

log = logging.getLogger("tokenservice.ldap")

_T = TypeVar("_T")

# Result codes of a user bind that mean "these credentials do not get in" (wrong password, disabled or
# locked account in AD, which answers 49 with a sub-code); anything else is the directory failing.
_REFUSED_BIND = {48, 49, 50, 53}


@dataclass(frozen=True)
class LdapSettings:
    """How to reach the directory and read an employee from it (see tokenservice.example.toml)."""

    url: str
    base_dn: str
    bind_dn: str
    bind_password: str = field(repr=False)
    user_filter: str = "(uid={username})"
    username_attribute: str = "uid"
    name_attribute: str = "displayName"
    email_attribute: str = "mail"
    group_dn: str | None = None
    group_member_attribute: str = "member"
    start_tls: bool = False
    ca_file: Path | None = None
    connect_timeout: float = 5.0
    timeout: float = 10.0
    pool_size: int = 4
    lookup_cache_seconds: float = 60.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
            raise DirectoryError(
                f"directory.url must be an ldap:// or ldaps:// URL such as ldaps://dc1.example.com:636, "
                f"not {self.url!r}"
            )
        if parts.scheme == "ldaps" and self.start_tls:
            raise DirectoryError("directory.start_tls is for ldap:// URLs; an ldaps:// URL is TLS already")
        if self.user_filter.count("{username}") < 1 or not self.user_filter.startswith("("):
            raise DirectoryError(
                "directory.user_filter must be an LDAP filter holding {username}, such as (uid={username})"
            )
        if not self.base_dn or not self.bind_dn or not self.bind_password:
            raise DirectoryError("directory needs base_dn, bind_dn and bind_password_file (or _env)")
        if self.ca_file is not None and not Path(self.ca_file).is_file():
            raise DirectoryError(f"directory.ca_file {self.ca_file} is not a readable file")
        if self.connect_timeout <= 0 or self.timeout <= 0:
            raise DirectoryError("directory.connect_timeout and directory.timeout must be positive seconds")
        if not 1 <= self.pool_size <= 64:
            raise DirectoryError("directory.pool_size must be between 1 and 64")

    @property
    def uses_tls(self) -> bool:
        return self.start_tls or urlsplit(self.url).scheme == "ldaps"


@dataclass(frozen=True)
class _Found:
    dn: str
    employee: Employee


class LdapDirectory:
    """The `EmployeeDirectory` for LDAP / Active Directory."""

    def __init__(self, settings: LdapSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._clock = clock
        tls = None
        if settings.uses_tls:
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED,
                ca_certs_file=str(settings.ca_file) if settings.ca_file else None,
                version=ssl.PROTOCOL_TLS_CLIENT,
            )
        elif urlsplit(settings.url).hostname not in ("127.0.0.1", "localhost", "::1"):
            log.warning(
                "directory %s is plain LDAP without StartTLS: passwords cross the network in clear",
                settings.url,
            )
        self._tls = tls
        self._executor = ThreadPoolExecutor(max_workers=settings.pool_size, thread_name_prefix="ldap")
        self._idle: queue.LifoQueue[ldap3.Connection] = queue.LifoQueue()
        self._cache: dict[str, tuple[float, Employee | None]] = {}
        self._cache_lock = threading.Lock()

    # -- the EmployeeDirectory protocol ---------------------------------------------------------------

    async def authenticate(self, username: str, password: str) -> Employee | None:
        if not password or not username:
            return None  # an empty password is an anonymous bind that many servers accept: never try it
        return await self._run(self._authenticate, username, password)

    async def lookup(self, username: str) -> Employee | None:
        key = fold(username)
        with self._cache_lock:
            hit = self._cache.get(key)
        if hit is not None and self._clock() < hit[0]:
            return hit[1]
        employee = await self._run(self._lookup, username)
        self._remember(key, employee)
        return employee

    async def canonical_name(self, username: str) -> str | None:
        if not username:
            return None
        return await self._run(self._canonical_name, username)

    async def check(self) -> None:
        # A real round trip: an idle pooled connection says nothing about whether the server is still there.
        await self._run(self._with_service, self._ping)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        while True:
            try:
                self._idle.get_nowait().unbind()
            except queue.Empty:
                return
            except LDAPException:
                continue

    # -- work on the directory's threads ----------------------------------------------------------------

    async def _run(self, fn: Callable[..., _T], *args: object) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def _authenticate(self, username: str, password: str) -> Employee | None:
        found = self._with_service(lambda conn: self._find(conn, username))
        if found is None:
            return None
        if not self._bind_as(found.dn, password):
            return None
        if self.settings.group_dn and not self._with_service(lambda conn: self._is_member(conn, found.dn)):
            raise NotPermitted(
                f"{found.employee.username} is not a member of the group allowed to use chat; ask IT"
            )
        self._remember(fold(username), found.employee)
        return found.employee

    def _canonical_name(self, username: str) -> str | None:
        try:
            found = self._with_service(lambda conn: self._find(conn, username, quiet=True))
        except AmbiguousEmployee:
            return None  # the password check refuses it, and logs it, in its own words
        return found.employee.username if found else None

    def _lookup(self, username: str) -> Employee | None:
        def find(conn: ldap3.Connection) -> Employee | None:
            found = self._find(conn, username)
            if found is None or (self.settings.group_dn and not self._is_member(conn, found.dn)):
                return None
            return found.employee

        try:
            return self._with_service(find)
        except AmbiguousEmployee:
            return None

    def _find(self, conn: ldap3.Connection, username: str, quiet: bool = False) -> _Found | None:
        s = self.settings
        query = s.user_filter.replace("{username}", escape_filter_chars(username))
        attributes = [s.username_attribute, s.name_attribute, s.email_attribute]
        self._search(conn, s.base_dn, query, ldap3.SUBTREE, attributes, size_limit=2)
        entries = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
        if not entries:
            return None
        if len(entries) > 1:
            if not quiet:
                log.error(
                    "directory has more than one entry for user=%s; refusing to pick one", printable(username)
                )
            raise AmbiguousEmployee(
                "the directory has more than one entry for this username; ask IT to make it unique"
            )
        entry = entries[0]
        attrs = entry.get("attributes", {})
        name = _first(attrs.get(s.username_attribute)) or username
        employee = Employee(
            username=name,
            name=_first(attrs.get(s.name_attribute)) or name,
            email=_first(attrs.get(s.email_attribute)) or "",
        )
        return _Found(dn=entry["dn"], employee=employee)

    def _ping(self, conn: ldap3.Connection) -> None:
        self._search(conn, self.settings.base_dn, "(objectClass=*)", ldap3.BASE, [], size_limit=1)
        if not any(e.get("type") == "searchResEntry" for e in conn.response or []):
            raise DirectoryUnavailable(
                f"the directory {self.settings.url} has no entry {self.settings.base_dn}"
            )

    def _is_member(self, conn: ldap3.Connection, dn: str) -> bool:
        s = self.settings
        query = f"({s.group_member_attribute}={escape_filter_chars(dn)})"
        self._search(conn, s.group_dn or "", query, ldap3.BASE, [], size_limit=1)
        return any(e.get("type") == "searchResEntry" for e in conn.response or [])

    def _search(
        self,
        conn: ldap3.Connection,
        base: str,
        query: str,
        scope: str,
        attributes: list[str],
        size_limit: int,
    ) -> None:
        conn.search(
            base,
            query,
            search_scope=scope,
            attributes=attributes,
            size_limit=size_limit,
            time_limit=int(max(1, self.settings.timeout)),
        )
        code = conn.result.get("result", 0)
        # 0 success, 4 size limit exceeded (two entries were asked for, so more than one), 32 no such object
        if code not in (0, 4, 32):
            raise DirectoryUnavailable(
                f"the directory {self.settings.url} failed a search: {conn.result.get('description')}"
            )

    def _bind_as(self, dn: str, password: str) -> bool:
        conn = self._connection(dn, password)
        try:
            self._open(conn)
            if conn.bind():
                return True
            code = conn.result.get("result")
            if code in _REFUSED_BIND:
                return False
            raise DirectoryUnavailable(
                f"the directory {self.settings.url} failed a sign-in check: {conn.result.get('description')}"
            )
        except LDAPException as exc:
            raise self._unavailable(exc) from None
        finally:
            _close(conn)

    def _with_service(self, fn: Callable[[ldap3.Connection], _T]) -> _T:
        """Run `fn` on an idle service-account connection (or a new one), returning it to the pool if whole."""
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            return self._with_fresh(fn)
        try:
            result = fn(conn)
        except LDAPException:
            _close(conn)
            # An idle connection may have been dropped by the server (a restart, an idle timeout): once more
            # on a fresh one before calling the directory unreachable.
            return self._with_fresh(fn)
        except BaseException:
            _close(conn)
            raise
        self._idle.put(conn)
        return result

    def _with_fresh(self, fn: Callable[[ldap3.Connection], _T]) -> _T:
        conn = self._service_connection()
        try:
            result = fn(conn)
        except LDAPException as exc:
            _close(conn)
            raise self._unavailable(exc) from None
        except BaseException:
            _close(conn)
            raise
        self._idle.put(conn)
        return result

    def _service_connection(self) -> ldap3.Connection:
        s = self.settings
        conn = self._connection(s.bind_dn, s.bind_password)
        try:
            self._open(conn)
            if not conn.bind():
                raise DirectoryUnavailable(
                    f"the service account {s.bind_dn} cannot bind to {s.url}: {conn.result.get('description')}"
                )
        except LDAPException as exc:
            _close(conn)
            raise self._unavailable(exc) from None
        except DirectoryUnavailable:
            _close(conn)
            raise
        return conn

    def _connection(self, user: str, password: str) -> ldap3.Connection:
        return ldap3.Connection(
            self._new_server(),
            user=user,
            password=password,
            auto_bind=ldap3.AUTO_BIND_NONE,
            receive_timeout=max(1, math.ceil(self.settings.timeout)),  # ldap3 packs it as whole seconds
            raise_exceptions=False,
            read_only=True,
        )

    def _new_server(self) -> ldap3.Server:
        """A Server per connection: ldap3 marks an address that failed as unavailable for a while, which
        would keep the service answering 503 for seconds after the directory is back."""
        return ldap3.Server(
            self.settings.url,
            use_ssl=urlsplit(self.settings.url).scheme == "ldaps",
            tls=self._tls,
            connect_timeout=self.settings.connect_timeout,
            get_info=ldap3.NONE,
        )

    def _open(self, conn: ldap3.Connection) -> None:
        conn.open()
        if self.settings.start_tls and not conn.start_tls():
            raise DirectoryUnavailable(f"the directory {self.settings.url} refused StartTLS")

    def _unavailable(self, exc: LDAPException) -> DirectoryUnavailable:
        # ldap3 messages carry addresses and socket errors, not credentials; the class name says what failed.
        log.warning("directory %s failed: %s", self.settings.url, type(exc).__name__)
        return DirectoryUnavailable(
            f"the employee directory {self.settings.url} cannot be reached ({type(exc).__name__})"
        )

    def _remember(self, key: str, employee: Employee | None) -> None:
        if self.settings.lookup_cache_seconds <= 0:
            return
        with self._cache_lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (self._clock() + self.settings.lookup_cache_seconds, employee)


def _first(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip() if value is not None else ""


def _close(conn: ldap3.Connection) -> None:
    with contextlib.suppress(LDAPException, OSError):
        conn.unbind()
