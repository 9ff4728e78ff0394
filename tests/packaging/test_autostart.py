"""Autostart: the Linux entry is written for real and validated; Windows/macOS on what they would write."""

from __future__ import annotations

import plistlib
import subprocess
from pathlib import Path

import pytest

from launcher.system.autostart import LinuxAutostart, MacAutostart, WindowsAutostart
from tests.packaging.desktop_entry_launch import (
    AWKWARD_FOLDERS,
    PROGRAM_FOLDER,
    launched_arguments,
    needs_gio,
    recorder,
)


def _validate_desktop_file(path: Path) -> None:
    result = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def _exec_arguments(desktop_text: str) -> list[str]:
    """Parse an Exec value as the Desktop Entry Specification says (string unescape, then quoting)."""
    line = next(line for line in desktop_text.splitlines() if line.startswith("Exec="))
    value = line.removeprefix("Exec=").replace("\\\\", "\\")
    arguments: list[str] = []
    current, quoted, escaped, in_argument = "", False, False, False
    for char in value:
        if escaped:
            current, escaped = current + char, False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted, in_argument = not quoted, True
        elif char == " " and not quoted:
            if in_argument:
                arguments.append(current)
            current, in_argument = "", False
        else:
            current, in_argument = current + char, True
    if in_argument:
        arguments.append(current)
    return arguments


@pytest.mark.real
def test_linux_autostart_writes_a_valid_desktop_file_and_removes_it(tmp_path: Path) -> None:
    entry = LinuxAutostart(config_home=tmp_path)
    assert not entry.is_enabled()

    written = entry.enable(["/opt/Rocket Chat/rocketchat-launcher", "--start-minimized"])

    assert Path(written) == tmp_path / "autostart" / "rocketchat-launcher.desktop"
    assert entry.is_enabled()
    _validate_desktop_file(entry.path)
    text = entry.path.read_text(encoding="utf-8")
    assert _exec_arguments(text) == ["/opt/Rocket Chat/rocketchat-launcher", "--start-minimized"]
    assert "X-GNOME-Autostart-enabled=true" in text

    assert entry.disable() is True
    assert not entry.path.exists()
    assert not entry.is_enabled()
    assert entry.disable() is False


@pytest.mark.real
@pytest.mark.parametrize(
    "argument",
    ['/tmp/with "quote"/app', "/tmp/back\\slash/app", "/tmp/dollar$HOME/app", "/tmp/tick`x`/app"],
)
def test_linux_exec_line_quotes_reserved_characters(tmp_path: Path, argument: str) -> None:
    entry = LinuxAutostart(config_home=tmp_path)
    entry.enable([argument, "--start-minimized"])
    _validate_desktop_file(entry.path)
    assert _exec_arguments(entry.path.read_text(encoding="utf-8"))[0] == argument


class _FakeRunKey:
    """Stands in for HKCU\\...\\Run: the Windows registry cannot run here."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def delete(self, name: str) -> bool:
        return self.values.pop(name, None) is not None


def test_windows_autostart_with_mocked_registry_writes_a_quoted_run_value() -> None:
    key = _FakeRunKey()
    entry = WindowsAutostart(run_key=key)
    assert not entry.is_enabled()

    entry.enable([r"C:\Program Files\Rocket.Chat Launcher\rocketchat-launcher.exe", "--start-minimized"])

    assert key.values == {
        "RocketChatLauncher": '"C:\\Program Files\\Rocket.Chat Launcher\\rocketchat-launcher.exe" --start-minimized'
    }
    assert entry.is_enabled()
    assert entry.disable() is True
    assert key.values == {}
    assert entry.disable() is False


def test_macos_autostart_with_mocked_home_writes_a_loadable_launch_agent(tmp_path: Path) -> None:
    entry = MacAutostart(launch_agents_dir=tmp_path)
    command = [
        "/Applications/Rocket.Chat Launcher.app/Contents/MacOS/rocketchat-launcher",
        "--start-minimized",
    ]

    entry.enable(command)

    agent = plistlib.loads(entry.path.read_bytes())
    assert entry.path.name == "chat.rocket.launcher.plist"
    assert agent["Label"] == "chat.rocket.launcher"
    assert agent["ProgramArguments"] == command
    assert agent["RunAtLoad"] is True
    assert entry.disable() is True
    assert not entry.is_enabled()


@pytest.mark.real
@needs_gio
@pytest.mark.parametrize("folder", AWKWARD_FOLDERS)
def test_linux_autostart_entry_starts_the_program_from_a_path_with_percent_quotes_and_spaces(
    tmp_path: Path, folder: str
) -> None:
    """Issue 31, L7: a `%` in the path (Exec= needs `%%`) and the quoting rules, proven by starting it."""
    program = recorder(tmp_path / PROGRAM_FOLDER)
    entry = LinuxAutostart(config_home=tmp_path / "config")
    entry.enable([str(program), "--profile", str(tmp_path / folder / "profile 50%"), "--start-minimized"])

    _validate_desktop_file(entry.path)
    assert launched_arguments(entry.path, tmp_path / "argv.json") == [
        "--profile",
        str(tmp_path / folder / "profile 50%"),
        "--start-minimized",
    ]
