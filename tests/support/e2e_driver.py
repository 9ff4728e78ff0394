"""The tests' remote control of the real window, started by tests/support/e2e_entry.py (never shipped).

It records like the launcher's `Recorder` (launcher/window/recorder.py: a screenshot, the page's text
and the renderer per state, <dir>/report.json) and also drives the window as a person would. The test
writes into <dir>:

- input.json (optional): {"username", "password", "remember"}: typed into the real sign-in form
  (through the page DOM) and submitted, the first time the sign-in page shows. A throw-away password.
- plan.json (optional): {"finish_on": ["signed-in", "signin@2", ...], "timeout": 60,
  "after_signed_in": [{"do": "click-link", "url": ..., "target": "_blank"|"_self"},
                      {"do": "navigate", "url": ...}, {"do": "menu", "title": "Sign out"}],
  "hold": true, "keep_web_session": true}
- With "keep_web_session", a run finishing on "signed-in" first waits until Chromium wrote Rocket.Chat's
  login (the Meteor.loginToken key) to the profile's localStorage on disk: Chromium commits it seconds
  after the write and loses it when the process ends first, and a returning profile should hold it.
- With "hold", the run stays open once signed in and answers commands the test writes while it runs:
  <dir>/cmd-N.json (N = 1, 2, ...) -> <dir>/ans-N.json (tests/support/e2e_commands.py lists them).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from devstack.typist import signin_form_script
from launcher.window.navigation import redact
from launcher.window.recorder import Recorder, read_json
from tests.support import e2e_commands

ENV_VAR = "ROCKETCHAT_LAUNCHER_E2E"


class E2EDriver(Recorder):
    """Records and drives one launcher run for a test (see the module docstring)."""

    def __init__(
        self, directory: Path, plan: dict[str, Any] | None = None, sign_in: dict[str, Any] | None = None
    ) -> None:
        """`plan` and `sign_in` default to the directory's plan.json and input.json."""
        super().__init__(directory, plan)
        self._input = sign_in if sign_in is not None else read_json(directory / "input.json")
        self._holding = False

    def attach(self, shell: Any) -> None:
        if self._input is not None:
            shell.expect_typed_sign_in()
        super().attach(shell)

    def on_state(self, state: str, info: dict[str, Any], entry: dict[str, Any]) -> None:
        if state == "signin" and self._input is not None:
            data, self._input = self._input, None
            entry["filled"] = self._fill_and_submit(data)
        if state == "signed-in":
            for action in self.plan.get("after_signed_in", []):
                self.report["actions"].append(self._act(action))
            self.report["after_actions"] = self.page_facts()
            self.report["after_actions"]["url"] = redact(self.shell.current_url())
        self.seen[state] = self.seen.get(state, 0) + 1
        if state == "signed-in" and self.plan.get("hold") and not self._holding:
            self._holding = True
            threading.Thread(target=self._serve_commands, name="e2e-commands", daemon=True).start()
            return
        if self._holding:
            return  # held: the test's "finish" ends the run, whatever the window goes through meanwhile
        if self.finishes_on(state):
            if state == "signed-in" and self.plan.get("keep_web_session"):
                self._wait_for_stored_login()
            self.finish("finished", state)

    def _fill_and_submit(self, data: dict[str, Any]) -> bool:
        script = signin_form_script(
            str(data.get("username", "")),
            str(data.get("password", "")),
            remember=bool(data.get("remember", True)),
            submit=True,
        )
        return self.shell.evaluate(script) is True

    def _act(self, action: dict[str, Any]) -> dict[str, Any]:
        shell = self.shell
        kind = action.get("do")
        url = action.get("url", "")
        before = len(shell.external_opened)
        result: dict[str, Any] = {"do": kind, "url": url}
        if kind == "click-link":
            target = action.get("target", "_self")
            script = (
                "(function (u, t) { var old = document.getElementById('e2e-external-link'); if (old) old.remove();"
                " var a = document.createElement('a'); a.href = u; a.target = t;"
                " a.textContent = 'external link'; a.id = 'e2e-external-link'; document.body.appendChild(a);"
                " return true; })(" + json.dumps(url) + ", " + json.dumps(target) + ")"
            )
            added = shell.evaluate(script) is True
            # a real mouse click: a pop-up opens only from a person's gesture, which a script has not
            clicked = added and e2e_commands.click(self, {"selector": "#e2e-external-link"})["clicked"]
            result["clicked"] = bool(clicked)
        elif kind == "navigate":
            result["clicked"] = shell.evaluate(f"location.assign({json.dumps(url)}); true") is True
        elif kind == "menu":
            result["clicked"] = e2e_commands.trigger_menu(shell.engine, action.get("title", ""))
            return result
        else:
            result["error"] = "unknown action"
            return result
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(shell.external_opened) <= before:
            time.sleep(0.05)
        result["opened_externally"] = shell.external_opened[before:]
        result["origin_after"] = self.page_facts().get("origin")
        return result

    def _serve_commands(self) -> None:
        number = 1
        while not self.done.is_set():
            command = read_json(self.dir / f"cmd-{number}.json")
            if command is None:
                time.sleep(0.05)
                continue
            try:
                answer = e2e_commands.run(self, command)
            except Exception as exc:  # report it to the test rather than hang it
                answer = {"error": repr(exc)}
            tmp = self.dir / f"ans-{number}.json.tmp"
            tmp.write_text(json.dumps(answer), encoding="utf-8")
            os.replace(tmp, self.dir / f"ans-{number}.json")
            number += 1
            if command.get("do") == "finish":
                self.finish("finished", self.shell.state)

    def _wait_for_stored_login(self, timeout: float = 30.0) -> None:
        leveldb = self.shell.paths.webview_storage_dir / "Local Storage" / "leveldb"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path in leveldb.iterdir() if leveldb.is_dir() else []:
                with contextlib.suppress(OSError):
                    if path.is_file() and b"Meteor.loginToken" in path.read_bytes():
                        self.report["web_session_stored"] = True
                        return
            time.sleep(0.2)
        self.report["web_session_stored"] = False


def from_environment(env: dict[str, str] | os._Environ[str] = os.environ) -> E2EDriver | None:
    directory = env.get(ENV_VAR)
    return E2EDriver(Path(directory)) if directory else None
