"""What build/pyinstaller.spec takes from the top-level assets/ folder, per target OS.

Kept out of the spec so a test can check every OS's inputs on any machine: the spec itself only runs
on the OS it builds for. Runtime web files (launcher/web/) are package data and are not read here.
"""

from __future__ import annotations

import plistlib
import tomllib
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[1] / "assets"
ICONS = ASSETS / "icons"
DESKTOP_ENTRY = ASSETS / "linux" / "rocketchat-launcher.desktop"
HICOLOR = ICONS / "hicolor"  # <size>x<size>/apps/rocketchat-launcher.png, the theme's own layout
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def icon_for(platform: str) -> Path:
    """The executable's icon: .ico on Windows, .icns on macOS, the 256 px PNG elsewhere."""
    if platform == "win32":
        return ICONS / "icon.ico"
    if platform == "darwin":
        return ICONS / "icon.icns"
    return HICOLOR / "256x256" / "apps" / "rocketchat-launcher.png"


def hicolor_icons() -> list[tuple[Path, str]]:
    """(file, bundle folder) pairs for Linux's hicolor theme, laid out as a package installs them."""
    return [
        (
            HICOLOR / f"{size}x{size}" / "apps" / "rocketchat-launcher.png",
            f"share/icons/hicolor/{size}x{size}/apps",
        )
        for size in HICOLOR_SIZES
    ]


def info_plist() -> dict[str, object]:
    """The keys the macOS .app adds to what PyInstaller writes itself."""
    with (ASSETS / "macos" / "Info.plist").open("rb") as file:
        return plistlib.load(file)


def version_strings(version: str) -> dict[str, str]:
    """The Windows version resource's strings, with this build's version."""
    with (ASSETS / "windows" / "version.toml").open("rb") as file:
        strings = tomllib.load(file)
    return {**strings, "FileVersion": version, "ProductVersion": version}
