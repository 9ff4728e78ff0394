"""Real servers for the tests, each a child process on 127.0.0.1: OpenLDAP (slapd) and Redis for the token
service, tinyproxy (a forward proxy) for the page's proxy.

Each gets a throw-away configuration in a temporary directory and a free port; the system instances the
Debian packages install are never used. A missing binary is an error, not a skip: `make test` installs them
(scripts/install-system-deps.sh).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.certs import CertFiles

if TYPE_CHECKING:
    from tokenservice.ldap_directory import LdapSettings

__all__ = ["LdapUser", "RedisServer", "SlapdServer", "TinyProxy", "free_port", "require_binary"]

BASE_DN = "dc=example,dc=com"
ADMIN_DN = f"cn=admin,{BASE_DN}"
ADMIN_PASSWORD = "ldap-admin-pw"
SERVICE_DN = f"cn=tokenservice,ou=services,{BASE_DN}"
SERVICE_PASSWORD = "ldap-service-pw"
GROUP_DN = f"cn=chat-users,ou=groups,{BASE_DN}"


def require_binary(name: str) -> str:
    for directory in ("", "/usr/sbin/", "/usr/bin/"):
        path = shutil.which(directory + name) if directory else shutil.which(name)
        if path:
            return path
    raise RuntimeError(f"{name} is not installed; run `make system-deps` (scripts/install-system-deps.sh)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(proc: subprocess.Popen[Any], url: str, what: str, timeout: float = 20.0) -> None:
    """Poll `url` until it answers 200, while `proc` still runs (AssertionError naming `what` otherwise,
    with the process's stderr when it was piped)."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, f"{what} exited at start: {proc.stderr.read() if proc.stderr else ''}"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{what} did not answer {url} within {timeout:.0f} s"
        time.sleep(0.05)


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the server exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing answered on 127.0.0.1:{port} within {timeout} s") from None
            time.sleep(0.05)


def stop_process(proc: subprocess.Popen[Any] | None, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `timeout` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass(frozen=True)
class LdapUser:
    uid: str
    password: str
    name: str
    email: str
    in_group: bool = True


def _ldif_value(attribute: str, value: str) -> str:
    """An LDIF line; non-ASCII values go base64 (`attr:: ...`), as LDIF requires."""
    if value.isascii() and not value.startswith((" ", ":", "<")):
        return f"{attribute}: {value}"
    import base64

    return f"{attribute}:: {base64.b64encode(value.encode()).decode()}"


def _ldif(users: list[LdapUser]) -> str:
    entries = [
        f"dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example",
        f"dn: ou=people,{BASE_DN}\nobjectClass: organizationalUnit\nou: people",
        f"dn: ou=groups,{BASE_DN}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=services,{BASE_DN}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {SERVICE_DN}\nobjectClass: person\ncn: tokenservice\nsn: service\nuserPassword: {SERVICE_PASSWORD}",
    ]
    for user in users:
        entries.append(
            "\n".join(
                [
                    _ldif_value("dn", f"uid={user.uid},ou=people,{BASE_DN}"),
                    "objectClass: inetOrgPerson",
                    _ldif_value("uid", user.uid),
                    _ldif_value("cn", user.name),
                    _ldif_value("sn", user.name.split()[-1]),
                    _ldif_value("displayName", user.name),
                    _ldif_value("mail", user.email),
                    _ldif_value("userPassword", user.password),
                ]
            )
        )
    members = [_ldif_value("member", f"uid={u.uid},ou=people,{BASE_DN}") for u in users if u.in_group]
    entries.append("\n".join([f"dn: {GROUP_DN}", "objectClass: groupOfNames", "cn: chat-users", *members]))
    return "\n\n".join(entries) + "\n"


@dataclass
class SlapdServer:
    """slapd with an mdb database of `users`, plain LDAP (StartTLS offered) on `port`, LDAPS on `ldaps_port`."""

    directory: Path
    users: list[LdapUser]
    tls: CertFiles
    port: int = field(default_factory=free_port)
    ldaps_port: int = field(default_factory=free_port)
    _proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    def setup(self) -> SlapdServer:
        slapadd = require_binary("slapadd")
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        conf = self.directory / "slapd.conf"
        schema = "/etc/ldap/schema"
        conf.write_text(
            "\n".join(
                [
                    f"include {schema}/core.schema",
                    f"include {schema}/cosine.schema",
                    f"include {schema}/inetorgperson.schema",
                    f"pidfile {self.directory}/slapd.pid",
                    "modulepath /usr/lib/ldap",
                    "moduleload back_mdb",
                    # Like many Active Directory and older LDAP servers: a DN with an empty password is an
                    # "unauthenticated bind" that succeeds, so the service must refuse empty passwords itself.
                    "allow bind_anon_dn",
                    f"TLSCACertificateFile {self.tls.ca_file}",
                    f"TLSCertificateFile {self.tls.cert_file}",
                    f"TLSCertificateKeyFile {self.tls.key_file}",
                    "database mdb",
                    "maxsize 10485760",
                    f"suffix {BASE_DN}",
                    f"rootdn {ADMIN_DN}",
                    f"rootpw {ADMIN_PASSWORD}",
                    f"directory {data}",
                    "access to attrs=userPassword by anonymous auth by * none",
                    "access to * by * read",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        ldif = self.directory / "data.ldif"
        ldif.write_text(_ldif(self.users), encoding="utf-8")
        result = subprocess.run(
            [slapadd, "-f", str(conf), "-l", str(ldif)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"slapadd failed: {result.stderr[-2000:]}")
        return self

    def start(self) -> SlapdServer:
        slapd = require_binary("slapd")
        log = self.directory / "slapd.log"
        with log.open("ab") as out:
            self._proc = subprocess.Popen(
                [
                    slapd,
                    "-d",
                    "0",
                    "-f",
                    str(self.directory / "slapd.conf"),
                    "-h",
                    f"{self.url}/ {self.ldaps_url}/",
                ],
                stdout=out,
                stderr=out,
                env={**os.environ, "LDAPNOINIT": "1"},
            )
        wait_for_port(self.port, self._proc, log)
        wait_for_port(self.ldaps_port, self._proc, log)
        return self

    def stop(self) -> None:
        stop_process(self._proc)
        self._proc = None


@dataclass
class RedisServer:
    """redis-server with nothing written to disk, restartable on the same port."""

    directory: Path
    port: int = field(default_factory=free_port)
    password: str | None = None  # requirepass, when set
    _proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = require_binary("redis-server")
        self.directory.mkdir(parents=True, exist_ok=True)
        log = self.directory / "redis.log"
        with log.open("ab") as out:
            self._proc = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--dir",
                    str(self.directory),
                    *(["--requirepass", self.password] if self.password else []),
                ],
                stdout=out,
                stderr=out,
            )
        wait_for_port(self.port, self._proc, log)
        return self

    def stop(self) -> None:
        stop_process(self._proc)
        self._proc = None


def ldap_settings(slapd: SlapdServer, **overrides: Any) -> LdapSettings:
    """The token service's directory settings for `slapd` (its service account, the chat-users group, no
    lookup cache, short timeouts); `overrides` replace fields, e.g. `url=slapd.ldaps_url, ca_file=...`."""
    from tokenservice.ldap_directory import LdapSettings

    base = LdapSettings(
        url=slapd.url,
        base_dn=BASE_DN,
        bind_dn=SERVICE_DN,
        bind_password=SERVICE_PASSWORD,
        user_filter="(&(objectClass=inetOrgPerson)(uid={username}))",
        group_dn=GROUP_DN,
        connect_timeout=2.0,
        timeout=3.0,
        lookup_cache_seconds=0,
    )
    return replace(base, **overrides)


class TinyProxy:
    """A real forward proxy (Debian's tinyproxy) on 127.0.0.1, logging every request it relays.

    `bind`: the local address its outgoing connections come from (e.g. 127.0.0.2), so a server on
    127.0.0.1 can tell relayed requests (from `bind`) from direct ones (from 127.0.0.1)."""

    def __init__(self, directory: Path, bind: str | None = None) -> None:
        self.directory = directory
        self.bind = bind
        self.port = 0
        self.log = directory / "tinyproxy.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> TinyProxy:
        binary = require_binary("tinyproxy")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        lines = [
            f"Port {self.port}",
            "Listen 127.0.0.1",
            f'LogFile "{self.log}"',
            "LogLevel Info",
            "MaxClients 50",
            "Timeout 60",
            "Allow 127.0.0.1",
            "DisableViaHeader Yes",
        ]
        if self.bind:
            lines.append(f"Bind {self.bind}")
        conf = self.directory / "tinyproxy.conf"
        conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.log.touch()
        self._proc = subprocess.Popen(
            [binary, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        wait_for_port(self.port, self._proc, self.log)
        return self

    def requests(self) -> list[str]:
        """Each relayed request line, e.g. "CONNECT 127.0.0.1:8443 HTTP/1.1" or "GET http://… HTTP/1.1"."""
        found = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            _, marker, request = line.partition("): ")
            if marker and "Request (file descriptor" in line:
                found.append(request.strip())
        return found

    def stop(self) -> None:
        stop_process(self._proc)

    def __enter__(self) -> TinyProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
