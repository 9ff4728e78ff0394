"""The Qt WebEngine side of tests.support.browser: one window, driven by JSON lines on stdin/stdout.

Why a subprocess: a QApplication is process-wide and Chromium cannot be restarted in a process, so every
test gets its own short-lived process; a crash or hang there cannot take the test run down.

Protocol: the first stdin line is the configuration ``{"init_script", "storage_dir", "width",
"height"}``; the driver answers ``{"ready": true}``. Then each request ``{"id", "cmd", ...}`` gets exactly
one answer ``{"id", "ok": true, "result"}`` or ``{"id", "ok": false, "error", "kind"}``. The driver quits on
``{"cmd": "quit"}`` or when stdin reaches EOF (the test process died).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PyQt6 import sip
from PyQt6.QtCore import QObject, QTimer, QUrl, pyqtSignal
from PyQt6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineScript
from PyQt6.QtWebEngineWidgets import QWebEngineView
from PyQt6.QtWidgets import QApplication

_EVAL_SOURCE_URL = "rcl-page-driver-eval"
_PROMISE_POLL_MS = 15
_STRAGGLER_SECONDS = 3.0
_LEVELS = {
    QWebEnginePage.JavaScriptConsoleMessageLevel.InfoMessageLevel: "info",
    QWebEnginePage.JavaScriptConsoleMessageLevel.WarningMessageLevel: "warning",
    QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel: "error",
}

# Evaluates the caller's code as an expression; a Promise result is parked in window.__rclDriver and
# polled, so the page's own code keeps running. ``%(code)s`` sits on its own lines so that a trailing
# ``// comment`` cannot swallow the closing parenthesis.
_EXPRESSION_WRAPPER = """(function () {
  var d = window.__rclDriver || (window.__rclDriver = {});
  var v;
  try {
    v = (
%(code)s
    );
  } catch (e) {
    return {__rcl: "error", error: String(e && e.stack || e)};
  }
  if (v !== null && (typeof v === "object" || typeof v === "function") && typeof v.then === "function") {
    d[%(slot)s] = {state: "pending"};
    Promise.resolve(v).then(
      function (r) { d[%(slot)s] = {state: "fulfilled", value: r === undefined ? null : r}; },
      function (e) { d[%(slot)s] = {state: "rejected", error: String(e && e.stack || e)}; });
    return {__rcl: "promise"};
  }
  return {__rcl: "value", value: v === undefined ? null : v};
})()
//# sourceURL=%(source_url)s
"""
_TAKE_PROMISE = """(function () {
  var d = window.__rclDriver, r = d && d[%(slot)s];
  if (!r) { return {state: "lost"}; }
  if (r.state !== "pending") { delete d[%(slot)s]; }
  return r;
})()
//# sourceURL=%(source_url)s
"""


class _DriverError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class _Page(QWebEnginePage):
    """A page that records console messages (uncaught errors arrive here too)."""

    def __init__(self, profile: QWebEngineProfile, parent: QObject) -> None:
        super().__init__(profile, parent)
        self.console: list[dict[str, Any]] = []
        self.probes_in_flight = 0

    def javaScriptConsoleMessage(  # Qt's name
        self,
        level: QWebEnginePage.JavaScriptConsoleMessageLevel,
        message: str | None,
        line: int,
        source: str | None,
    ) -> None:
        if source == _EVAL_SOURCE_URL:
            return  # our own scripts are not page output
        message = message or ""
        if self.probes_in_flight and message.startswith("Uncaught SyntaxError"):
            return  # the expression attempt of a statement-style eval (reported with the page's URL)
        self.console.append(
            {"level": _LEVELS.get(level, "info"), "message": message, "source": source, "line": line}
        )


class _StdinReader(QObject):
    """Reads request lines in a thread and hands them to the Qt main thread."""

    line = pyqtSignal(str)
    eof = pyqtSignal()

    def start(self) -> None:
        threading.Thread(target=self._run, name="stdin-reader", daemon=True).start()

    def _run(self) -> None:
        for raw in sys.stdin:
            if raw.strip():
                self.line.emit(raw)
        self.eof.emit()


class _Driver(QObject):
    def __init__(self, app: QApplication, config: dict[str, Any], out: Any) -> None:
        super().__init__()
        self._app = app
        self._out = out
        storage_dir = config.get("storage_dir")
        if storage_dir:
            self._profile = QWebEngineProfile("rcl-test-browser", app)
            self._profile.setPersistentStoragePath(str(storage_dir))
            self._profile.setCachePath(os.path.join(str(storage_dir), "cache"))
        else:
            self._profile = QWebEngineProfile(app)  # no storage name: off the record
        self._view = QWebEngineView()
        self._page = _Page(self._profile, self._view)
        self._view.setPage(self._page)
        self._view.resize(int(config.get("width", 1024)), int(config.get("height", 700)))
        self._slot = 0
        if config.get("init_script"):
            self._add_init_script(str(config["init_script"]))
        self._view.show()

    # -- plumbing --------------------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        self._out.write(json.dumps(message, default=repr) + "\n")
        self._out.flush()

    def handle_line(self, raw: str) -> None:
        try:
            request = json.loads(raw)
            rid = request["id"]
            handler = getattr(self, "_cmd_" + str(request["cmd"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self.send(
                {"id": None, "ok": False, "kind": "protocol", "error": f"bad request {raw[:200]!r}: {exc}"}
            )
            return
        answered = False

        def reply(result: Any = None, error: _DriverError | None = None) -> None:
            nonlocal answered
            if answered:
                return
            answered = True
            if error is None:
                self.send({"id": rid, "ok": True, "result": result})
            else:
                self.send({"id": rid, "ok": False, "kind": error.kind, "error": str(error)})

        try:
            handler(request, reply)
        except _DriverError as exc:
            reply(error=exc)
        except Exception as exc:
            reply(error=_DriverError("internal", f"{type(exc).__name__}: {exc}"))

    def quit(self) -> None:
        self._view.close()
        self._app.quit()

    def dispose(self) -> None:
        """Delete page, view, then profile: a persistent profile flushes its storage only when deleted
        after every page using it (Qt warns "Release of profile requested but WebEnginePage still not
        deleted" otherwise)."""
        sip.delete(self._page)
        sip.delete(self._view)
        sip.delete(self._profile)

    def _after(self, seconds: float, callback: Callable[[], None]) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(callback)
        timer.start(max(0, int(seconds * 1000)))
        return timer

    def _add_init_script(self, source: str) -> None:
        script = QWebEngineScript()
        script.setName(f"rcl-init-{len(self._page.scripts().toList())}")
        script.setSourceCode(source)
        script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
        script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
        script.setRunsOnSubFrames(False)
        self._page.scripts().insert(script)

    # -- commands --------------------------------------------------------------------------------

    def _cmd_open(self, request: dict[str, Any], reply: Callable[..., None]) -> None:
        url = QUrl(str(request["url"]))
        if not url.isValid() or url.scheme() == "":
            raise _DriverError("load", f"not a valid absolute URL: {request['url']!r}")
        timeout = float(request.get("timeout", 15))

        def finished(ok: bool) -> None:
            done()
            if ok:
                reply(self._view.url().toString())
            else:
                reply(error=_DriverError("load", f"loading {url.toString()} failed (loadFinished(false))"))

        def timed_out() -> None:
            done()
            reply(
                error=_DriverError("timeout", f"{url.toString()} did not finish loading within {timeout:g} s")
            )

        def done() -> None:
            timer.stop()
            with contextlib.suppress(TypeError):
                self._page.loadFinished.disconnect(finished)

        self._page.loadFinished.connect(finished)
        timer = self._after(timeout, timed_out)
        self._view.load(url)

    def _cmd_eval(self, request: dict[str, Any], reply: Callable[..., None]) -> None:
        code = str(request["js"])
        timeout = float(request.get("timeout", 10))
        self._slot += 1
        slot = json.dumps(f"s{self._slot}")
        timer = self._after(
            timeout,
            lambda: reply(error=_DriverError("timeout", f"the script did not finish within {timeout:g} s")),
        )

        def finish(result: Any = None, error: _DriverError | None = None) -> None:
            timer.stop()
            reply(result, error)

        def on_wrapped(result: Any) -> None:
            self._page.probes_in_flight -= 1
            if not isinstance(result, dict) or "__rcl" not in result:
                # Not an expression (a SyntaxError in the wrapper): run it as a plain script.
                self._page.runJavaScript(code, lambda value: finish(value))
            elif result["__rcl"] == "error":
                finish(error=_DriverError("javascript", str(result.get("error"))))
            elif result["__rcl"] == "promise":
                poll_promise()
            else:
                finish(result.get("value"))

        def poll_promise() -> None:
            if not timer.isActive():
                return
            self._page.runJavaScript(
                _TAKE_PROMISE % {"slot": slot, "source_url": _EVAL_SOURCE_URL}, on_promise_state
            )

        def on_promise_state(state: Any) -> None:
            status = state.get("state") if isinstance(state, dict) else "lost"
            if status == "fulfilled":
                finish(state.get("value"))
            elif status == "rejected":
                finish(error=_DriverError("javascript", f"the promise was rejected: {state.get('error')}"))
            elif status == "lost":
                finish(error=_DriverError("javascript", "the page navigated away before the promise settled"))
            else:
                self._after(_PROMISE_POLL_MS / 1000, poll_promise)

        wrapped = _EXPRESSION_WRAPPER % {"code": code, "slot": slot, "source_url": _EVAL_SOURCE_URL}
        self._page.probes_in_flight += 1
        self._page.runJavaScript(wrapped, on_wrapped)

    def _cmd_url(self, request: dict[str, Any], reply: Callable[..., None]) -> None:
        reply(self._view.url().toString())

    def _cmd_console(self, request: dict[str, Any], reply: Callable[..., None]) -> None:
        reply(list(self._page.console))

    def _cmd_add_init_script(self, request: dict[str, Any], reply: Callable[..., None]) -> None:
        self._add_init_script(str(request["js"]))
        reply(None)

    def _cmd_screenshot(self, request: dict[str, Any], reply: Callable[..., None]) -> None:
        path = str(request["path"])
        # Wait for two animation frames so the compositor has painted what the DOM shows now.
        frames = (
            "new Promise(function (r) { requestAnimationFrame(function () { requestAnimationFrame(r); }); })"
        )

        def grab(_: Any) -> None:
            if not self._view.grab().save(path, "PNG"):
                reply(error=_DriverError("screenshot", f"could not write {path}"))
            else:
                reply(path)

        self._page.runJavaScript(frames, lambda _: self._after(0.05, lambda: grab(None)))

    def _cmd_quit(self, request: dict[str, Any], reply: Callable[..., None]) -> None:
        reply(None)
        self.quit()


_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value)


def _reap_everything_after(child: int) -> int:
    """Wait for the Qt child and every process it left behind; return the child's exit code.

    Chromium's helper processes can outlive the driver by a moment; as a subreaper we inherit and
    reap them (killing stragglers after a few seconds), so nothing is left once this process exits.
    """
    code = 1
    signal.signal(signal.SIGTERM, lambda *_: _kill_quietly(child))
    straggler_deadline: float | None = None
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG if straggler_deadline is not None else 0)
        except ChildProcessError:
            return code
        except InterruptedError:
            continue
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            straggler_deadline = time.monotonic() + _STRAGGLER_SECONDS
        elif pid == 0:  # only stragglers left, none exited yet
            if straggler_deadline is not None and time.monotonic() > straggler_deadline:
                for orphan in _children():
                    _kill_quietly(orphan)
                straggler_deadline = time.monotonic() + _STRAGGLER_SECONDS
            time.sleep(0.02)


def _children() -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError), open(f"/proc/{entry}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[1] == me:
                    found.append(int(entry))
    return found


def _kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _run_qt() -> int:
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)  # the reaper died: go too
    # The protocol owns the real stdout; everything else printed to fd 1 (Qt, Chromium) goes to stderr.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    config = json.loads(sys.stdin.readline() or "{}")
    app = QApplication([sys.argv[0]])
    driver = _Driver(app, config, out)
    reader = _StdinReader()
    reader.line.connect(driver.handle_line)
    reader.eof.connect(driver.quit)
    reader.start()
    driver.send({"ready": True, "pid": os.getpid()})
    app.exec()
    driver.dispose()
    del driver
    app.processEvents()
    return 0


def main() -> int:
    # This process only reaps: it dies with the test process (stdin EOF reaches the Qt child as well).
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    child = os.fork()
    if child == 0:
        code = 1
        try:
            code = _run_qt()
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # so the test side sees EOF on stdout as soon as the Qt child is gone
    return _reap_everything_after(child)


if __name__ == "__main__":
    sys.exit(main())
