"""The page trusts exactly what the sign-in trusts (the OS store plus network.ca_file), judged on real
certificates from a CA the test makes; doctor's check fetches a real server's chain, directly and through a
real proxy (tinyproxy)."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from launcher.doctor.certificate import CertificateCheckError, check_page_certificate
from launcher.doctor.checks import Check, run_checks
from launcher.paths import Paths
from launcher.signin.credentials import CredentialStore
from launcher.window.page_trust import PageTrust
from tests.launcher.conftest import to_toml
from tests.support.certs import CertFiles, make_test_ca
from tests.support.servers import TinyProxy, free_port


def _chain(files: CertFiles) -> list[bytes]:
    leaf = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
    return [leaf.public_bytes(serialization.Encoding.DER)]


@pytest.fixture
def company_ca(tmp_path: Path) -> CertFiles:
    return make_test_ca(tmp_path / "company", name="Example Corp Issuing CA")


def test_a_chain_from_the_configured_company_ca_is_accepted(company_ca):
    trust = PageTrust(company_ca.ca_file)

    assert trust.decide("https://127.0.0.1:8443/home", _chain(company_ca), True, "authority invalid") is True
    assert trust.refusal("https://127.0.0.1:8443/") is None


def test_without_the_company_ca_the_chain_is_refused_and_the_refusal_says_what_to_do(company_ca):
    trust = PageTrust(None)

    assert trust.decide("https://127.0.0.1:8443/home", _chain(company_ca), True, "authority invalid") is False
    refusal = trust.refusal("https://127.0.0.1:8443/anything")
    assert refusal is not None and refusal.untrusted_issuer
    assert refusal.host == "127.0.0.1" and refusal.issuer == "Example Corp Issuing CA"
    assert refusal.message() == (
        "The security certificate of 127.0.0.1 was issued by “Example Corp Issuing CA”, which this computer does "
        "not trust, so the launcher did not open Rocket.Chat: IT must install that certificate authority on this "
        "computer or name its certificate in network.ca_file."
    )


def test_another_ca_file_does_not_make_the_chain_trusted(company_ca, tmp_path):
    other = make_test_ca(tmp_path / "other", name="Somebody Else CA")

    assert PageTrust(other.ca_file).decide("https://127.0.0.1/", _chain(company_ca), True, "") is False


def test_the_right_issuer_for_the_wrong_host_is_refused(company_ca):
    trust = PageTrust(company_ca.ca_file)

    assert trust.decide("https://chat.example.com/", _chain(company_ca), True, "authority invalid") is False
    refusal = trust.refusal("https://chat.example.com/")
    assert refusal is not None and "does not lead to a trusted certificate authority" in refusal.reason


def test_doubts_other_than_the_issuer_are_never_overridden(company_ca):
    """Expired, revoked, wrong name as the engine sees it: the launcher does not second-guess those."""
    trust = PageTrust(company_ca.ca_file)

    assert (
        trust.decide("https://127.0.0.1/", _chain(company_ca), False, "The certificate has expired") is False
    )
    refusal = trust.refusal("https://127.0.0.1/")
    assert refusal is not None and not refusal.untrusted_issuer
    assert (
        "is not valid: The certificate has expired, so the launcher did not open Rocket.Chat"
        in refusal.message()
    )


@pytest.fixture
def https_server(company_ca) -> Iterator[str]:
    class Quiet(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Quiet)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(company_ca.cert_file, company_ca.key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.real
def test_doctor_fetches_the_servers_chain_and_judges_it_like_the_page(https_server, company_ca):
    assert check_page_certificate(https_server, company_ca.ca_file) is None
    refusal = check_page_certificate(https_server, None)
    assert refusal is not None and refusal.issuer == "Example Corp Issuing CA"


@pytest.mark.real
def test_doctor_checks_the_chain_through_the_configured_proxy(https_server, company_ca, tmp_path):
    with TinyProxy(tmp_path / "proxy") as proxy:
        assert check_page_certificate(https_server, company_ca.ca_file, proxy=proxy.url) is None
        port = https_server.rsplit(":", 1)[1]
        assert f"CONNECT 127.0.0.1:{port} HTTP/1.1" in proxy.requests()


def test_doctor_says_when_it_cannot_reach_the_server(company_ca):
    with pytest.raises(CertificateCheckError, match=r"could not connect to 127\.0\.0\.1:\d+ directly"):
        check_page_certificate(f"https://127.0.0.1:{free_port()}", company_ca.ca_file, timeout=2)


def _page_certificate_check(profile: Paths, **flat: str) -> Check:
    profile.config_dir.mkdir(parents=True, exist_ok=True)
    profile.user_config_file.write_text(to_toml({"mode": "rocketchat", **flat}), encoding="utf-8")
    checks = run_checks(paths=profile, env={}, store=CredentialStore(profile.keyring_namespace))
    return next(c for c in checks if c.name == "Page certificate")


@pytest.mark.real
def test_doctor_reports_the_page_certificate_in_plain_words(https_server, company_ca, profile):
    trusted = _page_certificate_check(
        profile, **{"rocketchat.url": https_server, "network.ca_file": str(company_ca.ca_file)}
    )
    untrusted = _page_certificate_check(profile, **{"rocketchat.url": https_server})

    assert trusted.status == "ok"
    assert (
        trusted.detail == f"the window trusts the certificate chain of {https_server} (with network.ca_file)"
    )
    assert untrusted.status == "fail"
    assert untrusted.detail.startswith(
        "The security certificate of 127.0.0.1 was issued by “Example Corp Issuing CA”, which this computer"
    )
    assert untrusted.fix.startswith("add the CA certificate that issued it (PEM) as network.ca_file")
