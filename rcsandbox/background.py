"""Run an ASGI app with uvicorn on a loopback port in a background thread.

Tests, benchmarks and `rocketchat-launcher demo` need real servers on 127.0.0.1 that start on a free port and
are known to answer before anyone talks to them: `__enter__` returns only once an HTTP request succeeded.
`stop()` returns as soon as the open connections are closed (uvicorn's own loop polls every 0.1 s and
sleeps another 0.1 s before its graceful wait: 0.2 s per stop, which a test suite pays thousands of times).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
from types import TracebackType

import httpx
import uvicorn

__all__ = ["BackgroundServer", "ServerStartError"]

_GRACEFUL_SHUTDOWN = 1.0  # seconds a request still running at stop() may take before it is cancelled
_POLL = 0.005


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
        server = _PromptServer(config)
        self._server = server
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])), name=f"server-{self.port}", daemon=True
        )
        self._thread.start()
        self._wait_until_answering()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.request_exit()
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


class _PromptServer(uvicorn.Server):
    """uvicorn's server with a stop that waits for the connections, not for fixed 0.1 s ticks."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def request_exit(self) -> None:
        """Ask the serving thread to stop now (thread-safe)."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(wake.set)

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's steps (no lifespan here: "off"), with the connections awaited by polling, not a fixed sleep.
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        deadline = time.monotonic() + _GRACEFUL_SHUTDOWN
        while (self.server_state.connections or self.server_state.tasks) and time.monotonic() < deadline:
            await asyncio.sleep(_POLL)
        for task in self.server_state.tasks:
            task.cancel(msg="Task cancelled, the server stops")
        for server in self.servers:
            await server.wait_closed()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock
