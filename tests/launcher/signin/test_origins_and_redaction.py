"""Rocket.Chat's origin rule and the masking of secrets in log text."""

from __future__ import annotations

import logging

import pytest

from launcher.logs.redaction import MASK, redact, register_secret
from launcher.origins import origin_of, receive_origin_admits

ORIGIN = "https://chat.example.com"


@pytest.mark.parametrize(
    ("setting", "admitted"),
    [
        ("*", True),
        (None, True),  # the setting's default is '*'
        (ORIGIN, True),
        (f"https://a.example.com,{ORIGIN}", True),
        (f"https://a.example.com, {ORIGIN}", False),  # no trim in Rocket.Chat
        ("*,https://x.example.com", False),  # '*' only as the whole value
        (f"{ORIGIN}/", False),
        ("chat.example.com", False),
        ("", False),
        (True, False),
    ],
)
def test_receive_origin_rule(setting, admitted):
    assert receive_origin_admits(setting, ORIGIN) is admitted


def test_origin_of():
    assert origin_of("https://Chat.Example.com:443/home?x=1") == ORIGIN
    assert origin_of("http://127.0.0.1:3000/chat/") == "http://127.0.0.1:3000"
    assert origin_of("http://[::1]:8080") == "http://[::1]:8080"
    with pytest.raises(ValueError):
        origin_of("/relative")


def test_patterns_mask_secrets_never_seen_before():
    meteor_token = "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bD1fH3jL5nP7rT9v"
    assert len(meteor_token) == 43
    text = (
        f'login body {{"user": "alice", "password": "hunter2!x"}} token {meteor_token} '
        "Authorization: Bearer abc.def-ghi "
        "GET /home?resumeToken=r3sum3T0k3n&x=1 "
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl "
        "cookie ts_session=s3ss10n"
    )
    masked = redact(text)
    for secret in (
        "hunter2!x",
        meteor_token,
        "abc.def-ghi",
        "r3sum3T0k3n",
        "eyJhbGciOiJIUzI1NiJ9",
        "s3ss10n",
    ):
        assert secret not in masked
    assert '"password": "[REDACTED]"' in masked
    assert "resumeToken=[REDACTED]&x=1" in masked
    assert '"user": "alice"' in masked  # ordinary fields stay readable


def test_registered_secrets_are_masked_anywhere():
    register_secret("plain words secret")
    assert redact("user typed plain words secret into the box") == f"user typed {MASK} into the box"


def test_log_records_and_tracebacks_are_masked(profile, caplog):
    # The autouse fixture logs this test to profile.log_file through the redacting handlers.
    register_secret("Tr4ceback-S3cret")
    log = logging.getLogger("launcher.test")
    try:
        raise RuntimeError("failed with Tr4ceback-S3cret")
    except RuntimeError:
        log.exception("request %s failed", {"authToken": "Tr4ceback-S3cret"})
    for handler in logging.getLogger().handlers:
        handler.flush()
    written = profile.log_file.read_text(encoding="utf-8")
    assert "Tr4ceback-S3cret" not in written
    assert "RuntimeError: failed with [REDACTED]" in written
    assert "'authToken': '[REDACTED]'" in written


def test_http_libraries_stay_quiet_even_when_verbose(profile):
    for name in ("httpx", "httpcore"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
    assert logging.getLogger().level == logging.DEBUG
