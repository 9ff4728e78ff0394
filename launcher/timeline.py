"""Start-up timeline for `--timeline FILE`: when each milestone happened, in ms since the process began.

IT smoke tests and the benchmark read this file, so the reference point is the earliest moment we can
know (the kernel's record of when the process started), not the moment this module was imported.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

MILESTONES = ("process_start", "window_shown", "page_loaded", "token_ready", "signin_confirmed")

_IMPORT_TIME = time.time()


def process_start_epoch() -> float:
    """Wall-clock time (epoch seconds) at which this process started.

    On Linux the kernel keeps the start time in clock ticks since boot (/proc/self/stat field 22); the
    uptime tells how long ago boot was. Elsewhere (or if /proc is unreadable) fall back to the time this
    module was imported, which is the earliest point Python code of ours ran.
    """
    try:
        stat = Path("/proc/self/stat").read_text()
        # the command name (field 2) may contain spaces and parentheses: split after the last ')'
        fields = stat.rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 overall; fields[0] is field 3
        ticks_per_second = os.sysconf("SC_CLK_TCK")
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        started = time.time() - (uptime - start_ticks / ticks_per_second)
    except (OSError, ValueError, IndexError):
        return _IMPORT_TIME
    # /proc/uptime and the tick count are coarse (10 ms); never report a start after our import
    return min(started, _IMPORT_TIME)


class Timeline:
    """Thread-safe record of milestones; the first time a milestone is marked wins."""

    def __init__(self, start_epoch: float | None = None) -> None:
        self._start = process_start_epoch() if start_epoch is None else start_epoch
        self._marks: dict[str, float] = {"process_start": 0.0}
        self._extra: dict[str, Any] = {}
        self._lock = threading.Lock()

    def mark(self, name: str) -> None:
        """Record `name` now unless it was already recorded (milestones keep their first time)."""
        elapsed = round((time.time() - self._start) * 1000.0, 1)
        with self._lock:
            self._marks.setdefault(name, elapsed)

    def note(self, key: str, value: Any) -> None:
        """Attach a non-time fact to the report (outcome, sign-in path, renderer...)."""
        with self._lock:
            self._extra[key] = value

    def get(self, name: str) -> float | None:
        with self._lock:
            return self._marks.get(name)

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            data: dict[str, Any] = {"unit": "ms since process start", "process_start_epoch": self._start}
            for name in MILESTONES:
                data[name] = self._marks.get(name)
            for name, value in self._marks.items():
                data.setdefault(name, value)
            data.update(self._extra)
            return data

    def write(self, path: Path) -> None:
        """Write the JSON report atomically (a reader never sees half a file)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
