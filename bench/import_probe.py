"""Run the launcher or the baseline window under `-X importtime`, marking when the window is created.

    python -X importtime bench/import_probe.py launcher ARGS...
    python -X importtime bench/import_probe.py baseline ARGS...

pywebview's `create_window` is wrapped so that its blocking `before_show` event (the window exists, the
first page is being requested, no sign-in worker has started) imports `bench._window_marker` first of
all handlers. Every import record printed before that marker happened before the window started.
"""

from __future__ import annotations

import sys
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]


def _mark_window_creation() -> None:
    import webview

    create = webview.create_window

    def create_and_mark(*args: object, **kwargs: object) -> object:
        window = create(*args, **kwargs)
        window.events.before_show += _import_marker
        return window

    webview.create_window = create_and_mark


def _import_marker() -> None:
    import bench._window_marker  # noqa: F401


def main() -> None:
    target, args = sys.argv[1], sys.argv[2:]
    sys.path[0] = str(_REPO)  # not bench/: its module names must not shadow anything
    _mark_window_creation()
    if target == "launcher":
        from launcher.__main__ import main as launcher_main

        sys.argv = ["rocketchat-launcher", *args]
        sys.exit(launcher_main())
    import runpy

    script = Path(__file__).with_name("baseline_window.py")
    sys.argv = [str(script), *args]
    runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
