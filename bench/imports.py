"""Import cost of the launcher before its window starts, from `-X importtime` (bench/import_probe.py).

The figure that matters is what the launcher adds to the start path: the self time of every module
imported before the window is created that a bare pywebview window never imports at all. Modules both
import (pywebview, Qt, most of the standard library) cost the same in both, whichever imports them
first, so this measure does not depend on import order. `-X importtime` itself slows imports a little:
the figures are upper bounds.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ImportRecord", "analyze", "parse_importtime", "run_probe"]

MARKER = "bench._window_marker"
PROBE = Path(__file__).with_name("import_probe.py")
_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)\s*$")


@dataclass(frozen=True)
class ImportRecord:
    """One `-X importtime` line: a module finished importing (children come before their parent)."""

    name: str
    self_us: int
    cumulative_us: int
    depth: int

    @property
    def package(self) -> str:
        return self.name.split(".", 1)[0]


def parse_importtime(text: str) -> list[ImportRecord]:
    """The import records in `text` (stderr of a `-X importtime` run), in the order they were printed.
    Other lines (the program's own stderr) are skipped."""
    records = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            self_us, cumulative_us, indent, name = match.groups()
            records.append(ImportRecord(name, int(self_us), int(cumulative_us), (len(indent) - 1) // 2))
    return records


def split_at_marker(
    records: Sequence[ImportRecord], marker: str = MARKER
) -> tuple[list[ImportRecord], list[ImportRecord]]:
    """(imports finished before the window was created, the rest). No marker: everything is "before"."""
    for index, record in enumerate(records):
        if record.name == marker:
            return list(records[:index]), [r for r in records[index + 1 :] if r.name != "bench"]
    return list(records), []


def analyze(
    launcher: Sequence[ImportRecord], baseline: Sequence[ImportRecord], top: int = 12
) -> dict[str, Any]:
    """Figures for the report: the launcher's extra pre-window imports (the goal), by package and by
    module, and the totals of both processes before their windows for context."""
    launcher_pre, launcher_post = split_at_marker(launcher)
    baseline_pre, _ = split_at_marker(baseline)
    baseline_names = {r.name for r in baseline} | {"bench", MARKER}
    extra = [r for r in launcher_pre if r.name not in baseline_names]
    by_package: dict[str, int] = {}
    for record in extra:
        by_package[record.package] = by_package.get(record.package, 0) + record.self_us
    return {
        "marker_found": any(r.name == MARKER for r in launcher) and any(r.name == MARKER for r in baseline),
        "extra_before_window_ms": _ms(sum(r.self_us for r in extra)),
        "extra_modules": len(extra),
        "extra_by_package_ms": {
            k: _ms(v) for k, v in sorted(by_package.items(), key=lambda kv: -kv[1])[:top]
        },
        "extra_slowest_modules_ms": {
            r.name: _ms(r.self_us) for r in sorted(extra, key=lambda r: -r.self_us)[:top]
        },
        "launcher_before_window_ms": _ms(_total(launcher_pre)),
        "baseline_before_window_ms": _ms(_total(baseline_pre)),
        "launcher_after_window_ms": _ms(_total(launcher_post)),
        "launcher_after_window_by_package_ms": _by_package(launcher_post, top),
    }


def run_probe(
    target: str, args: Sequence[str], env: dict[str, str], timeout: float = 90.0
) -> tuple[int, str]:
    """Run the probe once; returns (exit code, stderr with the import records)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(PROBE), target, *args],
        env=env,
        cwd=str(PROBE.resolve().parents[1]),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )
    return proc.returncode, proc.stderr


def _total(records: Iterable[ImportRecord]) -> int:
    return sum(r.self_us for r in records)


def _by_package(records: Iterable[ImportRecord], top: int) -> dict[str, float]:
    sums: dict[str, int] = {}
    for record in records:
        sums[record.package] = sums.get(record.package, 0) + record.self_us
    return {k: _ms(v) for k, v in sorted(sums.items(), key=lambda kv: -kv[1])[:top]}


def _ms(us: int) -> float:
    return round(us / 1000.0, 1)
