"""The floor: a bare pywebview (Qt) window on Rocket.Chat's page, timed to the client's `startup` event.

    python bench/baseline_window.py URL RESULT_JSON [--storage DIR] [--timeout S] [--sign-in FILE]

Nothing of the launcher is imported. Before the first document exists (pywebview's blocking
`before_show`, on the Qt thread) a document-start script is added that stamps the wall-clock time of the
page's `startup` CustomEvent, so the figure does not depend on how often Python looks. A worker thread
waits for the stamp, writes RESULT_JSON (ms since the kernel started this process, the launcher's
timeline reference) and closes the window. The page's client fires `startup` after its own sign-in from
stored credentials (a resume login), so with a signed-in `--storage` the figure is the floor of a
signed-in start. `--sign-in FILE` ({"username", "password"}, a throw-away sandbox account) types them
into the page's own login form after `startup`, to make such a storage folder. This file is also the
entry of the plain pywebview bundle that `--bundles` builds for the size comparison.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

_IMPORTED = time.time()
_STAMP = "__benchStartup"
_LISTENER = (
    "window.addEventListener('startup', function () {"
    f" if (window.{_STAMP}) return; window.{_STAMP} = performance.timeOrigin + performance.now();"
    " window.__benchSignedIn = !!localStorage.getItem('Meteor.loginToken'); });"
)
_SIGN_IN = (
    "(function (c) { var f = document.getElementById('login-form'); if (!f) return false;"
    " f.username.value = c.username; f.password.value = c.password; f.requestSubmit(); return true; })"
)


def _process_start() -> float:
    """Epoch seconds at which the kernel started this process (Linux); else the time of this import."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        started = time.time() - (uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return _IMPORTED
    return min(started, _IMPORTED)


def main(argv: list[str]) -> int:
    start = _process_start()
    args = list(argv)
    storage = _option(args, "--storage")
    timeout = float(_option(args, "--timeout") or 60)
    sign_in = _option(args, "--sign-in")
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    url, result_file = args[0], Path(args[1])

    import webview

    result: dict[str, object] = {"unit": "ms since process start", "process_start_epoch": start}

    def ms(epoch: float) -> float:
        return round((epoch - start) * 1000.0, 1)

    window = webview.create_window("Baseline", url, width=1180, height=780)

    def before_show(window: webview.Window) -> None:
        from qtpy.QtWebEngineCore import QWebEngineScript

        script = QWebEngineScript()
        script.setName("bench-startup-stamp")
        script.setSourceCode(_LISTENER)
        script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
        script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
        script.setRunsOnSubFrames(False)
        window.native.webview.page().scripts().insert(script)

    window.events.before_show += before_show
    window.events.shown += lambda: result.setdefault("window_shown", ms(time.time()))
    window.events.loaded += lambda: result.setdefault("page_loaded", ms(time.time()))

    def wait_for_startup() -> None:
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                stamp = window.evaluate_js(f"window.{_STAMP} || null")
                if isinstance(stamp, int | float):
                    result["startup"] = ms(stamp / 1000.0)
                    result["signed_in_at_startup"] = window.evaluate_js("window.__benchSignedIn === true")
                    break
                time.sleep(0.02)
            if sign_in and "startup" in result:
                result["signed_in"] = _sign_in(window, Path(sign_in), deadline)
        except Exception as exc:  # the page never loaded: report it rather than hang
            result["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            result["renderer"] = webview.renderer
            _write(result_file, result)
            window.destroy()

    webview.start(wait_for_startup, gui="qt", private_mode=storage is None, storage_path=storage)
    return 0 if "startup" in result else 3


def _sign_in(window: Any, credentials: Path, deadline: float) -> bool:
    """Submit the page's own login form; True once the page has stored its login token."""
    values = json.loads(credentials.read_text(encoding="utf-8"))
    login = {"username": values["username"], "password": values["password"]}
    if window.evaluate_js(f"{_SIGN_IN}({json.dumps(login)})") is not True:
        return False
    while time.monotonic() < deadline:
        if window.evaluate_js("!!localStorage.getItem('Meteor.loginToken')") is True:
            return True
        time.sleep(0.05)
    return False


def _option(args: list[str], name: str) -> str | None:
    if name not in args:
        return None
    index = args.index(name)
    value = args[index + 1]
    del args[index : index + 2]
    return value


def _write(path: Path, data: dict[str, object]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
