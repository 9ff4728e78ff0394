"""Screen sharing in the real Qt window (Xvfb, real keyring, the stand-in over real HTTP).

Qt's screen request lives only while its signal's slot runs, so the launcher answers it there, from a
modal picker: the page waits for the person's choice (no early AbortError), and pressing Share or Cancel
leaves the launcher running (before, both ended it with SIGSEGV). Under Xvfb, capturing the chosen screen
may itself fail: the page then gets a rejection, which is an answer too; what matters is that it gets one
and that the launcher lives. Another site's frame inside Rocket.Chat's page gets no picker at all.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.launcher_runs import LiveRun, OtherOrigin

pytestmark = pytest.mark.window

PICKER = "launcher-screen-picker"


def _result(live: LiveRun, key: str) -> Any:
    return live.js(f"(window.sandboxMedia || {{}})[{key!r}] || null")


def _answered(live: LiveRun, key: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    result = None
    while time.monotonic() < deadline:
        result = _result(live, key)
        if result not in (None, "pending"):
            return str(result)
        time.sleep(0.2)
    raise AssertionError(f"{key}: still {result!r} after {timeout:.0f} s")


def _picker(live: LiveRun) -> dict[str, Any]:
    facts = live.wait_facts(
        lambda f: any(d["name"] == PICKER for d in f.get("dialogs", [])), 30, command="features"
    )
    return next(d for d in facts["dialogs"] if d["name"] == PICKER)


@pytest.mark.parametrize("button", ["Share", "Cancel"])
def test_the_screen_picker_waits_for_the_person_and_either_answer_leaves_the_launcher_running(
    make_launcher, button
):
    launcher = make_launcher()
    live = launcher.start_signed_in()

    assert live.command("click", selector="#share-screen")["clicked"]
    picker = _picker(live)
    assert picker["title"] == "Share your screen"
    assert f"{launcher.stack.rocketchat_url} wants to see and share your screen" in picker["text"]
    assert {"Share", "Cancel"} <= set(picker["buttons"])
    # The request is still open while the picker shows: the page has no answer yet.
    assert _result(live, "share-screen") == "pending"
    assert live.command("screen", path=str(launcher.artifacts / f"screen-picker-{button}.png"))["saved"]

    assert live.command("answer-dialog", name=PICKER, button=button)["clicked"]
    result = _answered(live, "share-screen")
    if button == "Cancel":
        assert result.startswith("denied:"), result
    else:
        # "granted" where the display can be captured; under Xvfb capture may fail (a rejection).
        assert result == "granted" or result.startswith("denied:"), result
    assert live.command("features")["dialogs"] == []
    assert live.command("facts")["state"] == "signed-in"  # still running
    assert live.finish().returncode == 0


# Another site's embed: a button the person clicks (Chromium wants a gesture for getDisplayMedia); it
# reports the result to its parent.
_EMBED = (
    b"<html><body style='margin:0'><button id='b' style='width:100%;height:100%'>share</button><script>"
    b"document.getElementById('b').onclick = function () { parent.postMessage('pending', '*');"
    b" navigator.mediaDevices.getDisplayMedia({video: true}).then("
    b"function (s) { s.getTracks().forEach(function (t) { t.stop(); }); parent.postMessage('granted', '*'); },"
    b" function (e) { parent.postMessage('denied:' + e.name, '*'); }); };</script></body></html>"
)


@pytest.fixture
def screen_embed():
    server = OtherOrigin(_EMBED)
    yield server
    server.close()


def test_another_sites_frame_asking_for_the_screen_gets_no_picker_and_a_refusal(make_launcher, screen_embed):
    launcher = make_launcher()
    live = launcher.start_signed_in()
    # Rocket.Chat's page (untrusted: an admin's script, an app) embeds the site and delegates the screen.
    live.js(
        "window.addEventListener('message', function (e) { window.sandboxMedia = window.sandboxMedia || {};"
        " window.sandboxMedia.embed = e.data; });"
        " var f = document.createElement('iframe'); f.id = 'embed'; f.allow = 'display-capture';"
        f" f.style.width = '300px'; f.style.height = '120px'; f.src = {screen_embed.url + '/widget'!r};"
        " document.getElementById('workday').prepend(f); true",
    )
    live.wait_facts(lambda f: any(r.startswith("/widget") for r in screen_embed.requests), 30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _result(live, "embed") is None:
        live.command("click", selector="#embed")  # until the frame's document is there to take it
        time.sleep(0.5)

    result = _answered(live, "embed")
    assert result.startswith("denied:"), result
    facts = live.command("features")
    assert facts["dialogs"] == [] and facts["screen_pickers"] == 0  # none shown, not even briefly
    assert live.command("facts")["state"] == "signed-in"
    run = live.finish()
    assert run.returncode == 0
    log = launcher.paths.log_file.read_text(encoding="utf-8")
    assert "screen" in log and "another site's frame" in log


# A call page that asks for the screen on a click and closes its own window while the picker shows.
_CLOSING_CALL = (
    b"<html><body style='margin:0'><button id='b' style='width:100%;height:100vh'>share</button><script>"
    b"document.getElementById('b').onclick = function () {"
    b" setTimeout(function () { fetch('/closing').finally(function () { window.close(); }); }, 300);"
    b" navigator.mediaDevices.getDisplayMedia({video: true}).catch(function () {}); };</script></body></html>"
)


def test_a_call_window_that_closes_itself_while_the_picker_shows_leaves_the_launcher_running(make_launcher):
    call = OtherOrigin(_CLOSING_CALL)
    try:
        launcher = make_launcher()
        with launcher.config.open("a", encoding="utf-8") as handle:
            handle.write(f'\n[video_conference]\norigins = ["{call.url}"]\n')
        live = launcher.start_signed_in()
        live.js(
            f"var a = document.createElement('a'); a.id = 'join'; a.href = {call.url + '/room'!r};"
            " a.target = '_blank'; a.textContent = 'Join'; document.getElementById('workday').prepend(a); true",
        )
        assert live.command("click", selector="#join")["clicked"]
        live.wait_facts(lambda f: f["popups"] and f["popups"][0]["visible"], 30, command="features")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not live.command("features")["dialogs"]:
            live.command("click-popup")  # until the call page is there to take the click
            time.sleep(0.5)
        picker = _picker(live)
        assert picker["text"] == f"{call.url} wants to see and share your screen."
        live.wait_facts(lambda f: any(r.startswith("/closing") for r in call.requests), 30)
        # the page asked to close while its request is open: the window waits, hidden
        facts = live.wait_facts(
            lambda f: not f["popups"] or not f["popups"][0]["visible"], 30, command="features"
        )
        assert [d["name"] for d in facts["dialogs"]] == [PICKER]

        assert live.command("answer-dialog", name=PICKER, button="Cancel")["clicked"]
        live.wait_facts(lambda f: f["popups"] == [] and f["dialogs"] == [], 30, command="features")
        assert live.command("facts")["state"] == "signed-in"
        assert live.finish().returncode == 0
    finally:
        call.close()
