"""The commands a held e2e run answers (tests/support/e2e_driver.py): what a person does to the Qt
window, and what the tests read back.

Commands: facts (window, desktop, tray, links, page), features (downloads, dialogs, menus, pop-ups,
permissions, spell check), tray-icon {path}, screen {path}, screenshot {path}, close-window,
set-geometry {x, y, width, height}, tray {title}, key {key}, page-command {message}, menu {title},
js {script}, click {selector, fx, fy, button}, answer-dialog {name, button, item}, raise-in-slot,
click-popup, popup-text, close-popups, close-menu, choose-menu {text}, type {text}, pick-files {paths},
save-as {name}, save-as-cancel, download-cancel, drop-files {selector, paths}, copy-image, finish.

The launcher has no test hooks: everything here goes through the Shell's and the engine's public
surface (`engine.native_window`, `engine.features`, `engine.on_ui_thread`) and Qt's own objects, found
from QApplication on the UI thread, with Qt's test input events as a person's keys and clicks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import e2e_qt

_Command = Callable[[Any, Any, dict[str, Any]], Any]


def run(driver: Any, command: dict[str, Any]) -> dict[str, Any]:
    """The answer to one command (a dict written to ans-N.json)."""
    kind = command.get("do")
    if kind == "finish":
        return {"ok": True}
    handler = _COMMANDS.get(str(kind))
    if handler is None:
        return {"error": f"unknown command {kind!r}"}
    engine = driver.shell.engine
    return handler(driver, engine, command)


def click(driver: Any, command: dict[str, Any]) -> dict[str, Any]:
    """A real mouse click (left or right) on the element `selector`, at `fx`/`fy` of its box: Qt
    input events into the web view, so the page sees a person's gesture."""
    box = _box(driver, command["selector"])
    if box is None:
        return {"clicked": False, "error": "no such element"}
    engine = driver.shell.engine
    native = engine.native_window
    fx, fy = float(command.get("fx", 0.5)), float(command.get("fy", 0.5))
    right = command.get("button") == "right"
    return {"clicked": bool(engine.on_ui_thread(lambda: e2e_qt.click_view(native, box, fx, fy, right)))}


def trigger_menu(engine: Any, title: str) -> bool:
    """Click the window's menu-bar entry `title` as a person would."""
    native = engine.native_window
    return native is not None and bool(engine.on_ui_thread(lambda: e2e_qt.trigger_menu(native, title)))


def facts(driver: Any) -> dict[str, Any]:
    """What the window, the desktop parts and the page look like now."""
    shell = driver.shell
    desktop = shell.desktop
    engine = shell.engine
    found: dict[str, Any] = {
        "unread_label": desktop.unread.label,
        "unread_count": desktop.unread.count,
        "unread_from_events": desktop.events_seen,
        "user_status": desktop.user_status,
        "tray": desktop.tray is not None,
        "notifier": desktop.notifier is not None,
        "desktop_started": desktop.started.is_set(),  # shortcuts, tray and notifier in place
        "notifications_shown": desktop.notifications_shown,
        "activations": desktop.activations,
    }
    native = engine.native_window if engine is not None else None
    if native is not None:
        found.update(engine.on_ui_thread(lambda: e2e_qt.window_facts(native)) or {})
        if desktop.tray is not None:
            tray = engine.on_ui_thread(e2e_qt.tray_facts)
            if tray is not None:
                found["tray_menu"], found["tray_tooltip"] = tray
    links = {"links_opened": list(shell.links.opened), "link_pending": shell.links.pending}
    return {**found, **links, "state": shell.state, "page": driver.page_facts()}


def _box(driver: Any, selector: str) -> list[float] | None:
    box = driver.shell.evaluate(
        "(function (s) { var e = document.querySelector(s); if (!e) return null; e.scrollIntoView({block: 'center'});"
        " var r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })("
        + json.dumps(selector)
        + ")"
    )
    return box if isinstance(box, list) else None


def _drop_files(driver: Any, engine: Any, command: dict[str, Any]) -> dict[str, Any]:
    """Qt's drag-enter and drag-move events with the files' URLs at the middle of `selector` (what the
    window gets when files are dragged from a file manager), then the drop once the page has seen the
    drag over it: Chromium drops only where the page's answer to the drag has come back."""
    box = _box(driver, command["selector"])
    if box is None:
        return {"dropped": False, "error": "no such element"}
    driver.shell.evaluate(
        "window.__e2eDragOver = 0; if (!window.__e2eDragWatch) { window.__e2eDragWatch = true;"
        " document.addEventListener('dragover', function () { window.__e2eDragOver++; }, true); } true"
    )
    drag = e2e_qt.Drag(engine.native_window, box, command["paths"])
    engine.on_ui_thread(lambda: drag.move(True))
    seen = driver.wait_js("window.__e2eDragOver > 0", 10.0)
    engine.on_ui_thread(lambda: drag.move(False))  # the position Chromium answers for, as a hand would
    driver.wait_js("window.__e2eDragOver > 1", 5.0)
    engine.on_ui_thread(drag.drop)
    return {"dropped": bool(seen)}


def _page_command(driver: Any, engine: Any, command: dict[str, Any]) -> dict[str, Any]:
    """What an embedding page would post: {"externalCommand": ...}."""
    shell = driver.shell
    script = (
        "(function (o, m) { if (location.origin !== o) return false; window.postMessage(m, o);"
        " return true; })(" + json.dumps(shell.rc_origin) + ", " + json.dumps(command["message"]) + ")"
    )
    return {"posted": shell.evaluate(script) is True}


def _ui(fn: Callable[[Any, dict[str, Any]], Any], key: str) -> _Command:
    """A command that runs `fn(engine, command)` on the UI thread and answers {key: result}."""

    def handler(driver: Any, engine: Any, command: dict[str, Any]) -> dict[str, Any]:
        return {key: engine.on_ui_thread(lambda: fn(engine, command))}

    return handler


def _native(fn: Callable[[Any, dict[str, Any]], Any], key: str) -> _Command:
    """Like `_ui`, with the Qt window instead of the engine."""
    return _ui(lambda engine, command: fn(engine.native_window, command), key)


def _screen(engine: Any, command: dict[str, Any]) -> bool:
    return bool(engine.on_ui_thread(lambda: e2e_qt.grab_screen(Path(command["path"])), timeout=15.0))


def _popup_text(engine: Any) -> str | None:
    page = engine.on_ui_thread(lambda: e2e_qt.first_popup_page(engine.features))
    return e2e_qt.run_js_in_page(engine, page, "document.body ? document.body.innerText : ''")


_COMMANDS: dict[str, _Command] = {
    "facts": lambda driver, engine, command: facts(driver),
    "features": lambda driver, engine, command: (
        engine.on_ui_thread(lambda: e2e_qt.features_facts(engine)) or {}
    ),
    "tray-icon": _ui(lambda engine, c: e2e_qt.save_tray_icon(Path(c["path"])), "saved"),
    "screen": lambda driver, engine, command: {"saved": _screen(engine, command)},
    "screenshot": lambda driver, engine, command: {"saved": driver.shell.screenshot(Path(command["path"]))},
    "close-window": _native(lambda native, c: native.close() or True, "ok"),
    "set-geometry": _native(
        lambda native, c: native.setGeometry(*[int(c[k]) for k in ("x", "y", "width", "height")]) or True,
        "ok",
    ),
    "tray": _ui(lambda engine, c: e2e_qt.trigger_tray(str(c["title"])), "clicked"),
    "key": _native(lambda native, c: e2e_qt.press(native, str(c["key"])), "sent"),
    "page-command": _page_command,
    "menu": lambda driver, engine, command: {"clicked": trigger_menu(engine, str(command.get("title", "")))},
    "js": lambda driver, engine, command: {"value": driver.shell.evaluate(str(command["script"]))},
    "click": lambda driver, engine, command: click(driver, command),
    "answer-dialog": _ui(lambda engine, c: e2e_qt.answer_dialog(engine.features, c), "clicked"),
    "raise-in-slot": _ui(lambda engine, c: e2e_qt.fail_in_a_slot(), "scheduled"),
    "click-popup": _ui(lambda engine, c: e2e_qt.click_popup(engine.features), "clicked"),
    "popup-text": lambda driver, engine, command: {"text": _popup_text(engine)},
    "close-popups": _ui(lambda engine, c: e2e_qt.close_popups(engine.features), "closed"),
    "close-menu": _ui(lambda engine, c: e2e_qt.close_menu(engine.features), "closed"),
    "choose-menu": _ui(lambda engine, c: e2e_qt.choose_menu(engine.features, str(c["text"])), "chosen"),
    "type": _native(lambda native, c: e2e_qt.type_text(native, str(c["text"])), "typed"),
    "pick-files": _ui(lambda engine, c: e2e_qt.pick_files(engine.features, c["paths"]), "picked"),
    "save-as": _ui(lambda engine, c: e2e_qt.save_as(engine.features, str(c["name"])), "saved"),
    "save-as-cancel": lambda driver, engine, command: (
        engine.on_ui_thread(lambda: e2e_qt.save_as_cancel(engine.features)) or {"cancelled": False}
    ),
    "download-cancel": lambda driver, engine, command: (
        engine.on_ui_thread(lambda: e2e_qt.cancel_download_button(engine.native_window)) or {"clicked": False}
    ),
    "drop-files": _drop_files,
    "copy-image": _ui(lambda engine, c: e2e_qt.copy_image(), "copied"),
}
