"""Size of the launcher's PyInstaller bundle against a plain pywebview bundle built the same way.

The launcher's one-folder bundle is what `make bundle` builds (build/pyinstaller.spec); the plain one is
bench/plain_pywebview.spec, which reuses the launcher spec's excludes and binary filter. Both land in
build/dist; an existing folder is reused (delete it to measure a fresh build), because a build costs
about a minute of both cores.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["compare_bundles", "folder_size", "onefile_startup"]

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "build" / "dist"
_LAUNCHER = ("rocketchat-launcher", ROOT / "build" / "pyinstaller.spec", ROOT / "build" / "work")
_PLAIN = (
    "bench-plain-pywebview",
    ROOT / "bench" / "plain_pywebview.spec",
    ROOT / "build" / "work" / "bench-plain",
)


def folder_size(folder: Path) -> tuple[int, int]:
    """(bytes, files) of every regular file below `folder`, symlinks not followed."""
    total = files = 0
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(dirpath, name)
            if path.is_symlink():
                continue
            total += path.stat().st_size
            files += 1
    return total, files


def compare_bundles(top: int = 8) -> dict[str, Any]:
    """Build what is missing, then sizes of both bundles and the launcher's largest additions."""
    report: dict[str, Any] = {}
    for key, (name, spec, work) in (("launcher", _LAUNCHER), ("plain_pywebview", _PLAIN)):
        folder = DIST / name
        entry: dict[str, Any] = {"path": str(folder.relative_to(ROOT)), "built_now": False}
        if not folder.exists():
            entry.update(_build(spec, work))
            entry["built_now"] = True
        if folder.exists():
            size, files = folder_size(folder)
            entry.update(size_mb=round(size / 1e6, 1), files=files, built_at=_mtime(folder))
        report[key] = entry
    launcher, plain = report["launcher"], report["plain_pywebview"]
    if "size_mb" in launcher and "size_mb" in plain:
        report["ratio"] = round(launcher["size_mb"] / plain["size_mb"], 3)
        report["extra_mb"] = round(launcher["size_mb"] - plain["size_mb"], 1)
        report["largest_additions_mb"] = _additions(DIST / _LAUNCHER[0], DIST / _PLAIN[0], top)
    if "size_mb" in launcher:
        report["onefile_startup"] = onefile_startup(DIST / _LAUNCHER[0] / _LAUNCHER[0])
    return report


ONEFILE_DIST = ROOT / "build" / "dist-onefile"


def onefile_startup(onefolder: Path, runs: int = 5) -> dict[str, Any]:
    """What one file costs at every start: `--version` of the one-file build against the one-folder one
    (it unpacks itself to a temporary folder before Python starts), run in turns, medians of `runs`."""
    onefile = ONEFILE_DIST / _LAUNCHER[0]
    entry: dict[str, Any] = {"path": str(onefile.relative_to(ROOT)), "built_now": False}
    if not onefile.exists():
        entry.update(
            _build(_LAUNCHER[1], ROOT / "build" / "work" / "onefile", dist=ONEFILE_DIST, onefile="1")
        )
        entry["built_now"] = True
    if not onefile.exists():
        return entry
    times: dict[str, list[float]] = {"onefolder": [], "onefile": []}
    for _ in range(runs):
        for key, executable in (("onefolder", onefolder), ("onefile", onefile)):
            started = time.monotonic()
            subprocess.run([str(executable), "--version"], capture_output=True, timeout=120, check=True)
            times[key].append((time.monotonic() - started) * 1000.0)
    folder_ms, file_ms = (statistics.median(times[key]) for key in ("onefolder", "onefile"))
    entry.update(
        runs=runs,
        onefolder_ms=round(folder_ms),
        onefile_ms=round(file_ms),
        extra_ms=round(file_ms - folder_ms),
        onefile_size_mb=round(onefile.stat().st_size / 1e6, 1),
    )
    return entry


def _build(spec: Path, work: Path, dist: Path = DIST, onefile: str = "") -> dict[str, Any]:
    started = time.monotonic()
    env = {**os.environ, "ONEFILE": onefile, "BUNDLE_LOCALES": ""}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(spec),
        ],
        cwd=str(ROOT),
        env=env,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = {"build_s": round(time.monotonic() - started, 1)}
    if proc.returncode != 0:
        result["build_error"] = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"
    return result


def _additions(launcher: Path, plain: Path, top: int) -> dict[str, float]:
    """Paths (relative to the bundle) larger in the launcher's bundle than in the plain one."""
    sizes = {folder: _file_sizes(folder) for folder in (launcher, plain)}
    # the executables differ by name only: compare them as one entry
    for folder in (launcher, plain):
        if folder.name in sizes[folder]:
            sizes[folder]["<executable>"] = sizes[folder].pop(folder.name)
    grouped: dict[str, int] = {}
    for rel, size in sizes[launcher].items():
        extra = size - sizes[plain].get(rel, 0)
        if extra > 0:
            group = "/".join(Path(rel).parts[:3])
            grouped[group] = grouped.get(group, 0) + extra
    ranked = sorted(grouped.items(), key=lambda kv: -kv[1])[:top]
    return {name: round(size / 1e6, 2) for name, size in ranked}


def _file_sizes(folder: Path) -> dict[str, int]:
    found = {}
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(dirpath, name)
            if not path.is_symlink():
                found[str(path.relative_to(folder))] = path.stat().st_size
    return found


def _mtime(folder: Path) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(folder.stat().st_mtime))
