"""Session-wide test setup: a private HOME for every run, a private desktop session only when needed.

Tiers (markers, registered in pyproject.toml): ``window`` (a real Qt window under Xvfb), ``real`` (real
servers over sockets, the keyring, LDAP, Redis, subprocesses), ``package`` (the bundle, the .deb);
unmarked tests are fast and are what ``make check`` runs.

``pytest_configure`` (before any test module is imported) points HOME, XDG_RUNTIME_DIR and the
launcher's system folder at throw-away folders and removes DISPLAY and the session bus, so no test
reaches the developer's files, keyring or screen. The desktop session (D-Bus, unlocked gnome-keyring,
Xvfb) starts the first time a test of a costly tier runs or a test asks for ``desktop_session``
(``store``, ``browser`` and the keyring fixtures do); ``pytest_unconfigure`` stops it. A run of the
fast tier starts no process.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.desktop_session import (
    DesktopSession,
    DesktopSessionError,
    environment_without_keyring,
    locked_keyring_session,
    verify_secret_service,
)

if TYPE_CHECKING:
    from rcsandbox import Sandbox
    from tests.support.browser import QtBrowser

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS_ROOT = REPO_ROOT / "test-artifacts"
# Tests of these tiers may start the launcher, a keyring client or a window in a subprocess.
DESKTOP_TIERS = ("window", "real", "package")

_session: DesktopSession | None = None
_saved_environ: dict[str, str | None] = {}
_UNSET = (
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "XDG_STATE_HOME",
    "PYTHON_KEYRING_BACKEND",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "DBUS_SESSION_BUS_ADDRESS",
)


def pytest_configure(config: pytest.Config) -> None:
    global _session
    if _session is not None:
        return
    session = DesktopSession()
    private_dirs = session.prepare()
    _session = session
    assert session.root is not None
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
        **private_dirs,
        "QTWEBENGINE_CHROMIUM_FLAGS": flags,
        "PYWEBVIEW_GUI": "qt",
        "XDG_CONFIG_DIRS": str(site_config),
        "RCL_TESTS_SYSTEM_CONFIG_DIR": str(system_config),
        "PYTHONPATH": os.pathsep.join(filter(None, [startup, os.environ.get("PYTHONPATH")])),
    }
    for name in (*updates, *_UNSET, "NO_AT_BRIDGE"):
        _saved_environ.setdefault(name, os.environ.get(name))
    for name in _UNSET:
        os.environ.pop(name, None)
    os.environ.update(updates)


def _start_desktop(session: DesktopSession) -> None:
    """Start the bus, keyring and display and export them (once per run)."""
    if session.running:
        return
    if not sys.platform.startswith("linux"):
        pytest.skip("the private desktop session (D-Bus, gnome-keyring, Xvfb) exists on Linux only")
    try:
        session.start()
    except (DesktopSessionError, OSError) as exc:
        pytest.exit(
            f"could not start the private desktop session for the tests: {exc} "
            "(run `make system-deps` to install Xvfb, dbus and gnome-keyring)",
            returncode=4,
        )
    os.environ.update(session.env)
    if "keyring.core" in sys.modules:  # a backend chosen before the bus existed would be the wrong one
        import keyring.core

        keyring.core.init_backend()
    try:
        verify_secret_service()
    except DesktopSessionError as exc:
        pytest.exit(str(exc), returncode=4)


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


def pytest_report_header(config: pytest.Config) -> str:
    return (
        f"private HOME={os.environ.get('HOME')}; the desktop session (D-Bus, keyring, Xvfb) starts "
        f"with the first test marked {', '.join(DESKTOP_TIERS)} or asking for it"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _session is not None and _session.running:
        terminalreporter.write_line(
            f"private desktop session: DISPLAY={_session.env.get('DISPLAY')}, "
            f"started in {_session.timings.get('total', 0.0):.2f} s"
        )


# Earlier names of two tiers, still read so that a file not yet moved to the new name keeps its tier.
_OLD_TIER_NAMES = {"gui": "window", "keyring": "real"}


@pytest.hookimpl(tryfirst=True)  # before -m selects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for old, new in _OLD_TIER_NAMES.items():
            if item.get_closest_marker(old) is not None and item.get_closest_marker(new) is None:
                item.add_marker(new)


@pytest.fixture(scope="session")
def desktop_session() -> DesktopSession:
    """The private desktop session (its ``env`` and ``pids()``), started on first use."""
    assert _session is not None, "the private folders are made in pytest_configure"
    _start_desktop(_session)
    return _session


@pytest.fixture(autouse=True)
def _tier(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests of the window, real and package tiers get the desktop session before they start. In a run of
    the fast tier, an unmarked test that starts a server or a process fails at once, so it stays fast."""
    if any(request.node.get_closest_marker(tier) for tier in DESKTOP_TIERS):
        request.getfixturevalue("desktop_session")
        return
    if "not real" not in request.config.getoption("markexpr", ""):
        return  # the guard checks runs of the fast tier (`make check`, -m "not window and not real ...")
    if "desktop_session" in request.fixturenames:
        raise TierError(
            f"{request.node.nodeid} is in the fast tier (no marker) but uses the desktop session (D-Bus, "
            "keyring, Xvfb; through store, browser or a keyring fixture): mark it `pytest.mark.real`"
        )

    def refuse(what: str) -> Callable[..., None]:
        def refused(*args: object, **kwargs: object) -> None:
            raise TierError(
                f"{request.node.nodeid} is in the fast tier (no marker) but {what}: mark it "
                "`pytest.mark.real` (or window/package), or talk to the app in process "
                "(tests/support/in_process.py)"
            )

        return refused

    monkeypatch.setattr(socket.socket, "listen", refuse("starts a server (socket.listen)"))
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse("starts a process (subprocess.Popen)"))


class TierError(AssertionError):
    """A fast-tier test did something only the costly tiers may do."""


@pytest.fixture
def no_keyring_env(desktop_session: DesktopSession) -> dict[str, str]:
    """Environment for a subprocess where no Secret Service is reachable (keyring -> NoKeyringError)."""
    return environment_without_keyring()


@pytest.fixture
def locked_keyring_env(desktop_session: DesktopSession) -> Iterator[dict[str, str]]:
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
def browser(
    request: pytest.FixtureRequest, artifacts_dir: Path, desktop_session: DesktopSession
) -> Iterator[QtBrowser]:
    """A started Qt WebEngine page driver (off-the-record profile, ~1024x700 on Xvfb), closed after the test.

    When the test fails, ``failure.png`` and ``browser-stderr.log`` are left in ``artifacts_dir``.
    """
    from tests.support.browser import QtBrowser

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
