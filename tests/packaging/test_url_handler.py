"""`rocketchat-launcher url-handler on|off|status`: the scheme's registration per OS. Linux for real (files
the XDG tools read, checked with desktop-file-validate and xdg-mime); Windows through a fake registry key
(the winreg calls are not run here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from launcher.system.url_handler import (
    DESKTOP_FILE,
    MIME_TYPE,
    LinuxUrlHandler,
    WindowsUrlHandler,
    handler_command,
    registry_values,
)
from tests.packaging.desktop_entry_launch import (
    AWKWARD_FOLDERS,
    PROGRAM_FOLDER,
    launched_arguments,
    needs_gio,
    recorder,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    dirs = {"XDG_DATA_HOME": tmp_path / "data", "XDG_CONFIG_HOME": tmp_path / "config"}
    for name, path in dirs.items():
        monkeypatch.setenv(name, str(path))
    return dirs


def _cli(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "launcher", "--profile", str(profile), *args]
    return subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(), timeout=60)


@pytest.mark.real
def test_on_status_off_round_trip_keeps_the_users_other_defaults(
    tmp_path: Path, xdg: dict[str, Path]
) -> None:
    mimeapps = xdg["XDG_CONFIG_HOME"] / "mimeapps.list"
    mimeapps.parent.mkdir(parents=True)
    mimeapps.write_text(
        "[Added Associations]\ntext/plain=gedit.desktop;\n\n[Default Applications]\n"
        "x-scheme-handler/mailto=thunderbird.desktop;\nx-scheme-handler/rocketchat-launcher=old.desktop;\n",
        encoding="utf-8",
    )
    assert "links open here: off" in _cli("url-handler", "status", profile=tmp_path).stdout

    on = _cli("url-handler", "on", profile=tmp_path)

    assert on.returncode == 0, on.stderr
    entry = xdg["XDG_DATA_HOME"] / "applications" / DESKTOP_FILE
    valid = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    text = entry.read_text(encoding="utf-8")
    assert f"MimeType={MIME_TYPE};" in text and "NoDisplay=true" in text
    # this profile; the link arrives as `open <link>`
    assert f"--profile {tmp_path.resolve()} open %u" in text
    query = subprocess.run(
        ["xdg-mime", "query", "default", MIME_TYPE], capture_output=True, text=True, env=os.environ.copy()
    )
    assert query.stdout.strip() == DESKTOP_FILE
    listed = mimeapps.read_text(encoding="utf-8")
    assert "text/plain=gedit.desktop;" in listed and "x-scheme-handler/mailto=thunderbird.desktop;" in listed
    assert "old.desktop" not in listed and listed.count(MIME_TYPE) == 1
    assert "links open here: on" in _cli("url-handler", "status", profile=tmp_path).stdout

    off = _cli("url-handler", "off", profile=tmp_path)

    assert off.returncode == 0, off.stderr
    assert not entry.exists()
    listed = mimeapps.read_text(encoding="utf-8")
    assert MIME_TYPE not in listed and "thunderbird.desktop" in listed and "gedit.desktop" in listed
    assert "links open here: off" in _cli("url-handler", "status", profile=tmp_path).stdout


@pytest.mark.real
def test_a_fresh_desk_gets_a_mimeapps_list(tmp_path: Path) -> None:
    handler = LinuxUrlHandler(tmp_path / "data", tmp_path / "config")
    handler.enable(["/opt/rocketchat-launcher/rocketchat-launcher", "open"])
    assert (tmp_path / "config" / "mimeapps.list").read_text() == (
        f"[Default Applications]\n{MIME_TYPE}={DESKTOP_FILE};\n"
    )
    assert handler.is_enabled()
    assert handler.disable() and not handler.is_enabled()


class FakeClassesKey:
    def __init__(self) -> None:
        self.values: dict[str, dict[str, str]] | None = None

    def write(self, values: dict[str, dict[str, str]]) -> None:
        self.values = values

    def read_command(self) -> str | None:
        return self.values[r"shell\open\command"][""] if self.values else None

    def delete(self) -> bool:
        had, self.values = self.values is not None, None
        return had


def test_windows_writes_a_url_protocol_whose_command_is_open() -> None:
    key = FakeClassesKey()
    handler = WindowsUrlHandler(key)
    exe = r"C:\Program Files\Rocket.Chat Launcher\rocketchat-launcher.exe"

    handler.enable([exe, "open"])

    assert key.values == {
        "": {"": "URL:Rocket.Chat Launcher room link", "URL Protocol": ""},
        r"shell\open\command": {"": f'"{exe}" open "%1"'},
    }
    assert handler.is_enabled() and "HKCU\\Software\\Classes\\rocketchat-launcher" in handler.describe()
    assert handler.disable() and not handler.is_enabled()


def test_the_documented_reg_template_matches_what_the_command_writes() -> None:
    it_doc = (REPO / "docs" / "it.md").read_text(encoding="utf-8")
    command = registry_values([r"C:\Program Files\Rocket.Chat Launcher\rocketchat-launcher.exe", "open"])
    reg_command = command[r"shell\open\command"][""].replace("\\", "\\\\").replace('"', '\\"')
    assert "[HKEY_CURRENT_USER\\Software\\Classes\\rocketchat-launcher]" in it_doc
    assert '"URL Protocol"=""' in it_doc
    assert f'@="{reg_command}"' in it_doc


def test_the_handler_command_is_this_launcher_with_this_profile(tmp_path: Path) -> None:
    command = handler_command(tmp_path / "p", tmp_path / "c.toml")
    assert command == [
        sys.executable,
        "-m",
        "launcher",
        "--profile",
        str((tmp_path / "p").resolve()),
        "--config",
        str((tmp_path / "c.toml").resolve()),
        "open",
    ]


@pytest.mark.real
@needs_gio
@pytest.mark.parametrize("folder", AWKWARD_FOLDERS)
def test_the_link_entry_passes_the_link_from_a_path_with_percent_quotes_and_spaces(
    tmp_path: Path, folder: str
) -> None:
    """Issue 31, L7: `%` in the path becomes `%%`, the link still arrives through `%u`."""
    program = recorder(tmp_path / PROGRAM_FOLDER)
    handler = LinuxUrlHandler(tmp_path / "data", tmp_path / "config")
    handler.enable([str(program), "--profile", str(tmp_path / folder / "profile"), "open"])

    valid = subprocess.run(["desktop-file-validate", str(handler.path)], capture_output=True, text=True)
    assert valid.returncode == 0 and not valid.stdout.strip(), valid.stdout + valid.stderr
    link = "rocketchat-launcher://room/general"
    assert launched_arguments(handler.path, tmp_path / "argv.json", link) == [
        "--profile",
        str(tmp_path / folder / "profile"),
        "open",
        link,
    ]
