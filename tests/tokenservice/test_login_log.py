"""What the log of a running `python -m tokenservice` says about failed sign-ins: the name the directory
knows, else a short keyed hash, never what was typed into the username field."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from rcsandbox import Sandbox

from .test_config_and_cli import _sandbox_config, _serving

pytestmark = pytest.mark.real

# Someone typed their password into the username field, then the password field too.
MISTYPED = "Winter2026!Tr0ub4dor"


def _login(url: str, username: str, password: str) -> int:
    return httpx.post(f"{url}/api/login", json={"username": username, "password": password}).status_code


def test_a_password_typed_as_username_never_reaches_the_log(tmp_path: Path, rc: Sandbox) -> None:
    with _serving(_sandbox_config(tmp_path, rc)) as (url, stderr_out):
        # Five failures, then the example's max_failures_per_username throttles the sixth.
        assert [_login(url, MISTYPED, MISTYPED) for _ in range(6)] == [401] * 5 + [429]
        assert _login(url, "alice", "a-wrong-guess") == 401
        assert _login(url, "ａｌｉｃｅ", "another-wrong-guess") == 401  # the directory knows her as alice
    log = stderr_out[0]

    assert MISTYPED not in log and MISTYPED.casefold() not in log
    assert "ａｌｉｃｅ" not in log
    hashed = re.findall(r"login failed user=(unknown-[0-9a-f]{12}) ", log)
    assert len(hashed) == 5 and len(set(hashed)) == 1  # one name for the one spelling, to follow it
    assert f"login throttled user={hashed[0]} " in log
    assert len(re.findall(r"login failed user=alice ", log)) == 2
