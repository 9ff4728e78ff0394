"""Fixtures for the sign-in tests against servers that misbehave: `serve(handler)` runs a tiny HTTP
server on 127.0.0.1, `resume_against(handler)` resumes alice's stored login against one."""

from __future__ import annotations

import socket

import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from launcher.signin.flow import SignInFlow
from rcsandbox.background import BackgroundServer
from tests.launcher.conftest import EMPLOYEES, keyring_entry


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tiny_app(handler) -> Starlette:
    return Starlette(routes=[Route("/{path:path}", handler, methods=["GET", "POST"])])


@pytest.fixture
def serve():
    servers: list[BackgroundServer] = []

    def start(handler) -> str:
        server = BackgroundServer(tiny_app(handler)).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def resume_against(rc, store, settings_for, client_for, serve):
    """resume_against(handler) -> (url, outcome): the next start with alice's stored login, against an
    organization service that answers every request with `handler`."""

    def resume(handler):
        url = serve(handler)
        settings = settings_for(rc.url, url)
        stored_alice(store)
        return url, SignInFlow(settings, store, client=client_for(settings)).resume()

    return resume


def stored_alice(store) -> None:
    store.save_login("alice", EMPLOYEES["alice"])


def assert_login_kept(store) -> None:
    entry = keyring_entry(store, "org-login") or {}
    entry.pop("server", None)  # where the password is bound (L5), when a sign-in stored it
    assert entry == {"username": "alice", "password": EMPLOYEES["alice"]}
