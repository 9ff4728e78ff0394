"""Build the Debian package from the one-folder PyInstaller bundle, with dpkg-deb alone.

Why not debhelper: the bundle is already built and self-contained; the package only places it, adds the
menu entry, the icons and the administrator's conffile, and refreshes the caches. dpkg-deb is on every
Debian and Ubuntu machine, so `make package` needs nothing more than `make bundle` does.

Layout (docs/it.md "Linux package"):

- /opt/rocketchat-launcher/            the bundle (any launcher.toml beside the executable is left out)
- /usr/bin/rocketchat-launcher         a two-line wrapper that runs it
- /usr/share/applications/rocketchat-launcher.desktop   the menu entry (and the URL scheme's MimeType)
- /usr/share/icons/hicolor/<size>/apps/rocketchat-launcher.png
- /etc/xdg/rocketchat-launcher/launcher.toml           commented, a conffile: IT's edits survive upgrades

Every entry is root:root, 0755 for folders, programs and shared objects and 0644 for the rest, whatever
the build machine's umask and the bundle's own modes were.

Usage: python build/make_deb.py BUNDLE_DIR OUT_DIR [--version V] [--compression xz|gzip|none] [--level N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle_assets
import system_libs

PACKAGE = "rocketchat-launcher"
INSTALL_DIR = Path("opt") / PACKAGE
CONFFILE = Path("etc") / "xdg" / PACKAGE / "launcher.toml"
ADMIN_TEMPLATE = bundle_assets.ASSETS / "linux" / "launcher.toml"
#: Folders Qt WebEngine creates inside the install folder when it starts (read-only for users, but it
#: runs as root in CI). Shipped empty so that dpkg owns them and `dpkg -r` can remove the whole tree.
RUNTIME_FOLDERS = ("_internal/PyQt6/Qt6/resources/locales",)
RECOMMENDS = "gnome-keyring | kwalletmanager | keepassxc, xdg-utils"

WRAPPER = f'#!/bin/sh\nexec /{INSTALL_DIR}/{PACKAGE} "$@"\n'

# The caches are shared with every other package: refresh them when the tool is there, never fail on them.
_REFRESH = """refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q /usr/share/applications || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f /usr/share/icons/hicolor/index.theme ]; then
        gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
    fi
}
"""
POSTINST = f"""#!/bin/sh
set -e
{_REFRESH}
if [ "$1" = configure ]; then
    refresh_caches
fi
exit 0
"""
# Purge: dpkg itself deletes the conffile; this also removes dpkg's backups of it. Never a user's data.
POSTRM = f"""#!/bin/sh
set -e
{_REFRESH}
case "$1" in
    remove|purge) refresh_caches ;;
esac
if [ "$1" = purge ]; then
    rm -f /{CONFFILE}.dpkg-old /{CONFFILE}.dpkg-dist /{CONFFILE}.dpkg-new
    rmdir --ignore-fail-on-non-empty /{CONFFILE.parent} 2>/dev/null || true
fi
exit 0
"""


def architecture() -> str:
    """This machine's Debian architecture (amd64, arm64): the bundle holds this machine's binaries."""
    return subprocess.run(
        ["dpkg", "--print-architecture"], check=True, capture_output=True, text=True
    ).stdout.strip()


def control(version: str, arch: str, installed_kib: int) -> str:
    """The DEBIAN/control file."""
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        "Maintainer: Rocket.Chat Launcher maintainers <launcher@example.com>\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {', '.join(system_libs.DEPENDS)}\n"
        f"Recommends: {RECOMMENDS}\n"
        "Section: net\n"
        "Priority: optional\n"
        "Description: your organization's Rocket.Chat, already signed in\n"
        " A desktop window (Qt WebEngine) that signs the employee in to the organization's\n"
        " Rocket.Chat with the company login and keeps the login in the system keyring.\n"
    )


def package_mode(path: Path, mode: int) -> int:
    """The mode every desk gets: 0755 for folders, programs and shared objects, 0644 for the rest.

    Not the bundle's own modes: they follow the build machine's umask (under 000 any local user could
    replace code that every user runs, under 077 no one else could start it)."""
    name = path.name
    if stat.S_ISDIR(mode) or mode & 0o111 or name.endswith(".so") or ".so." in name:
        return 0o755
    return 0o644


def _copy_tree(source: Path, target: Path) -> None:
    """Hard links where the file system allows them (the bundle is 300 MB), copies elsewhere.

    A file is linked only when it already has its package mode: the link shares the bundle's inode,
    so changing its mode in the package would change it in the bundle too."""

    def link_or_copy(src: str, dst: str) -> None:
        mode = os.lstat(src).st_mode
        if stat.S_IMODE(mode) == package_mode(Path(src), mode):
            try:
                os.link(src, dst)
                return
            except OSError:
                pass
        shutil.copy2(src, dst)

    shutil.copytree(
        source,
        target,
        symlinks=True,
        copy_function=link_or_copy,
        ignore=lambda folder, names: ["launcher.toml"] if Path(folder) == source else [],
    )


def _normalise_modes(root: Path) -> None:
    """Every entry under ``root`` (itself included, the tarball's ``./``) to its package mode; dpkg-deb
    --root-owner-group makes root the owner. Symbolic links have no mode of their own."""
    for folder, _folders, files in os.walk(root):
        for path in (Path(folder), *(Path(folder) / name for name in files)):
            mode = path.lstat().st_mode
            if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) != package_mode(path, mode):
                path.chmod(package_mode(path, mode))


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def stage(bundle: Path, root: Path, version: str, arch: str) -> None:
    """Lay out the package's files under ``root`` (the future /)."""
    _copy_tree(bundle, root / INSTALL_DIR)
    for folder in RUNTIME_FOLDERS:
        (root / INSTALL_DIR / folder).mkdir(parents=True, exist_ok=True)
    _write(root / "usr" / "bin" / PACKAGE, WRAPPER, 0o755)
    applications = root / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    shutil.copy(bundle_assets.DESKTOP_ENTRY, applications / f"{PACKAGE}.desktop")
    for icon, folder in bundle_assets.hicolor_icons():
        target = root / "usr" / folder / icon.name  # folder: share/icons/hicolor/<size>/apps
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(icon, target)
    _write(root / CONFFILE, ADMIN_TEMPLATE.read_text(encoding="utf-8"))
    installed = sum(path.lstat().st_size for path in root.rglob("*") if not path.is_dir())
    debian = root / "DEBIAN"
    _write(debian / "control", control(version, arch, installed // 1024 + 1))
    _write(debian / "conffiles", f"/{CONFFILE}\n")
    _write(debian / "postinst", POSTINST, 0o755)
    _write(debian / "postrm", POSTRM, 0o755)
    _normalise_modes(root)  # neither the build machine's umask nor the bundle's modes reach the desks


def build(
    bundle: Path, out_dir: Path, version: str, *, compression: str = "xz", level: int | None = None
) -> Path:
    """Build ``<out_dir>/rocketchat-launcher_<version>_<arch>.deb`` from the one-folder ``bundle``."""
    if not (bundle / PACKAGE).is_file():
        raise FileNotFoundError(f"{bundle} is not a one-folder bundle: {bundle / PACKAGE} is missing")
    arch = architecture()
    out_dir.mkdir(parents=True, exist_ok=True)
    deb = out_dir / f"{PACKAGE}_{version}_{arch}.deb"
    with tempfile.TemporaryDirectory(prefix="rcl-deb-", dir=out_dir) as scratch:
        root = Path(scratch) / "root"
        stage(bundle, root, version, arch)
        command = ["dpkg-deb", "--root-owner-group", f"-Z{compression}"]
        if level is not None:
            command.append(f"-z{level}")
        subprocess.run([*command, "--build", str(root), str(deb)], check=True, capture_output=True)
    return deb


def _version() -> str:
    sys.path.insert(0, str(bundle_assets.ASSETS.parent))
    from launcher import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="the one-folder bundle (build/dist/rocketchat-launcher)")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--version", default=None, help="package version (default: launcher.__version__)")
    parser.add_argument("--compression", default="xz", choices=("xz", "gzip", "zstd", "none"))
    parser.add_argument("--level", type=int, default=None)
    args = parser.parse_args(argv)
    deb = build(
        args.bundle, args.out_dir, args.version or _version(), compression=args.compression, level=args.level
    )
    print(deb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
