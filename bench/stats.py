"""Medians, ranges and paired ratios of benchmark runs; no I/O, so the test can check it on real data.

Runs of one variant set are taken round-robin (round r starts every variant once), so a launcher run and
the baseline run of the same round saw the same machine load: the ratio of each pair is what varies
least, and its min-max is printed next to the ratio of the medians.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Summary", "paired_ratios", "rotation", "summarize"]


@dataclass(frozen=True)
class Summary:
    n: int
    failed: int
    median: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, values: Sequence[float | None]) -> Summary:
        good = [v for v in values if v is not None]
        if not good:
            return cls(0, len(values), None, None, None)
        return cls(len(good), len(values) - len(good), statistics.median(good), min(good), max(good))

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "failed": self.failed, "median": self.median, "min": self.low, "max": self.high}


def rotation(variants: Sequence[str], round_: int) -> list[str]:
    """The order of round `round_`: every variant once, starting one further each round, so no variant is
    always first (cold) or always right after the same other one."""
    shift = round_ % len(variants)
    return list(variants[shift:]) + list(variants[:shift])


def summarize(runs: Iterable[Mapping[str, Any]], key: str = "goal_ms") -> dict[str, Summary]:
    """Per variant, the summary of `key` over its runs (failed runs count as failed, not as values)."""
    values: dict[str, list[float | None]] = {}
    for run in runs:
        value = run.get(key) if run.get("ok", True) else None
        values.setdefault(run["variant"], []).append(value)
    return {variant: Summary.of(found) for variant, found in values.items()}


def paired_ratios(
    runs: Iterable[Mapping[str, Any]], variant: str, reference: str = "baseline", key: str = "goal_ms"
) -> list[float]:
    """`variant / reference` for every round in which both succeeded (same conditions, same round)."""
    by_round: dict[tuple[str, int], dict[str, float]] = {}
    for run in runs:
        value = run.get(key)
        if not run.get("ok", True) or not isinstance(value, int | float):
            continue
        by_round.setdefault((run["conditions"], run["round"]), {})[run["variant"]] = float(value)
    return [
        pair[variant] / pair[reference]
        for pair in by_round.values()
        if variant in pair and reference in pair and pair[reference] > 0
    ]
