"""A raw HTTP/1.1 connection for tests that must send what well-behaved clients never do.

Why: httpx sends a whole request before it reads the answer, so it cannot drip a body, lie about its
length, stop half-way through a chunked body, or sit idle on a connection. A plain socket can.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["RawConnection", "RawResponse"]


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RawConnection:
    """One TCP connection to `url`'s host and port; `timeout` bounds every wait for the server."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        self.host = f"{parts.hostname}:{parts.port}"
        self._sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        self._buffer = b""

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._sock.close()

    def send(self, data: bytes) -> None:
        self._sock.sendall(data)

    def send_head(self, method: str, path: str, headers: dict[str, str]) -> None:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def read_response(self) -> RawResponse:
        """The next response; raises socket.timeout if none arrives in time."""
        while b"\r\n\r\n" not in self._buffer:
            self._fill()
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self._buffer) < length:
            self._fill()
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return RawResponse(status=int(status_line.split()[1]), headers=headers, body=body)

    def read_response_within(self, seconds: float) -> RawResponse | None:
        """The next response if its head starts arriving within `seconds`, else None."""
        if b"\r\n\r\n" not in self._buffer:
            previous = self._sock.gettimeout()
            self._sock.settimeout(seconds)
            try:
                self._fill()
            except TimeoutError:
                return None
            finally:
                self._sock.settimeout(previous)
        return self.read_response()

    def closed_by_server(self, within: float) -> bool:
        """True if the server closes the connection within `within` seconds (nothing else arriving)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self._sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self._sock.recv(4096)
            except TimeoutError:
                return False
            except ConnectionResetError:
                return True
            if not chunk:
                return True
            self._buffer += chunk
        return False

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection before a complete response")
        self._buffer += chunk
