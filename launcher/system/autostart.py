"""Start the launcher when the user logs in, with each OS's own mechanism.

IT asks for this on every desk (the official client has no login item). One small class per
OS, each writing exactly what that OS reads: an XDG autostart `.desktop` file on Linux, a value under the
user's `Run` registry key on Windows, a LaunchAgent property list on macOS. The command always carries
`--start-minimized`, so a login opens the tray rather than a window in the user's face.
"""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

__all__ = [
    "APP_ID",
    "AutostartEntry",
    "LinuxAutostart",
    "MacAutostart",
    "RunKey",
    "WindowsAutostart",
    "autostart_for_this_os",
    "launcher_command",
]

APP_ID = "rocketchat-launcher"
BUNDLE_ID = "chat.rocket.launcher"
_DISPLAY_NAME = "Rocket.Chat Launcher"
_RUN_KEY_PATH = r"Software\Microsoft\Windows\CurrentVersion\Run"
_RUN_VALUE_NAME = "RocketChatLauncher"


class AutostartEntry(Protocol):
    """What `rocketchat-launcher autostart on|off|status` needs from each OS."""

    def enable(self, command: Sequence[str]) -> str: ...
    def disable(self) -> bool: ...
    def is_enabled(self) -> bool: ...
    def describe(self) -> str: ...


def launcher_command() -> list[str]:
    """The command that starts this launcher minimized: the frozen executable, or this interpreter."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--start-minimized"]
    return [sys.executable, "-m", "launcher", "--start-minimized"]


class _FileEntry:
    """An autostart entry that is one file: present means on (Linux and macOS)."""

    path: Path

    def disable(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    def is_enabled(self) -> bool:
        return self.path.is_file()


class LinuxAutostart(_FileEntry):
    """An XDG autostart entry: `$XDG_CONFIG_HOME/autostart/rocketchat-launcher.desktop`."""

    def __init__(self, config_home: Path | None = None) -> None:
        base = config_home or Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        self.path = base / "autostart" / f"{APP_ID}.desktop"

    def enable(self, command: Sequence[str]) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(_desktop_entry(command), encoding="utf-8")
        return str(self.path)

    def describe(self) -> str:
        return f"XDG autostart file {self.path}"


class RunKey(Protocol):
    """The three registry operations on HKCU\\...\\Run that autostart needs (winreg on Windows)."""

    def set(self, name: str, value: str) -> None: ...
    def get(self, name: str) -> str | None: ...
    def delete(self, name: str) -> bool: ...


class WindowsAutostart:
    """A value under `HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run`."""

    def __init__(self, run_key: RunKey | None = None) -> None:
        self._key = run_key or _WinregRunKey()

    def enable(self, command: Sequence[str]) -> str:
        self._key.set(_RUN_VALUE_NAME, subprocess.list2cmdline(list(command)))
        return self.describe()

    def disable(self) -> bool:
        return self._key.delete(_RUN_VALUE_NAME)

    def is_enabled(self) -> bool:
        return self._key.get(_RUN_VALUE_NAME) is not None

    def describe(self) -> str:
        return f"registry value HKCU\\{_RUN_KEY_PATH}\\{_RUN_VALUE_NAME}"


class MacAutostart(_FileEntry):
    """A per-user LaunchAgent: `~/Library/LaunchAgents/<bundle id>.plist` with RunAtLoad."""

    def __init__(self, launch_agents_dir: Path | None = None) -> None:
        base = launch_agents_dir or Path.home() / "Library" / "LaunchAgents"
        self.path = base / f"{BUNDLE_ID}.plist"

    def enable(self, command: Sequence[str]) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        agent = {
            "Label": BUNDLE_ID,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "ProcessType": "Interactive",
        }
        self.path.write_bytes(plistlib.dumps(agent))
        return str(self.path)

    def describe(self) -> str:
        return f"LaunchAgent {self.path}"


def autostart_for_this_os() -> AutostartEntry:
    if sys.platform == "win32":
        return WindowsAutostart()
    if sys.platform == "darwin":
        return MacAutostart()
    return LinuxAutostart()


def _desktop_entry(command: Sequence[str]) -> str:
    exec_line = " ".join(_quote_exec_argument(arg) for arg in command)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={_DISPLAY_NAME}\n"
        "Comment=Opens your organization's Rocket.Chat, already signed in\n"
        f"Exec={exec_line}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "Categories=Network;InstantMessaging;\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


_RESERVED = frozenset(" \t\n\r\"'\\><~|&;$*?#()`")
_STRING_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _quote_exec_argument(argument: str) -> str:
    """One argument of an ``Exec=`` value, as the Desktop Entry Specification ("The Exec key") reads it.

    Three layers, innermost first: an argument with a reserved character is put in double quotes, with
    the double quote, backtick, ``$`` and backslash escaped by a backslash (shlex's single quotes are not understood
    there); a literal ``%`` is written ``%%`` (else ``%u`` in a folder name would become the link);
    then the string escapes of every value: ``\\`` doubled, newline, tab and carriage return as
    ``\\n``, ``\\t``, ``\\r``."""
    if argument and not (set(argument) & _RESERVED):
        quoted = argument
    else:
        escaped = "".join("\\" + char if char in '"`$\\' else char for char in argument)
        quoted = f'"{escaped}"'
    quoted = quoted.replace("%", "%%")
    return "".join(_STRING_ESCAPES.get(char, char) for char in quoted)


class _WinregRunKey:
    """HKCU Run key through winreg; only constructed on Windows."""

    def __init__(self) -> None:
        import winreg

        self._winreg = winreg

    def set(self, name: str, value: str) -> None:
        winreg = self._winreg
        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, _RUN_KEY_PATH) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

    def get(self, name: str) -> str | None:
        winreg = self._winreg
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _RUN_KEY_PATH) as key:
                value, _type = winreg.QueryValueEx(key, name)
        except FileNotFoundError:
            return None
        return str(value)

    def delete(self, name: str) -> bool:
        winreg = self._winreg
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _RUN_KEY_PATH, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            return False
        return True
