"""Memory of a process and its descendants, read from /proc while the process runs (Linux only).

The sampler runs in a thread of the benchmark. Every `interval` seconds: the root's RSS, and the sum of
the RSS of every descendant (for a pywebview Qt app, the QtWebEngineProcess zygote and renderers). RSS
counts shared pages in every process, so the children's sum over-states what they cost together. Every
`pss_interval` seconds: the tree's PSS (smaps_rollup, which splits shared pages), summed over every
process that is still there. Chromium starts and ends helper processes all the time: one that is gone
by the time its file is read is gone, not a failed sample. The figure at the goal is the first tree sum
once the goal is reached (or the last one before the root exited), so one vanished renderer no longer
costs the run its PSS, as the single snapshot at the goal did (8-11 runs in 15 without a figure).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MemorySample", "TreeSampler", "descendants", "pss_kib", "rss_kib", "tree_pss_kib"]

_PROC = Path("/proc")


def rss_kib(pid: int) -> int | None:
    """Resident set size of `pid` in KiB (VmRSS), or None once the process is gone."""
    try:
        for line in (_PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return 0  # a zombie has no VmRSS line


def pss_kib(pid: int) -> int | None:
    """Proportional set size of `pid` in KiB (smaps_rollup), or None if unreadable."""
    try:
        for line in (_PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def descendants(root: int) -> list[int]:
    """Pids of every live descendant of `root` (children, grandchildren, ...), from one /proc scan."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    pending = list(children.get(root, []))
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def _command_name(pid: int) -> str:
    try:
        return (_PROC / str(pid) / "comm").read_text().strip()
    except OSError:
        return "?"


@dataclass
class MemorySample:
    """Peaks over a run (KiB), and the tree's PSS at the goal and at its peak."""

    root_peak_kib: int = 0
    children_peak_kib: int = 0
    tree_peak_kib: int = 0
    max_children: int = 0
    samples: int = 0
    #: ticks whose tree PSS was read (the root's smaps_rollup answered)
    pss_samples: int = 0
    pss_root_kib: int | None = None
    pss_children_kib: int | None = None
    pss_tree_peak_kib: int | None = None
    child_names: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "python_peak_rss_mb": _mb(self.root_peak_kib),
            "children_peak_rss_mb": _mb(self.children_peak_kib),
            "tree_peak_rss_mb": _mb(self.tree_peak_kib),
            "max_children": self.max_children,
            "samples": self.samples,
            "pss_samples": self.pss_samples,
            "pss_python_mb": _mb(self.pss_root_kib),
            "pss_children_mb": _mb(self.pss_children_kib),
            "pss_total_mb": _mb(
                None
                if self.pss_root_kib is None or self.pss_children_kib is None
                else self.pss_root_kib + self.pss_children_kib
            ),
            "pss_tree_peak_mb": _mb(self.pss_tree_peak_kib),
            "child_names": sorted(set(self.child_names)),
        }


def tree_pss_kib(root: int, kids: list[int]) -> tuple[int, int] | None:
    """(root's PSS, the sum of the children's still running), or None if the root's is unreadable."""
    own = pss_kib(root)
    if own is None:
        return None
    return own, sum(value for value in (pss_kib(pid) for pid in kids) if value is not None)


class TreeSampler:
    """Samples the tree below `root` until the root exits or `stop()`; `goal_reached()` (checked each
    tick) marks the tree PSS sample that counts as the run's figure."""

    def __init__(
        self,
        root: int,
        interval: float = 0.05,
        goal_reached: Callable[[], bool] | None = None,
        pss_interval: float = 0.2,
    ) -> None:
        self.root = root
        self.interval = interval
        self.pss_interval = pss_interval
        self.result = MemorySample()
        self._goal_reached = goal_reached
        self._goal_taken = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"mem-{root}", daemon=True)

    def start(self) -> TreeSampler:
        self._thread.start()
        return self

    def stop(self) -> MemorySample:
        self._stop.set()
        self._thread.join(5)
        return self.result

    def _loop(self) -> None:
        result = self.result
        next_pss = 0.0
        while not self._stop.is_set():
            root_rss = rss_kib(self.root)
            if root_rss is None:
                return
            kids = descendants(self.root)
            kids_rss = sum(rss_kib(pid) or 0 for pid in kids)
            result.samples += 1
            result.root_peak_kib = max(result.root_peak_kib, root_rss)
            result.children_peak_kib = max(result.children_peak_kib, kids_rss)
            result.tree_peak_kib = max(result.tree_peak_kib, root_rss + kids_rss)
            if len(kids) > result.max_children:
                result.max_children = len(kids)
                result.child_names = [_command_name(pid) for pid in kids]
            goal = not self._goal_taken and self._goal_reached is not None and self._goal_reached()
            now = time.monotonic()
            if goal or now >= next_pss:
                next_pss = now + self.pss_interval
                self._sample_pss(kids, goal)
            self._stop.wait(self.interval)

    def _sample_pss(self, kids: list[int], goal: bool) -> None:
        pss = tree_pss_kib(self.root, kids)
        if pss is None:
            return
        result = self.result
        result.pss_samples += 1
        total = pss[0] + pss[1]
        result.pss_tree_peak_kib = max(result.pss_tree_peak_kib or 0, total)
        if not self._goal_taken:  # the latest sum until the goal's, then that one stays
            result.pss_root_kib, result.pss_children_kib = pss
            self._goal_taken = goal


def _mb(kib: int | None) -> float | None:
    return None if kib is None else round(kib / 1024.0, 1)
