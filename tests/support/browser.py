"""A real Qt WebEngine page for tests, driven in a subprocess (tests.support.qt_page_driver).

Why: the web pages of this project (the Rocket.Chat stand-in's client, the token service's login page)
must be tested in the engine the launcher ships, under Xvfb, not in a fake DOM. The page runs in its own
process so that a crash or a hang becomes a clear exception here, never a stuck test run.

    with QtBrowser() as b:
        b.open(url)
        b.wait_for("document.querySelector('#ok')")
        b.eval("fetch('/api/info').then(r => r.status)")   # Promises are awaited
        b.console(); b.screenshot(path)
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "BrowserCrashed",
    "BrowserError",
    "JavaScriptError",
    "PageLoadError",
    "PageLoadTimeout",
    "QtBrowser",
    "ScriptTimeout",
    "WaitTimeout",
]

_REPO_ROOT = Path(__file__).resolve().parents[2]
_GRACE = 10.0  # seconds the Python side waits beyond a command's own timeout before declaring a hang
_POLL_INTERVAL = 0.05


class BrowserError(RuntimeError):
    """The page driver failed; the message says what happened."""


class BrowserCrashed(BrowserError):
    """The driver process exited or stopped answering; the message carries its stderr tail."""


class PageLoadError(BrowserError):
    """A page did not load (network error, bad URL)."""


class PageLoadTimeout(PageLoadError, TimeoutError):
    """A page did not finish loading within its deadline."""


class JavaScriptError(BrowserError):
    """The evaluated script threw, or its Promise was rejected."""


class ScriptTimeout(BrowserError, TimeoutError):
    """A script (or its Promise) did not finish within its deadline."""


class WaitTimeout(BrowserError, TimeoutError):
    """``wait_for`` saw no truthy value within its deadline."""


class QtBrowser:
    """One Qt WebEngine window (about 1024x700) on the test display, in a subprocess.

    ``init_script`` runs in every page at document creation, in the main world (before the page's own
    scripts). ``storage_dir`` gives a persistent profile there; without it the profile is off the record.
    ``env`` is the subprocess environment (default: ``os.environ``, i.e. the private desktop session).
    ``hang_grace``: how long past a command's own timeout the driver may stay silent before it is
    declared hung, killed, and BrowserCrashed raised.
    """

    def __init__(
        self,
        init_script: str | None = None,
        storage_dir: str | os.PathLike[str] | None = None,
        size: tuple[int, int] = (1024, 700),
        env: dict[str, str] | None = None,
        start_timeout: float = 30.0,
        hang_grace: float = _GRACE,
    ) -> None:
        self._config = {
            "init_script": init_script,
            "storage_dir": os.fspath(storage_dir) if storage_dir is not None else None,
            "width": size[0],
            "height": size[1],
        }
        self._env = env
        self._start_timeout = start_timeout
        self._hang_grace = hang_grace
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr_path: Path | None = None
        self._answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._next_id = 0
        self.startup_seconds: float | None = None
        self.driver_pid: int | None = None  # the Qt process (its parent, ``pid``, only reaps)

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> QtBrowser:
        if self._proc is not None:
            return self
        started = time.monotonic()
        fd, name = tempfile.mkstemp(prefix="rcl-qt-driver-", suffix=".log")
        self._stderr_path = Path(name)
        env = dict(os.environ if self._env is None else self._env)
        env["PYTHONUNBUFFERED"] = "1"
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.qt_page_driver"],
            cwd=_REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=fd,
        )
        os.close(fd)
        threading.Thread(target=self._read_answers, name="qt-driver-reader", daemon=True).start()
        self._write(self._config)
        ready = self._next_answer(time.monotonic() + self._start_timeout, "start")
        if not ready.get("ready"):
            self.close()
            raise BrowserCrashed(f"the Qt page driver sent {ready!r} instead of a ready message")
        self.driver_pid = int(ready["pid"])
        self.startup_seconds = time.monotonic() - started
        return self

    def close(self) -> None:
        """Ask the driver to quit, then make sure it is gone (terminate, kill)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                assert proc.stdin is not None
                proc.stdin.write(b'{"id": -1, "cmd": "quit"}\n')
                proc.stdin.flush()
            with contextlib.suppress(OSError, ValueError):
                proc.stdin.close()  # type: ignore[union-attr]
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc = proc
                self._kill()
                self._proc = None
        with contextlib.suppress(OSError):
            assert proc.stdout is not None
            proc.stdout.close()
        if self._stderr_path is not None:
            self._stderr_path.unlink(missing_ok=True)
            self._stderr_path = None

    def __enter__(self) -> QtBrowser:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The subprocess we started: a small reaper whose child (``driver_pid``) runs Qt."""
        return self._proc.pid if self._proc is not None else None

    # -- page API --------------------------------------------------------------------------------

    def open(self, url: str, timeout: float = 15) -> str:
        """Navigate and wait for loadFinished(ok); returns the URL the page ended on."""
        answer = self._command("open", timeout, url=url)
        return str(answer)

    def eval(self, js: str, timeout: float = 10) -> Any:
        """The value of ``js`` (an expression, or a script's completion value); Promises are awaited.

        The value crosses as JSON (DOM nodes and functions come back as ``{}`` or ``None``).
        """
        return self._command("eval", timeout, js=js)

    def wait_for(self, js_expr: str, timeout: float = 10, interval: float = _POLL_INTERVAL) -> Any:
        """Poll ``js_expr`` until it is truthy and return that value; errors while polling count as falsy."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            remaining = deadline - time.monotonic()
            try:
                last = self.eval(js_expr, timeout=max(1.0, min(remaining, 10.0)))
            except JavaScriptError as exc:
                last = f"<error: {exc}>"
            except TimeoutError as exc:
                last = f"<timeout: {exc}>"
            else:
                if last:
                    return last
            if time.monotonic() >= deadline:
                messages = "\n".join(
                    f"  [{m['level']}] {m['message']} ({m['source']}:{m['line']})" for m in self.console()
                )
                raise WaitTimeout(
                    f"{js_expr!r} stayed falsy for {timeout:g} s on {self.url()}; last value: {last!r}\n"
                    f"console:\n{messages or '  (empty)'}"
                )
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))

    def url(self) -> str:
        return str(self._command("url", 5))

    def console(self) -> list[dict[str, Any]]:
        """Console messages so far: ``{"level": "info"|"warning"|"error", "message", "source", "line"}``.

        Uncaught exceptions appear here as ``error`` messages starting with ``Uncaught``.
        """
        return list(self._command("console", 5))

    def screenshot(self, path: str | os.PathLike[str], timeout: float = 10) -> Path:
        """Grab the view (after the next painted frame) to a PNG file."""
        target = Path(path).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        self._command("screenshot", timeout, path=str(target))
        return target

    def add_init_script(self, js: str) -> None:
        """Add a document-creation script for the pages loaded from now on."""
        self._command("add_init_script", 5, js=js)

    def stderr_tail(self, lines: int = 30) -> str:
        if self._stderr_path is None:
            return ""
        try:
            text = self._stderr_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -- plumbing --------------------------------------------------------------------------------

    def _command(self, cmd: str, timeout: float, **fields: Any) -> Any:
        if self._proc is None:
            raise BrowserError(
                f"the browser is not running (call start() or use it as a context manager) for {cmd}"
            )
        self._next_id += 1
        rid = self._next_id
        self._write({"id": rid, "cmd": cmd, "timeout": timeout, **fields})
        deadline = time.monotonic() + timeout + self._hang_grace
        while True:
            answer = self._next_answer(deadline, cmd)
            if answer.get("id") == rid:
                break
            if answer.get("id") is None and answer.get("kind") == "protocol":
                raise BrowserError(str(answer.get("error")))
            # else: a late answer to an earlier command that timed out here; skip it
        if answer.get("ok"):
            return answer.get("result")
        kind, error = answer.get("kind"), str(answer.get("error"))
        if kind == "timeout":
            raise (PageLoadTimeout if cmd == "open" else ScriptTimeout)(error)
        if kind == "load":
            raise PageLoadError(error)
        if kind == "javascript":
            raise JavaScriptError(error)
        raise BrowserError(f"{cmd} failed: {error}")

    def _write(self, message: dict[str, Any]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write((json.dumps(message) + "\n").encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise self._crashed(f"could not send a command ({exc})") from exc

    def _read_answers(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        for raw in proc.stdout:
            try:
                self._answers.put(json.loads(raw))
            except ValueError:
                continue  # not protocol output; the driver routes everything else to stderr
        self._answers.put(None)

    def _next_answer(self, deadline: float, what: str) -> dict[str, Any]:
        try:
            answer = self._answers.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            error = self._crashed(f"no answer to {what!r} before the deadline (the driver hangs)")
            self._kill()
            raise error from None
        if answer is None:
            self._answers.put(None)  # every later call sees the crash as well
            proc = self._proc
            if proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
            raise self._crashed(f"the driver exited during {what!r}")
        return answer

    def _crashed(self, what: str) -> BrowserCrashed:
        code = self._proc.poll() if self._proc is not None else None
        return BrowserCrashed(
            f"Qt page driver (pid {self.pid}, exit code {code}): {what}.\n--- stderr tail ---\n{self.stderr_tail()}"
        )

    def _kill(self) -> None:
        """Kill the Qt process (SIGKILL also ends a stopped one); its reaper parent then exits."""
        if self._proc is None or self._proc.poll() is not None:
            return
        if self.driver_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.driver_pid, signal.SIGKILL)
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=5)
