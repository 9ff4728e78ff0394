"""Where a download goes: the file name (the server's, made safe), a free path reserved for it, and who
may download without asking. Pure functions (and one exclusive file creation); `engines/qt_features/downloads` applies
them to Qt WebEngine's download requests."""

from __future__ import annotations

import os
import re
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import platformdirs

from launcher.origins import origin_of

__all__ = [
    "Pace",
    "default_folder",
    "extension_of",
    "file_name_for",
    "opens_as_program",
    "reserve_path",
    "source_origin",
    "unique_path",
]

FALLBACK_NAME = "download"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u202a-\u202e\u2066-\u2069]')
#: bytes of UTF-8, not characters: file systems count bytes (255 on ext4), and " (9999)" plus Qt's
#: ".download" while the file arrives must still fit
NAME_MAX_BYTES = 200
#: a "suffix" longer than this is no extension a program would know: it is cut like the rest
_SUFFIX_MAX_BYTES = 24
_DROPPED_CATEGORIES = {"Cf", "Zl", "Zp"}  # invisible format marks (bidi, zero-width), line separators
_DEVICES = {"CON", "PRN", "AUX", "NUL"} | {f"{kind}{n}" for kind in ("COM", "LPT") for n in range(1, 10)}


def default_folder() -> Path:
    """The OS Downloads folder (XDG_DOWNLOAD_DIR on Linux, ~/Downloads elsewhere)."""
    return Path(platformdirs.user_downloads_dir())


def file_name_for(suggested: str, url: str) -> str:
    """The server's name for the file (Qt reads it from Content-Disposition), else the URL's last path
    segment, made safe for every OS: no folders, no control, reserved or invisible characters, no
    leading dot, at most NAME_MAX_BYTES of UTF-8, no Windows device name."""
    for candidate in (suggested, _last_segment(url)):
        name = _safe(candidate)
        if name and name != FALLBACK_NAME:
            return name
    return FALLBACK_NAME


def unique_path(folder: Path, name: str, taken: frozenset[Path] = frozenset()) -> Path:
    """`folder/name`, or `name (1).ext`, `name (2).ext`... when a file of that name exists or the path
    is in `taken` (the targets of downloads still running)."""
    return _numbered(folder, name, lambda path: path.exists() or path in taken)


def reserve_path(folder: Path, name: str, taken: frozenset[Path] = frozenset()) -> Path:
    """Like `unique_path`, but the file is created (empty, exclusively) before the name is returned, so
    no other download and no other program gets the same name while this one runs. Raises OSError when
    the folder cannot be written."""

    def taken_or_create(path: Path) -> bool:
        if path in taken:
            return True
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            return True
        return False

    return _numbered(folder, name, taken_or_create)


def extension_of(name: str) -> str:
    """ ".pdf" for "report.pdf", ".tar.gz" for "logs.tar.gz", "" without one."""
    return _split(name)[1]


def source_origin(url: str) -> str | None:
    """Whose download this is: the URL's origin or a blob's creator. A data: URL names nobody: Qt does
    not say which frame started a download, and any frame inside Rocket.Chat's page can make one, so it
    counts as another site's (None)."""
    scheme = urlsplit(url).scheme.lower()
    try:
        if scheme in ("http", "https"):
            return origin_of(url)
        if scheme == "blob":
            return origin_of(url[len("blob:") :])
    except ValueError:
        return None
    return None


#: Rocket.Chat's own files saved without a dialog: this many within PACE_WINDOW_S seconds, then ask
PACE_LIMIT = 5
PACE_WINDOW_S = 30.0


class Pace:
    """Chromium's "multiple downloads" rule, by time instead of by page load (Rocket.Chat's page is
    loaded once a day): `allow()` says yes for `limit` downloads in any `window` seconds, then no
    until the oldest of them is that old. A page cannot save a stream of files without a dialog."""

    def __init__(
        self,
        limit: int = PACE_LIMIT,
        window: float = PACE_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit, self._window, self._clock = limit, window, clock
        self._times: deque[float] = deque()

    def allow(self) -> bool:
        now = self._clock()
        while self._times and now - self._times[0] >= self._window:
            self._times.popleft()
        if len(self._times) >= self._limit:
            return False
        self._times.append(now)
        return True


#: what the desktop would run rather than show: Linux launchers and scripts, Windows programs, scripts
#: and shortcuts, macOS applications and scripts, Java archives
PROGRAM_EXTENSIONS = frozenset(
    [
        ".desktop",
        ".sh",
        ".bash",
        ".zsh",
        ".csh",
        ".ksh",
        ".fish",
        ".run",
        ".appimage",
        ".py",
        ".pyw",
        ".pl",
        ".rb",
        ".jar",
        ".deb",
        ".rpm",
        ".flatpakref",
        ".exe",
        ".com",
        ".bat",
        ".cmd",
        ".msi",
        ".msp",
        ".msix",
        ".appx",
        ".ps1",
        ".psm1",
        ".vbs",
        ".vbe",
        ".js",
        ".jse",
        ".wsf",
        ".wsh",
        ".hta",
        ".cpl",
        ".scr",
        ".pif",
        ".lnk",
        ".url",
        ".reg",
        ".inf",
        ".application",
        ".app",
        ".command",
        ".tool",
        ".pkg",
        ".dmg",
        ".workflow",
        ".scpt",
        ".terminal",
        ".webloc",
        ".inetloc",
    ]
)


def opens_as_program(name: str, mode: int = 0) -> bool:
    """True when opening a file of this name (and `st_mode`) would start a program instead of showing a
    document: the executable bit, or an extension the desktop runs. "Click to open" shows such a file
    in its folder instead."""
    if mode & 0o111:
        return True
    lower = name.lower().rstrip(" .")
    return any(lower.endswith(ext) for ext in PROGRAM_EXTENSIONS)


def _numbered(folder: Path, name: str, in_use: Callable[[Path], bool]) -> Path:
    path = folder / name
    if not in_use(path):
        return path
    stem, suffix = _split(name)
    for number in range(1, 10_000):
        path = folder / f"{stem} ({number}){suffix}"
        if not in_use(path):
            return path
    raise FileExistsError(f"no free name for {name} in {folder}")


def _last_segment(url: str) -> str:
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return ""
    return unquote(PurePosixPath(urlsplit(url).path).name)


def _safe(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name)
    name = "".join(c for c in name if unicodedata.category(c) not in _DROPPED_CATEGORIES)
    name = _trim(name)
    if not name or set(name) <= {"_"}:
        return ""
    if len(name.encode("utf-8")) > NAME_MAX_BYTES:
        stem, suffix = _split(name)
        if len(suffix.encode("utf-8")) > _SUFFIX_MAX_BYTES:
            stem, suffix = name, ""
        name = _trim(_cut_bytes(stem, NAME_MAX_BYTES - len(suffix.encode("utf-8"))) + suffix)
    return _not_a_device(name)


def _trim(name: str) -> str:
    """No spaces or dots at either end: a leading dot hides the file, a trailing one Windows drops."""
    return name.strip().strip(".").strip()


def _cut_bytes(text: str, limit: int) -> str:
    """The longest start of `text` within `limit` bytes of UTF-8, never half a character."""
    return text.encode("utf-8")[: max(limit, 0)].decode("utf-8", errors="ignore")


def _not_a_device(name: str) -> str:
    """ "_CON.txt" for "CON.txt": Windows opens its devices for these names, whatever the extension."""
    base = name.split(".", 1)[0].rstrip(" ")
    return "_" + name if base.upper() in _DEVICES else name


def _split(name: str) -> tuple[str, str]:
    """("report", ".pdf"); keeps double extensions such as ".tar.gz" together."""
    lower = name.lower()
    for double in (".tar.gz", ".tar.bz2", ".tar.xz"):
        if lower.endswith(double) and len(name) > len(double):
            return name[: -len(double)], name[-len(double) :]
    dot = name.rfind(".")
    if dot <= 0:
        return name, ""
    return name[:dot], name[dot:]
