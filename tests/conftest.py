"""Session-wide test setup: a private desktop session (D-Bus, unlocked gnome-keyring, Xvfb).

It starts in ``pytest_configure``, before any test module is imported, so that keyring, Qt and every
subprocess see the private HOME, bus and display; it stops in ``pytest_unconfigure``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.browser import QtBrowser
from tests.support.desktop_session import (
    DesktopSession,
    DesktopSessionError,
    environment_without_keyring,
    locked_keyring_session,
    verify_secret_service,
)

if TYPE_CHECKING:
    from rcsandbox import Sandbox

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS_ROOT = REPO_ROOT / "test-artifacts"

_session: DesktopSession | None = None
_saved_environ: dict[str, str | None] = {}
_UNSET = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "PYTHON_KEYRING_BACKEND")


def pytest_configure(config: pytest.Config) -> None:
    global _session
    if _session is not None:
        return
    session = DesktopSession()
    try:
        session.start()
    except (DesktopSessionError, OSError) as exc:
        raise pytest.UsageError(
            f"could not start the private desktop session for the tests: {exc} "
            "(run `make system-deps` to install Xvfb, dbus and gnome-keyring)"
        ) from exc
    _session = session
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--no-sandbox" not in flags.split():
        flags = f"--no-sandbox {flags}".strip()
    # An empty administrator folder: a launcher.toml in /etc/xdg (the .deb test installs one for a few
    # seconds) must not reach any other test's launcher; that test names /etc/xdg itself.
    site_config = session.root / "site-config"
    site_config.mkdir(exist_ok=True)
    # The launcher reads its system folder (/etc/xdg/rocketchat-launcher) whatever XDG_CONFIG_DIRS says:
    # point it at an empty folder here and, through tests/support/python_startup, in every Python started.
    system_config = session.root / "system-config" / "rocketchat-launcher"
    _point_system_config(system_config)
    startup = str(REPO_ROOT / "tests" / "support" / "python_startup")
    updates = {
        **session.env,
        "QTWEBENGINE_CHROMIUM_FLAGS": flags,
        "PYWEBVIEW_GUI": "qt",
        "XDG_CONFIG_DIRS": str(site_config),
        "RCL_TESTS_SYSTEM_CONFIG_DIR": str(system_config),
        "PYTHONPATH": os.pathsep.join(filter(None, [startup, os.environ.get("PYTHONPATH")])),
    }
    for name in (*updates, *_UNSET):
        _saved_environ.setdefault(name, os.environ.get(name))
    for name in _UNSET:
        os.environ.pop(name, None)
    os.environ.update(updates)
    try:
        verify_secret_service()
    except DesktopSessionError as exc:
        pytest_unconfigure(config)
        raise pytest.UsageError(str(exc)) from exc
    config.stash[_timings_key] = dict(session.timings)


def _point_system_config(folder: Path) -> None:
    from launcher.config import layers

    layers.SYSTEM_CONFIG_DIR = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    global _session
    if _session is None:
        return
    _session.stop()
    _session = None
    for name, value in _saved_environ.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _saved_environ.clear()


def pytest_report_header(config: pytest.Config) -> str | None:
    timings = config.stash.get(_timings_key, None)
    if timings is None:
        return None
    return (
        f"private desktop session: DISPLAY={os.environ.get('DISPLAY')}, "
        f"HOME={os.environ.get('HOME')}, started in {timings.get('total', 0.0):.2f} s"
    )


_timings_key = pytest.StashKey[dict[str, float]]()


@pytest.fixture(scope="session")
def desktop_session() -> DesktopSession:
    """The running private desktop session (its ``env`` and ``pids()``)."""
    assert _session is not None, "the desktop session starts in pytest_configure"
    return _session


@pytest.fixture
def no_keyring_env() -> dict[str, str]:
    """Environment for a subprocess where no Secret Service is reachable (keyring -> NoKeyringError)."""
    return environment_without_keyring()


@pytest.fixture
def locked_keyring_env() -> Iterator[dict[str, str]]:
    """Environment for a subprocess whose Secret Service collection is locked (-> KeyringLocked)."""
    with locked_keyring_session() as env:
        yield env


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    """An empty <repo>/test-artifacts/<test name>/ for screenshots and logs (kept after the run).

    <test name> is the node id without ``tests/`` and ``.py``: ``shell.test_window__test_opens[qt]``.
    """
    node_id = request.node.nodeid.removeprefix("tests/").replace(".py::", "::")
    name = re.sub(r"[^A-Za-z0-9_.\[\]-]+", "_", node_id.replace("/", ".").replace("::", "__"))
    path = ARTIFACTS_ROOT / name[:200]
    shutil.rmtree(path, ignore_errors=True)  # nothing stale from an earlier run
    path.mkdir(parents=True)
    return path


@pytest.fixture
def browser(request: pytest.FixtureRequest, artifacts_dir: Path) -> Iterator[QtBrowser]:
    """A started Qt WebEngine page driver (off-the-record profile, ~1024x700 on Xvfb), closed after the test.

    When the test fails, ``failure.png`` and ``browser-stderr.log`` are left in ``artifacts_dir``.
    """
    with QtBrowser() as driver:
        yield driver
        report = request.node.stash.get(_call_report_key, None)
        if report is not None and report.failed:
            _save_failure_artifacts(driver, artifacts_dir)


_call_report_key = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[_call_report_key] = report
    return report


def _save_failure_artifacts(driver: QtBrowser, directory: Path) -> None:
    (directory / "browser-stderr.log").write_text(driver.stderr_tail(lines=400))
    with contextlib.suppress(Exception):  # the driver may be the thing that failed
        driver.screenshot(directory / "failure.png", timeout=5)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A running Rocket.Chat stand-in (docs/architecture.md): user alice/alice-pw, service account
    admin/admin-pw, createToken secret "sandbox-secret", iframe login accepted from any origin."""
    from rcsandbox import Sandbox, SandboxConfig, SandboxUser

    config = SandboxConfig(
        users=[
            SandboxUser(
                username="alice",
                password="alice-pw",
                name="Alice Doe",
                email="alice@example.com",
                roles=["user"],
            )
        ],
        create_tokens_secret="sandbox-secret",
        settings={"Iframe_Integration_receive_enable": True, "Iframe_Integration_receive_origin": "*"},
    )
    with Sandbox(config) as rc:
        yield rc
