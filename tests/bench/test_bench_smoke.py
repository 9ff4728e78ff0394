"""The start-up benchmark's own logic on real data: `-X importtime` output of real interpreters, /proc
memory of a real process tree, and the round-robin statistics. No timing is asserted anywhere."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.imports import MARKER, analyze, parse_importtime, split_at_marker
from bench.procmem import TreeSampler, descendants
from bench.stats import Summary, paired_ratios, rotation, summarize

REPO = Path(__file__).resolve().parents[2]


def _importtime(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return proc.stderr


@pytest.mark.real
def test_importtime_records_are_parsed_and_nested_cumulatives_add_up() -> None:
    records = parse_importtime(_importtime("import json"))
    names = [r.name for r in records]
    assert "json" in names and "json.decoder" in names
    json_record = next(r for r in records if r.name == "json")
    # children are printed before their parent, one level deeper; their cumulative times sum to the
    # parent's cumulative minus its self time (each figure is truncated to whole microseconds)
    index = names.index("json")
    children = []
    for record in reversed(records[:index]):
        if record.depth <= json_record.depth:
            break
        if record.depth == json_record.depth + 1:
            children.append(record)
    assert children, "json imports submodules, which must show one level deeper"
    total = json_record.self_us + sum(c.cumulative_us for c in children)
    assert abs(json_record.cumulative_us - total) <= len(children) + 1


@pytest.mark.real
def test_extra_imports_before_the_window_are_those_the_baseline_never_imports() -> None:
    launcher = parse_importtime(_importtime(f"import json, tomllib; import {MARKER}; import csv"))
    baseline = parse_importtime(_importtime(f"import json; import {MARKER}"))
    before, after = split_at_marker(launcher)
    assert "tomllib" in {r.name for r in before} and "csv" not in {r.name for r in before}
    assert "csv" in {r.name for r in after}

    figures = analyze(launcher, baseline)
    assert figures["marker_found"] is True
    baseline_names = {r.name for r in baseline}
    extra = [r for r in before if r.name not in baseline_names and r.name not in ("bench", MARKER)]
    assert {r.name for r in extra} >= {"tomllib"} and "json" not in {r.name for r in extra}
    assert figures["extra_modules"] == len(extra)
    assert figures["extra_before_window_ms"] == round(sum(r.self_us for r in extra) / 1000, 1)
    assert "tomllib" in figures["extra_by_package_ms"]
    assert "csv" in figures["launcher_after_window_by_package_ms"]


@pytest.mark.real
def test_tree_sampler_sees_the_root_and_its_child_processes() -> None:
    # a parent that holds ~60 MB and runs one `sleep` child until told to stop
    code = (
        "import subprocess, sys; block = bytearray(60 * 1024 * 1024); block[::4096] = b'x' * len(block[::4096]);"
        " child = subprocess.Popen(['sleep', '30']); print('ready', flush=True); sys.stdin.readline();"
        " child.kill(); child.wait()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        sampler = TreeSampler(proc.pid, interval=0.02, goal_reached=lambda: True).start()
        deadline = time.monotonic() + 10
        while sampler.result.samples < 3 or sampler.result.pss_root_kib is None:
            assert time.monotonic() < deadline, "the sampler took no samples"
            time.sleep(0.02)
        assert len(descendants(proc.pid)) == 1
        result = sampler.stop()
    finally:
        assert proc.stdin is not None
        proc.stdin.write("stop\n")
        proc.stdin.close()
        proc.wait(timeout=10)
    assert result.root_peak_kib > 60 * 1024
    assert result.max_children == 1 and result.child_names == ["sleep"]
    assert 0 < result.children_peak_kib < result.root_peak_kib
    assert result.tree_peak_kib >= result.root_peak_kib
    assert result.pss_root_kib is not None and 0 < result.pss_root_kib <= result.root_peak_kib


@pytest.mark.real
def test_tree_pss_is_read_while_child_processes_come_and_go() -> None:
    """Like Chromium's helpers: children that end between the /proc scan and the read of their
    smaps_rollup are gone, not a failed sample; every tick of the run has the tree's PSS."""
    code = (
        "import subprocess, sys, time; end = time.monotonic() + 2\n"
        "while time.monotonic() < end: subprocess.run(['true'])\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    sampler = TreeSampler(proc.pid, interval=0.01, goal_reached=lambda: False, pss_interval=0.02).start()
    proc.wait(timeout=20)
    result = sampler.stop()
    assert result.samples >= 20
    # every PSS tick read the root; none was lost to a child that had just ended
    assert result.pss_samples >= result.samples // 3
    assert result.pss_root_kib is not None and result.pss_children_kib is not None
    assert result.pss_tree_peak_kib is not None
    assert result.pss_tree_peak_kib >= result.pss_root_kib + result.pss_children_kib > 0


def test_rounds_start_each_variant_once_in_a_rotating_order() -> None:
    variants = ("a", "b", "c")
    orders = [rotation(variants, r) for r in range(4)]
    assert orders == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"]]


def test_ratios_pair_runs_of_the_same_round_and_set_and_skip_failures() -> None:
    runs = [
        {"variant": "baseline", "conditions": "d0", "round": 0, "ok": True, "goal_ms": 100.0},
        {"variant": "cached", "conditions": "d0", "round": 0, "ok": True, "goal_ms": 120.0},
        {"variant": "baseline", "conditions": "d0", "round": 1, "ok": True, "goal_ms": 200.0},
        {"variant": "cached", "conditions": "d0", "round": 1, "ok": True, "goal_ms": 210.0},
        {"variant": "baseline", "conditions": "d1", "round": 0, "ok": True, "goal_ms": 400.0},
        {"variant": "cached", "conditions": "d1", "round": 0, "ok": False, "goal_ms": None},
    ]
    assert sorted(paired_ratios(runs, "cached")) == [1.05, 1.2]
    summary = summarize([r for r in runs if r["conditions"] == "d0"])
    assert summary["cached"] == Summary(n=2, failed=0, median=165.0, low=120.0, high=210.0)
    assert summarize(runs)["cached"].failed == 1
