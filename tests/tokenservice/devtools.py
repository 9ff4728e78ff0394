"""Just enough of the Chrome DevTools Protocol to run a script inside a cross-origin iframe.

Why: in flow 2 Rocket.Chat shows the token service's /login page in an iframe of another origin, and the
employee types into that frame. The shared page driver (tests.support.browser) evaluates only in the top
document, and the top document may not touch a cross-origin frame. Qt WebEngine exposes Chromium's DevTools
when QTWEBENGINE_REMOTE_DEBUGGING is set, so the test reaches the frame the way a debugger would: an isolated
world in that frame (same DOM, so the page's own event listeners run). Stdlib WebSocket client, no new deps.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["DevTools", "DevToolsError"]


class DevToolsError(RuntimeError):
    """The DevTools endpoint did not answer as expected."""


class DevTools:
    """A connection to the first page target of a Chromium DevTools HTTP endpoint on 127.0.0.1:`port`."""

    def __init__(self, port: int, timeout: float = 15.0) -> None:
        self._port = port
        deadline = time.monotonic() + timeout
        while True:
            try:
                targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    break
            except (httpx.TransportError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise DevToolsError(f"no DevTools page target on port {port} within {timeout:g} s")
            time.sleep(0.1)
        self._ws = _WebSocket(pages[0]["webSocketDebuggerUrl"])
        self._next_id = 0

    def close(self) -> None:
        self._ws.close()

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        wanted = self._next_id
        self._ws.send(json.dumps({"id": wanted, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.receive())
            if message.get("id") != wanted:
                continue  # an event
            if "error" in message:
                raise DevToolsError(f"{method}: {message['error']}")
            return message.get("result", {})

    def frame_urls(self) -> list[str]:
        return [frame["url"] for frame in _frames(self.call("Page.getFrameTree")["frameTree"])]

    def eval_in_frame(self, url_prefix: str, expression: str) -> Any:
        """Evaluate `expression` (Promises awaited) in the first frame whose URL starts with `url_prefix`."""
        frames = [
            f for f in _frames(self.call("Page.getFrameTree")["frameTree"]) if f["url"].startswith(url_prefix)
        ]
        if not frames:
            raise DevToolsError(f"no frame at {url_prefix}; frames: {self.frame_urls()}")
        world = self.call("Page.createIsolatedWorld", frameId=frames[0]["id"], worldName="tokenservice-test")
        result = self.call(
            "Runtime.evaluate",
            expression=expression,
            contextId=world["executionContextId"],
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            raise DevToolsError(f"the script threw: {result['exceptionDetails']}")
        return result["result"].get("value")


def _frames(tree: dict[str, Any]) -> list[dict[str, Any]]:
    found = [tree["frame"]]
    for child in tree.get("childFrames", []):
        found += _frames(child)
    return found


class _WebSocket:
    """A minimal RFC 6455 client: text frames, masking, fragmentation, ping/pong."""

    def __init__(self, url: str, timeout: float = 15.0) -> None:
        parts = urlsplit(url)
        self._sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self._sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self._sock.recv(4096)
            if not chunk:
                raise DevToolsError("the DevTools WebSocket closed during the handshake")
            head += chunk
        head, self._buffer = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise DevToolsError(f"WebSocket handshake refused: {head.splitlines()[0]!r}")

    def close(self) -> None:
        self._sock.close()

    def send(self, text: str, opcode: int = 0x1) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 2**16:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self._sock.sendall(header + mask + masked)

    def receive(self) -> str:
        message = b""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if second & 0x80 else None
            payload = self._read(length)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = first & 0x0F
            if opcode == 0x8:
                raise DevToolsError("the DevTools WebSocket was closed")
            if opcode == 0x9:
                self.send(payload.decode(errors="replace"), opcode=0xA)
                continue
            if opcode in (0x0, 0x1):
                message += payload
                if first & 0x80:
                    return message.decode()

    def _read(self, count: int) -> bytes:
        while len(self._buffer) < count:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise DevToolsError("the DevTools WebSocket closed")
            self._buffer += chunk
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data
