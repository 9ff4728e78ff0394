"""The LDAP / Active Directory directory against a real slapd on 127.0.0.1, through the service's real HTTP."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rcsandbox import Sandbox
from tests.support.certs import CertFiles, make_test_ca
from tests.support.servers import (
    BASE_DN,
    GROUP_DN,
    SERVICE_DN,
    SERVICE_PASSWORD,
    LdapUser,
    SlapdServer,
    ldap_settings,
    require_binary,
)
from tokenservice.config import load_config
from tokenservice.directory import DirectoryUnavailable
from tokenservice.ldap_directory import LdapDirectory
from tokenservice.throttle import ThrottleSettings

from .conftest import RunningService

pytestmark = pytest.mark.real

USERS = [
    LdapUser("alice", "alice-ldap-pw", "Alice Doe", "alice@example.com"),
    LdapUser("jürgen", "jürgen-ldap-pw", "Jürgen Müller", "juergen@example.com"),
    LdapUser("doe", "doe-ldap-pw", "John Smith", "john.smith@example.com"),
    LdapUser("mallory", "mallory-ldap-pw", "Mallory Outsider", "mallory@example.com", in_group=False),
]
PASSWORDS = {u.uid: u.password for u in USERS}


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> CertFiles:
    return make_test_ca(tmp_path_factory.mktemp("ldap-tls"))


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory, tls: CertFiles) -> Iterator[SlapdServer]:
    server = SlapdServer(tmp_path_factory.mktemp("slapd"), USERS, tls).setup().start()
    yield server
    server.stop()


@pytest.fixture
def ldap_service(
    slapd: SlapdServer, start_service: Callable[..., RunningService]
) -> Callable[..., RunningService]:
    def start(**ldap: Any) -> RunningService:
        service_overrides = ldap.pop("service", {})
        return start_service(directory=LdapDirectory(ldap_settings(slapd, **ldap)), **service_overrides)

    return start


def login(service: RunningService, username: str, password: str) -> httpx.Response:
    return httpx.post(f"{service.url}/api/login", json={"username": username, "password": password})


def test_good_login_creates_the_rocketchat_user_from_directory_attributes(
    rc: Sandbox, ldap_service: Callable[..., RunningService]
) -> None:
    service = ldap_service()
    resp = login(service, "alice", "alice-ldap-pw")
    assert resp.status_code == 200, resp.text
    assert resp.json()["username"] == "alice"
    bearer = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    token = service.token(bearer)
    assert token.status_code == 200, token.text
    user = rc.state.store.by_username("alice")
    assert user is not None
    assert (user.name, user.email) == ("Alice Doe", "alice@example.com")


def test_wrong_password_and_unknown_user_are_401(ldap_service: Callable[..., RunningService]) -> None:
    service = ldap_service()
    wrong = login(service, "alice", "not-her-password")
    unknown = login(service, "nobody", "alice-ldap-pw")
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_credentials")
    assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_credentials")


def test_empty_password_is_refused_before_any_bind(slapd: SlapdServer) -> None:
    # This slapd, like many servers, accepts a DN with an empty password as an anonymous bind ...
    whoami = subprocess.run(
        [
            require_binary("ldapwhoami"),
            "-x",
            "-H",
            slapd.url,
            "-D",
            f"uid=alice,ou=people,{BASE_DN}",
            "-w",
            "",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (whoami.returncode, whoami.stdout.strip()) == (0, "anonymous")
    # ... so the directory says "wrong password" for it without binding (the HTTP layer refuses it too).
    directory = LdapDirectory(ldap_settings(slapd))
    try:
        assert asyncio.run(directory.authenticate("alice", "")) is None
    finally:
        asyncio.run(directory.aclose())


def test_a_member_outside_the_group_gets_its_own_refusal(ldap_service: Callable[..., RunningService]) -> None:
    service = ldap_service()
    right = login(service, "mallory", "mallory-ldap-pw")
    assert right.status_code == 403, right.text
    assert right.json()["error"] == "not_permitted"
    assert "not a member of the group" in right.json()["message"]
    # Membership is only told to someone with the password.
    wrong = login(service, "mallory", "a-guess")
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_credentials")
    # Without a group requirement the same person gets in.
    open_service = ldap_service(group_dn=None)
    assert login(open_service, "mallory", "mallory-ldap-pw").status_code == 200


@pytest.mark.parametrize(
    "username",
    [
        "*",
        "al*",
        "a*e",
        "alice)(uid=*",
        "*)(|(uid=*",
        "alice)(|(objectClass=*",
        "\\00",
        "alice\x00",
        "(uid=alice)",
    ],
)
def test_filter_injection_finds_nobody(ldap_service: Callable[..., RunningService], username: str) -> None:
    service = ldap_service()
    resp = login(service, username, "alice-ldap-pw")
    assert (resp.status_code, resp.json()["error"]) == (401, "invalid_credentials"), resp.text


def test_non_ascii_username(rc: Sandbox, ldap_service: Callable[..., RunningService]) -> None:
    service = ldap_service()
    resp = login(service, "jürgen", "jürgen-ldap-pw")
    assert resp.status_code == 200, resp.text
    assert resp.json()["username"] == "jürgen"
    assert login(service, "jurgen", "jürgen-ldap-pw").status_code == 401


def test_more_than_one_entry_is_refused_never_picked(ldap_service: Callable[..., RunningService]) -> None:
    # "doe" is John Smith's uid and Alice Doe's surname: two entries match this (badly chosen) filter.
    service = ldap_service(user_filter="(|(uid={username})(sn={username}))")
    resp = login(service, "doe", "doe-ldap-pw")
    assert (resp.status_code, resp.json()["error"]) == (403, "ambiguous_account"), resp.text
    assert login(service, "smith", "doe-ldap-pw").status_code == 200  # exactly one entry: fine


def test_ldaps_with_the_test_ca(
    slapd: SlapdServer, tls: CertFiles, ldap_service: Callable[..., RunningService]
) -> None:
    service = ldap_service(url=slapd.ldaps_url, ca_file=tls.ca_file)
    assert login(service, "alice", "alice-ldap-pw").status_code == 200


def test_starttls_with_the_test_ca(
    slapd: SlapdServer, tls: CertFiles, ldap_service: Callable[..., RunningService]
) -> None:
    service = ldap_service(start_tls=True, ca_file=tls.ca_file)
    assert login(service, "alice", "alice-ldap-pw").status_code == 200


def test_a_server_certificate_from_another_ca_is_not_trusted(
    slapd: SlapdServer, tmp_path: Path, ldap_service: Callable[..., RunningService]
) -> None:
    other = make_test_ca(tmp_path / "other", name="Someone Else's CA")
    for service in (
        ldap_service(url=slapd.ldaps_url, ca_file=other.ca_file),
        ldap_service(start_tls=True, ca_file=other.ca_file),
    ):
        resp = login(service, "alice", "alice-ldap-pw")
        assert (resp.status_code, resp.json()["error"]) == (503, "directory_unavailable"), resp.text


def test_a_stopped_directory_is_503_not_a_wrong_password_and_not_throttled(
    tmp_path: Path, tls: CertFiles, start_service: Callable[..., RunningService]
) -> None:
    server = SlapdServer(tmp_path / "slapd", USERS[:1], tls).setup().start()
    try:
        throttle = ThrottleSettings(max_failures_per_username=2, max_failures_per_address=3)
        service = start_service(directory=LdapDirectory(ldap_settings(server)), throttle=throttle)
        first = login(service, "alice", "alice-ldap-pw")
        assert first.status_code == 200  # a pooled service connection now exists and goes stale below
        bearer = {"Authorization": f"Bearer {first.json()['access_token']}"}
        server.stop()

        answers = [login(service, "alice", "alice-ldap-pw") for _ in range(6)]
        assert {(a.status_code, a.json()["error"]) for a in answers} == {(503, "directory_unavailable")}
        assert "directory cannot be reached" in answers[0].json()["message"]
        assert service.token(bearer).status_code == 503  # the session's directory check cannot be made
        ready = httpx.get(f"{service.url}/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["directory"] == "fail"

        server.start()
        # Six unanswered checks were no failures: the right password gets straight in, no 429.
        assert login(service, "alice", "alice-ldap-pw").status_code == 200
        assert service.token(bearer).status_code == 200
        service.clock.advance(5)  # /readyz reuses its answer for a few seconds
        assert httpx.get(f"{service.url}/readyz").json()["checks"]["directory"] == "ok"
    finally:
        server.stop()


def test_secrets_never_reach_the_unavailable_message(tmp_path: Path, tls: CertFiles) -> None:
    server = SlapdServer(tmp_path / "slapd", USERS[:1], tls).setup()  # set up, never started
    directory = LdapDirectory(ldap_settings(server, connect_timeout=1.0))
    try:
        with pytest.raises(DirectoryUnavailable) as caught:
            asyncio.run(directory.authenticate("alice", "alice-ldap-pw"))
    finally:
        asyncio.run(directory.aclose())
    assert SERVICE_PASSWORD not in str(caught.value) and "alice-ldap-pw" not in str(caught.value)
    assert server.url in str(caught.value)


def test_config_file_with_kind_ldap(slapd: SlapdServer, tls: CertFiles, tmp_path: Path) -> None:
    (tmp_path / "bind-pw").write_text(SERVICE_PASSWORD + "\n", encoding="utf-8")
    config = tmp_path / "tokenservice.toml"
    config.write_text(
        f"""
[rocketchat]
url = "http://127.0.0.1:3000"
[rocketchat.service_account]
username = "admin"
password_env = "RC_PW"
[directory]
kind = "ldap"
url = "{slapd.ldaps_url}"
ca_file = "{tls.ca_file}"
base_dn = "{BASE_DN}"
bind_dn = "{SERVICE_DN}"
bind_password_file = "bind-pw"
user_filter = "(uid={{username}})"
group_dn = "{GROUP_DN}"
timeout = 3
pool_size = 2
""",
        encoding="utf-8",
    )
    loaded = load_config(config, env={"RC_PW": "x"})
    directory = loaded.directory
    assert isinstance(directory, LdapDirectory)
    assert "ldap-service-pw" not in repr(directory.settings)
    try:
        employee = asyncio.run(directory.authenticate("alice", "alice-ldap-pw"))
        assert employee is not None and employee.email == "alice@example.com"
    finally:
        asyncio.run(directory.aclose())


def test_two_instances_on_ldap_and_redis_share_a_session(
    slapd: SlapdServer, tmp_path: Path, start_service: Callable[..., RunningService]
) -> None:
    from tests.support.servers import RedisServer

    redis_server = RedisServer(tmp_path / "redis").start()
    try:
        one, two = (
            start_service(directory=LdapDirectory(ldap_settings(slapd)), redis_url=redis_server.url)
            for _ in range(2)
        )
        resp = login(one, "alice", "alice-ldap-pw")
        assert resp.status_code == 200, resp.text
        token = two.token({"Authorization": f"Bearer {resp.json()['access_token']}"})
        assert token.status_code == 200, token.text
    finally:
        redis_server.stop()
