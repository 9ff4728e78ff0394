"""Another site's frame inside Rocket.Chat's page, and pages the window opened, in the real Qt window
(Xvfb, real keyring, the stand-in over real HTTP, other origins on 127.0.0.1).

Rocket.Chat's page is untrusted (an admin's custom script, an app, a message preview); a frame of
another site inside it is less trusted still. Here Rocket.Chat's page embeds such a frame (the test's
script in the page, as a custom script would), and the frame or a call page tries, with no click: to
open an in-app call window, to launch the system browser again and again, to steer the main window
through `opener`, and to sign the window in as someone else with a resume-token link.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from rcsandbox import SandboxUser
from tests.support.launcher_runs import ALICE, Launcher, LiveRun, OtherOrigin

pytestmark = pytest.mark.window


def _embed(live: LiveRun, url: str) -> None:
    """Rocket.Chat's page embeds `url` (an app's widget, a preview) and keeps what it posts."""
    live.js(
        "window.__said = window.__said || []; window.addEventListener('message', function (e) {"
        " window.__said.push(String(e.data)); });"
        " var f = document.createElement('iframe'); f.id = 'embed';"
        f" f.style.width = '400px'; f.style.height = '150px'; f.src = {url!r};"
        " document.getElementById('workday').prepend(f); true",
    )


def _said(live: LiveRun, prefix: str, timeout: float = 40.0) -> str:
    """The first message from the embed that starts with `prefix`."""
    deadline = time.monotonic() + timeout
    said: Any = None
    while time.monotonic() < deadline:
        said = live.js("window.__said || []")
        for message in said or []:
            if message.startswith(prefix):
                return message
        time.sleep(0.2)
    raise AssertionError(f"the embed never said {prefix!r}; it said {said}")


def _popups(live: LiveRun) -> list[dict[str, Any]]:
    return live.command("features")["popups"]


def _browser_gets(launcher: Launcher, url: str, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and url not in launcher.opened_in_browser():
        time.sleep(0.2)
    opened = launcher.opened_in_browser()
    assert url in opened, opened
    return opened


def _control_click(live: LiveRun, url: str) -> None:
    """A person's click on a link to another site in Rocket.Chat's page (target=_blank): the browser
    gets it. Waiting for it is how a test knows every earlier launch had its chance to happen too."""
    live.js(
        f"var a = document.createElement('a'); a.id = 'control'; a.href = {url!r}; a.target = '_blank';"
        " a.textContent = 'a link'; document.getElementById('workday').prepend(a); true",
    )
    assert live.command("click", selector="#control")["clicked"]


# A page that opens windows on load and reports when every one of them is gone (or still there after
# 10 s). `__OPEN__` is a JSON list of URLs.
_OPENER = """<html><body>opener<script>
var urls = __OPEN__, wins = urls.map(function (u) { return window.open(u, '_blank'); });
var stop = Date.now() + 10000;
(function check() {
  var open = wins.filter(function (w) { return w && !w.closed; }).length;
  if (open === 0 || Date.now() > stop) { parent.postMessage('windows-open:' + open, '*'); return; }
  setTimeout(check, 100);
})();
</script></body></html>"""


def _opener(urls: list[str]) -> bytes:
    return _OPENER.replace("__OPEN__", json.dumps(urls)).encode()


@pytest.fixture
def servers() -> Iterator[dict[str, OtherOrigin]]:
    """A call server (in video_conference.origins) and an attacker's site, each with its own page."""
    made: dict[str, OtherOrigin] = {}

    def make(name: str, body: bytes) -> OtherOrigin:
        made[name] = OtherOrigin(body)
        return made[name]

    yield make  # type: ignore[misc]
    for server in made.values():
        server.close()


# ------------------------------------------------------------------------------------ pop-ups (M2)


def test_a_foreign_frame_opens_no_call_window_without_a_click(make_launcher, servers):
    call = servers("call", b"<html><body>a call room</body></html>")
    attacker = servers("attacker", _opener([call.url + "/attacker-room"]))
    launcher = make_launcher()
    launcher.add_config(f'[video_conference]\norigins = ["{call.url}"]')
    live = launcher.start_signed_in(timeout=150)

    _embed(live, attacker.url + "/widget")
    assert _said(live, "windows-open:") == "windows-open:0"  # the window it asked for is gone

    assert _popups(live) == []
    assert not [r for r in call.requests if r.startswith("/attacker-room")]  # never loaded
    assert launcher.opened_in_browser() == []
    assert live.finish().returncode == 0


def test_a_foreign_frame_launches_no_browser_without_a_click(make_launcher, servers):
    attacker = servers("attacker", b"")
    urls = [f"{attacker.url}/ad-{n}" for n in range(5)]
    attacker = servers("frame", _opener(urls))
    launcher = make_launcher()
    live = launcher.start_signed_in(timeout=150)

    _embed(live, attacker.url + "/widget")
    assert _said(live, "windows-open:") == "windows-open:0"
    _control_click(live, attacker.url + "/clicked")

    assert _browser_gets(launcher, attacker.url + "/clicked") == [attacker.url + "/clicked"]
    assert _popups(live) == []
    assert live.finish().returncode == 0


def test_a_call_page_opens_no_more_windows_and_cannot_steer_the_main_window(make_launcher, servers):
    elsewhere = servers("elsewhere", b"<html><body>elsewhere</body></html>")
    more = [f"{elsewhere.url}/more-{n}" for n in range(3)] + ["CALL/more-call-1", "CALL/more-call-2"]
    page = (
        "<html><body>call<script>var urls = __OPEN__.map(function (u) { return u.replace('CALL', location.origin); });"
        " var wins = urls.map(function (u) { return window.open(u, '_blank'); });"
        " var had = window.opener !== null;"
        f" try {{ if (window.opener) window.opener.location = {elsewhere.url + '/from-call'!r}; }} catch (e) {{}}"
        " document.body.textContent = 'opener:' + had;</script></body></html>"
    ).replace("__OPEN__", json.dumps(more))
    call = servers("call", page.encode())
    launcher = make_launcher()
    launcher.add_config(f'[video_conference]\norigins = ["{call.url}"]')
    live = launcher.start_signed_in(timeout=150)

    _control_click(live, call.url + "/room")  # a person joins the call: an in-app window
    live.wait_facts(lambda f: f["popups"], 30, command="features")
    deadline = time.monotonic() + 20
    text = None
    while time.monotonic() < deadline and not (text or "").startswith("opener:"):
        text = live.command("popup-text").get("text")
        time.sleep(0.2)
    assert text == "opener:false"  # the call window has no way back to the main window
    _control_click(live, elsewhere.url + "/clicked")
    opened = _browser_gets(launcher, elsewhere.url + "/clicked")

    assert opened == [elsewhere.url + "/clicked"]  # neither /more-N nor /from-call
    assert [p["url"] for p in _popups(live)] == [call.url + "/room"]
    assert live.js("location.origin") == launcher.stack.rocketchat_url
    assert live.finish().returncode == 0


def test_a_click_inside_a_foreign_frame_opens_no_in_app_call_window(make_launcher, servers):
    call = servers("call", b"<html><body>a call room</body></html>")
    link = (
        f"<html><body style='margin:0'><a id='join' href='{call.url}/lured' target='_blank'"
        " style='display:block;width:100%;height:140px'>Join</a></body></html>"
    )
    attacker = servers("attacker", link.encode())
    launcher = make_launcher()
    launcher.add_config(f'[video_conference]\norigins = ["{call.url}"]')
    live = launcher.start_signed_in(timeout=150)

    _embed(live, attacker.url + "/widget")
    live.wait_facts(lambda f: any(r.startswith("/widget") for r in attacker.requests), 30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and call.url + "/lured" not in launcher.opened_in_browser():
        live.command("click", selector="#embed")  # until the frame's document is there to take it
        time.sleep(1.0)

    assert launcher.opened_in_browser() == [call.url + "/lured"]  # the browser, never the app
    assert _popups(live) == []
    assert live.finish().returncode == 0


def test_one_click_opens_a_capped_number_of_windows(make_launcher, servers):
    elsewhere = servers("elsewhere", b"<html><body>elsewhere</body></html>")
    urls = [f"{elsewhere.url}/burst-{n}" for n in range(8)]
    launcher = make_launcher()
    live = launcher.start_signed_in(timeout=150)
    live.js(
        "var b = document.createElement('button'); b.id = 'burst'; b.textContent = 'open';"
        f" b.onclick = function () {{ {json.dumps(urls)}.forEach(function (u) {{ window.open(u, '_blank'); }}); }};"
        " document.getElementById('workday').prepend(b); true",
    )

    assert live.command("click", selector="#burst")["clicked"]
    _browser_gets(launcher, urls[0])
    _control_click(live, elsewhere.url + "/later")
    # the control link may itself be past the cap: wait for the burst's launches by their number
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(launcher.opened_in_browser()) < 3:
        time.sleep(0.2)
    opened = [u for u in launcher.opened_in_browser() if "/burst-" in u]
    assert 1 <= len(opened) <= 3, opened
    assert live.finish().returncode == 0


# ------------------------------------------------------------------------- session fixation (M1)

BOB = SandboxUser(username="bob", password="bob-throwaway-pw", name="Bob Other", email="bob@example.com")
_REFUSED = "refused a Rocket.Chat address with a sign-in token in it"


def _with_bob(make_launcher) -> tuple[Launcher, str]:
    """A launcher whose Rocket.Chat also knows Bob; a token of Bob's, as an attacker would hold it."""
    launcher = make_launcher()
    launcher.stack.sandbox.add_user(BOB)
    _, token = launcher.stack.sandbox.login_token(BOB.username)
    return launcher, token


def _token_link(launcher: Launcher, token: str) -> str:
    return f"{launcher.stack.rocketchat_url}/home?resumeToken={token}"


def _refused_or_switched(launcher: Launcher, live: LiveRun, timeout: float = 30.0) -> None:
    """Wait until the launcher logged a refusal, or Bob's token signed a page in."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _bob_logins(launcher) or _REFUSED in launcher.paths.log_file.read_text(encoding="utf-8"):
            return
        time.sleep(0.2)
    raise AssertionError("neither refused nor followed within the deadline")


def _bob_logins(launcher: Launcher) -> list[dict[str, Any]]:
    return [e for e in launcher.stack.sandbox.events(kind="login") if e.get("username") == BOB.username]


def _assert_still_alice(launcher: Launcher, live: LiveRun) -> None:
    assert _bob_logins(launcher) == []  # Bob's token never signed a page in
    facts = live.command("facts")
    assert facts["page"]["meteorUserId"] == launcher.stack.sandbox.user_id(ALICE.username)
    assert facts["state"] == "signed-in"


def test_a_foreign_frame_cannot_sign_the_window_in_as_someone_else_without_a_click(make_launcher, servers):
    launcher, token = _with_bob(make_launcher)
    attacker = servers(
        "attacker",
        f"<html><body><script>top.location = {json.dumps(_token_link(launcher, token))};</script></body></html>".encode(),
    )
    live = launcher.start_signed_in(timeout=150)

    _embed(live, attacker.url + "/widget")
    _refused_or_switched(launcher, live)

    _assert_still_alice(launcher, live)
    assert live.finish().returncode == 0


@pytest.mark.parametrize("target", ["_self", "_blank"])
def test_a_clicked_resume_token_link_is_refused_in_the_main_window_and_in_a_pop_up(make_launcher, target):
    launcher, token = _with_bob(make_launcher)
    live = launcher.start_signed_in(timeout=150)

    live.js(
        f"var a = document.createElement('a'); a.id = 'fixation'; a.href = {_token_link(launcher, token)!r};"
        f" a.target = {target!r}; a.textContent = 'your invoice'; document.getElementById('workday').prepend(a); true",
    )
    assert live.command("click", selector="#fixation")["clicked"]
    _refused_or_switched(launcher, live)

    _assert_still_alice(launcher, live)
    assert live.command("features")["popups"] == []
    assert launcher.opened_in_browser() == []  # nor handed to the browser, with Bob's token in it
    assert live.finish().returncode == 0


def test_an_in_app_pop_up_sent_on_to_a_resume_token_link_refuses_it(make_launcher):
    launcher, token = _with_bob(make_launcher)
    live = launcher.start_signed_in(timeout=150)
    preview = f"{launcher.stack.rocketchat_url}/file-upload/report/Quarterly%20report.txt"
    live.js(
        "var b = document.createElement('button'); b.id = 'preview'; b.textContent = 'preview';"
        f" b.onclick = function () {{ var w = window.open({preview!r}, '_blank');"
        f" setTimeout(function () {{ w.location = {_token_link(launcher, token)!r}; }}, 1500); }};"
        " document.getElementById('workday').prepend(b); true",
    )

    assert live.command("click", selector="#preview")["clicked"]
    live.wait_facts(lambda f: f["popups"], 30, command="features")
    _refused_or_switched(launcher, live)

    _assert_still_alice(launcher, live)
    popups = live.command("features")["popups"]
    assert len(popups) == 1 and "/file-upload/report/Quarterly" in popups[0]["url"], popups  # stayed
    assert live.finish().returncode == 0
