"""The PyInstaller bundle, proven by running it: built from build/pyinstaller.spec, started under Xvfb with
IT's launcher.toml beside the executable, against the Rocket.Chat stand-in and the token service.

Any file the frozen program needs and the spec left out (webview's JS, the assets, keyring's backend
metadata, Qt WebEngine's helper process and resources) makes one of these steps fail.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from devstack.demo import DemoStack, DemoUser
from launcher.cli.commands import DEMO_MISSING
from tests.packaging.conftest import BUILD_TIMEOUT
from tests.support.screenshots import assert_not_blank

EMPLOYEE = DemoUser(
    username="bundle-user", password="bundle-throwaway-pw", name="Bea Bundle", email="bea@example.com"
)
RUN_TIMEOUT = 120

# The first test builds the bundle (conftest.frozen_app: about a minute on 2 cores, more from a cold cache).
pytestmark = [pytest.mark.package, pytest.mark.timeout(BUILD_TIMEOUT + 4 * RUN_TIMEOUT)]


def _run(
    executable: Path, *args: str, profile: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    return subprocess.run(
        [str(executable), "--profile", str(profile), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=RUN_TIMEOUT,
        cwd="/",
    )


def test_bundle_leaves_out_what_the_launcher_does_not_use(frozen_app: Path) -> None:
    internal = frozen_app.parent / "_internal"
    assert (internal / "webview" / "js").is_dir()
    assert (internal / "launcher" / "web" / "signin.html").is_file()
    # the menu entry and hicolor icons from assets/, which make_deb.py installs (and IT can copy by hand)
    assert (internal / "share" / "applications" / "rocketchat-launcher.desktop").is_file()
    assert (
        internal / "share" / "icons" / "hicolor" / "256x256" / "apps" / "rocketchat-launcher.png"
    ).is_file()
    names = {path.name for path in internal.rglob("*")}
    for unwanted in (
        "tokenservice",
        "rcsandbox",
        "devstack",
        "starlette",
        "uvicorn",
        "pytest",
        "libgtk-3.so.0",
        "libQt6Multimedia.so.6",
        "libQt6Quick3D.so.6",
        # the distribution's own libraries: the .deb depends on their packages (build/system_libs.py)
        "libnss3.so",
        "libglib-2.0.so.0",
        "libX11.so.6",
        "libcups.so.2",
        # never opened: Chromium's developer tools, the plugins of left-out Qt libraries
        "qtwebengine_devtools_resources.pak",
        "libqpdf.so",
        "libqwayland-generic.so",
    ):
        assert unwanted not in names, f"{unwanted} should not be in the bundle"
    qt = internal / "PyQt6" / "Qt6"
    # web-engine UI strings and Qt's own translations: English only unless BUNDLE_LOCALES lists more
    assert sorted(path.name for path in (qt / "translations").rglob("*") if path.is_file()) == ["en-US.pak"]
    assert (qt / "lib" / "libicudata.so.73").stat().st_size < 10_000_000  # trimmed from 32 MB (trim_icu.py)


def test_bundle_holds_no_test_remote_control_and_help_lists_only_what_works(
    frozen_app: Path, tmp_path: Path
) -> None:
    """The frozen program's modules (its embedded PYZ archive): the recorder only, no tests, no driver
    and no demo stack; `--help` does not offer `demo`, and `demo` says in one sentence where it lives."""
    from PyInstaller.archive.readers import CArchiveReader

    modules = set(CArchiveReader(str(frozen_app)).open_embedded_archive("PYZ.pyz").toc)
    assert "launcher.window.recorder" in modules
    shipped_tests = sorted(m for m in modules if m.split(".")[0] in ("tests", "devstack", "rcsandbox"))
    assert shipped_tests == [], shipped_tests
    assert not any(m.startswith("launcher.testing") or "e2e" in m for m in modules)

    shown = _run(frozen_app, "--help", profile=tmp_path / "profile")
    assert shown.returncode == 0, shown.stderr
    assert "sign-in" in shown.stdout and "demo" not in shown.stdout
    demo = _run(frozen_app, "demo", profile=tmp_path / "profile")
    assert demo.returncode == 2 and "Traceback" not in demo.stderr
    assert demo.stderr.strip() == DEMO_MISSING


def test_one_folder_bundle_is_at_most_350_mb(frozen_app: Path) -> None:
    """The issue's budget, counted as `du -sb` does (apparent sizes; symbolic links as links)."""
    folder = frozen_app.parent
    total = folder.lstat().st_size + sum(path.lstat().st_size for path in folder.rglob("*"))
    assert total <= 350 * 10**6, f"{folder} is {total / 10**6:.1f} MB"


def test_frozen_app_reads_launcher_toml_beside_it_signs_in_and_passes_doctor(
    frozen_app: Path, stack: DemoStack, profile: Path, tmp_path: Path
) -> None:
    it_config = stack.write_launcher_config(frozen_app.parent / "launcher.toml", "Bundle Corp")
    try:
        shown = _run(frozen_app, "config", profile=profile)
        assert shown.returncode == 0, shown.stderr
        assert str(it_config) in shown.stdout
        assert stack.rocketchat_url in shown.stdout

        signed = _run(
            frozen_app,
            "sign-in",
            "--username",
            EMPLOYEE.username,
            "--password-stdin",
            profile=profile,
            stdin=EMPLOYEE.password + "\n",
        )
        assert signed.returncode == 0, signed.stderr

        # In the real window (the shipped recorder writes the renderer and a screenshot)...
        report_dir = tmp_path / "record"
        report_dir.mkdir()
        (report_dir / "plan.json").write_text(
            json.dumps({"finish_on": ["signed-in", "error"]}), encoding="utf-8"
        )
        window = _run(frozen_app, profile=profile, ROCKETCHAT_LAUNCHER_RECORD=str(report_dir))
        report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
        assert window.returncode == 0, window.stderr[-3000:]
        assert report["renderer"] == "qtwebengine"
        assert report["final_state"] == "signed-in", report
        signed_in = next(entry for entry in report["states"] if entry["state"] == "signed-in")
        assert_not_blank(report_dir / signed_in["screenshot"])

        # ...and as IT's smoke test runs it: exit 0 once Rocket.Chat is signed in.
        timeline = tmp_path / "timeline.json"
        smoke = _run(frozen_app, "--exit-when-ready", "--timeline", str(timeline), profile=profile)
        assert smoke.returncode == 0, smoke.stderr[-3000:]
        assert json.loads(timeline.read_text(encoding="utf-8"))["signin_confirmed"] is not None
        assert [event["username"] for event in stack.sandbox.events(kind="login")][-1] == EMPLOYEE.username

        doctor = _run(frozen_app, "doctor", profile=profile)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    finally:
        it_config.unlink()
