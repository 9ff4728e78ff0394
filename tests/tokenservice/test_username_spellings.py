"""One employee, many spellings: the login throttle counts guesses per employee, not per spelling.

slapd matches usernames after its own string preparation (case, full-width forms, decomposed accents,
spaces, even `İ`), so `ａｌｉｃｅ`, `ALICE` and `Ａlice` all bind as alice. Each test runs against the real
slapd or the users file, with the in-memory throttle or the Redis one, over the service's real HTTP.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import httpx
import pytest
import redis

from tests.support.certs import CertFiles, make_test_ca
from tests.support.servers import LdapUser, RedisServer, SlapdServer, ldap_settings
from tokenservice.ldap_directory import LdapDirectory
from tokenservice.throttle import ThrottleSettings

from .conftest import EMPLOYEES, RunningService

pytestmark = pytest.mark.real

LDAP_USERS = [
    LdapUser("alice", "alice-ldap-pw", "Alice Doe", "alice@example.com"),
    LdapUser("jürgen", "jürgen-ldap-pw", "Jürgen Müller", "juergen@example.com"),
]
PASSWORDS = {"ldap": "alice-ldap-pw", "users-file": EMPLOYEES["alice"][0]}
EVERYWHERE = 50


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> CertFiles:
    return make_test_ca(tmp_path_factory.mktemp("spellings-tls"))


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory, tls: CertFiles) -> Iterator[SlapdServer]:
    server = SlapdServer(tmp_path_factory.mktemp("spellings-slapd"), LDAP_USERS, tls).setup().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("spellings-redis")).start()
    yield server
    server.stop()


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest, redis_server: RedisServer) -> dict[str, object]:
    """Service overrides for the throttle under test: this process's memory, or a fresh Redis."""
    if request.param == "memory":
        return {}
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    client.close()
    return {"redis_url": redis_server.url}


def _start(
    kind: str,
    slapd: SlapdServer,
    start_service: Callable[..., RunningService],
    throttle: ThrottleSettings,
    backend: dict[str, object],
) -> RunningService:
    overrides: dict[str, object] = {"throttle": throttle, **backend}
    if kind == "ldap":
        overrides["directory"] = LdapDirectory(ldap_settings(slapd))
    return start_service(**overrides)


def spellings_of_alice(count: int) -> list[str]:
    """`count` different strings that the directory takes for "alice": each letter plain or upper case,
    ASCII or full-width (U+FF21...), e.g. `aLｉＣe`."""
    forms = [
        (c, c.upper(), chr(ord(c) - ord("a") + 0xFF41), chr(ord(c) - ord("a") + 0xFF21)) for c in "alice"
    ]
    spellings = ["".join(p) for p in itertools.product(*forms) if "".join(p) != "alice"]
    assert len(spellings) >= count
    return spellings[:count]


def _login_from(address: str, url: str, username: str, password: str) -> httpx.Response:
    with httpx.Client(transport=httpx.HTTPTransport(local_address=address)) as client:
        return client.post(f"{url}/api/login", json={"username": username, "password": password})


@pytest.mark.parametrize("kind", ["ldap", "users-file"])
def test_two_hundred_spellings_get_no_more_guesses_than_the_limit(
    kind: str,
    slapd: SlapdServer,
    start_service: Callable[..., RunningService],
    backend: dict[str, object],
) -> None:
    throttle = ThrottleSettings(
        max_failures_per_username=5,
        max_failures_per_address=1000,
        max_failures_per_username_everywhere=EVERYWHERE,
        window=900,
    )
    service = _start(kind, slapd, start_service, throttle, backend)
    password = PASSWORDS[kind]
    assert _login_from("127.0.0.2", service.url, "alice", password).status_code == 200  # her own desk

    # 200 guesses, 5 from each of 40 addresses, every one in a spelling of its own.
    statuses = []
    for n, spelling in enumerate(spellings_of_alice(200)):
        address = f"127.0.1.{10 + n // 5}"
        statuses.append(_login_from(address, service.url, spelling, f"guess-{n}").status_code)

    assert statuses.count(401) == EVERYWHERE, statuses  # checked guesses: exactly the limit
    assert statuses.count(429) == 200 - EVERYWHERE
    # The right password in yet another spelling, from a new address, is held back too ...
    assert _login_from("127.0.1.99", service.url, "aliｃe", password).status_code == 429
    # ... while alice at her own desk still gets in, under the directory's spelling of her name.
    own = _login_from("127.0.0.2", service.url, "aliｃe", password)
    assert own.status_code == 200, own.text
    assert own.json()["username"] == "alice"


def test_a_spelling_only_the_directory_unifies_counts_on_its_canonical_name(
    slapd: SlapdServer, start_service: Callable[..., RunningService], backend: dict[str, object]
) -> None:
    # slapd folds `İ` (U+0130) to `i`; Unicode case folding makes it `i̇` (i + U+0307), a different string.
    # The throttle keys on the name the directory reports, so this spelling shares alice's limit.
    throttle = ThrottleSettings(max_failures_per_username=3, max_failures_per_address=1000)
    service = _start("ldap", slapd, start_service, throttle, backend)
    for n in range(3):
        assert _login_from("127.0.2.1", service.url, "alice", f"guess-{n}").status_code == 401
    assert _login_from("127.0.2.1", service.url, "ALİCE", "another-guess").status_code == 429
    # Decomposed `ü` (u + U+0308) and upper case are jürgen too.
    for n in range(3):
        assert _login_from("127.0.2.2", service.url, "jürgen", f"guess-{n}").status_code == 401
    for spelling in ("ju\u0308rgen", "JU\u0308RGEN", "ｊürgen"):
        assert _login_from("127.0.2.2", service.url, spelling, "another-guess").status_code == 429


def test_the_users_file_matches_the_spellings_the_directory_does(
    start_service: Callable[..., RunningService],
) -> None:
    service = start_service()
    for spelling in ("ａｌｉｃｅ", "ALICE", "Ａlice"):
        resp = _login_from("127.0.0.1", service.url, spelling, EMPLOYEES["alice"][0])
        assert resp.status_code == 200, (spelling, resp.text)
        assert resp.json()["username"] == "alice"
