"""Which server certificates Rocket.Chat's page may use: exactly those the sign-in trusts.

Why: the sign-in (httpx) trusts the OS trust store plus `network.ca_file`, but Qt WebEngine on Linux
checks against its own root store and the NSS database only. With Rocket.Chat behind a company CA the
sign-in then succeeds and the page fails with ERR_CERT_AUTHORITY_INVALID. So when the engine doubts a
chain because of who issued it, the launcher checks the chain itself against the same roots the
sign-in uses, for that host and now, and accepts it only if that check passes. Anything else (expired,
wrong name, unknown issuer) is refused and remembered, so the window can say what is wrong and what IT
must do instead of "check your network". Never a blanket accept.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import os
import ssl
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["CertificateRefusal", "PageTrust", "verify_chain"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CertificateRefusal:
    """A certificate the page was not allowed to use: for the error page and `doctor`."""

    host: str
    issuer: str
    reason: str  # why, in words ("not issued by a trusted authority", the engine's own description)
    untrusted_issuer: bool  # True: trusting the issuer (network.ca_file) would fix it

    def message(self) -> str:
        if self.untrusted_issuer:
            return (
                f"The security certificate of {self.host} was issued by “{self.issuer}”, which this computer "
                "does not trust, so the launcher did not open Rocket.Chat: IT must install that certificate "
                "authority on this computer or name its certificate in network.ca_file."
            )
        return (
            f"The security certificate of {self.host} (issued by “{self.issuer}”) is not valid: {self.reason}, "
            "so the launcher did not open Rocket.Chat: ask IT to fix the server's certificate."
        )


class PageTrust:
    """The roots (OS store + `ca_file`) loaded on first use, and the last refusal per host."""

    def __init__(self, ca_file: Path | None) -> None:
        self._ca_file = ca_file
        self._roots: list[object] | None = None
        self._lock = threading.Lock()
        self._refused: dict[str, CertificateRefusal] = {}

    def decide(self, url: str, chain_der: list[bytes], authority_invalid: bool, description: str) -> bool:
        """True: the engine may accept this chain for `url`'s host. Called from the engine's certificate
        error; `authority_invalid` says whether the engine's only doubt is the issuer."""
        host = urlsplit(url).hostname or ""
        issuer = _issuer_name(chain_der)
        if authority_invalid:
            problem = verify_chain(chain_der, host, self._load_roots())
            if problem is None:
                _log.info(
                    "accepted %s's certificate, issued by %s: the launcher's trust store has it", host, issuer
                )
                self._refused.pop(host, None)
                return True
            refusal = CertificateRefusal(host, issuer, problem, untrusted_issuer=True)
        else:
            refusal = CertificateRefusal(
                host, issuer, description or "the engine refused it", untrusted_issuer=False
            )
        _log.warning("refused %s's certificate (issued by %s): %s", host, issuer, refusal.reason)
        self._refused[host] = refusal
        return False

    def refusal(self, url: str) -> CertificateRefusal | None:
        """The refusal behind a failed load of `url`, if a certificate was refused for its host."""
        return self._refused.get(urlsplit(url).hostname or "")

    def _load_roots(self) -> list[object]:
        with self._lock:
            if self._roots is None:
                self._roots = _system_roots() + (_pem_file(self._ca_file) if self._ca_file else [])
            return self._roots


def verify_chain(chain_der: list[bytes], host: str, roots: list[object]) -> str | None:
    """None when `chain_der` (leaf first) leads to one of `roots` and is valid for `host` now, else why not."""
    from cryptography import x509
    from cryptography.x509.verification import (
        Criticality,
        DNSName,
        ExtensionPolicy,
        IPAddress,
        PolicyBuilder,
        Store,
        VerificationError,
    )

    if not chain_der:
        return "the server sent no certificate"
    if not roots:
        return "no trusted certificate authorities were found on this computer"
    try:
        certificates = [x509.load_der_x509_certificate(der) for der in chain_der]
    except ValueError:
        return "the server's certificate could not be read"
    try:
        subject: DNSName | IPAddress = IPAddress(ipaddress.ip_address(host))
    except ValueError:
        subject = DNSName(host)
    # The web PKI profile, except that key identifiers may be absent: Chromium does not ask for them,
    # and company CAs made by hand often leave them out.
    optional = Criticality.NON_CRITICAL
    leaf_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.AuthorityKeyIdentifier, optional, None
    )
    ca_policy = (
        ExtensionPolicy.webpki_defaults_ca()
        .may_be_present(x509.AuthorityKeyIdentifier, optional, None)
        .may_be_present(x509.SubjectKeyIdentifier, optional, None)
    )
    verifier = (
        PolicyBuilder()
        .store(Store(roots))  # type: ignore[arg-type]
        .time(datetime.datetime.now(datetime.UTC))
        .extension_policies(ca_policy=ca_policy, ee_policy=leaf_policy)
        .build_server_verifier(subject)
    )
    try:
        verifier.verify(certificates[0], certificates[1:])
    except VerificationError as exc:
        return f"it does not lead to a trusted certificate authority ({exc})"
    return None


def _issuer_name(chain_der: list[bytes]) -> str:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        issuer = x509.load_der_x509_certificate(chain_der[0]).issuer
    except (ValueError, IndexError):
        return "an unknown issuer"
    names = issuer.get_attributes_for_oid(NameOID.COMMON_NAME) or issuer.get_attributes_for_oid(
        NameOID.ORGANIZATION_NAME
    )
    return str(names[0].value) if names else issuer.rfc4514_string()


def _system_roots() -> list[object]:
    """The OS store the sign-in uses on Linux (OpenSSL's default file and directory, which honour
    SSL_CERT_FILE / SSL_CERT_DIR). Elsewhere the engine uses the OS store itself, so this may be empty."""
    paths = ssl.get_default_verify_paths()
    roots: list[object] = []
    if paths.cafile:
        roots += _pem_file(Path(paths.cafile))
    if not roots and paths.capath and os.path.isdir(paths.capath):
        for entry in sorted(Path(paths.capath).glob("*.pem")):
            roots += _pem_file(entry)
    return roots


def _pem_file(path: Path) -> list[object]:
    """Every certificate in a PEM file; one that cannot be read (an old root with a non-positive serial
    number, say) is skipped rather than losing the whole store."""
    from cryptography import x509

    try:
        text = path.read_bytes()
    except OSError as exc:
        _log.warning("could not read certificates from %s: %s", path, exc.strerror)
        return []
    certificates: list[object] = []
    end = b"-----END CERTIFICATE-----"
    for block in text.split(end)[:-1]:
        start = block.find(b"-----BEGIN CERTIFICATE-----")
        if start < 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                certificates.append(x509.load_pem_x509_certificate(block[start:] + end + b"\n"))
            except ValueError:
                continue
    return certificates
