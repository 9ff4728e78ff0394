"""`/readyz` says ok or fail per check and nothing more, keeps the reasons in the log, and reuses its answer
for a few seconds: against a real slapd, a Redis address where nothing listens and the rcsandbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support.certs import CertFiles, make_test_ca
from tests.support.servers import SERVICE_DN, LdapUser, SlapdServer, free_port, ldap_settings
from tokenservice.ldap_directory import LdapDirectory

from .conftest import RunningService

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdServer]:
    tls: CertFiles = make_test_ca(tmp_path_factory.mktemp("readiness-tls"))
    users = [LdapUser("alice", "alice-ldap-pw", "Alice Doe", "alice@example.com")]
    server = SlapdServer(tmp_path_factory.mktemp("readiness-slapd"), users, tls).setup().start()
    yield server
    server.stop()


class CountingLdapDirectory(LdapDirectory):
    """The real LDAP directory, counting the readiness checks that reach slapd."""

    checks = 0

    async def check(self) -> None:
        self.checks += 1
        await super().check()


def test_readyz_names_checks_with_ok_or_fail_and_logs_the_reasons(
    slapd: SlapdServer, start_service: Callable[..., RunningService], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tokenservice")
    redis_port = free_port()  # nothing listens there
    directory = LdapDirectory(ldap_settings(slapd, bind_password="not-the-service-password"))
    service = start_service(directory=directory, redis_url=f"redis://127.0.0.1:{redis_port}/0")

    ready = httpx.get(f"{service.url}/readyz")

    assert ready.status_code == 503
    assert ready.json() == {
        "ready": False,
        "checks": {"directory": "fail", "state": "fail", "rocketchat": "ok"},
    }
    for detail in (SERVICE_DN, slapd.url, str(slapd.port), str(redis_port), "127.0.0.1"):
        assert detail not in ready.text
    # The operator finds the reasons in the log.
    assert SERVICE_DN in caplog.text and slapd.url in caplog.text
    assert f"127.0.0.1:{redis_port}" in caplog.text
    assert "not-the-service-password" not in caplog.text


def test_readyz_reuses_one_check_for_every_poll_within_a_few_seconds(
    slapd: SlapdServer, start_service: Callable[..., RunningService]
) -> None:
    directory = CountingLdapDirectory(ldap_settings(slapd))
    service = start_service(directory=directory)

    async def polls(count: int) -> list[int]:
        async with httpx.AsyncClient(base_url=service.url) as client:
            answers = await asyncio.gather(*(client.get("/readyz") for _ in range(count)))
        return [a.status_code for a in answers]

    assert asyncio.run(polls(20)) == [200] * 20  # together ...
    assert [httpx.get(f"{service.url}/readyz").status_code for _ in range(10)] == [200] * 10  # ... and after
    assert directory.checks == 1

    service.clock.advance(5)  # the answer is a few seconds old now
    assert httpx.get(f"{service.url}/readyz").status_code == 200
    assert directory.checks == 2
