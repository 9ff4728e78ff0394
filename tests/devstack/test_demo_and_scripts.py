"""`rocketchat-launcher demo` runs unattended with --exit-when-ready, and scripts/with-desktop-session.sh
gives a command a private display and an unlocked keyring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.window

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "with-desktop-session.sh"


def test_demo_signs_in_unattended_with_exit_when_ready(tmp_path):
    timeline = tmp_path / "timeline.json"
    env = {k: v for k, v in os.environ.items() if k != "ROCKETCHAT_LAUNCHER_E2E"}
    proc = subprocess.run(
        [sys.executable, "-m", "launcher", "--exit-when-ready", "--timeline", str(timeline), "demo"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "demo username:" in proc.stdout and "demo password:" in proc.stdout
    assert "Rocket.Chat is signed in." in proc.stdout
    data = json.loads(timeline.read_text())
    assert data["renderer"] == "qtwebengine"
    assert data["local_page_loaded"] < data["token_ready"] < data["signin_confirmed"]  # the form, then RC


def test_demo_unattended_signs_in_and_saves_a_screenshot_of_the_signed_in_window(tmp_path):
    shot = tmp_path / "shots" / "signed-in.png"
    env = {k: v for k, v in os.environ.items() if k != "ROCKETCHAT_LAUNCHER_E2E"}
    proc = subprocess.run(
        [sys.executable, "-m", "launcher", "demo", "--unattended", "--screenshot", str(shot)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "signs in by itself" in proc.stdout and "press Sign in" not in proc.stdout
    assert f"A screenshot of the window is in {shot}" in proc.stdout
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000  # a real picture, not an empty file


def test_with_desktop_session_runs_directly_when_a_display_exists():
    proc = subprocess.run(
        ["bash", str(SCRIPT), "--if-no-display", "sh", "-c", 'printf "%s" "$DISPLAY"'],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0 and proc.stdout == os.environ["DISPLAY"]


def test_with_desktop_session_provides_display_and_unlocked_keyring_without_one():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    probe = (
        "import os, keyring; keyring.set_password('probe', 'user', 'value'); "
        "print(os.environ['DISPLAY'], keyring.get_password('probe', 'user'))"
    )
    proc = subprocess.run(
        ["bash", str(SCRIPT), "--if-no-display", sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    display, value = proc.stdout.split()
    assert display.startswith(":") and display != os.environ["DISPLAY"] and value == "value"
