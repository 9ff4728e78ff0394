"""Which machine a benchmark ran on, and how busy it was: figures mean little without it."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["describe", "load_average", "source_state"]


def describe() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpuinfo("model name"),
        "ram_gb": _ram_gb(),
        "os": _os_release(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": {name: _version(name) for name in ("pywebview", "PyQt6", "PyQt6-Qt6", "PyQt6-WebEngine")},
    }


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages: other work on the machine during the run."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def source_state(root: Path) -> dict[str, Any]:
    """The commit measured, and which launcher files differed from it (others may be mid-change)."""
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10
            ).stdout.rstrip()
        except (OSError, subprocess.SubprocessError):
            return ""

    changed = [line[3:] for line in git("status", "--porcelain", "--", "launcher").splitlines() if line]
    return {"commit": git("rev-parse", "--short", "HEAD").strip() or None, "launcher_uncommitted": changed}


def _cpuinfo(key: str) -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError):
        return None
    return None


def _os_release() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
