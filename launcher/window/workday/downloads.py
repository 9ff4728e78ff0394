"""Where a download goes: the file name (the server's, made safe), a free path, and who may download
without asking. Pure functions; `qt_downloads` applies them to Qt WebEngine's download requests."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import platformdirs

from launcher.origins import origin_of

__all__ = ["default_folder", "extension_of", "file_name_for", "source_origin", "unique_path"]

FALLBACK_NAME = "download"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u202a-\u202e\u2066-\u2069]')
_NAME_MAX = 200


def default_folder() -> Path:
    """The OS Downloads folder (XDG_DOWNLOAD_DIR on Linux, ~/Downloads elsewhere)."""
    return Path(platformdirs.user_downloads_dir())


def file_name_for(suggested: str, url: str) -> str:
    """The server's name for the file (Qt reads it from Content-Disposition), else the URL's last path
    segment, made safe for every OS: no folders, no control or reserved characters, no leading dot."""
    for candidate in (suggested, _last_segment(url)):
        name = _safe(candidate)
        if name and name != FALLBACK_NAME:
            return name
    return FALLBACK_NAME


def unique_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `name (1).ext`, `name (2).ext`... when a file of that name exists."""
    path = folder / name
    if not path.exists():
        return path
    stem, suffix = _split(name)
    for number in range(1, 10_000):
        path = folder / f"{stem} ({number}){suffix}"
        if not path.exists():
            return path
    raise FileExistsError(f"no free name for {name} in {folder}")


def extension_of(name: str) -> str:
    """ ".pdf" for "report.pdf", ".tar.gz" for "logs.tar.gz", "" without one."""
    return _split(name)[1]


def source_origin(url: str, page_url: str) -> str | None:
    """Whose download this is: the URL's origin, a blob's creator, or the page's for data: URLs."""
    scheme = urlsplit(url).scheme.lower()
    try:
        if scheme in ("http", "https"):
            return origin_of(url)
        if scheme == "blob":
            return origin_of(url[len("blob:") :])
        if scheme == "data":
            return origin_of(page_url)
    except ValueError:
        return None
    return None


def _last_segment(url: str) -> str:
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return ""
    return unquote(PurePosixPath(urlsplit(url).path).name)


def _safe(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip().strip(".").strip()
    if not name or set(name) <= {"_"}:
        return ""
    if len(name) > _NAME_MAX:
        stem, suffix = _split(name)
        name = stem[: _NAME_MAX - len(suffix)] + suffix
    return name


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
