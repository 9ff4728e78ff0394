"""The one-folder PyInstaller bundle, built once per test session: the bundle test runs it and the .deb
test packages it, so PyInstaller (about a minute on 2 cores) runs once for both."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.demo import DemoStack
from launcher.paths import Paths
from launcher.signin.credentials import CredentialStore

REPO = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 900


@pytest.fixture(scope="session")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle's executable, built from build/pyinstaller.spec into a temporary dist folder."""
    dist = tmp_path_factory.mktemp("bundle-dist")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(REPO / "build" / "work"),
            str(REPO / "build" / "pyinstaller.spec"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    executable = dist / "rocketchat-launcher" / "rocketchat-launcher"
    assert executable.is_file()
    return executable


@pytest.fixture
def stack(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[DemoStack]:
    """The stand-in and the token service, with the test module's EMPLOYEE as the one account."""
    employee = request.module.EMPLOYEE
    with DemoStack(tmp_path / "stack", [employee], client_start_delay=0.5, password_cost=2**10) as running:
        yield running


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Path]:
    """A profile folder for the frozen program; its keyring entries are cleared afterwards."""
    directory = tmp_path / "profile"
    yield directory
    CredentialStore(Paths.under(directory).keyring_namespace).clear()
