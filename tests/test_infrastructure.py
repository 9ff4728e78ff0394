"""Honest checks of the shared test infrastructure: private keyring session, keyring failure envs."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.desktop_session import DesktopSession

REPO_ROOT = Path(__file__).resolve().parents[1]
_SET_PASSWORD = "import keyring; keyring.set_password('rcl-test/infra', 'probe', 'value')"


def _run_python(code: str, env: dict[str, str], timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_session_environment_is_private(desktop_session: DesktopSession) -> None:
    assert os.environ["HOME"] == desktop_session.env["HOME"] != str(Path("~root").expanduser())
    runtime = Path(os.environ["XDG_RUNTIME_DIR"])
    assert runtime.stat().st_mode & 0o777 == 0o700
    assert os.environ["DBUS_SESSION_BUS_ADDRESS"].startswith(f"unix:path={runtime}/bus")
    assert os.environ["DISPLAY"].startswith(":")
    assert "--no-sandbox" in os.environ["QTWEBENGINE_CHROMIUM_FLAGS"].split()
    assert os.environ["PYWEBVIEW_GUI"] == "qt"
    assert os.environ["NO_AT_BRIDGE"] == "1"
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        assert name not in os.environ


@pytest.mark.keyring
def test_keyring_round_trips_through_secret_service_in_process() -> None:
    import keyring
    from keyring.backends import SecretService

    assert isinstance(keyring.get_keyring(), SecretService.Keyring)
    service, secret = f"rcl-test/{uuid.uuid4()}", uuid.uuid4().hex
    keyring.set_password(service, "alice", secret)
    try:
        assert keyring.get_password(service, "alice") == secret
    finally:
        keyring.delete_password(service, "alice")
    assert keyring.get_password(service, "alice") is None


@pytest.mark.keyring
def test_keyring_round_trips_in_a_subprocess_with_the_session_env() -> None:
    code = (
        "import keyring, uuid\n"
        "s = 'rcl-test/' + uuid.uuid4().hex\n"
        "keyring.set_password(s, 'bob', 'pw')\n"
        "assert keyring.get_password(s, 'bob') == 'pw'\n"
        "keyring.delete_password(s, 'bob')\n"
        "print(type(keyring.get_keyring()).__module__)\n"
    )
    result = _run_python(code, dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "keyring.backends.SecretService"


@pytest.mark.keyring
def test_environment_without_keyring_raises_no_keyring_error(no_keyring_env: dict[str, str]) -> None:
    result = _run_python(_SET_PASSWORD, no_keyring_env)
    assert result.returncode != 0
    assert "keyring.errors.NoKeyringError" in result.stderr


@pytest.mark.keyring
def test_locked_keyring_session_raises_keyring_locked(locked_keyring_env: dict[str, str]) -> None:
    assert "DISPLAY" not in locked_keyring_env
    assert locked_keyring_env["DBUS_SESSION_BUS_ADDRESS"] != os.environ["DBUS_SESSION_BUS_ADDRESS"]
    result = _run_python(_SET_PASSWORD, locked_keyring_env, timeout=20)
    assert result.returncode != 0
    assert "keyring.errors.KeyringLocked" in result.stderr or "keyring.errors.InitError" in result.stderr


@pytest.mark.keyring
def test_locked_keyring_also_refuses_reads(locked_keyring_env: dict[str, str]) -> None:
    result = _run_python(
        "import keyring; keyring.get_password('rcl-test/infra', 'probe')", locked_keyring_env
    )
    assert result.returncode != 0
    assert "KeyringLocked" in result.stderr or "InitError" in result.stderr


def test_artifacts_dir_is_per_test_under_the_repo(artifacts_dir: Path) -> None:
    assert artifacts_dir.is_dir()
    assert artifacts_dir.parent == REPO_ROOT / "test-artifacts"
    assert "test_artifacts_dir_is_per_test_under_the_repo" in artifacts_dir.name
