"""A working day in the real Qt window (Xvfb, real keyring, the stand-in over real HTTP): downloads,
uploads (picker, drop, paste), the right-click menu, spell check, microphone/camera/screen permissions and in-app pop-ups.

Each test drives the window as a person would (real mouse clicks into the web view through the e2e
driver) and reads what the launcher did from its facts: the files on disk, the menu's entries, the
dialogs on screen, the pop-up windows.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.launcher.desktop.desktop_bus import NotificationServer
from tests.support.launcher_runs import Launcher, LiveRun, OtherOrigin

pytestmark = pytest.mark.window


def _downloading_into(make_launcher, folder: Path, *lines: str) -> LiveRun:
    """A signed-in launcher whose downloads go to `folder` (more [downloads] `lines` if given)."""
    launcher = make_launcher()
    launcher.add_config("\n".join(["[downloads]", f'folder = "{folder}"', *lines]))
    return launcher.start_signed_in()


# ------------------------------------------------------------------------------------------ downloads


def test_an_attachment_lands_in_the_downloads_folder_with_its_name_and_the_app_lives(make_launcher, tmp_path):
    folder = tmp_path / "My Downloads"
    folder.mkdir()
    (folder / "Quarterly report.txt").write_text("an older copy", encoding="utf-8")
    live = _downloading_into(make_launcher, folder)

    assert live.command("click", selector="#file-download")["clicked"]
    facts = live.wait_features(lambda f: len(f.get("downloads", [])) == 1)
    live.command("click", selector="#save-notes")
    facts = live.wait_features(lambda f: len(f.get("downloads", [])) == 2)

    saved = folder / "Quarterly report (1).txt"
    assert facts["downloads"][0] == {"name": saved.name, "path": str(saved), "ok": True}
    assert saved.read_bytes().startswith(b"Quarterly report\nRevenue: up.")
    assert (folder / "Quarterly report.txt").read_text(encoding="utf-8") == "an older copy"
    assert (folder / "meeting notes.txt").read_text(encoding="utf-8") == "notes from the page\n"  # a blob:
    assert live.command("facts")["state"] == "signed-in"  # the launcher is still running
    assert live.finish().returncode == 0


@pytest.fixture
def notification_server():
    """A real org.freedesktop.Notifications service on the test's session bus (records, can click)."""
    service = NotificationServer()
    yield service
    service.close()


def _text_viewer(data_home: Path) -> Path:
    """The desktop's application for text files, as xdg-open finds it (a .desktop entry and the default
    in mimeapps.list under XDG_DATA_HOME): it writes the files it is asked to open to a log."""
    apps = data_home / "applications"
    apps.mkdir(parents=True)
    log = data_home / "opened.log"
    viewer = data_home / "viewer.sh"
    viewer.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{log}"\n', encoding="utf-8")
    viewer.chmod(0o755)
    (apps / "test-viewer.desktop").write_text(
        f"[Desktop Entry]\nType=Application\nName=Viewer\nExec={viewer} %f\nMimeType=text/plain;\n",
        encoding="utf-8",
    )
    (apps / "mimeapps.list").write_text(
        "[Default Applications]\ntext/plain=test-viewer.desktop\n", encoding="utf-8"
    )
    return log


def test_a_finished_download_is_notified_and_a_click_opens_the_file(
    make_launcher, tmp_path, notification_server, monkeypatch
):
    folder = tmp_path / "downloads"
    opened = _text_viewer(tmp_path / "xdg-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))  # the launcher's xdg-open reads it
    live = _downloading_into(make_launcher, folder)

    assert live.command("click", selector="#file-download")["clicked"]
    (note,) = notification_server.wait_for(1)
    saved = folder / "Quarterly report.txt"
    assert note["summary"] == "Download complete"
    assert note["body"] == "Quarterly report.txt — click to open it."
    assert "default" in note["actions"]

    live.wait_facts(lambda f: f["notifications_shown"] >= 1)  # the launcher holds the id the click names
    notification_server.click(note["id"])
    # xdg-open hands the file to the desktop's application for text: the path arrives as one argument.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not opened.exists():
        time.sleep(0.2)
    assert opened.read_text(encoding="utf-8").splitlines() == [str(saved)]
    assert live.launcher.opened_in_browser() == []

    live.command("click", selector="#file-cut")
    failed = notification_server.wait_for(2)[1]
    assert failed["summary"] == "Download failed" and failed["body"].startswith("cut.bin was not downloaded:")
    assert live.finish().returncode == 0


def test_with_downloads_ask_a_save_as_dialog_keeps_the_extension_of_a_typed_name(make_launcher, tmp_path):
    folder = tmp_path / "downloads"
    live = _downloading_into(make_launcher, folder, "ask = true")

    assert live.command("click", selector="#file-download")["clicked"]
    live.wait_features(lambda f: f["save_dialog"])
    assert live.command("save-as", name="report for Bob")["saved"]  # typed without ".txt"
    facts = live.wait_features(lambda f: len(f["downloads"]) == 1)

    saved = folder / "report for Bob.txt"
    assert facts["downloads"][0] == {"name": saved.name, "path": str(saved), "ok": True}
    assert saved.read_bytes().startswith(b"Quarterly report")
    assert live.finish().returncode == 0


def test_a_download_cut_half_way_leaves_no_partial_file(make_launcher, tmp_path):
    folder = tmp_path / "downloads"
    live = _downloading_into(make_launcher, folder)

    live.command("click", selector="#file-cut")
    facts = live.wait_features(lambda f: len(f.get("downloads", [])) == 1)

    entry = facts["downloads"][0]
    assert entry["ok"] is False and entry["name"] == "cut.bin", entry
    assert sorted(p.name for p in folder.iterdir()) == []
    assert live.finish().returncode == 0


def test_a_download_folder_that_cannot_be_written_is_reported_and_the_app_lives(make_launcher, tmp_path):
    not_a_folder = tmp_path / "downloads"
    live = _downloading_into(make_launcher, not_a_folder)
    not_a_folder.write_text("a file where the folder should be", encoding="utf-8")

    live.command("click", selector="#file-download")
    facts = live.wait_features(lambda f: f.get("downloads"))

    entry = facts["downloads"][0]
    assert entry["ok"] is False and "cannot be written" in entry["reason"], entry
    assert not_a_folder.read_text(encoding="utf-8") == "a file where the folder should be"
    assert live.command("facts")["state"] == "signed-in"
    assert live.finish().returncode == 0


def test_an_exception_in_a_qt_slot_is_logged_and_the_window_survives(make_launcher):
    """PyQt6 aborts the process (exit 134) when a slot raises and no excepthook is set."""
    live = make_launcher().start_signed_in()

    live.command("raise-in-slot")
    facts = live.wait_features(lambda f: f.get("survived"))

    assert facts["survived"] == ["RuntimeError"]
    assert live.command("facts")["state"] == "signed-in"
    run = live.finish()
    assert run.returncode == 0
    log = live.launcher.paths.log_file.read_text(encoding="utf-8")
    assert "a window handler failed; the launcher goes on" in log and "on purpose (e2e)" in log


# ---------------------------------------------------------------------------------------- permissions


def _media_result(live: LiveRun, button: str) -> str | None:
    return live.js(f"(window.sandboxMedia || {{}})[{button!r}] || null")


def _wait_media(live: LiveRun, button: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    result = None
    while time.monotonic() < deadline:
        result = _media_result(live, button)
        if result not in (None, "pending"):
            return result
        time.sleep(0.2)
    raise AssertionError(f"{button}: still {result!r} after {timeout:.0f} s")


@pytest.fixture
def fake_media(monkeypatch):
    """Chromium's fake microphone and camera (Xvfb has none). Not its fake *prompt* flag: the launcher's
    own prompt is what these tests check."""
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    monkeypatch.setenv("QTWEBENGINE_CHROMIUM_FLAGS", f"{flags} --use-fake-device-for-media-stream".strip())


def test_rocketchat_asks_once_for_the_microphone_and_the_answer_is_remembered(make_launcher, fake_media):
    launcher = make_launcher()
    live = launcher.start_signed_in()

    live.command("click", selector="#ask-microphone")
    facts = live.wait_features(lambda f: f["dialogs"])
    prompt = facts["dialogs"][0]
    assert prompt["name"] == "launcher-permission-prompt"
    assert prompt["text"] == f"{launcher.stack.rocketchat_url} wants to use your microphone."
    assert {"Allow", "Don't allow"} <= set(prompt["buttons"])
    assert live.command("screen", path=str(live.launcher.artifacts / "permission-prompt.png"))["saved"]
    assert live.command("answer-dialog", name="launcher-permission-prompt", button="Allow")["clicked"]
    assert _wait_media(live, "ask-microphone") == "granted"

    live.js("delete window.sandboxMedia['ask-microphone']; true")
    live.command("click", selector="#ask-microphone")
    assert _wait_media(live, "ask-microphone") == "granted"  # remembered: no second prompt
    facts = live.command("features")
    assert facts["dialogs"] == []
    assert facts["permissions"] == {launcher.stack.rocketchat_url: {"microphone": True}}
    live.finish()

    # the next start remembers too, until "Forget permissions" (Chromium keeps a grant for the page
    # it was given to, so the forgetting shows from the next start)
    live = launcher.start(plan={"timeout": 120})
    live.wait_signed_in()
    live.wait_facts(lambda f: live.js("!!document.getElementById('workday')") is True)
    live.command("click", selector="#ask-microphone")
    assert _wait_media(live, "ask-microphone") == "granted"
    assert live.command("features")["dialogs"] == []
    assert live.command("menu", title="Forget permissions")["clicked"]
    live.wait_features(lambda f: f["permissions"] == {})
    live.finish()

    live = launcher.start(plan={"timeout": 120})
    live.wait_signed_in()
    live.wait_facts(lambda f: live.js("!!document.getElementById('workday')") is True)
    live.command("click", selector="#ask-microphone")
    live.wait_features(lambda f: f["dialogs"])
    assert live.command("answer-dialog", name="launcher-permission-prompt", button="Don't allow")["clicked"]
    assert _wait_media(live, "ask-microphone").startswith("denied:")
    assert live.command("features")["permissions"] == {launcher.stack.rocketchat_url: {"microphone": False}}
    assert live.finish().returncode == 0


@pytest.fixture
def media_page():
    """A page of another origin that asks for the microphone as soon as it loads (an embed in a chat, or
    a video call): it shows the answer and posts it to its parent."""
    body = (
        b"<html><body>asking<script>function said(r) { document.body.textContent = r;"
        b" parent.postMessage(r, '*'); } navigator.mediaDevices.getUserMedia({audio: true}).then("
        b"function () { said('granted'); }, function (e) { said('denied:' + e.name); });</script></body></html>"
    )

    server = OtherOrigin(body)
    yield server.url
    server.close()


def test_another_origin_is_denied_the_microphone_without_a_prompt(make_launcher, fake_media, media_page):
    live = make_launcher().start_signed_in()

    live.js(
        "window.addEventListener('message', function (e) { window.sandboxMedia = window.sandboxMedia || {};"
        " window.sandboxMedia.embed = e.data; });"
        f" var f = document.createElement('iframe'); f.allow = 'microphone; camera'; f.src = {media_page + '/embed'!r};"
        " document.body.appendChild(f); true",
    )

    assert _wait_media(live, "embed").startswith("denied:")
    assert live.command("features")["dialogs"] == []
    assert live.finish().returncode == 0


def _call_link(live: LiveRun, url: str) -> None:
    """A video-conference link in the chat, as Rocket.Chat's "Join" opens it: a new window."""
    live.js(
        f"var a = document.createElement('a'); a.id = 'call-link'; a.href = {url!r}; a.target = '_blank';"
        " a.textContent = 'Join the call'; document.getElementById('workday').appendChild(a); true",
    )
    assert live.command("click", selector="#call-link")["clicked"]


def test_a_call_on_a_configured_video_conference_server_opens_in_app_and_asks_for_the_microphone(
    make_launcher, fake_media, media_page
):
    launcher = make_launcher()
    launcher.add_config(f'[video_conference]\norigins = ["{media_page}"]')  # in_app is on by default
    live = launcher.start_signed_in()

    _call_link(live, media_page + "/call")
    facts = live.wait_features(lambda f: f["popups"] and f["dialogs"])
    assert facts["popups"][0]["url"] == media_page + "/call" and facts["popups"][0]["visible"]
    assert facts["dialogs"][0]["text"] == f"{media_page} wants to use your microphone."
    assert live.command("answer-dialog", name="launcher-permission-prompt", button="Allow")["clicked"]
    deadline = time.monotonic() + 20
    text = None
    while time.monotonic() < deadline and text != "granted":
        text = live.command("popup-text").get("text")
        time.sleep(0.2)
    assert text == "granted"  # the call page got the (fake) microphone
    assert launcher.opened_in_browser() == []
    assert live.command("close-popups")["closed"] == 1
    assert live.finish().returncode == 0


def test_with_in_app_calls_off_a_video_conference_link_goes_to_the_browser(make_launcher, media_page):
    launcher = make_launcher()
    launcher.add_config(f'[video_conference]\nin_app = false\norigins = ["{media_page}"]')
    live = launcher.start_signed_in()

    _call_link(live, media_page + "/call")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not launcher.opened_in_browser():
        time.sleep(0.2)
    assert launcher.opened_in_browser() == [media_page + "/call"]
    assert live.command("features")["popups"] == []
    assert live.finish().returncode == 0


# -------------------------------------------------------------------------------------------- uploads


def _uploads(launcher: Launcher, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The files the stand-in received and confirmed (its side-door log), once `count` have arrived."""
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        found = launcher.stack.sandbox.events(kind="upload")
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{len(found)} of {count} uploads arrived: {found}")


def _files(folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    contents = {"minutes 2026-12.txt": b"Minutes\n" * 50, "diagram.png": bytes(range(256)) * 8}
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    return contents


def _sent(files: list[dict[str, Any]]) -> dict[str, tuple[int, str]]:
    return {f["name"]: (f["size"], f["sha256"]) for f in files}


def test_several_files_chosen_in_the_picker_are_uploaded_whole(make_launcher, tmp_path):
    launcher = make_launcher()
    live = launcher.start_signed_in()
    contents = _files(tmp_path / "to send")

    assert live.command("click", selector="#attach")["clicked"]
    live.wait_facts(lambda f: live.command("features").get("file_picker") is True, 20)
    paths = [str(tmp_path / "to send" / name) for name in contents]
    assert live.command("pick-files", paths=paths)["picked"]

    expected = {name: (len(data), hashlib.sha256(data).hexdigest()) for name, data in contents.items()}
    assert _sent(_uploads(launcher, 2)) == expected
    assert live.command("facts")["state"] == "signed-in"
    assert live.finish().returncode == 0


def test_files_dropped_from_the_desktop_are_uploaded_whole(make_launcher, tmp_path):
    launcher = make_launcher()
    live = launcher.start_signed_in()
    contents = _files(tmp_path / "desktop")
    paths = [str(tmp_path / "desktop" / name) for name in contents]

    assert live.command("drop-files", selector="#drop-zone", paths=paths)["dropped"]
    expected = {name: (len(data), hashlib.sha256(data).hexdigest()) for name, data in contents.items()}
    assert _sent(_uploads(launcher, 2)) == expected

    assert live.command("facts")["state"] == "signed-in"
    assert live.finish().returncode == 0


def test_an_image_pasted_from_the_clipboard_is_uploaded(make_launcher):
    launcher = make_launcher()
    live = launcher.start_signed_in()
    live.js("document.getElementById('composer').focus(); true")

    assert live.command("copy-image")["copied"]
    assert live.command("key", key="Ctrl+V")["sent"]

    (upload,) = _uploads(launcher, 1)
    assert upload["name"].startswith("Clipboard - ") and upload["name"].endswith(".png"), upload
    assert upload["type"] == "image/png" and upload["size"] > 0
    assert live.finish().returncode == 0


# ------------------------------------------------------------------------------ right-click, spelling


def test_right_click_in_the_message_field_opens_a_native_menu_with_its_entries(make_launcher):
    live = make_launcher().start_signed_in()
    live.js(
        "var c = document.getElementById('composer'); c.value = 'Hello there'; c.focus(); c.select(); true",
    )

    assert live.command("click", selector="#composer", button="right", fx=0.2)["clicked"]
    facts = live.wait_features(lambda f: f.get("context_menu"))

    texts = [entry["text"] for entry in facts["context_menu"]]
    for expected in ("Cut", "Copy", "Paste", "Select all", "Check spelling"):
        assert any(t.replace("&", "").lower() == expected.lower() for t in texts), texts
    assert "Inspect" not in texts  # only with --debug
    assert live.command("screen", path=str(live.launcher.artifacts / "context-menu.png"))["saved"]
    live.command("close-menu")
    assert live.finish().returncode == 0


def test_a_misspelled_word_is_marked_and_its_suggestion_replaces_it(make_launcher):
    """Spell check with the .bdic dictionaries `make dictionaries` converted (offline, no download):
    typed text is checked, the right-click menu offers Chromium's suggestions, and one replaces the word."""
    live = make_launcher().start_signed_in()
    assert live.command("features")["spellcheck"] == {"enabled": True, "languages": ["en-US"]}  # C -> English
    live.js("var c = document.getElementById('composer'); c.value = ''; c.focus(); true")
    assert live.command("type", text="Wrold teh ")["typed"]

    # The checker runs after typing, once its dictionary is loaded: right-click until it has marked the word.
    deadline = time.monotonic() + 30
    menu: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        assert live.command("click", selector="#composer", button="right", fx=0.03, fy=0.25)["clicked"]
        menu = live.wait_features(lambda f: f.get("context_menu"))["context_menu"]
        if any(entry["text"] == "World" for entry in menu):
            break
        live.command("close-menu")
        time.sleep(0.3)
    texts = [entry["text"] for entry in menu]
    assert "World" in texts and "Add “Wrold” to dictionary" in texts, texts

    assert live.command("choose-menu", text="World")["chosen"]
    deadline = time.monotonic() + 10
    value = None
    while time.monotonic() < deadline and value != "World teh ":
        value = live.js("document.getElementById('composer').value")
        time.sleep(0.1)
    assert value == "World teh ", value
    assert live.finish().returncode == 0


# --------------------------------------------------------------------------------------------- pop-ups


def test_a_protected_file_preview_opens_in_an_in_app_window_with_the_session(make_launcher):
    launcher = make_launcher()
    live = launcher.start_signed_in()

    assert live.command("click", selector="#file-preview")["clicked"]
    facts = live.wait_features(lambda f: f["popups"] and "/file-upload/report/" in f["popups"][0]["url"])

    popup = facts["popups"][0]
    assert popup["visible"] is True
    assert launcher.opened_in_browser() == []  # not handed to the browser, where it had no session
    deadline = time.monotonic() + 20
    text = None
    while time.monotonic() < deadline and not (text or "").startswith("Quarterly report"):
        text = live.command("popup-text").get("text")
        time.sleep(0.2)
    assert (text or "").startswith("Quarterly report"), text  # the file itself, not "Forbidden"
    assert live.command("close-popups")["closed"] == 1
    live.wait_features(lambda f: f["popups"] == [])
    assert live.command("facts")["state"] == "signed-in"  # closing the pop-up left the app running
    assert live.finish().returncode == 0
