"""The one-folder PyInstaller bundle, built once per test session: the bundle test runs it and the .deb
test packages it, so PyInstaller (about a minute on 2 cores) runs once for both."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def umask(value: int) -> Iterator[None]:
    """The process's umask set to ``value`` for the block (the files make_deb.py creates follow it)."""
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


def bundle_as_built_under(bundle: Path, mask: int, target: Path) -> Path:
    """A copy of ``bundle`` with the modes a build under umask ``mask`` gives (folders and programs 0777, other
    files 0666, less the umask): the bundle's modes follow the build machine's umask, and building it again
    for each umask would take minutes."""
    shutil.copytree(bundle, target, symlinks=True)
    for folder, _folders, files in os.walk(target):
        for path in (Path(folder), *(Path(folder) / name for name in files)):
            mode = path.lstat().st_mode
            if not stat.S_ISLNK(mode):
                full = 0o777 if stat.S_ISDIR(mode) or mode & 0o100 else 0o666
                path.chmod(full & ~mask)
    return target


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
