"""Start-up benchmark: double-click to a signed-in chat, against the floor of Rocket.Chat's own page.

    .venv/bin/python -m bench [--quick] [--runs N] [--sets 0/0,1/0,1/0.2] [--bundles] [--json FILE]

Everything runs on this machine: a private desktop session (Xvfb, D-Bus, unlocked gnome-keyring;
tests/support/desktop_session.py), rcsandbox and the token service in this process, and for each run one
fresh process: the bare pywebview window (bench/baseline_window.py) or the launcher with `--timeline`.
Each variant set (client start delay / latency of every REST answer) runs N rounds; a round starts each
variant once, in a rotating order. Memory is sampled from /proc while each process runs; imports are
measured under `-X importtime` (three runs per target); `--bundles` adds the PyInstaller size comparison.
Prints tables and the goals of issue 8, and writes every run to JSON (default bench/results/).
The token service's own throughput benchmark is `python -m bench tokenservice --help`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import analysis, machine, report
from bench.stack import BenchStack, Conditions
from bench.stats import rotation
from bench.variants import VARIANTS, Runner, RunResult, child_environment

__all__ = ["main"]

DEFAULT_SETS = (Conditions(0.0, 0.0), Conditions(1.0, 0.0), Conditions(1.0, 0.2))
QUICK_SETS = (Conditions(1.0, 0.2),)
RESULTS_DIR = Path(__file__).with_name("results")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    sets = _parse_sets(args.sets) if args.sets else (QUICK_SETS if args.quick else DEFAULT_SETS)
    rounds = args.runs or (3 if args.quick else 5)
    started = time.time()
    results: dict[str, Any] = {
        "benchmark": "startup",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "machine": machine.describe(),
        "source": machine.source_state(Path(__file__).resolve().parents[1]),
        "load_average": {"start": machine.load_average()},
        "options": {
            "runs": rounds,
            "quick": args.quick,
            "sets": [c.key for c in sets],
            "bundles": args.bundles,
        },
    }
    out = args.json or RESULTS_DIR / time.strftime("startup-%Y%m%d-%H%M%S.json", time.localtime(started))
    out.parent.mkdir(parents=True, exist_ok=True)
    runs, conditions, imports = _measure(
        sets, rounds, skip_imports=args.no_imports, raw_prefix=out.with_suffix("")
    )
    results["conditions"] = conditions
    results["runs"] = [r.as_dict() for r in runs]
    results["imports"] = imports
    if args.bundles:
        from bench.bundles import compare_bundles

        _progress("bundles: building what build/dist lacks (about a minute per bundle)...")
        results["bundles"] = compare_bundles()
    results["load_average"]["end"] = machine.load_average()
    results["duration_s"] = round(time.time() - started, 1)
    results["summary"] = analysis.summarize_times(results["runs"], conditions)
    results["memory"] = analysis.summarize_memory(results["runs"])
    results["goals"] = analysis.evaluate_goals(results)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(report.render(results))
    print(f"\nAll runs and figures: {out} ({results['duration_s']:.0f} s in all)")
    return 0 if all(r["ok"] for r in results["runs"]) else 1


def _measure(
    sets: tuple[Conditions, ...], rounds: int, skip_imports: bool, raw_prefix: Path
) -> tuple[list[RunResult], list[dict[str, Any]], dict[str, Any] | None]:
    from tests.support.desktop_session import DesktopSession

    runs: list[RunResult] = []
    conditions: list[dict[str, Any]] = []
    imports: dict[str, Any] | None = None
    total = len(sets) * rounds * len(VARIANTS)
    _compile_launcher()
    with tempfile.TemporaryDirectory(prefix="rcl-bench-") as tmp, DesktopSession() as session:
        _use_session(session.env)
        with BenchStack(Path(tmp) / "stack") as stack:
            runner = Runner(stack, Path(tmp) / "work", child_environment(session.env))
            try:
                stack.apply(sets[0])
                _progress("signing in the returning profiles and warming up...")
                runner.prepare()
                for variant in ("baseline", "first-run"):
                    runner.run(variant, "warm-up", 0)
                for cond in sets:
                    stack.apply(cond)
                    token_ms = round(stack.token_round_trips(runner.config) * 1000, 1)
                    conditions.append(
                        {
                            "key": cond.key,
                            "label": cond.label,
                            "client_start_delay": cond.client_start_delay,
                            "latency": cond.latency,
                            "token_round_trips_ms": token_ms,
                        }
                    )
                    for round_ in range(rounds):
                        for variant in rotation(VARIANTS, round_):
                            result = runner.run(variant, cond.key, round_)
                            runs.append(result)
                            _progress(_line(len(runs), total, result))
                if not skip_imports:
                    _progress("imports: three -X importtime runs of each...")
                    imports = _measure_imports(runner, raw_prefix)
            finally:
                runner.cleanup()
    return runs, conditions, imports


def _measure_imports(runner: Runner, raw_prefix: Path, pairs: int = 3) -> dict[str, Any]:
    """`pairs` probe runs of each target, alternating; the figures of the pair with the median extra
    import time are reported (with every pair's extra), its raw output is kept next to the JSON."""
    from bench import imports

    analyses: list[tuple[dict[str, Any], str, str]] = []
    for _ in range(pairs):
        baseline_code, baseline_err = imports.run_probe("baseline", runner.baseline_args(), runner.env)
        launcher_code, launcher_err = imports.run_probe("launcher", runner.cached_launcher_args(), runner.env)
        if baseline_code != 0 or launcher_code != 0:
            return {"error": f"probe exit codes: baseline {baseline_code}, launcher {launcher_code}"}
        figures = imports.analyze(
            imports.parse_importtime(launcher_err), imports.parse_importtime(baseline_err)
        )
        analyses.append((figures, baseline_err, launcher_err))
    analyses.sort(key=lambda item: item[0]["extra_before_window_ms"])
    figures, baseline_err, launcher_err = analyses[len(analyses) // 2]
    for name, text in (("baseline", baseline_err), ("launcher", launcher_err)):
        Path(f"{raw_prefix}-importtime-{name}.txt").write_text(text, encoding="utf-8")
    figures["extra_before_window_ms_all_pairs"] = [a[0]["extra_before_window_ms"] for a in analyses]
    return figures


def _compile_launcher() -> None:
    """Byte-compile the launcher's own modules, as every installed launcher (pip, the PyInstaller bundle)
    has them. The bare pywebview window loads compiled site-packages; with PYTHONDONTWRITEBYTECODE set
    (as in some CI and agent shells) the source tree's modules would otherwise be compiled from source at
    every start, and that (about 60 ms) would be measured as the launcher's own import time."""
    import compileall

    import launcher

    compileall.compile_dir(str(Path(launcher.__file__).parent), quiet=1)


def _use_session(session_env: dict[str, str]) -> None:
    """This process prepares keyring entries too: point it at the private session's Secret Service."""
    os.environ.update(session_env)
    os.environ.pop("PYTHON_KEYRING_BACKEND", None)


def _line(index: int, total: int, result: RunResult) -> str:
    outcome = f"{result.goal_ms:.0f} ms" if result.ok else f"FAILED: {result.error}"
    return f"[{index:>3}/{total}] {result.conditions:<10} round {result.round} {result.variant:<10} {outcome}"


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parse_sets(text: str) -> tuple[Conditions, ...]:
    sets = []
    for item in text.split(","):
        try:
            delay, latency = (float(part) for part in item.strip().split("/"))
        except ValueError:
            raise SystemExit(
                f"--sets: {item!r} is not DELAY/LATENCY in seconds (for example 1/0.2)."
            ) from None
        if delay < 0 or latency < 0:
            raise SystemExit(f"--sets: {item!r} has a negative time; use seconds >= 0.")
        sets.append(Conditions(delay, latency))
    return tuple(sets)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.split("\n\n")[0],
        epilog="The token service benchmark: python -m bench tokenservice --help",
    )
    parser.add_argument(
        "--quick", action="store_true", help="one variant set (1 s / 200 ms), 3 rounds: a smoke run"
    )
    parser.add_argument("--runs", type=_positive, help="rounds per variant set (default 5, --quick 3)")
    parser.add_argument(
        "--sets", help="variant sets as DELAY/LATENCY seconds, comma-separated (default 0/0,1/0,1/0.2)"
    )
    parser.add_argument(
        "--bundles",
        action="store_true",
        help="also compare PyInstaller bundle sizes (builds what build/dist lacks)",
    )
    parser.add_argument("--no-imports", action="store_true", help="skip the -X importtime runs")
    parser.add_argument(
        "--json", type=Path, help="where to write the results (default bench/results/startup-<time>.json)"
    )
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
