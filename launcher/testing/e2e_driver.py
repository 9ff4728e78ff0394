"""Test-only driver for end-to-end tests of the real window. Inert unless ROCKETCHAT_LAUNCHER_E2E is set.

ROCKETCHAT_LAUNCHER_E2E=<dir> makes the launcher, for each state the window reaches, wait until the page
is painted, save <dir>/NN-<state>.png (a Qt grab) and record the page's text; then write <dir>/report.json
and close the window when the plan says so. The test writes:

- <dir>/input.json (optional): {"username", "password", "remember"}: typed into the real sign-in form
  (through the page DOM) and submitted, the first time the sign-in page shows. A throw-away password.
- <dir>/plan.json (optional): {"finish_on": ["signed-in", "signin@2", ...], "timeout": 60,
  "after_signed_in": [{"do": "click-link", "url": ..., "target": "_blank"|"_self"},
                      {"do": "navigate", "url": ...}, {"do": "menu", "title": "Sign out"}],
  "hold": true, "keep_web_session": true}
- With "keep_web_session", a run finishing on "signed-in" first waits until Chromium wrote Rocket.Chat's
  login (the Meteor.loginToken key) to the profile's localStorage on disk: Chromium commits it seconds
  after the write and loses it when the process ends first, and a returning profile should hold it.
- With "hold", the run stays open once signed in and answers commands the test writes while it runs:
  <dir>/cmd-N.json (N = 1, 2, ...) -> <dir>/ans-N.json. Commands: {"do": "facts"} (window title,
  visibility, geometry, unread count, tray, notifications shown, page facts), {"do": "tray-icon",
  "path"} (the tray icon as drawn), {"do": "screenshot", "path"}, {"do": "close-window"} (as the
  window's close button), {"do": "set-geometry", "x", "y", "width", "height"}, {"do": "tray", "title"}
  (a tray menu entry), {"do": "key", "key": "Ctrl+="} (a key press in the page), {"do": "page-command",
  "message": {"externalCommand": ...}} (posted to Rocket.Chat as its iframe integration would), {"do": "finish"}.

Nothing here is reachable from a page; it only drives the window from Python, like a person would.
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

from launcher.testing import download_commands
from launcher.window.navigation import redact

ENV_VAR = "ROCKETCHAT_LAUNCHER_E2E"

_PAINTED = {
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

_PAGE_FACTS = """(function () {
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


def from_environment(env: dict[str, str] | os._Environ[str] = os.environ) -> E2EDriver | None:
    directory = env.get(ENV_VAR)
    return E2EDriver(Path(directory)) if directory else None


class E2EDriver:
    """Records and drives one launcher run for a test (see module docstring)."""

    def __init__(
        self, directory: Path, plan: dict[str, Any] | None = None, sign_in: dict[str, Any] | None = None
    ) -> None:
        """`plan` and `sign_in` default to the directory's plan.json and input.json."""
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.plan: dict[str, Any] = plan if plan is not None else read_json(directory / "plan.json") or {}
        self._input = sign_in if sign_in is not None else read_json(directory / "input.json")
        self._shell: Any = None
        self._start = time.monotonic()
        self._count = 0
        self._seen: dict[str, int] = {}
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._holding = False
        self.report: dict[str, Any] = {"renderer": None, "states": [], "actions": [], "result": None}

    def attach(self, shell: Any) -> None:
        self._shell = shell
        if self._input is not None:
            shell.expect_typed_sign_in()
        shell.add_listener(self._on_state)
        threading.Thread(target=self._watchdog, name="e2e-watchdog", daemon=True).start()

    # ------------------------------------------------------------------ recording

    def _on_state(self, state: str, info: dict[str, Any]) -> None:
        if self._done.is_set() or state == "closed":
            if state == "closed":
                self._write()
            return
        entry = self._record(state, info)
        if state == "signin" and self._input is not None:
            data, self._input = self._input, None
            entry["filled"] = self._fill_and_submit(data)
        if state == "signed-in":
            for action in self.plan.get("after_signed_in", []):
                self.report["actions"].append(self._act(action))
            self.report["after_actions"] = self._facts()
            self.report["after_actions"]["url"] = redact(self._shell.current_url())
        self._seen[state] = self._seen.get(state, 0) + 1
        if state == "signed-in" and self.plan.get("hold") and not self._holding:
            self._holding = True
            threading.Thread(target=self._serve_commands, name="e2e-commands", daemon=True).start()
            return
        if self._holding:
            return  # held: the test's "finish" ends the run, whatever the window goes through meanwhile
        wanted = self.plan.get("finish_on", ["signed-in", "error"])
        if state in wanted or f"{state}@{self._seen[state]}" in wanted:
            if state == "signed-in" and self.plan.get("keep_web_session"):
                self._wait_for_stored_login()
            self._finish("finished", state)

    def _record(self, state: str, info: dict[str, Any]) -> dict[str, Any]:
        shell = self._shell
        painted = self._wait_js(_PAINTED.get(state, "true"), 15.0)
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
            **self._facts(),
        }
        with self._lock:
            self.report["renderer"] = shell.renderer
            self.report["states"].append(entry)
        self._write()
        return entry

    def _facts(self) -> dict[str, Any]:
        facts = self._shell.evaluate(_PAGE_FACTS)
        return facts if isinstance(facts, dict) else {"text": None}

    # ------------------------------------------------------------------ driving

    def _fill_and_submit(self, data: dict[str, Any]) -> bool:
        script = signin_form_script(
            str(data.get("username", "")),
            str(data.get("password", "")),
            remember=bool(data.get("remember", True)),
            submit=True,
        )
        return self._shell.evaluate(script) is True

    def _act(self, action: dict[str, Any]) -> dict[str, Any]:
        kind = action.get("do")
        url = action.get("url", "")
        before = len(self._shell.external_opened)
        result: dict[str, Any] = {"do": kind, "url": url}
        if kind == "click-link":
            target = action.get("target", "_self")
            script = (
                "(function (u, t) { var old = document.getElementById('e2e-external-link'); if (old) old.remove();"
                " var a = document.createElement('a'); a.href = u; a.target = t;"
                " a.textContent = 'external link'; a.id = 'e2e-external-link'; document.body.appendChild(a);"
                " return true; })(" + json.dumps(url) + ", " + json.dumps(target) + ")"
            )
            added = self._shell.evaluate(script) is True
            # a real mouse click: a pop-up opens only from a person's gesture, which a script has not
            engine = self._shell.engine
            native = getattr(engine, "native_window", None)
            clicked = added and self._click(native, engine, {"selector": "#e2e-external-link"})["clicked"]
            result["clicked"] = bool(clicked)
        elif kind == "navigate":
            result["clicked"] = self._shell.evaluate(f"location.assign({json.dumps(url)}); true") is True
        elif kind == "menu":
            result["clicked"] = self._shell.trigger_menu(action.get("title", ""))
            return result
        else:
            result["error"] = "unknown action"
            return result
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(self._shell.external_opened) <= before:
            time.sleep(0.05)
        result["opened_externally"] = self._shell.external_opened[before:]
        facts = self._facts()
        result["origin_after"] = facts.get("origin")
        return result

    # ------------------------------------------------------------------ commands while holding

    def _serve_commands(self) -> None:
        number = 1
        while not self._done.is_set():
            command = read_json(self.dir / f"cmd-{number}.json")
            if command is None:
                time.sleep(0.05)
                continue
            try:
                answer = self._command(command)
            except Exception as exc:  # report it to the test rather than hang it
                answer = {"error": repr(exc)}
            tmp = self.dir / f"ans-{number}.json.tmp"
            tmp.write_text(json.dumps(answer), encoding="utf-8")
            os.replace(tmp, self.dir / f"ans-{number}.json")
            number += 1
            if command.get("do") == "finish":
                self._finish("finished", self._shell.state)

    def _command(self, command: dict[str, Any]) -> dict[str, Any]:
        shell = self._shell
        desktop = shell.desktop
        kind = command.get("do")
        engine = shell.engine
        native = getattr(engine, "native_window", None)  # Qt's window: the tests drive the Qt engine
        if kind == "facts":
            links = {"links_opened": list(shell.links.opened), "link_pending": shell.links.pending}
            return {**desktop.facts(), **links, "state": shell.state, "page": self._facts()}
        if kind == "tray-icon":
            tray = desktop.tray
            ok = tray is not None and engine.on_ui_thread(lambda: tray.save_image(Path(command["path"])))
            return {"saved": bool(ok)}
        if kind == "screen":  # the whole screen: dialogs and menus are windows of their own
            from qtpy.QtGui import QGuiApplication

            def grab() -> bool:
                screen = QGuiApplication.primaryScreen()
                return bool(screen is not None and screen.grabWindow(0).save(str(command["path"]), "PNG"))

            return {"saved": bool(engine.on_ui_thread(grab, timeout=15.0))}
        if kind == "screenshot":
            return {"saved": shell.screenshot(Path(command["path"]))}
        if kind == "close-window":
            engine.on_ui_thread(native.close)
            return {"ok": True}
        if kind == "set-geometry":
            g = [int(command[k]) for k in ("x", "y", "width", "height")]
            engine.on_ui_thread(lambda: native.setGeometry(*g))
            return {"ok": True}
        if kind == "tray":
            tray = desktop.tray
            return {
                "clicked": bool(
                    tray is not None and engine.on_ui_thread(lambda: tray.trigger(command["title"]))
                )
            }
        if kind == "key":
            return {"sent": bool(engine.on_ui_thread(lambda: _press(native, str(command["key"]))))}
        if kind == "page-command":  # what an embedding page would post: {"externalCommand": ...}
            script = (
                "(function (o, m) { if (location.origin !== o) return false; window.postMessage(m, o);"
                " return true; })("
                + json.dumps(shell.rc_origin)
                + ", "
                + json.dumps(command["message"])
                + ")"
            )
            return {"posted": shell.evaluate(script) is True}
        if kind == "menu":
            return {"clicked": shell.trigger_menu(str(command.get("title", "")))}
        if kind == "workday":
            return engine.workday_facts()
        if kind == "js":  # a test's script in the page (what a person's typing or a page would do)
            return {"value": shell.evaluate(str(command["script"]))}
        if kind == "click":
            return self._click(native, engine, command)
        if kind == "answer-dialog":
            return {"clicked": bool(engine.on_ui_thread(lambda: _answer_dialog(engine, command)))}
        if kind == "raise-in-slot":  # a Qt slot that fails, as a buggy handler would

            def fail() -> None:
                raise RuntimeError("a handler failed on purpose (e2e)")

            engine.on_ui_thread(lambda: __import__("qtpy.QtCore").QtCore.QTimer.singleShot(0, fail))
            return {"scheduled": True}
        if kind == "click-popup":  # a person's click in the middle of the first in-app pop-up's page
            return {"clicked": bool(engine.on_ui_thread(lambda: _click_popup(engine)))}
        if kind == "popup-text":  # what the first in-app pop-up shows
            return {"text": _popup_text(engine)}
        if kind == "close-popups":
            return {"closed": engine.on_ui_thread(lambda: _close_popups(engine))}
        if kind == "close-menu":
            return {"closed": bool(engine.on_ui_thread(lambda: _close_menu(engine)))}
        if kind == "choose-menu":  # a person picking an entry of the right-click menu
            return {"chosen": bool(engine.on_ui_thread(lambda: _choose_menu(engine, str(command["text"]))))}
        if kind == "type":  # real key presses into the focused field (the spell checker reacts to typing)
            return {"typed": bool(engine.on_ui_thread(lambda: _type(native, str(command["text"]))))}
        if kind == "pick-files":  # a person choosing files in the launcher's picker
            return {"picked": bool(engine.on_ui_thread(lambda: _pick_files(engine, command["paths"])))}
        if kind == "save-as":  # a person typing a name into the download's Save As dialog
            return {"saved": bool(engine.on_ui_thread(lambda: _save_as(engine, str(command["name"]))))}
        if kind == "save-as-cancel":  # a person reading the Save As dialog, then pressing Cancel
            return engine.on_ui_thread(lambda: download_commands.save_as_cancel(engine)) or {
                "cancelled": False
            }
        if kind == "download-cancel":  # a person clicking the status bar's Cancel download button
            return engine.on_ui_thread(lambda: download_commands.cancel_button(native)) or {"clicked": False}
        if kind == "drop-files":  # files dragged from the desktop and dropped on an element
            return self._drop_files(native, engine, command)
        if kind == "copy-image":  # an image put on the clipboard (a screenshot tool would)
            return {"copied": bool(engine.on_ui_thread(_copy_image))}
        if kind == "finish":
            return {"ok": True}
        return {"error": f"unknown command {kind!r}"}

    def _click(self, native: Any, engine: Any, command: dict[str, Any]) -> dict[str, Any]:
        """A real mouse click (left or right) on the element `selector`, at `fx`/`fy` of its box: Qt
        input events into the web view, so the page sees a person's gesture."""
        box = self._box(command["selector"])
        if box is None:
            return {"clicked": False, "error": "no such element"}
        fx, fy = float(command.get("fx", 0.5)), float(command.get("fy", 0.5))

        def click() -> bool:
            from qtpy import QtCore
            from qtpy.QtTest import QTest

            view = native.webview
            zoom = view.zoomFactor()
            point = QtCore.QPoint(int((box[0] + box[2] * fx) * zoom), int((box[1] + box[3] * fy) * zoom))
            target = view.focusProxy() or view
            button = (
                QtCore.Qt.MouseButton.RightButton
                if command.get("button") == "right"
                else QtCore.Qt.MouseButton.LeftButton
            )
            QTest.mouseClick(target, button, QtCore.Qt.KeyboardModifier.NoModifier, point)
            return True

        return {"clicked": bool(engine.on_ui_thread(click))}

    def _drop_files(self, native: Any, engine: Any, command: dict[str, Any]) -> dict[str, Any]:
        """Qt's drag-enter and drag-move events with the files' URLs at the middle of `selector` (what the
        window gets when files are dragged from a file manager), then the drop once the page has seen the
        drag over it: Chromium drops only where the page's answer to the drag has come back."""
        box = self._box(command["selector"])
        if box is None:
            return {"dropped": False, "error": "no such element"}
        self._shell.evaluate(
            "window.__e2eDragOver = 0; if (!window.__e2eDragWatch) { window.__e2eDragWatch = true;"
            " document.addEventListener('dragover', function () { window.__e2eDragOver++; }, true); } true"
        )
        from qtpy import QtCore, QtGui
        from qtpy.QtWidgets import QApplication

        view = native.webview  # QWebEngineView takes drags itself and hands them to Chromium
        zoom = engine.on_ui_thread(view.zoomFactor)
        point = QtCore.QPointF((box[0] + box[2] / 2) * zoom, (box[1] + box[3] / 2) * zoom)
        mime = QtCore.QMimeData()
        mime.setUrls([QtCore.QUrl.fromLocalFile(str(p)) for p in command["paths"]])
        copy, left = QtCore.Qt.DropAction.CopyAction, QtCore.Qt.MouseButton.LeftButton
        none = QtCore.Qt.KeyboardModifier.NoModifier

        def move(first: bool) -> bool:
            if first:
                QApplication.sendEvent(view, QtGui.QDragEnterEvent(point.toPoint(), copy, mime, left, none))
            QApplication.sendEvent(view, QtGui.QDragMoveEvent(point.toPoint(), copy, mime, left, none))
            return True

        engine.on_ui_thread(lambda: move(True))
        seen = self._wait_js("window.__e2eDragOver > 0", 10.0)
        engine.on_ui_thread(lambda: move(False))  # the position Chromium answers for, as a hand would
        self._wait_js("window.__e2eDragOver > 1", 5.0)
        engine.on_ui_thread(
            lambda: QApplication.sendEvent(view, QtGui.QDropEvent(point, copy, mime, left, none))
        )
        return {"dropped": bool(seen)}

    def _box(self, selector: str) -> list[float] | None:
        box = self._shell.evaluate(
            "(function (s) { var e = document.querySelector(s); if (!e) return null; e.scrollIntoView({block: 'center'});"
            " var r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })("
            + json.dumps(selector)
            + ")"
        )
        return box if isinstance(box, list) else None

    # ------------------------------------------------------------------ waiting and finishing

    def _wait_js(self, condition: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._shell.evaluate(f"!!({condition})") is True:
                return True
            time.sleep(0.05)
        return False

    def _wait_frames(self) -> None:
        """Wait until the page has rendered two more frames (what is on screen matches the DOM)."""
        self._shell.evaluate(
            "window.__e2eFrames = 0; requestAnimationFrame(function () {"
            " requestAnimationFrame(function () { window.__e2eFrames = 2; }); }); true"
        )
        self._wait_js("window.__e2eFrames === 2", 3.0)

    def _finish(self, result: str, state: str | None) -> None:
        if self._done.is_set():
            return
        self._done.set()
        self.report["result"] = result
        self.report["final_state"] = state
        self._write()
        # a finished run says nothing (the demo prints its own result); only a failed one gives a reason
        if result == "finished":
            self._shell.request_exit(0, "")
        else:
            self._shell.request_exit(3, f"e2e run {result}")

    def _wait_for_stored_login(self, timeout: float = 30.0) -> None:
        leveldb = self._shell.paths.webview_storage_dir / "Local Storage" / "leveldb"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path in leveldb.iterdir() if leveldb.is_dir() else []:
                with contextlib.suppress(OSError):
                    if path.is_file() and b"Meteor.loginToken" in path.read_bytes():
                        self.report["web_session_stored"] = True
                        return
            time.sleep(0.2)
        self.report["web_session_stored"] = False

    def _watchdog(self) -> None:
        timeout = float(self.plan.get("timeout", 60))
        if self._done.wait(timeout):
            return
        self._finish("timeout", self._shell.state)
        time.sleep(15)
        os._exit(3)  # the window did not close: never leave a test hanging

    def _write(self) -> None:
        with self._lock:
            self.report["external_opened"] = list(self._shell.external_opened) if self._shell else []
            data = json.dumps(self.report, indent=2)
        tmp = self.dir / "report.json.tmp"
        tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, self.dir / "report.json")


def signin_form_script(username: str, password: str, *, remember: bool, submit: bool) -> str:
    """JavaScript that types into the launcher's sign-in form as a person would (one input event per
    character), sets "keep me signed in", and presses Sign in when `submit`. It does nothing outside the
    launcher's own (file:) pages. The password is a throw-away test or demo password."""
    values = json.dumps({"username": username, "password": password, "remember": remember, "submit": submit})
    return (
        "(function (v) {"
        " if (location.protocol !== 'file:') return false;"
        " function type(el, text) { el.focus(); el.value = ''; for (var i = 0; i < text.length; i++) {"
        "   el.value += text[i]; el.dispatchEvent(new Event('input', {bubbles: true})); } }"
        " type(document.getElementById('username'), v.username);"
        " type(document.getElementById('password'), v.password);"
        " var r = document.getElementById('remember'); if (r.checked !== v.remember) r.click();"
        " if (v.submit) document.getElementById('submit').click(); return true; })(" + values + ")"
    )


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None (missing, unreadable, not an object)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _press(native: Any, key: str) -> bool:
    """Press `key` ("Ctrl+=") in the window's page the way a keyboard would (Qt's test key events)."""
    from qtpy.QtGui import QKeySequence
    from qtpy.QtTest import QTest

    combo = QKeySequence(key)[0]
    target = native.webview.focusProxy() or native.webview
    native.activateWindow()
    target.setFocus()
    QTest.keyClick(target, combo.key(), combo.keyboardModifiers())
    return True


def _type(native: Any, text: str) -> bool:
    """Type `text` into the page's focused field with Qt's test key events; the window is made active
    first (under Xvfb nothing else activates it, and an inactive view gets no text)."""
    from qtpy.QtTest import QTest

    target = native.webview.focusProxy() or native.webview
    native.activateWindow()
    handle = native.windowHandle()
    if handle is not None:
        handle.requestActivate()
        QTest.qWaitForWindowActive(handle, 3000)
    target.setFocus()
    QTest.keyClicks(target, text)
    return True


def _import_root(path: Path) -> bool:
    """Fallback screenshot of the whole X screen with ImageMagick."""
    display = os.environ.get("DISPLAY")
    if not display:
        return False
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(["import", "-window", "root", "-display", display, str(path)], timeout=20, check=True)
        return path.exists()
    return False


def _answer_dialog(engine: Any, command: dict[str, Any]) -> bool:
    """Press the button `button` of the launcher's dialog `name` (a permission prompt, the screen picker)."""
    from qtpy.QtWidgets import QAbstractButton, QListWidget

    workday = getattr(engine, "features", None)
    for dialog in workday.permissions.dialogs if workday is not None else []:
        if dialog.objectName() != command.get("name"):
            continue
        if "item" in command:
            for widget in dialog.findChildren(QListWidget):
                widget.setCurrentRow(int(command["item"]))
        for button in dialog.findChildren(QAbstractButton):
            if button.text() == command.get("button"):
                button.click()
                return True
    return False


def _close_menu(engine: Any) -> bool:
    workday = getattr(engine, "features", None)
    menu = workday.menu.last if workday is not None else None
    if menu is None:
        return False
    menu.close()
    return True


def _pick_files(engine: Any, paths: list[str]) -> bool:
    """Go to the files' folder and type their quoted names into the picker's name field, as a person
    choosing several files does (QFileDialog.selectFile takes one name only), then press Open."""
    from qtpy.QtWidgets import QLineEdit

    workday = getattr(engine, "features", None)
    dialog = workday.files.open if workday is not None else None
    field = dialog.findChild(QLineEdit, "fileNameEdit") if dialog is not None else None
    if field is None or not paths:
        return False
    dialog.setDirectory(str(Path(paths[0]).parent))
    field.setText(" ".join(f'"{Path(p).name}"' for p in paths))
    dialog.accept()
    return True


def _save_as(engine: Any, name: str) -> bool:
    from qtpy.QtWidgets import QLineEdit

    workday = getattr(engine, "features", None)
    dialog = workday.downloads.asking if workday is not None else None
    field = dialog.findChild(QLineEdit, "fileNameEdit") if dialog is not None else None
    if field is None:
        return False
    field.setText(name)
    dialog.accept()
    return True


def _copy_image() -> bool:
    from qtpy.QtGui import QColor, QGuiApplication, QImage

    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("#1d74f5"))
    QGuiApplication.clipboard().setImage(image)
    return True


def _choose_menu(engine: Any, text: str) -> bool:
    workday = getattr(engine, "features", None)
    menu = workday.menu.last if workday is not None else None
    for action in menu.actions() if menu is not None else []:
        if action.text().replace("&", "") == text and action.isEnabled():
            menu.close()
            action.trigger()
            return True
    return False


def _click_popup(engine: Any) -> bool:
    from qtpy import QtCore
    from qtpy.QtTest import QTest

    workday = getattr(engine, "features", None)
    popups = list(workday.popups) if workday is not None else []
    if not popups:
        return False
    view = popups[0].view
    target = view.focusProxy() or view
    left, none = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier
    QTest.mouseClick(target, left, none, view.rect().center())
    return True


def _popup_text(engine: Any) -> str | None:
    workday = getattr(engine, "features", None)
    popups = engine.on_ui_thread(lambda: list(workday.popups)) if workday is not None else []
    if not popups:
        return None
    page = engine.on_ui_thread(lambda: popups[0].view.page())
    return engine.run_js_in_page(page, "document.body ? document.body.innerText : ''")


def _close_popups(engine: Any) -> int:
    workday = getattr(engine, "features", None)
    popups = list(workday.popups) if workday is not None else []
    for window in popups:
        window.close()
    return len(popups)
