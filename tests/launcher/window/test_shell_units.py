"""Unit tests of the window's rules (no window): login path, renderer check, navigation policy, bridge
origin check, timeline, profile marks (the sign-in sequence: test_signin_controller.py). WebView2
cannot run here, so its absence is mocked by passing platform="win32" with pywebview's fallback
renderer, and the tests say so in their names."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from launcher.logs import redaction
from launcher.paths import Paths
from launcher.timeline import Timeline, process_start_epoch
from launcher.window import navigation, strategy, webstate
from launcher.window.bridge import ALLOWED, Bridge
from launcher.window.injection import cover_script, login_tick
from launcher.window.renderer import backend_problem, renderer_problem

RC = "https://chat.example.com"


# ---------------------------------------------------------------- strategy


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"Iframe_Integration_receive_enable": True, "Iframe_Integration_receive_origin": "*"},
            "iframe-command",
        ),
        (
            {"Iframe_Integration_receive_enable": True, "Iframe_Integration_receive_origin": RC},
            "iframe-command",
        ),
        (
            {
                "Iframe_Integration_receive_enable": True,
                "Iframe_Integration_receive_origin": f"https://a.example,{RC}",
            },
            "iframe-command",
        ),
        # Rocket.Chat does not trim: a space before the origin makes it a different string
        (
            {
                "Iframe_Integration_receive_enable": True,
                "Iframe_Integration_receive_origin": f"https://a.example, {RC}",
            },
            "resume-token",
        ),
        (
            {"Iframe_Integration_receive_enable": True, "Iframe_Integration_receive_origin": "*,https://x"},
            "resume-token",
        ),
        (
            {"Iframe_Integration_receive_enable": True, "Iframe_Integration_receive_origin": RC + "/"},
            "resume-token",
        ),
        (
            {"Iframe_Integration_receive_enable": False, "Iframe_Integration_receive_origin": "*"},
            "resume-token",
        ),
        ({"Iframe_Integration_receive_enable": False}, "resume-token"),  # Rocket.Chat's default
        ({}, "iframe-command"),  # not listed (an old server's paged list): unknown, so try, then fall back
    ],
)
def test_auto_strategy_follows_rocketchats_exact_rules(settings, expected):
    assert strategy.first_path("auto", settings, RC) == expected


def test_forced_strategies_and_fallback():
    assert (
        strategy.first_path("resume-token", {"Iframe_Integration_receive_enable": True}, RC) == "resume-token"
    )
    assert strategy.first_path("iframe-command", {}, RC) == "iframe-command"
    assert strategy.first_path("auto", None, RC) == "iframe-command"  # unknown settings: try, then fall back
    assert strategy.fallback_path("auto", "iframe-command") == "resume-token"
    assert strategy.fallback_path("auto", "resume-token") is None
    assert strategy.fallback_path("iframe-command", "iframe-command") is None


# ---------------------------------------------------------------- renderer


def test_webview2_missing_mocked_mshtml_fallback_is_refused_with_install_advice():
    message = renderer_problem("mshtml", platform="win32")
    assert message is not None and "WebView2" in message and "install" in message.lower()
    assert message.count(".") >= 1 and "\n" not in message


def test_webview2_present_mocked_edgechromium_is_accepted():
    assert renderer_problem("edgechromium", platform="win32") is None


def test_linux_and_macos_renderers():
    assert renderer_problem("qtwebengine", platform="linux") is None
    assert renderer_problem("gtkwebkit2", platform="linux") is None
    assert renderer_problem("cocoa", platform="darwin") is None
    assert "Qt WebEngine" in renderer_problem("qtwebkit", platform="linux")


def test_missing_qt_names_the_package_to_install():
    message = backend_problem(ImportError("No Qt bindings could be found (qtpy)"))
    assert "pip install PyQt6 PyQt6-WebEngine qtpy" in message
    message = backend_problem(ImportError("libxcb-cursor.so.0: cannot open shared object file"))
    assert "install-system-deps.sh" in message


# ---------------------------------------------------------------- navigation


def test_navigation_policy():
    local = navigation.local_page_url("signin.html")
    assert navigation.classify(local, RC) == "local"
    assert navigation.classify(RC + "/home?x=1", RC) == "rocketchat"
    assert navigation.classify("https://chat.example.com:443/channel/general", RC) == "rocketchat"
    assert navigation.classify("https://chat.example.com.evil.test/", RC) == "external"
    assert (
        navigation.classify("http://chat.example.com/", RC) == "external"
    )  # another scheme is another origin
    assert navigation.classify("mailto:someone@example.com", RC) == "external"
    assert navigation.classify("javascript:alert(1)", RC) == "blocked"
    assert navigation.classify("file:///etc/passwd", RC) == "blocked"
    assert navigation.classify(navigation.assets_base_url() + "../shell.py", RC) == "blocked"
    assert navigation.classify("data:text/html,hi", RC) == "blocked"


def test_redact_drops_the_query_that_may_carry_a_token():
    assert navigation.redact(RC + "/home?resumeToken=secret#x") == RC + "/home"


def test_a_link_with_a_sign_in_token_is_recognised_wherever_the_token_sits():
    for url in (
        "https://elsewhere.example/home?resumeToken=abc",
        "https://elsewhere.example/home?x=1&RESUMETOKEN=abc",
        "https://elsewhere.example/#/login?authToken=abc",
        "https://elsewhere.example/cb?loginToken=abc",
    ):
        assert navigation.carries_secret(url), url
    token = "registered-token-" + "q" * 30  # a token this process handled, under any parameter name
    redaction.register_secret(token)
    assert navigation.carries_secret(f"https://elsewhere.example/landing?t={token}")
    for url in (
        "https://elsewhere.example/docs?resume=cv.pdf",
        "https://elsewhere.example/page?tokenizer=1",
        "https://github.com/RocketChat/Rocket.Chat/issues/1",
    ):
        assert not navigation.carries_secret(url), url


# ---------------------------------------------------------------- bridge


class _RecordingController:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def page_context(self):
        self.calls.append("context")
        return {"organization": "Example"}

    def submit_credentials(self, username, password, remember):
        self.calls.append(f"sign_in:{username}:{remember}")
        return {"ok": True}

    def retry(self):
        self.calls.append("retry")
        return {"ok": True}

    def switch_user(self):
        self.calls.append("switch")
        return {"ok": True}


def _bridge(caller):
    """A Bridge on a recording controller; `ran` collects the scripts it would run in the page."""
    controller = _RecordingController()
    ran: list[str] = []
    done = threading.Event()

    def run_js(script):
        ran.append(script)
        done.set()

    return Bridge(controller, lambda: caller, run_js), controller, ran, done


def _settle(bridge_threads_before: int) -> None:
    deadline = time.monotonic() + 5
    while threading.active_count() > bridge_threads_before and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.parametrize(
    "caller", [RC + "/home", "https://evil.example/", "file:///tmp/fake/signin.html", None]
)
def test_bridge_refuses_every_page_but_the_launchers_own(caller):
    bridge, controller, ran, _ = _bridge(caller)
    before = threading.active_count()
    for name, params in (
        ("context", []),
        ("sign_in", ["mallory", "pw", True]),
        ("retry", []),
        ("sign_in_as_someone_else", []),
    ):
        bridge.dispatch(None, name, params, "call-1")
    _settle(before)
    assert controller.calls == [] and ran == []


@pytest.mark.parametrize(
    "name",
    [
        "_shell",
        "context.__globals__",
        "context.__class__",
        "__class__",
        "sign_in.__code__",
        "submit_credentials",
        "page_context",
        "_functions",
        "",
        None,
        7,
        ["context"],
    ],
)
def test_bridge_refuses_every_name_but_the_four_functions(name):
    bridge, controller, ran, _ = _bridge(navigation.local_page_url("signin.html"))
    before = threading.active_count()
    bridge.dispatch(None, name, [], "call-1")
    _settle(before)
    assert controller.calls == [] and ran == []


@pytest.mark.parametrize("call_id", ["a'];alert(1);//", "x" * 65, None, 3, ""])
def test_bridge_refuses_call_ids_that_are_not_plain(call_id):
    bridge, controller, ran, _ = _bridge(navigation.local_page_url("signin.html"))
    before = threading.active_count()
    bridge.dispatch(None, "context", [], call_id)
    _settle(before)
    assert controller.calls == [] and ran == []


def test_bridge_serves_the_local_pages_and_never_raises():
    bridge, controller, ran, done = _bridge(navigation.local_page_url("signin.html"))
    bridge.dispatch(None, "context", [], "c1")
    assert done.wait(5)
    assert controller.calls == ["context"]
    assert '["context"]["c1"]' in ran[0] and json.dumps(json.dumps({"organization": "Example"})) in ran[0]

    done.clear()
    bridge.dispatch(None, "sign_in", ["alice", "pw", 1], "c2")
    assert done.wait(5)
    assert controller.calls[-1] == "sign_in:alice:True"
    assert "pw" not in ran[-1]

    def broken():
        raise RuntimeError("boom with details")

    controller.retry = broken
    bridge = Bridge(controller, lambda: navigation.local_page_url("signin.html"), ran.append)
    answer = next(f for f in bridge.functions() if f.__name__ == "retry")()
    assert answer["ok"] is False and "boom" not in answer["message"]


def test_bridge_exposes_exactly_the_four_functions():
    bridge, _, _, _ = _bridge(None)
    assert tuple(f.__name__ for f in bridge.functions()) == ALLOWED
    assert ALLOWED == ("context", "sign_in", "retry", "sign_in_as_someone_else")


# ---------------------------------------------------------------- injection


def test_scripts_embed_values_as_json_literals():
    token = 'tok"en\\</script>'
    script = login_tick(RC, token, "uid'1", True)
    assert json.dumps(token) in script and json.dumps("uid'1") in script
    assert "'*'" not in script and "targetOrigin" not in script  # posts to RC_ORIGIN, never '*'
    assert script.count("location.origin !== RC_ORIGIN") == 2  # checked on entry and right before posting
    cover = cover_script(RC, 'Ex"ample', cover=True)
    assert json.dumps({"rcOrigin": RC, "organization": 'Ex"ample', "cover": True}) in cover


# ---------------------------------------------------------------- timeline and profile marks


def test_timeline_uses_the_kernels_process_start(tmp_path):
    start = process_start_epoch()
    timeline = Timeline()
    timeline.mark("window_shown")
    timeline.mark("window_shown")  # the first time wins
    timeline.note("renderer", "qtwebengine")
    path = tmp_path / "t" / "timeline.json"
    timeline.write(path)
    data = json.loads(path.read_text())
    assert data["process_start"] == 0.0 and data["window_shown"] >= 0
    assert data["renderer"] == "qtwebengine" and data["token_ready"] is None
    assert abs(data["process_start_epoch"] - start) < 0.05
    # pytest has been running for a while: the kernel's start time is well before this module's import
    assert data["window_shown"] > 100


def test_signed_in_mark_and_wipe_request(tmp_path: Path):
    paths = Paths.under(tmp_path / "profile")
    assert not webstate.expects_signed_in(paths)
    webstate.set_signed_in(paths, True)
    assert webstate.expects_signed_in(paths)
    (paths.webview_storage_dir / "Local Storage").mkdir(parents=True)
    webstate.request_wipe(paths)
    assert not webstate.expects_signed_in(paths)
    assert webstate.wipe_if_requested(paths) is True
    assert not paths.webview_storage_dir.exists() and not webstate.wipe_pending(paths)
    assert webstate.wipe_if_requested(paths) is False


def test_signed_in_mark_keeps_the_user_id_and_nothing_else(tmp_path: Path):
    paths = Paths.under(tmp_path / "profile")
    assert webstate.signed_in_user(paths) is None
    webstate.set_signed_in(paths, True, "aB3_x-9")
    assert webstate.expects_signed_in(paths) and webstate.signed_in_user(paths) == "aB3_x-9"
    webstate.set_signed_in(paths, True)  # without an id (e.g. the benchmark's setup) the id stays
    assert webstate.signed_in_user(paths) == "aB3_x-9"
    webstate.set_signed_in(paths, True, "not an id; <script>")  # never kept, never read back
    assert webstate.expects_signed_in(paths) and webstate.signed_in_user(paths) is None
    webstate.set_signed_in(paths, False)
    assert webstate.signed_in_user(paths) is None


def test_injected_sign_in_scripts_never_target_any_origin_but_rocketchats():
    from launcher.window.injection import WAKE_MARKER, page_session, stop_login

    tick = login_tick(RC, "tok", "uid", True, attempt="1.1")
    assert "postMessage(" in tick and tick.count("postMessage(") == 1
    assert "}, RC_ORIGIN);" in tick and "'*'" not in tick
    for script in (page_session(RC, "uid"), stop_login(RC)):
        assert "postMessage" not in script  # these two carry no token and post nothing
    cover = cover_script(RC, "Example", cover=True)
    assert WAKE_MARKER in cover and "postMessage" not in cover  # cover.js only draws and listens


# ---------------------------------------------------------------- the sign-in sequence
# The controller's rules (every outcome -> page) run against a scripted page in
# tests/launcher/window/test_signin_controller.py.


@pytest.mark.real
def test_the_window_modules_do_not_import_the_sign_in_libraries():
    """httpx and keyring load on the sign-in thread once the window shows (docs/benchmark.md): a window
    module that imports them at the top costs every start about 100 ms before the window appears."""
    import subprocess
    import sys

    code = (
        "import sys, launcher.app, launcher.window.shell, launcher.window.signin_controller, "
        "launcher.window.signin_form, launcher.window.engines.qt; "
        "print(sorted(m for m in ('httpx', 'keyring', 'httpcore') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
