"""HTTPS with a certificate given at start: the handle and the command line (tests/support/certs.py's CA)."""

from __future__ import annotations

import re
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from rcsandbox import ConfigError, Sandbox
from tests.support.certs import make_test_ca

from .conftest import make_config

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.real
def test_sandbox_serves_https_with_the_given_certificate(tmp_path: Path) -> None:
    certs = make_test_ca(tmp_path / "tls")
    trusted = ssl.create_default_context(cafile=str(certs.ca_file))
    with Sandbox(make_config(), tls=(certs.cert_file, certs.key_file)) as rc:
        assert re.fullmatch(r"https://127\.0\.0\.1:\d+", rc.url) and rc.origin == rc.url
        with httpx.Client(base_url=rc.url, verify=trusted) as http:
            assert http.get("/api/info").json()["version"] == "8.0"
            assert (
                http.post("/api/v1/login", json={"user": "alice", "password": "alice-pw"}).status_code == 200
            )
        # The certificate is the one given: a client that does not trust the CA refuses it.
        with pytest.raises(httpx.ConnectError):
            httpx.get(rc.url + "/api/info", verify=ssl.create_default_context())
        with pytest.raises(httpx.TransportError):
            httpx.get(rc.url.replace("https://", "http://") + "/api/info", timeout=3)


def test_missing_tls_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Sandbox(make_config(), tls=(tmp_path / "nope.pem", tmp_path / "nope-key.pem"))


@pytest.mark.real
def test_cli_serves_https(tmp_path: Path) -> None:
    certs = make_test_ca(tmp_path / "tls")
    args = ["--port", "0", "--tls-cert", str(certs.cert_file), "--tls-key", str(certs.key_file)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "rcsandbox", *args], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"https://127\.0\.0\.1:\d+", line)
        assert match, f"no https URL in {line!r}"
        trusted = ssl.create_default_context(cafile=str(certs.ca_file))
        assert httpx.get(match.group(0) + "/api/info", verify=trusted, timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.real
@pytest.mark.parametrize(
    "args",
    [["--tls-cert", "x.pem"], ["--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent-key.pem"]],
    ids=["cert-without-key", "missing-files"],
)
def test_cli_tls_options_are_checked(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rcsandbox", "--port", "0", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--tls-key" in result.stderr or "does not exist" in result.stderr
