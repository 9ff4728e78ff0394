"""The build inputs in assets/, checked for every OS on this machine (the spec itself only runs on the OS it
builds for): icons at their sizes, a valid menu entry, readable plist keys and version strings."""

from __future__ import annotations

import plistlib
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from launcher.links import SCHEME
from launcher.system.autostart import APP_ID

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "build"))
import bundle_assets  # noqa: E402


@pytest.mark.parametrize("platform", ["linux", "win32", "darwin"])
def test_every_platform_gets_an_icon_file_that_exists(platform: str) -> None:
    icon = bundle_assets.icon_for(platform)
    assert icon.is_file(), icon
    assert bundle_assets.ICONS in icon.parents


def test_hicolor_pngs_have_the_size_their_folder_names() -> None:
    pairs = bundle_assets.hicolor_icons()
    assert len(pairs) == len(bundle_assets.HICOLOR_SIZES)
    for path, folder in pairs:
        assert path.name == f"{APP_ID}.png"  # the name Icon= in the desktop and autostart entries looks up
        with Image.open(path) as image:
            side = int(folder.split("/")[3].split("x")[0])
            assert image.size == (side, side), path


def test_ico_and_icns_hold_the_sizes_each_os_asks_for() -> None:
    with Image.open(bundle_assets.ICONS / "icon.ico") as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    icns = (bundle_assets.ICONS / "icon.icns").read_bytes()
    assert icns[:4] == b"icns"
    assert int.from_bytes(icns[4:8], "big") == len(icns)
    with Image.open(bundle_assets.ICONS / "icon.icns") as image:
        assert image.size[0] >= 512


def test_the_window_icon_is_the_256_px_rendering() -> None:
    # launcher/web/icon.png is package data (the running app reads nothing from assets/)
    window_icon = REPO / "launcher" / "web" / "icon.png"
    assert window_icon.read_bytes() == bundle_assets.icon_for("linux").read_bytes()


@pytest.mark.real
def test_desktop_entry_validates_and_names_the_installed_icon_and_command() -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(bundle_assets.DESKTOP_ENTRY)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dict(
        line.split("=", 1) for line in bundle_assets.DESKTOP_ENTRY.read_text().splitlines() if "=" in line
    )
    assert lines["Icon"] == APP_ID  # the same name the autostart entry uses
    assert lines["Exec"] == "rocketchat-launcher %u"  # a link from the URL handler arrives as `open <link>`
    assert lines["MimeType"] == f"x-scheme-handler/{SCHEME};"


def test_macos_plist_keys_and_windows_version_strings_load() -> None:
    plist = bundle_assets.info_plist()
    assert plist["NSHighResolutionCapable"] is True
    assert plist["NSMicrophoneUsageDescription"] and plist["NSCameraUsageDescription"]
    assert plist["CFBundleURLTypes"][0]["CFBundleURLSchemes"] == [SCHEME]
    plistlib.dumps(plist)  # PyInstaller writes it back out: it must round-trip
    strings = bundle_assets.version_strings("1.2.3")
    assert strings["FileVersion"] == strings["ProductVersion"] == "1.2.3"
    assert strings["OriginalFilename"] == "rocketchat-launcher.exe"
    assert all(isinstance(value, str) and value for value in strings.values())


@pytest.mark.parametrize("page", ["signin.html", "error.html"])
def test_every_file_a_local_page_loads_ships_beside_it(page: str) -> None:
    """The pages' logo pointed at icon.svg after the icons moved to assets/: a broken image on every
    sign-in and error page."""
    import re

    from launcher.web import WEB_DIR

    html = (WEB_DIR / page).read_text(encoding="utf-8")
    referenced = re.findall(r'(?:src|href)="([^":#?]+)"', html)
    assert referenced, html
    missing = [name for name in referenced if not (WEB_DIR / name).is_file()]
    assert not missing, missing


def test_the_packages_administrator_file_sets_nothing_until_it_uncomments_it(tmp_path: Path) -> None:
    """assets/linux/launcher.toml (the .deb's conffile): empty as shipped, a valid administrator file once
    IT removes the leading "# " of its example lines."""
    from launcher.config.layers import read_file

    template = bundle_assets.ASSETS / "linux" / "launcher.toml"
    shipped = read_file("administrator", template, True)
    assert shipped is not None and shipped.values == {}
    lines = template.read_text(encoding="utf-8").splitlines()
    examples = [
        line[2:] for line in lines if line.startswith("# ") and ("=" in line or line.startswith("# ["))
    ]
    edited = tmp_path / "launcher.toml"
    edited.write_text("\n".join(examples) + "\n", encoding="utf-8")
    layer = read_file("administrator", edited, True)
    assert layer is not None
    assert layer.values["rocketchat.url"] == "https://chat.example.com"
    assert layer.values["autostart"] is True
