"""From the list of runs to the figures and the goals of issue 8. Pure functions over the results dict
(the JSON the benchmark writes), so a saved result can be re-analysed and the test can check them.

Goals:
1. cached token: median time to signed-in <= 1.10 x the baseline's, in every variant set;
2. stored login, 200 ms of server latency: median <= baseline + 1.2 x the token round trips (the token
   fetch overlaps the page load instead of being added to it);
3. launcher process peak RSS (cached start) <= 1.10 x the baseline process's;
4. the launcher's own imports before the window starts <= 150 ms.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from bench.stats import Summary, paired_ratios, summarize

__all__ = ["GOALS", "evaluate_goals", "summarize_memory", "summarize_times"]

CACHED_MAX_RATIO = 1.10
STORED_TOKEN_FACTOR = 1.2
STORED_LATENCY_S = 0.2
MEMORY_MAX_RATIO = 1.10
IMPORTS_MAX_MS = 150.0
MILESTONES = (
    "window_shown",
    "page_loaded",
    "token_ready",
    "rc_login",
    "after_login",
    "signin_confirmed",
    "startup",
)
MEMORY_KEYS = (
    "python_peak_rss_mb",
    "children_peak_rss_mb",
    "tree_peak_rss_mb",
    "pss_total_mb",
    "pss_tree_peak_mb",
)
GOALS = (
    "cached token vs baseline",
    "stored login, 200 ms latency",
    "launcher process memory",
    "imports before window",
)


def summarize_times(
    runs: Sequence[Mapping[str, Any]], conditions: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Per variant set and variant: goal-time summary, paired ratio to the baseline, milestone medians."""
    summary: dict[str, Any] = {}
    for cond in conditions:
        these = [r for r in runs if r["conditions"] == cond["key"]]
        per_variant: dict[str, Any] = {}
        goal = summarize(these)
        for variant, stats in goal.items():
            ratios = paired_ratios(these, variant)
            base = goal.get("baseline")
            per_variant[variant] = {
                "goal_ms": stats.as_dict(),
                "ratio_of_medians": _ratio(stats, base),
                "paired_ratio": Summary.of(ratios).as_dict() if ratios else None,
                "milestones_ms": _milestone_medians([r for r in these if r["variant"] == variant]),
            }
        summary[cond["key"]] = per_variant
    return summary


def summarize_memory(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Per variant, over every successful run of every set: summaries of the memory figures (MB)."""
    result: dict[str, Any] = {}
    variants = sorted({r["variant"] for r in runs})
    for variant in variants:
        mine = [r for r in runs if r["variant"] == variant and r.get("ok")]
        result[variant] = {
            key: Summary.of([r["memory"].get(key) for r in mine]).as_dict() for key in MEMORY_KEYS
        }
    return result


def evaluate_goals(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The four goals with MET / MISSED / UNKNOWN (no data) and the figures behind the verdict."""
    return [
        _cached_goal(results),
        _stored_goal(results),
        _memory_goal(results),
        _imports_goal(results),
    ]


# -- the goals ---------------------------------------------------------------------------------------------


def _cached_goal(results: Mapping[str, Any]) -> dict[str, Any]:
    parts, verdicts = [], []
    for cond in results["conditions"]:
        entry = results["summary"][cond["key"]]
        cached, base = _median(entry, "cached"), _median(entry, "baseline")
        if cached is None or base is None:
            continue
        ratio = cached / base
        verdicts.append(ratio <= CACHED_MAX_RATIO)
        pairs = entry["cached"].get("paired_ratio") or {}
        text = f"{cond['label']}: {cached:.0f} vs {base:.0f} ms = {ratio:.2f}x"
        text += f" (pairs {pairs['min']:.2f}-{pairs['max']:.2f})" if pairs else ""
        floor = _median(entry, "baseline-signed-in")
        if floor is not None:
            text += f"; signed-in page floor {floor:.0f} ms, cached = {cached / floor:.2f}x of it"
        parts.append(text)
    return _goal(GOALS[0], f"median <= {CACHED_MAX_RATIO:.2f} x baseline in every set", verdicts, parts)


def _stored_goal(results: Mapping[str, Any]) -> dict[str, Any]:
    parts, verdicts = [], []
    for cond in results["conditions"]:
        if cond["latency"] < STORED_LATENCY_S:
            continue
        entry = results["summary"][cond["key"]]
        stored, base = _median(entry, "stored"), _median(entry, "baseline")
        token = cond.get("token_round_trips_ms")
        if stored is None or base is None or token is None:
            continue
        limit = base + STORED_TOKEN_FACTOR * token
        verdicts.append(stored <= limit)
        parts.append(
            f"{cond['label']}: {stored:.0f} ms vs limit {limit:.0f} ms = baseline {base:.0f} + "
            f"{STORED_TOKEN_FACTOR} x token round trips {token:.0f} (sum would be {base + token:.0f})"
        )
    return _goal(GOALS[1], f"median <= baseline + {STORED_TOKEN_FACTOR} x token round trips", verdicts, parts)


def _memory_goal(results: Mapping[str, Any]) -> dict[str, Any]:
    memory = results.get("memory", {})
    launcher = (memory.get("cached") or {}).get("python_peak_rss_mb", {}).get("median")
    base = (memory.get("baseline") or {}).get("python_peak_rss_mb", {}).get("median")
    if launcher is None or base is None:
        return _goal(GOALS[2], "", [], [])
    ratio = launcher / base
    kids = (memory.get("cached") or {}).get("children_peak_rss_mb", {}).get("median")
    base_kids = (memory.get("baseline") or {}).get("children_peak_rss_mb", {}).get("median")
    detail = f"Python process peak RSS {launcher:.0f} vs {base:.0f} MB = {ratio:.2f}x"
    if kids is not None and base_kids is not None:
        detail += f"; web engine children {kids:.0f} vs {base_kids:.0f} MB = {kids / base_kids:.2f}x"
    return _goal(
        GOALS[2],
        f"cached start, Python process <= {MEMORY_MAX_RATIO:.2f} x",
        [ratio <= MEMORY_MAX_RATIO],
        [detail],
    )


def _imports_goal(results: Mapping[str, Any]) -> dict[str, Any]:
    imports = results.get("imports") or {}
    extra = imports.get("extra_before_window_ms")
    if extra is None or not imports.get("marker_found"):
        return _goal(GOALS[3], "", [], [])
    top = ", ".join(f"{k} {v:.0f}" for k, v in list(imports.get("extra_by_package_ms", {}).items())[:5])
    detail = f"{extra:.0f} ms in {imports.get('extra_modules')} modules bare pywebview never imports ({top})"
    return _goal(GOALS[3], f"<= {IMPORTS_MAX_MS:.0f} ms", [extra <= IMPORTS_MAX_MS], [detail])


# -- helpers -----------------------------------------------------------------------------------------------


def _goal(name: str, target: str, verdicts: list[bool], parts: list[str]) -> dict[str, Any]:
    status = "UNKNOWN" if not verdicts else ("MET" if all(verdicts) else "MISSED")
    return {"goal": name, "target": target, "status": status, "figures": parts}


def _median(entry: Mapping[str, Any], variant: str) -> float | None:
    data = entry.get(variant)
    return None if data is None else data["goal_ms"]["median"]


def _ratio(stats: Summary, base: Summary | None) -> float | None:
    if base is None or base.median is None or stats.median is None or base.median <= 0:
        return None
    return round(stats.median / base.median, 3)


def _milestone_medians(runs: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    found: dict[str, float | None] = {}
    for name in MILESTONES:
        values = [
            r["milestones"][name]
            for r in runs
            if r.get("ok") and isinstance(r.get("milestones", {}).get(name), int | float)
        ]
        if values:
            found[name] = round(statistics.median(values), 1)
    return found
