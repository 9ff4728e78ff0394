"""`Recorder`: writes down the states one window run goes through, for the bundle test and the demo.

With ROCKETCHAT_LAUNCHER_RECORD=<dir>, `app.run` attaches one: for each state the window reaches it
waits until the page is painted, saves <dir>/NN-<state>.png and the page's text in <dir>/report.json,
and closes the window on the first state named in <dir>/plan.json's "finish_on" (default: signed-in or
error; "timeout" in seconds, default 60). It only watches: it types nothing, clicks nothing and takes
no commands (the tests' remote control lives in tests/support/). Why it ships: the bundle test has to
see the frozen program's own window signed in, with its renderer and a screenshot.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from launcher.window.navigation import redact

__all__ = ["ENV_VAR", "Recorder", "read_json"]

ENV_VAR = "ROCKETCHAT_LAUNCHER_RECORD"

PAINTED = {
    # state -> JS condition that is true once the state's page is on screen
    "signin": "document.body && document.body.getAttribute('data-ready') === 'true'",
    "error": "document.body && document.body.getAttribute('data-ready') === 'true'",
    "signin-failed": (
        "(function(){var e=document.getElementById('error'), b=document.getElementById('submit');"
        "return !!(e && e.textContent && b && b.getAttribute('aria-busy') === 'false');})()"
    ),
    "signing-in": "location.protocol !== 'file:' && !!(window.__rcLauncher && window.__rcLauncher.shownAt)",
    "signed-in": (
        "!!(window.__rcLauncher && !window.__rcLauncher.coverVisible) && document.readyState === 'complete'"
        " && !document.querySelector('rocketchat-launcher-cover')"  # faded out and removed
    ),
}

PAGE_FACTS = """(function () {
  var r = window.__rcLauncher;
  return {
    origin: location.origin,
    path: location.pathname,
    text: document.body ? document.body.innerText : '',
    cover: !!(r && r.coverVisible),
    coverShownMs: r && r.shownAt ? (r.hiddenAt || Date.now()) - r.shownAt : null,
    rcLoggedInEvent: !!(r && r.loggedIn),
    // plain, or namespaced (':<url>:<path>') when Rocket.Chat is served under a ROOT_URL path
    meteorUserId: (function () {
      try {
        for (var i = 0; i < localStorage.length; i++) {
          var key = localStorage.key(i);
          if (key === 'Meteor.userId' || key.indexOf('Meteor.userId:') === 0) return localStorage.getItem(key);
        }
      } catch (e) {}
      return null;
    })()
  };
})()"""


class Recorder:
    """Records one run of the window (see the module docstring); `attach` it before the window opens."""

    def __init__(self, directory: Path, plan: dict[str, Any] | None = None) -> None:
        """`plan` defaults to the directory's plan.json."""
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.plan: dict[str, Any] = plan if plan is not None else read_json(directory / "plan.json") or {}
        self.shell: Any = None
        self.done = threading.Event()
        self.seen: dict[str, int] = {}
        self.report: dict[str, Any] = {"renderer": None, "states": [], "actions": [], "result": None}
        self._start = time.monotonic()
        self._count = 0
        self._lock = threading.Lock()

    def attach(self, shell: Any) -> None:
        self.shell = shell
        shell.add_listener(self._on_state)
        threading.Thread(target=self._watchdog, name="recorder-watchdog", daemon=True).start()

    def _on_state(self, state: str, info: dict[str, Any]) -> None:
        if self.done.is_set() or state == "closed":
            if state == "closed":
                self.write()
            return
        self.on_state(state, info, self.record(state, info))

    def on_state(self, state: str, info: dict[str, Any], entry: dict[str, Any]) -> None:
        """After `state` was recorded: count it, and finish the run when the plan says so."""
        self.seen[state] = self.seen.get(state, 0) + 1
        if self.finishes_on(state):
            self.finish("finished", state)

    def finishes_on(self, state: str) -> bool:
        wanted = self.plan.get("finish_on", ["signed-in", "error"])
        return state in wanted or f"{state}@{self.seen.get(state, 0)}" in wanted

    def record(self, state: str, info: dict[str, Any]) -> dict[str, Any]:
        shell = self.shell
        painted = self.wait_js(PAINTED.get(state, "true"), 15.0)
        self._wait_frames()
        self._count += 1
        shot = self.dir / f"{self._count:02d}-{state}.png"
        saved = shell.screenshot(shot) or _import_root(shot)
        entry = {
            "state": state,
            "t_ms": round((time.monotonic() - self._start) * 1000),
            "painted": painted,
            "url": redact(shell.current_url()),
            "screenshot": shot.name if saved else None,
            "info": {k: v for k, v in info.items() if isinstance(v, str | int | float | bool) or v is None},
            **self.page_facts(),
        }
        with self._lock:
            self.report["renderer"] = shell.renderer
            self.report["states"].append(entry)
        self.write()
        return entry

    def page_facts(self) -> dict[str, Any]:
        facts = self.shell.evaluate(PAGE_FACTS)
        return facts if isinstance(facts, dict) else {"text": None}

    def wait_js(self, condition: str, timeout: float) -> bool:
        """Whether `condition` became true in the page within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.shell.evaluate(f"!!({condition})") is True:
                return True
            time.sleep(0.05)
        return False

    def _wait_frames(self) -> None:
        """Wait until the page has rendered two more frames (what is on screen matches the DOM)."""
        self.shell.evaluate(
            "window.__recorderFrames = 0; requestAnimationFrame(function () {"
            " requestAnimationFrame(function () { window.__recorderFrames = 2; }); }); true"
        )
        self.wait_js("window.__recorderFrames === 2", 3.0)

    def finish(self, result: str, state: str | None) -> None:
        if self.done.is_set():
            return
        self.done.set()
        self.report["result"] = result
        self.report["final_state"] = state
        self.write()
        # a finished run says nothing (the demo prints its own result); only a failed one gives a reason
        if result == "finished":
            self.shell.request_exit(0, "")
        else:
            self.shell.request_exit(3, f"recorded run {result}")

    def _watchdog(self) -> None:
        if self.done.wait(float(self.plan.get("timeout", 60))):
            return
        self.finish("timeout", self.shell.state)
        time.sleep(15)
        os._exit(3)  # the window did not close: never leave a test or the demo hanging

    def write(self) -> None:
        """report.json, replaced whole. The state listener, the watchdog and a test's driver write from
        their own threads: one at a time, or two writers interleave in the one temporary file and leave
        a report no one can read."""
        with self._lock:
            self.report["external_opened"] = list(self.shell.external_opened) if self.shell else []
            data = json.dumps(self.report, indent=2)
            tmp = self.dir / "report.json.tmp"
            tmp.write_text(data, encoding="utf-8")
            os.replace(tmp, self.dir / "report.json")


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None (missing, unreadable, not an object)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _import_root(path: Path) -> bool:
    """Fallback screenshot of the whole X screen with ImageMagick."""
    display = os.environ.get("DISPLAY")
    if not display:
        return False
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(["import", "-window", "root", "-display", display, str(path)], timeout=20, check=True)
        return path.exists()
    return False
