"""The start-up benchmark's printed tables (the JSON holds the same figures and every run)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["render"]

_VARIANT_ORDER = ("baseline", "baseline-signed-in", "cached", "stored", "first-run")
_LABELS = {
    "baseline": "baseline (bare pywebview)",
    "baseline-signed-in": "bare pywebview, signed in",
    "cached": "launcher, cached token",
    "stored": "launcher, stored login",
    "first-run": "launcher, first run",
}


def render(results: Mapping[str, Any]) -> str:
    lines: list[str] = []
    machine = results["machine"]
    lines.append(
        f"Start-up benchmark: {machine['nproc']} cores, {machine['cpu']}, {machine['ram_gb']} GB, {machine['os']}; "
        f"load average {results['load_average']['start']} -> {results['load_average']['end']}; "
        f"{results['options']['runs']} rounds per set, round-robin"
    )
    source = results.get("source") or {}
    if source:
        dirty = source.get("launcher_uncommitted") or []
        lines.append(
            f"Measured at commit {source.get('commit')}"
            + (f" with uncommitted launcher files: {', '.join(dirty)}" if dirty else "")
        )
    lines.append(
        "Times: medians in ms since process start. Goal: signin_confirmed (launcher), the page's startup event"
        " (bare pywebview). login: Rocket.Chat answered the login that signed the page in;"
        " +after: from that answer to the goal (the page, then the launcher, noticing)."
    )
    for cond in results["conditions"]:
        lines += _time_table(cond, results["summary"][cond["key"]])
    lines += _memory_table(results.get("memory", {}))
    lines += _imports(results.get("imports"))
    lines += _bundles(results.get("bundles"))
    lines.append("")
    lines.append("Goals")
    for goal in results["goals"]:
        lines.append(f"  [{goal['status']:>7}] {goal['goal']}: {goal['target']}")
        lines += [f"            {part}" for part in goal["figures"]]
    failures = [r for r in results["runs"] if not r["ok"]]
    if failures:
        lines.append("")
        lines.append(f"{len(failures)} failed run(s):")
        lines += [f"  {r['conditions']} round {r['round']} {r['variant']}: {r['error']}" for r in failures]
    return "\n".join(lines)


def _time_table(cond: Mapping[str, Any], entry: Mapping[str, Any]) -> list[str]:
    token = cond.get("token_round_trips_ms")
    head = f"{cond['label']}" + (f"  (token round trips, measured apart: {token:.0f} ms)" if token else "")
    lines = ["", head]
    lines.append(
        f"  {'variant':<27} {'median':>7} {'min-max':>12} {'x baseline':>11} {'pairs min-max':>14}"
        f" {'window':>7} {'page':>6} {'token':>6} {'login':>6} {'+after':>6} {'ok':>5}"
    )
    for variant in _ordered(entry):
        data = entry[variant]
        goal = data["goal_ms"]
        pairs = data.get("paired_ratio")
        marks = data["milestones_ms"]
        lines.append(
            f"  {_LABELS.get(variant, variant):<27} {_num(goal['median']):>7} "
            f"{_range(goal['min'], goal['max']):>12} {_ratio(data.get('ratio_of_medians')):>11} "
            f"{_range(pairs['min'], pairs['max'], 2) if pairs and variant != 'baseline' else '':>14}"
            f" {_num(marks.get('window_shown')):>7} {_num(marks.get('page_loaded')):>6}"
            f" {_num(marks.get('token_ready')):>6} {_num(marks.get('rc_login')):>6}"
            f" {_num(marks.get('after_login')):>6}"
            f" {goal['n']:>2}/{goal['n'] + goal['failed']:<2}"
        )
    return lines


def _memory_table(memory: Mapping[str, Any]) -> list[str]:
    if not memory:
        return []
    base = memory.get("baseline") or {}
    base_py = base.get("python_peak_rss_mb", {}).get("median")
    base_tree = base.get("pss_total_mb", {}).get("median")
    lines = [
        "",
        "Memory, MB, medians over all sets (min-max). Python: peak RSS sampled every 50 ms. Tree: the PSS",
        "of the launcher and every helper process (smaps_rollup every 200 ms), at the goal and at its peak;",
        "x base: against the bare window of the same run; n: runs with the figure / runs that succeeded",
    ]
    lines.append(
        f"  {'variant':<27} {'Python peak RSS':>18} {'x base':>7} {'tree PSS at goal':>18} {'x base':>7}"
        f" {'tree PSS peak':>14} {'n':>6}"
    )
    for variant in _ordered(memory):
        data = memory[variant]
        py, tree, peak = data["python_peak_rss_mb"], data["pss_total_mb"], data["pss_tree_peak_mb"]
        py_ratio = py["median"] / base_py if base_py and py["median"] else None
        tree_ratio = tree["median"] / base_tree if base_tree and tree["median"] else None
        lines.append(
            f"  {_LABELS.get(variant, variant):<27} {_num(py['median']):>6} {_range(py['min'], py['max']):>11}"
            f" {_ratio(py_ratio):>7} {_num(tree['median']):>6} {_range(tree['min'], tree['max']):>11}"
            f" {_ratio(tree_ratio):>7} {_num(peak['median']):>14} {tree['n']:>3}/{tree['n'] + tree['failed']:<2}"
        )
    return lines


def _imports(imports: Mapping[str, Any] | None) -> list[str]:
    if not imports:
        return []
    if "error" in imports:
        return ["", f"Imports: not measured ({imports['error']})"]
    lines = [
        "",
        "Imports before the window is created (-X importtime, self time; the median of 3 pairs of runs)",
    ]
    lines.append(
        f"  launcher {imports['launcher_before_window_ms']:.0f} ms, bare pywebview "
        f"{imports['baseline_before_window_ms']:.0f} ms; modules only the launcher imports: "
        f"{imports['extra_before_window_ms']:.0f} ms in {imports['extra_modules']} modules"
        f" (all pairs: {', '.join(f'{v:.0f}' for v in imports.get('extra_before_window_ms_all_pairs', []))})"
    )
    by_package = ", ".join(f"{k} {v:.0f}" for k, v in imports["extra_by_package_ms"].items())
    lines.append(f"  by package: {by_package}")
    after = ", ".join(
        f"{k} {v:.0f}" for k, v in list(imports["launcher_after_window_by_package_ms"].items())[:6]
    )
    lines.append(f"  after the window was created: {imports['launcher_after_window_ms']:.0f} ms ({after})")
    return lines


def _bundles(bundles: Mapping[str, Any] | None) -> list[str]:
    if not bundles:
        return ["", "Bundles: not measured (add --bundles)"]
    launcher, plain = bundles["launcher"], bundles["plain_pywebview"]
    lines = ["", "PyInstaller one-folder bundles"]
    for name, entry in (("launcher", launcher), ("plain pywebview", plain)):
        if "size_mb" in entry:
            how = (
                f"built now in {entry.get('build_s')} s"
                if entry.get("built_now")
                else f"reused, built {entry['built_at']}"
            )
            lines.append(
                f"  {name:<16} {entry['size_mb']:>7.1f} MB {entry['files']:>6} files  ({entry['path']}, {how})"
            )
        else:
            lines.append(f"  {name:<16} not available: {entry.get('build_error', 'build failed')}")
    if "ratio" in bundles:
        lines.append(f"  launcher / plain = {bundles['ratio']:.3f} (+{bundles['extra_mb']} MB)")
        adds = ", ".join(f"{k} {v}" for k, v in bundles["largest_additions_mb"].items())
        lines.append(f"  largest additions (MB): {adds}")
    onefile = bundles.get("onefile_startup")
    if onefile and "extra_ms" in onefile:
        lines.append(
            f"  one file ({onefile['onefile_size_mb']} MB, {onefile['path']}): `--version` takes"
            f" {onefile['onefile_ms']} ms against {onefile['onefolder_ms']} ms for one folder,"
            f" +{onefile['extra_ms']} ms at every start (medians of {onefile['runs']} runs each)"
        )
    elif onefile:
        lines.append(f"  one file: not available: {onefile.get('build_error', 'build failed')}")
    return lines


def _ordered(entry: Mapping[str, Any]) -> list[str]:
    known = [v for v in _VARIANT_ORDER if v in entry]
    return known + sorted(v for v in entry if v not in known)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _range(low: float | None, high: float | None, digits: int = 0) -> str:
    if low is None or high is None:
        return "-"
    return f"{low:.{digits}f}-{high:.{digits}f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
