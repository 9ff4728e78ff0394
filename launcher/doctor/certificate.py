"""`doctor`'s look at the certificate chain Rocket.Chat's server sends, judged the way the page judges it
(launcher/window/page_trust.py: the OS trust store plus `network.ca_file`).

Why apart: the sign-in's own check (httpx) can pass while the web engine refuses the same server, so
IT needs to see the page's verdict without opening a window. Goes through `network.proxy` (HTTP CONNECT)
when one is set, as the page does.
"""

from __future__ import annotations

import _ssl
import base64
import socket
import ssl
from pathlib import Path
from urllib.parse import unquote, urlsplit

from launcher.window.page_trust import CertificateRefusal, PageTrust

__all__ = ["CertificateCheckError", "check_page_certificate"]


class CertificateCheckError(Exception):
    """The server's certificate could not be fetched (network, proxy); the message says which."""


def check_page_certificate(
    url: str, ca_file: Path | None, proxy: str | None = None, timeout: float = 10.0
) -> CertificateRefusal | None:
    """None when the page would accept `url`'s certificate chain, else the refusal it would show."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    chain = _fetch_chain(host, port, proxy, timeout)
    trust = PageTrust(ca_file)
    return None if trust.decide(url, chain, True, "") else trust.refusal(url)


def _fetch_chain(host: str, port: int, proxy: str | None, timeout: float) -> list[bytes]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # only to read what the server sends; the verdict is page_trust's
    try:
        raw = _connect(host, port, proxy, timeout)
    except OSError as exc:
        where = f"through the proxy {_proxy_address(proxy)}" if proxy else "directly"
        raise CertificateCheckError(f"could not connect to {host}:{port} {where} ({exc})") from None
    try:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            chain = _unverified_chain(tls)
    except (OSError, ssl.SSLError) as exc:
        raise CertificateCheckError(f"the TLS handshake with {host}:{port} failed ({exc})") from None
    return chain


def _unverified_chain(tls: ssl.SSLSocket) -> list[bytes]:
    """Leaf first. Python 3.13 has SSLSocket.get_unverified_chain(); 3.11 has it on the inner object."""
    getter = getattr(tls, "get_unverified_chain", None) or getattr(
        getattr(tls, "_sslobj", None), "get_unverified_chain", None
    )
    if getter is not None:
        chain = getter() or []
        return [c if isinstance(c, bytes) else c.public_bytes(_ssl.ENCODING_DER) for c in chain]
    leaf = tls.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def _connect(host: str, port: int, proxy: str | None, timeout: float) -> socket.socket:
    if not proxy or urlsplit(proxy).scheme not in ("http", "https"):
        return socket.create_connection((host, port), timeout=timeout)
    address = urlsplit(proxy)
    sock = socket.create_connection((address.hostname, address.port or 80), timeout=timeout)
    request = f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    if address.username:
        pair = f"{unquote(address.username)}:{unquote(address.password or '')}".encode()
        request += f"Proxy-Authorization: Basic {base64.b64encode(pair).decode('ascii')}\r\n"
    sock.sendall((request + "\r\n").encode("latin-1"))
    answer = b""
    while b"\r\n\r\n" not in answer and len(answer) < 16384:
        data = sock.recv(4096)
        if not data:
            break
        answer += data
    status = answer.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    if " 200" not in status:
        sock.close()
        raise OSError(f"the proxy answered {status or 'nothing'}")
    return sock


def _proxy_address(proxy: str | None) -> str:
    parts = urlsplit(proxy or "")
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
