"""Last of the launcher tests (this folder sorts after the others): every log file the launcher wrote during these tests, searched for every
password and token the tests used. The test also signs in and fails once itself, so it never scans
nothing."""

from __future__ import annotations

import logging

from launcher.signin.flow import Failed, NeedsCredentials, SignedIn, SignInFlow
from tests.launcher.conftest import EMPLOYEES


def test_no_password_or_token_in_any_log_file(rc, org, store, settings_for, client_for, ledger, profile):
    settings = settings_for(rc.url, org.url)
    flow = SignInFlow(settings, store, client=client_for(settings))
    assert isinstance(flow.sign_in("alice", "a-wrong-password-xyz"), NeedsCredentials)
    signed_in = flow.sign_in("alice", EMPLOYEES["alice"])
    assert isinstance(signed_in, SignedIn)
    ledger.add("a-wrong-password-xyz", signed_in.token.auth_token)
    rc.stop()
    assert isinstance(SignInFlow(settings, store, client=client_for(settings)).resume(), Failed)
    for handler in logging.getLogger().handlers:
        handler.flush()

    log_files = sorted(p for p in ledger.root.rglob("*.log*") if p.is_file())
    assert profile.log_file in log_files
    profiles = [d for d in ledger.root.iterdir() if (d / "logs").is_dir()]
    assert len(log_files) >= len(profiles)  # every test of this directory that ran left its log
    text_by_file = {path: path.read_text(encoding="utf-8", errors="replace") for path in log_files}
    assert sum(len(text) for text in text_by_file.values()) > 0
    assert "signed in (new-login) as alice" in text_by_file[profile.log_file]
    assert len(ledger.secrets) >= 8

    leaks = [
        f"{path.relative_to(ledger.root)} contains {secret[:3]}…"
        for path, text in text_by_file.items()
        for secret in ledger.secrets
        if secret in text
    ]
    assert leaks == []
