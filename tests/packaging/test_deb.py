"""The Debian package, proven with the real dpkg: build/make_deb.py packages the bundle conftest.frozen_app
built (the first time from a copy with the modes a build under umask 000 gives), `dpkg -i` installs it
with nothing any user can write and everything readable by all, the installed
/usr/bin/rocketchat-launcher signs in under Xvfb with IT's edit of /etc/xdg/rocketchat-launcher/launcher.toml,
a newer version installs over it and keeps that edit and the employee's stored login, `dpkg -r` leaves
nothing in /opt or /usr, and `dpkg -P` removes the /etc file but not the employee's profile or keyring
entries.

Needs root and dpkg (CI runs as root). While the package is installed the /etc/xdg file exists for the
whole machine: tests/conftest.py points every other test's XDG_CONFIG_DIRS at an empty folder, and only
this test names /etc/xdg for the installed program.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.demo import DemoStack, DemoUser
from launcher import __version__
from launcher.paths import Paths
from launcher.signin.credentials import CredentialStore
from tests.packaging.conftest import BUILD_TIMEOUT, REPO, bundle_as_built_under, umask

sys.path.insert(0, str(REPO / "build"))
import make_deb

PACKAGE = "rocketchat-launcher"
COMMAND = Path("/usr/bin") / PACKAGE
INSTALL_DIR = Path("/opt") / PACKAGE
DESKTOP_ENTRY = Path("/usr/share/applications") / f"{PACKAGE}.desktop"
ICONS = [
    Path("/usr/share/icons/hicolor") / f"{size}x{size}" / "apps" / f"{PACKAGE}.png"
    for size in make_deb.bundle_assets.HICOLOR_SIZES
]
CONFFILE = Path("/") / make_deb.CONFFILE
PROGRAMS = (COMMAND, INSTALL_DIR / PACKAGE, INSTALL_DIR / "_internal/PyQt6/Qt6/libexec/QtWebEngineProcess")
RUN_TIMEOUT = 120
EMPLOYEE = DemoUser(
    username="deb-user", password="deb-throwaway-pw", name="Dee Debian", email="dee@example.com"
)

pytestmark = [
    pytest.mark.package,
    pytest.mark.timeout(BUILD_TIMEOUT + 6 * RUN_TIMEOUT),
    pytest.mark.skipif(os.geteuid() != 0, reason="dpkg -i needs root (CI runs the tests as root)"),
    pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg is not installed (not a Debian system)"),
]


def _dpkg(*args: str) -> subprocess.CompletedProcess[str]:
    """dpkg with no terminal: a question (such as a conffile prompt) would make it fail, not wait."""
    return subprocess.run(
        ["dpkg", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def _installed_version() -> str | None:
    shown = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status} ${Version}", PACKAGE], capture_output=True, text=True
    )
    if shown.returncode != 0 or not shown.stdout.startswith("install ok installed"):
        return None
    return shown.stdout.split()[-1]


@pytest.fixture
def package_slot() -> Iterator[None]:
    """No rocketchat-launcher package before the test (a real one is never touched), none after it."""
    state = subprocess.run(["dpkg-query", "-W", "-f=${Status}", PACKAGE], capture_output=True, text=True)
    if state.returncode == 0 and "not-installed" not in state.stdout:
        pytest.skip(
            f"a {PACKAGE} package is already on this machine ({state.stdout}); the test would remove it"
        )
    yield
    _dpkg("--purge", PACKAGE)


def _run_installed(*args: str, profile: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command on the PATH, reading the administrator's file where an installed launcher does."""
    return subprocess.run(
        [PACKAGE, "--profile", str(profile), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_CONFIG_DIRS": "/etc/xdg", "PATH": f"/usr/bin:{os.environ['PATH']}"},
        timeout=RUN_TIMEOUT,
        cwd="/",
    )


def _starts_signed_in(profile: Path, timeline: Path) -> None:
    smoke = _run_installed("--exit-when-ready", "--timeline", str(timeline), profile=profile)
    assert smoke.returncode == 0, smoke.stderr[-3000:]
    assert json.loads(timeline.read_text(encoding="utf-8"))["signin_confirmed"] is not None


def _package_files() -> list[Path]:
    listed = subprocess.run(["dpkg", "-L", PACKAGE], capture_output=True, text=True, check=True).stdout
    return [Path(line) for line in listed.splitlines() if line.startswith("/")]


def _assert_installed_modes() -> None:
    """What dpkg put on the disk: root's, nothing group- or world-writable, everything readable by every
    user, folders, programs and shared objects 0755."""
    paths = [Path(folder) / name for folder, _, names in os.walk(INSTALL_DIR) for name in names]
    paths += [Path(folder) for folder, _, _ in os.walk(INSTALL_DIR)]
    paths += [DESKTOP_ENTRY, *ICONS, CONFFILE, CONFFILE.parent, *PROGRAMS]
    wrong = []
    for path in paths:
        status = path.lstat()
        mode = stat.S_IMODE(status.st_mode)
        if stat.S_ISLNK(status.st_mode):
            continue
        shared_object = path.name.endswith(".so") or ".so." in path.name
        executable = stat.S_ISDIR(status.st_mode) or path in PROGRAMS or shared_object
        if (status.st_uid, status.st_gid) != (0, 0) or mode & 0o022 or not mode & 0o004:
            wrong.append(f"{path} {mode:04o} {status.st_uid}:{status.st_gid}")
        elif executable and mode != 0o755:
            wrong.append(f"{path} {mode:04o}, not 0755")
    assert not wrong, f"{len(wrong)} of {len(paths)} installed entries with wrong modes: {wrong[:20]}"


def test_deb_installs_signs_in_upgrades_keeping_it_edit_and_removes_cleanly(
    frozen_app: Path, package_slot: None, stack: DemoStack, profile: Path, tmp_path: Path
) -> None:
    bundle = frozen_app.parent
    odd_bundle = bundle_as_built_under(bundle, 0o000, tmp_path / "umask-000-bundle")
    with umask(0o000):
        first = make_deb.build(odd_bundle, tmp_path / "v1", __version__, compression="none")
    shutil.rmtree(odd_bundle)
    assert first.name == f"{PACKAGE}_{__version__}_{make_deb.architecture()}.deb"

    installed = _dpkg("-i", str(first))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert _installed_version() == __version__
    for path in (COMMAND, INSTALL_DIR / PACKAGE, DESKTOP_ENTRY, CONFFILE, *ICONS):
        assert path.is_file(), f"{path} is not installed"
    _assert_installed_modes()
    conffiles = subprocess.run(
        ["dpkg-query", "-W", "-f=${Conffiles}", PACKAGE], capture_output=True, text=True, check=True
    ).stdout
    assert str(CONFFILE) in conffiles
    validated = subprocess.run(["desktop-file-validate", str(DESKTOP_ENTRY)], capture_output=True, text=True)
    assert validated.returncode == 0 and not validated.stdout.strip(), validated.stdout
    assert "MimeType=x-scheme-handler/rocketchat-launcher;" in DESKTOP_ENTRY.read_text(encoding="utf-8")
    shipped = set(_package_files())

    # IT edits the conffile; the installed program reads it from /etc/xdg and signs in in its window.
    stack.write_launcher_config(CONFFILE, "Deb Corp")
    it_edit = CONFFILE.read_text(encoding="utf-8")
    shown = _run_installed("config", profile=profile)
    assert shown.returncode == 0, shown.stderr
    assert str(CONFFILE) in shown.stdout and stack.rocketchat_url in shown.stdout
    signed = _run_installed(
        "sign-in",
        "--username",
        EMPLOYEE.username,
        "--password-stdin",
        profile=profile,
        stdin=EMPLOYEE.password + "\n",
    )
    assert signed.returncode == 0, signed.stderr
    _starts_signed_in(profile, tmp_path / "timeline-v1.json")
    logins = len(stack.sandbox.events(kind="login"))

    # An upgrade (the same files, a newer version): no question asked, IT's edit kept, still signed in.
    upgrade_version = f"{__version__}+upgrade1"
    second = make_deb.build(bundle, tmp_path / "v2", upgrade_version, compression="none")
    upgraded = _dpkg("-i", str(second))
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert _installed_version() == upgrade_version
    _assert_installed_modes()
    assert CONFFILE.read_text(encoding="utf-8") == it_edit
    assert not list(CONFFILE.parent.glob("*.dpkg-*")), list(CONFFILE.parent.iterdir())
    assert CredentialStore(Paths.under(profile).keyring_namespace).load_login() is not None
    _starts_signed_in(profile, tmp_path / "timeline-v2.json")
    assert len(stack.sandbox.events(kind="login")) > logins
    files = set(_package_files())
    runtime_leftovers = sorted(
        str(path) for path in INSTALL_DIR.rglob("*") if path not in files and path not in shipped
    )
    assert not runtime_leftovers, f"files in {INSTALL_DIR} that no package owns: {runtime_leftovers[:20]}"

    # Removal: nothing of the package left in /opt or /usr; the conffile stays until purge.
    removed = _dpkg("-r", PACKAGE)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    left = [path for path in (INSTALL_DIR, COMMAND, DESKTOP_ENTRY, *ICONS) if path.exists()]
    assert not left, f"left after dpkg -r: {left}"
    assert not [path for path in files if str(path).startswith(("/opt/", "/usr/")) and path.is_file()]
    assert CONFFILE.read_text(encoding="utf-8") == it_edit

    # Purge: the /etc file goes; the employee's profile and keyring entries stay.
    purged = _dpkg("--purge", PACKAGE)
    assert purged.returncode == 0, purged.stdout + purged.stderr
    assert not CONFFILE.exists() and not CONFFILE.parent.exists()
    assert _installed_version() is None
    assert profile.is_dir() and any(profile.iterdir())
    assert CredentialStore(Paths.under(profile).keyring_namespace).load_login() is not None
