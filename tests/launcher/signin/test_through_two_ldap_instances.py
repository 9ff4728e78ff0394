"""The launcher's sign-in, end to end, through the token service as an organization runs it: two instances
behind one address (a small TCP forwarder standing in for the load balancer), the employees in a real
OpenLDAP (slapd, over LDAPS with a test CA), and the shared state in a real redis-server. The launcher
signs in through one instance; that instance is stopped; the next start goes on through the other with
what the launcher stored (the password, checked by the directory again), without asking for it. That one
Rocket.Chat user is created across both is the shared state's work (tests/tokenservice cover sessions made on
one instance and used on another)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from launcher.signin.flow import SignedIn, SignInFlow
from rcsandbox import Sandbox
from rcsandbox.background import BackgroundServer
from tests.launcher.conftest import CREATE_TOKENS_SECRET, keyring_entry
from tests.support.certs import make_test_ca
from tests.support.servers import LdapUser, RedisServer, SlapdServer, ldap_settings
from tests.support.token_service import token_service_config
from tokenservice.app import create_app
from tokenservice.ldap_directory import LdapDirectory

pytestmark = pytest.mark.real

ALICE = LdapUser("alice", "alice-ldap-pw", "Alice Doe", "alice@example.com")


class Forwarder:
    """Forwards each TCP connection to the current backend (`target`), as a load balancer does after
    a health check took the other instance out."""

    def __init__(self) -> None:
        self.target: tuple[str, int] | None = None
        self.served: list[tuple[str, int]] = []  # the backend of each connection
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            target = self.target
            assert target is not None
            self.served.append(target)
            try:
                backend = socket.create_connection(target, timeout=5)
            except OSError:
                client.close()
                continue
            for source, sink in ((client, backend), (backend, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def organization(
    rc: Sandbox, users_file: Path, tmp_path: Path
) -> Iterator[tuple[Forwarder, list[BackgroundServer]]]:
    with contextlib.ExitStack() as cleanup:  # whatever started is stopped, even if a later step fails
        tls = make_test_ca(tmp_path / "tls")
        slapd = SlapdServer(tmp_path / "slapd", [ALICE], tls).setup().start()
        cleanup.callback(slapd.stop)
        redis_server = RedisServer(tmp_path / "redis").start()
        cleanup.callback(redis_server.stop)
        ldap = ldap_settings(slapd, url=slapd.ldaps_url, ca_file=tls.ca_file)
        instances = []
        for _ in range(2):
            config = token_service_config(
                rc.url,
                users_file,  # replaced by the directory below
                CREATE_TOKENS_SECRET,
                directory=LdapDirectory(ldap),
                redis_url=redis_server.url,
            )
            instance = BackgroundServer(create_app(config)).start()
            cleanup.callback(_stop_quietly, instance)
            instances.append(instance)
        forwarder = Forwarder()
        cleanup.callback(forwarder.close)
        yield forwarder, instances


def _stop_quietly(server: BackgroundServer) -> None:
    with contextlib.suppress(Exception):
        server.stop()  # the test stops one of them itself


def _address(server: BackgroundServer) -> tuple[str, int]:
    return ("127.0.0.1", server.port)


def test_the_launcher_signs_in_through_one_instance_and_goes_on_through_the_other(
    rc: Sandbox, organization, store, settings_for, client_for
):
    forwarder, (one, two) = organization
    settings = settings_for(rc.url, forwarder.url)
    forwarder.target = _address(one)

    first = SignInFlow(settings, store, client=client_for(settings)).sign_in(ALICE.uid, ALICE.password)

    assert isinstance(first, SignedIn), first
    assert first.username == "alice"
    assert rc.user_id("alice") is not None  # created in Rocket.Chat from the directory entry
    assert set(forwarder.served) == {_address(one)}
    assert keyring_entry(store, "org-login") is not None

    one.stop()  # the instance that made the session is gone; the balancer sends everything to the other
    forwarder.target = _address(two)
    # Rocket.Chat ends the cached token's session (an admin's logout): the launcher must ask the service.
    headers = {"X-User-Id": first.token.user_id, "X-Auth-Token": first.token.auth_token}
    assert httpx.post(f"{rc.url}/api/v1/logout", headers=headers).status_code == 200

    again = SignInFlow(settings, store, client=client_for(settings)).resume()

    assert isinstance(again, SignedIn), again  # not NeedsCredentials: no password prompt
    assert again.source == "stored-login"
    assert again.token.auth_token != first.token.auth_token
    assert _address(two) in forwarder.served
    assert len(rc.events(kind="user-created")) == 1
