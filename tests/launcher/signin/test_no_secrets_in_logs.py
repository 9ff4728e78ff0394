"""Every log file the launcher tests have written so far, searched for every password and token they used.

The same scan runs again over all of them when the session-wide ``ledger`` is torn down (after the last
test that wrote a log; tests/launcher/log_scan.py). This test also signs in and fails once itself, so the
scan never looks at nothing."""

from __future__ import annotations

import pytest

from launcher.signin.flow import Failed, NeedsCredentials, SignedIn, SignInFlow
from tests.launcher.conftest import EMPLOYEES
from tests.launcher.log_scan import leaks, log_files

pytestmark = pytest.mark.real


def test_no_password_or_token_in_any_log_file(rc, org, store, settings_for, client_for, ledger, profile):
    settings = settings_for(rc.url, org.url)
    flow = SignInFlow(settings, store, client=client_for(settings))
    assert isinstance(flow.sign_in("alice", "a-wrong-password-xyz"), NeedsCredentials)
    signed_in = flow.sign_in("alice", EMPLOYEES["alice"])
    assert isinstance(signed_in, SignedIn)
    ledger.add("a-wrong-password-xyz", signed_in.token.auth_token)
    rc.stop()
    assert isinstance(SignInFlow(settings, store, client=client_for(settings)).resume(), Failed)

    found = leaks(ledger.root, ledger.secrets)  # flushes the handlers first
    files = log_files(ledger.root)
    assert profile.log_file in files
    profiles = [d for d in ledger.root.iterdir() if (d / "logs").is_dir()]
    assert len(files) >= len(profiles)  # every test that ran so far left its log
    assert "signed in (new-login) as alice" in profile.log_file.read_text(encoding="utf-8")
    assert len(ledger.secrets) >= 8
    assert found == []
