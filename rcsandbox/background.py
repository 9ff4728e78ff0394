"""Run an ASGI app with uvicorn on a loopback port in a background thread.

Tests, benchmarks and `rocketchat-launcher demo` need real servers on 127.0.0.1 that start on a free port and
are known to answer before anyone talks to them: `__enter__` returns only once an HTTP request succeeded.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from types import TracebackType

import httpx
import uvicorn

__all__ = ["BackgroundServer", "ServerStartError"]


class ServerStartError(RuntimeError):
    """The server did not answer within the start deadline."""


class BackgroundServer:
    """An ASGI app served by uvicorn in a daemon thread; restartable on the same port."""

    def __init__(
        self,
        app: object,
        host: str = "127.0.0.1",
        port: int = 0,
        start_timeout: float = 15.0,
        tls: tuple[str | os.PathLike[str], str | os.PathLike[str]] | None = None,
    ) -> None:
        """`tls` = (certificate file, key file), both PEM: serve HTTPS, as a server behind TLS does."""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("BackgroundServer binds to loopback only")
        self._app = app
        self.host = host
        self.port = port
        self.tls = (os.fspath(tls[0]), os.fspath(tls[1])) if tls else None
        self._start_timeout = start_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> BackgroundServer:
        if self.running:
            return self
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        cert, key = self.tls or (None, None)
        config = uvicorn.Config(
            self._app,
            log_level="warning",
            lifespan="off",
            access_log=False,
            ssl_certfile=cert,
            ssl_keyfile=key,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])), name=f"server-{self.port}", daemon=True
        )
        self._thread.start()
        self._wait_until_answering()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + self._start_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._thread is not None and not self._thread.is_alive():
                raise ServerStartError(f"the server thread on port {self.port} exited during start")
            try:
                # Only "does it answer": the certificate is the client's business (tests check it themselves).
                httpx.get(self.url + "/", timeout=1.0, verify=False)  # noqa: S501
                return
            except httpx.TransportError as exc:
                last_error = exc
                time.sleep(0.02)
        self.stop()
        raise ServerStartError(f"no answer on {self.url} within {self._start_timeout:.0f} s: {last_error}")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock
