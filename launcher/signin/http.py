"""The launcher's HTTP client, and the translation of transport failures into one-sentence errors.

Trust: the operating system's store (truststore) plus an optional extra CA file, never certifi alone and
never "verify=False". Proxies: ``network.proxy`` if set, else the environment and system settings.
Every request has explicit timeouts and a ``rocketchat-launcher/<version>`` user agent.
"""

from __future__ import annotations

import errno
import json
import socket
import ssl
import urllib.request
import weakref
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from launcher import __version__
from launcher.errors import ConfigError, ServerUnreachable, UnexpectedResponse
from launcher.signin._text import short_error

if TYPE_CHECKING:
    from launcher.config import Settings

__all__ = ["USER_AGENT", "json_object", "make_client", "make_ssl_context", "send"]

USER_AGENT = f"rocketchat-launcher/{__version__}"

_DEFAULT_CONNECT_TIMEOUT = 5.0
_DEFAULT_READ_TIMEOUT = 15.0

# The proxy each client was made with, for error messages (httpx keeps it in private attributes).
_configured_proxies: weakref.WeakKeyDictionary[httpx.Client, str] = weakref.WeakKeyDictionary()


def make_ssl_context(ca_file: str | None = None) -> ssl.SSLContext:
    """The OS trust store, plus ``ca_file`` (PEM) when the organization uses its own CA."""
    import truststore  # imported here: it is only needed once a client is made

    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (ssl.SSLError, OSError):
            raise ConfigError(
                f"The extra CA file {ca_file} (network.ca_file) could not be loaded: expected a readable PEM "
                "file of CA certificates.",
                file=ca_file,
                key="network.ca_file",
            ) from None
    return context  # type: ignore[return-value]


def make_client(settings: Settings | None = None) -> httpx.Client:
    """An ``httpx.Client`` configured from ``settings`` (or the built-in defaults when ``None``)."""
    connect = settings.connect_timeout if settings else _DEFAULT_CONNECT_TIMEOUT
    read = settings.read_timeout if settings else _DEFAULT_READ_TIMEOUT
    ca_file = str(settings.ca_file) if settings and settings.ca_file else None
    proxy = settings.proxy if settings else None
    client = httpx.Client(
        timeout=httpx.Timeout(connect=connect, read=read, write=read, pool=connect),
        verify=make_ssl_context(ca_file),
        proxy=proxy,
        trust_env=True,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
    )
    if proxy:
        _configured_proxies[client] = proxy
    return client


def send(client: httpx.Client, method: str, url: str, *, server: str, **kwargs: Any) -> httpx.Response:
    """Send one request; a transport failure becomes ``ServerUnreachable`` naming ``server`` and the cause."""
    try:
        return client.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        raise _unreachable(exc, client, url, server) from None


def json_object(response: httpx.Response, *, server: str) -> dict[str, Any]:
    """The JSON object of ``response``; an HTML page or anything else becomes ``UnexpectedResponse``."""
    url = str(response.request.url)
    where = _server_at(server, url)
    content_type = response.headers.get("content-type", "").lower()
    text = response.text
    stripped = text.lstrip()[:200].lower()
    if "html" in content_type or stripped.startswith(("<!doctype", "<html", "<")):
        raise UnexpectedResponse(
            f"{where} answered with an HTML page (HTTP {response.status_code}) instead of JSON; the address "
            "may be wrong or a proxy or portal is in the way, so check the configuration or ask IT.",
            server=server,
            url=url,
            kind="html",
        )
    try:
        document = json.loads(text)
    except ValueError:
        raise UnexpectedResponse(
            f"{where} answered something that is not JSON (HTTP {response.status_code}); check the address "
            "in the configuration or ask IT.",
            server=server,
            url=url,
            kind="not-json",
        ) from None
    if not isinstance(document, dict):
        raise UnexpectedResponse(
            f"{where} answered JSON that is not an object (HTTP {response.status_code}); check the address "
            "in the configuration or ask IT.",
            server=server,
            url=url,
            kind="not-json",
        )
    return document


def _server_at(server: str, url: str) -> str:
    return f"{server[0].upper()}{server[1:]} at {_host_port(url)}"


def _host_port(url: str) -> str:
    return urlsplit(url).netloc.rsplit("@", 1)[-1]


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _proxy_for(client: httpx.Client, url: str) -> str | None:
    """The proxy a request to ``url`` goes through, for messages only (httpx itself decides)."""
    configured = _configured_proxies.get(client)
    if configured:
        return _host_port(configured)
    if not client.trust_env:
        return None
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        return _host_port(proxy)
    return None


def _unreachable(exc: httpx.TransportError, client: httpx.Client, url: str, server: str) -> ServerUnreachable:
    where = _server_at(server, url)
    host = urlsplit(url).hostname or url
    chain = _causes(exc)
    text = " ".join(str(e) for e in chain)
    proxy = _proxy_for(client, url)
    via = f" through the proxy {proxy}" if proxy else ""

    def error(kind: str, message: str) -> ServerUnreachable:
        return ServerUnreachable(message, server=server, url=url, kind=kind)

    if isinstance(exc, httpx.ProxyError):
        return error(
            "proxy",
            f"The proxy{' ' + proxy if proxy else ''} refused to connect to {where} "
            f"({short_error(exc, 120)}); check the proxy setting (network.proxy or HTTPS_PROXY) or ask IT.",
        )
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or "CERTIFICATE_VERIFY_FAILED" in text:
        reason = next((e.verify_message for e in chain if isinstance(e, ssl.SSLCertVerificationError)), None)
        return error(
            "tls",
            f"{where} presented a certificate that this computer does not trust (TLS/CA"
            f"{': ' + reason if reason else ''}); ask IT to install the company CA certificate, or set "
            "network.ca_file to it.",
        )
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return error(
            "tls",
            f"The secure (TLS) connection to {where} failed ({short_error(exc, 120)}); check that the "
            "address uses the right https:// port, or ask IT.",
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return error(
            "timeout",
            f"{where} did not accept a connection{via} within {_timeout(client, 'connect')}; check your "
            "network connection and proxy, then try again.",
        )
    if isinstance(exc, httpx.TimeoutException):
        return error(
            "timeout",
            f"{where} did not answer{via} within {_timeout(client, 'read')}; it may be overloaded, so try "
            "again in a moment.",
        )
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
        marker in text
        for marker in (
            "Name or service not known",
            "nodename nor servname",
            "getaddrinfo failed",
            "Temporary failure in name resolution",
            "No address associated with hostname",
        )
    ):
        return error(
            "dns",
            f"{where} could not be found: the name {host} does not resolve (DNS); check the address in the "
            "configuration and your network connection.",
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or any(
        marker in text for marker in ("Connection refused", f"[Errno {errno.ECONNREFUSED}]", "10061")
    ):
        if proxy:
            return error(
                "proxy",
                f"The connection to {where}{via} was refused; check that the proxy is running and the proxy "
                "setting (network.proxy or HTTPS_PROXY) is right.",
            )
        return error(
            "refused",
            f"{where} refused the connection, so it is probably down; try again later, or ask IT if it "
            "persists.",
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        return error(
            "protocol",
            f"{where} closed the connection without a proper answer{via}; try again in a moment.",
        )
    return error(
        "network",
        f"{where} could not be reached{via} ({short_error(exc, 120)}); check your network connection and "
        "try again.",
    )


def _timeout(client: httpx.Client, which: str) -> str:
    value = getattr(client.timeout, which, None)
    return f"{value:g} s" if isinstance(value, int | float) else "the time limit"
