"""The shape of the code, read with `ast` (no import, no window): what a reader can rely on.

- No import circle in launcher/. Every import counts: at the top, inside functions, under
  TYPE_CHECKING. `from a.b import c` counts as an import of the package a.b (its __init__ runs and the
  name is read from it), and of a.b.c when c is a module.
- launcher/window/ imports nothing from launcher/desktop/ (the desktop sits on the window, not under).
- No launcher or token-service module over 400 lines.
- The launcher's top level holds at most 10 modules; the rest is grouped in packages by job.
- Nothing under launcher/ imports the tests, the dev stack, the stand-in or the token service (but
  the optional `demo` command, see OPTIONAL_IN_A_SOURCE_TREE).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 400
MAX_TOP_LEVEL_MODULES = 10
NOT_FOR_THE_LAUNCHER = ("tests", "devstack", "rcsandbox", "tokenservice")
# The one door out, on purpose: `rocketchat-launcher demo` runs devstack's demo, and is offered only
# where devstack is importable (a source tree); the bundle leaves devstack out (tests/packaging).
OPTIONAL_IN_A_SOURCE_TREE = frozenset({"launcher.cli.commands -> devstack"})


def _modules(package: str) -> dict[str, Path]:
    found = {}
    for path in sorted((REPO / package).rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(module: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every module name `module` imports, resolved against `known` (the nearest known parent)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                here = here[: len(here) - node.level + 1]
                base = ".".join([*here, base] if base else here)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for name in names:
            while name and name not in known and "." in name:
                name = name.rpartition(".")[0]
            outside = bool(name) and name.split(".")[0] in NOT_FOR_THE_LAUNCHER
            if (name in known and name != module) or outside:
                yield name


def _graph() -> dict[str, set[str]]:
    known = _modules("launcher")
    return {module: set(_imported(module, path, known)) for module, path in known.items()}


def _circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected parts of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[frozenset[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next((w for w in edges if w in graph), None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                part = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    part.add(member)
                    if member == node:
                        break
                if len(part) > 1:
                    circles.append(frozenset(part))
    return circles


def test_the_cycle_finder_finds_a_circle_and_only_a_circle() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_the_launcher() -> None:
    circles = [sorted(part) for part in _circles(_graph())]
    assert circles == [], "import circles (import from the defining module, not the package): " + repr(
        circles
    )


def test_the_window_imports_nothing_from_the_desktop() -> None:
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in _graph().items()
        if module.startswith("launcher.window")
        for target in targets
        if target.startswith("launcher.desktop")
    )
    assert upward == []


def test_nothing_in_the_launcher_imports_tests_or_the_servers() -> None:
    leaks = sorted(
        f"{module} -> {target}"
        for module, targets in _graph().items()
        for target in targets
        if target.split(".")[0] in NOT_FOR_THE_LAUNCHER
    )
    assert [leak for leak in leaks if leak not in OPTIONAL_IN_A_SOURCE_TREE] == []


def test_no_launcher_or_token_service_module_over_400_lines() -> None:
    long = sorted(
        f"{path.relative_to(REPO)}: {count} lines"
        for package in ("launcher", "tokenservice")
        for path in sorted((REPO / package).rglob("*.py"))
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    )
    assert long == []


def test_the_launchers_top_level_holds_at_most_10_modules() -> None:
    top = sorted(path.name for path in (REPO / "launcher").glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
