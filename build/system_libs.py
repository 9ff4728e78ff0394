"""Which shared libraries the Linux bundle takes from the desk instead of carrying them.

Why: PyInstaller copies every library the Qt and Python binaries link against, about 40 MB of the
distribution's own libraries (GLib, NSS, ALSA, X11, CUPS, OpenSSL, ...) that the desk has anyway: Qt
WebEngine cannot start without most of them. The .deb names the packages in DEPENDS, so apt installs them;
the bundle leaves out exactly the libraries that come from those packages or from what they depend on
(their own Depends, followed to the end, alternatives not counted). Run `make package` on the
distribution release the desks run: the libraries are the build machine's.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Iterable

#: What the bundle needs from the system: the Qt WebEngine runtime libraries of
#: scripts/install-system-deps.sh, CUPS (Qt Print Support) and OpenSSL (Python's ssl module).
DEPENDS = (
    "libegl1",
    "libgl1",
    "libglib2.0-0",
    "libfontconfig1",
    "libfreetype6",
    "libharfbuzz0b",
    "libdbus-1-3",
    "libnss3",
    "libnspr4",
    "libasound2",
    "libgbm1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libx11-6",
    "libx11-xcb1",
    "libxcomposite1",
    "libxdamage1",
    "libxext6",
    "libxfixes3",
    "libxtst6",
    "libxrandr2",
    "libxkbfile1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-render-util0",
    "libxcb-render0",
    "libxcb-shape0",
    "libxcb-util1",
    "libxcb-xkb1",
    "libxcb-randr0",
    "libxcb-xinerama0",
    "libcups2",
    "libssl3",
)
_NAME = re.compile(r"^\s*([a-z0-9][a-z0-9+.-]*)")


def _depends_of(package: str) -> list[str]:
    shown = subprocess.run(
        ["dpkg-query", "-W", "-f=${Depends},${Pre-Depends}", package], capture_output=True, text=True
    )
    if shown.returncode != 0:
        return []
    names = []
    for clause in shown.stdout.split(","):
        if "|" in clause:  # an alternative: neither side is sure to be on the desk
            continue
        match = _NAME.match(clause)
        if match:
            names.append(match.group(1))
    return names


@functools.cache
def guaranteed_packages(roots: tuple[str, ...] = DEPENDS) -> frozenset[str]:
    """``roots`` and everything they depend on, as installed on this machine."""
    seen: set[str] = set()
    queue = list(roots)
    while queue:
        package = queue.pop()
        if package in seen:
            continue
        seen.add(package)
        queue.extend(_depends_of(package))
    return frozenset(seen)


def owners(paths: Iterable[str]) -> dict[str, str]:
    """The Debian package of each file (real path) that one owns, in one dpkg -S call."""
    real = {path: os.path.realpath(path) for path in paths}
    candidates = sorted({*real.values(), *real.keys()})
    if not candidates:
        return {}
    found = subprocess.run(["dpkg", "-S", *candidates], capture_output=True, text=True).stdout
    by_file: dict[str, str] = {}
    for line in found.splitlines():
        package, _, file = line.partition(": ")
        if file and "," not in package:
            by_file[file] = package.split(":", 1)[0]
    result = {}
    for path, resolved in real.items():
        package = by_file.get(resolved) or by_file.get(path)
        if package:
            result[path] = package
    return result


def from_the_system(paths: Iterable[str], roots: tuple[str, ...] = DEPENDS) -> set[str]:
    """The library files among ``paths`` whose package the .deb guarantees (directly or through Depends)."""
    guaranteed = guaranteed_packages(roots)
    return {path for path, package in owners(paths).items() if package in guaranteed}
