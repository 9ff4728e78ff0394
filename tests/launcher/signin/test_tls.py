"""TLS over a real local https server: an unknown CA is a clear "TLS/CA" error, never silently accepted;
network.ca_file makes the company CA trusted in addition to the system store."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from launcher.errors import ServerUnreachable
from launcher.signin.http import make_client
from launcher.signin.rcclient import RocketChatClient

pytestmark = pytest.mark.real


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca_and_server_cert(directory: Path) -> tuple[Path, Path, Path]:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Example Corp Test Root CA"))
        .issuer_name(_name("Example Corp Test Root CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_path, cert_path, key_path


class _Info(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"version": "7.4", "success": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    ca_path, cert_path, key_path = make_ca_and_server_cert(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Info)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", ca_path
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def test_unknown_company_ca_is_a_clear_error(https_server, settings_for):
    url, _ = https_server
    settings = settings_for(url, mode="rocketchat")
    with make_client(settings) as client, pytest.raises(ServerUnreachable) as caught:
        RocketChatClient(settings.rocketchat_url, client).info()

    assert caught.value.kind == "tls"
    host = url.removeprefix("https://")
    assert str(caught.value).startswith(
        f"Rocket.Chat at {host} presented a certificate that this computer does not trust (TLS/CA"
    )
    assert str(caught.value).endswith(
        "); ask IT to install the company CA certificate, or set network.ca_file to it."
    )


def test_extra_ca_file_is_trusted(https_server, settings_for):
    url, ca_path = https_server
    settings = settings_for(url, mode="rocketchat", network__ca_file=str(ca_path))
    with make_client(settings) as client:
        assert RocketChatClient(settings.rocketchat_url, client).info()["version"] == "7.4"
