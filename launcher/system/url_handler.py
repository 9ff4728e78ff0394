"""Register the launcher as the handler of its URL scheme, `rocketchat-launcher://`, for this user.

Why a command and not only the packages' files: a pip install or a copied bundle has no menu entry, and
a system-wide entry still needs the user's (or IT's) default for the scheme. One small class per OS,
each writing exactly what that OS reads (docs/desktop.md "Links into the app"):

- Linux: a hidden `.desktop` entry in `$XDG_DATA_HOME/applications/` with
  `MimeType=x-scheme-handler/rocketchat-launcher;` and `Exec=… open %u`, made the default for the scheme
  in `$XDG_CONFIG_HOME/mimeapps.list` (what `xdg-mime default` writes);
- Windows: `HKEY_CURRENT_USER\\Software\\Classes\\rocketchat-launcher` with `URL Protocol` and
  `shell\\open\\command` = `"<exe>" open "%1"` (not run on Windows in this project's tests);
- macOS: nothing to write: the .app's Info.plist declares the scheme (CFBundleURLTypes) and Launch
  Services registers it when the app is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from launcher.links import SCHEME
from launcher.system.autostart import APP_ID, _quote_exec_argument

__all__ = [
    "DESKTOP_FILE",
    "LinuxUrlHandler",
    "MacUrlHandler",
    "UrlHandler",
    "WindowsUrlHandler",
    "handler_command",
    "url_handler_for_this_os",
]

DESKTOP_FILE = f"{APP_ID}-links.desktop"
MIME_TYPE = f"x-scheme-handler/{SCHEME}"
_DEFAULTS = "[Default Applications]"
_CLASSES_KEY = rf"Software\Classes\{SCHEME}"


class UrlHandler(Protocol):
    """What `rocketchat-launcher url-handler on|off|status` needs from each OS."""

    def enable(self, command: Sequence[str]) -> str: ...
    def disable(self) -> bool: ...
    def is_enabled(self) -> bool: ...
    def describe(self) -> str: ...


def handler_command(profile: Path | None = None, config: Path | None = None) -> list[str]:
    """The command a link starts, up to the link itself: the frozen executable or this interpreter,
    with this run's --profile and --config, then `open`."""
    base = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "launcher"]
    if profile is not None:
        base += ["--profile", str(Path(profile).resolve())]
    if config is not None:
        base += ["--config", str(Path(config).resolve())]
    return [*base, "open"]


class LinuxUrlHandler:
    """A hidden XDG application entry for the scheme, and the scheme's default in mimeapps.list."""

    def __init__(self, data_home: Path | None = None, config_home: Path | None = None) -> None:
        data = data_home or Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        config = config_home or Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        self.path = data / "applications" / DESKTOP_FILE
        self.mimeapps = config / "mimeapps.list"

    def enable(self, command: Sequence[str]) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(_desktop_entry(command), encoding="utf-8")
        self._set_default(DESKTOP_FILE)
        if shutil.which("update-desktop-database"):  # best effort: the mimeapps.list default is enough
            subprocess.run(
                ["update-desktop-database", str(self.path.parent)], capture_output=True, check=False
            )
        return str(self.path)

    def disable(self) -> bool:
        had = self.path.is_file()
        self.path.unlink(missing_ok=True)
        return self._set_default(None) or had

    def is_enabled(self) -> bool:
        return self.path.is_file() and self._default() == DESKTOP_FILE

    def describe(self) -> str:
        return f"{self.path}, the default for {MIME_TYPE} in {self.mimeapps}"

    def _default(self) -> str | None:
        section = None
        for line in _lines(self.mimeapps):
            stripped = line.strip()
            if stripped.startswith("["):
                section = stripped
            elif section == _DEFAULTS and stripped.startswith(f"{MIME_TYPE}="):
                return stripped.split("=", 1)[1].split(";")[0] or None
        return None

    def _set_default(self, desktop_file: str | None) -> bool:
        """Write (or, with None, remove) the scheme's line in [Default Applications]; other lines stay.
        True when the file changed."""
        lines = _lines(self.mimeapps)
        out: list[str] = []
        section, placed, changed = None, False, False
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("["):
                if section == _DEFAULTS and not placed and desktop_file is not None:
                    out.append(f"{MIME_TYPE}={desktop_file};")
                    placed = changed = True
                section = stripped
            elif section == _DEFAULTS and stripped.startswith(f"{MIME_TYPE}="):
                if desktop_file is not None and not placed:
                    new = f"{MIME_TYPE}={desktop_file};"
                    changed = changed or new != stripped
                    out.append(new)
                    placed = True
                else:
                    changed = True
                continue
            out.append(line)
        if desktop_file is not None and not placed:
            if section != _DEFAULTS:
                out.append(_DEFAULTS)
            out.append(f"{MIME_TYPE}={desktop_file};")
            changed = True
        if changed:
            self.mimeapps.parent.mkdir(parents=True, exist_ok=True)
            self.mimeapps.write_text("\n".join(out) + "\n", encoding="utf-8")
        return changed


class ClassesKey(Protocol):
    """The registry operations on HKCU\\Software\\Classes\\<scheme> that the handler needs."""

    def write(self, values: dict[str, dict[str, str]]) -> None: ...
    def read_command(self) -> str | None: ...
    def delete(self) -> bool: ...


class WindowsUrlHandler:
    """HKCU\\Software\\Classes\\rocketchat-launcher: a URL protocol whose open command is the launcher."""

    def __init__(self, key: ClassesKey | None = None) -> None:
        self._key = key or _WinregClassesKey()

    def enable(self, command: Sequence[str]) -> str:
        self._key.write(registry_values(command))
        return self.describe()

    def disable(self) -> bool:
        return self._key.delete()

    def is_enabled(self) -> bool:
        return self._key.read_command() is not None

    def describe(self) -> str:
        return f"registry key HKCU\\{_CLASSES_KEY}"


def registry_values(command: Sequence[str]) -> dict[str, dict[str, str]]:
    """Subkey (relative to the scheme's key) -> {value name ("" = default): data}, as a .reg file has it."""
    return {
        "": {"": "URL:Rocket.Chat Launcher room link", "URL Protocol": ""},
        r"shell\open\command": {"": subprocess.list2cmdline(list(command)) + ' "%1"'},
    }


class MacUrlHandler:
    """macOS: the .app's Info.plist declares the scheme; nothing is written."""

    def enable(self, command: Sequence[str]) -> str:
        return self.describe()

    def disable(self) -> bool:
        return False

    def is_enabled(self) -> bool:
        return bool(getattr(sys, "frozen", False)) and ".app/Contents/" in sys.executable

    def describe(self) -> str:
        return "the app bundle's Info.plist (CFBundleURLTypes); macOS registers it when the app is installed"


def url_handler_for_this_os() -> UrlHandler:
    if sys.platform == "win32":
        return WindowsUrlHandler()
    if sys.platform == "darwin":
        return MacUrlHandler()
    return LinuxUrlHandler()


def _desktop_entry(command: Sequence[str]) -> str:
    exec_line = " ".join(_quote_exec_argument(arg) for arg in command)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Rocket.Chat Launcher links\n"
        "Comment=Opens rocketchat-launcher:// room links in the launcher's window\n"
        f"Exec={exec_line} %u\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "NoDisplay=true\n"
        f"MimeType={MIME_TYPE};\n"
    )


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


class _WinregClassesKey:
    """HKCU\\Software\\Classes\\<scheme> through winreg; only constructed on Windows."""

    def __init__(self) -> None:
        import winreg

        self._winreg = winreg

    def write(self, values: dict[str, dict[str, str]]) -> None:
        winreg = self._winreg
        for subkey, entries in values.items():
            path = _CLASSES_KEY + (f"\\{subkey}" if subkey else "")
            with winreg.CreateKey(winreg.HKEY_CURRENT_USER, path) as key:
                for name, data in entries.items():
                    winreg.SetValueEx(key, name, 0, winreg.REG_SZ, data)

    def read_command(self) -> str | None:
        winreg = self._winreg
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _CLASSES_KEY + r"\shell\open\command") as key:
                value, _type = winreg.QueryValueEx(key, "")
        except FileNotFoundError:
            return None
        return str(value)

    def delete(self) -> bool:
        winreg = self._winreg
        removed = False
        for subkey in (r"\shell\open\command", r"\shell\open", r"\shell", ""):
            try:
                winreg.DeleteKey(winreg.HKEY_CURRENT_USER, _CLASSES_KEY + subkey)
                removed = True
            except FileNotFoundError:
                continue
        return removed
