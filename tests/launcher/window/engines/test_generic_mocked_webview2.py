"""Scripts that carry the token, on WebView2/WKWebView: checked in Python, never through the page's eval.

WebView2 and WKWebView cannot run here, so pywebview's window is replaced by a stand-in (the only mock
in this file, named in each test). It behaves as pywebview does on those engines: `evaluate_js` wraps
the script's text in the page's own `eval` (webview/window.py), so a page that replaced `window.eval`
reads every script sent that way; `run_js` hands the text to the engine (ExecuteScriptAsync,
evaluateJavaScript), where no page function sees it. The engine under test is the real GenericEngine.
"""

from __future__ import annotations

from typing import Any

from launcher.window.engines.generic import GenericEngine

RC = "https://chat.example.com"
TOKEN = "tok-" + "x" * 39
SCRIPT = f"(function(){{ var TOKEN = '{TOKEN}'; return {{onRocketChat: true}}; }})()"


class _WebView2Window:
    """pywebview's Window on WebView2, with a page that hooked `eval` (what it saw is `page_saw`)."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.page_saw: list[str] = []  # every script text the page's replaced eval received
        self.native: list[str] = []  # scripts the engine evaluated natively

    def get_current_url(self) -> str | None:
        return self.url

    def evaluate_js(self, script: str) -> Any:
        self.page_saw.append(script)  # pywebview: `value = eval("<script>")`, the page's eval
        return {"onRocketChat": True}

    def run_js(self, script: str) -> Any:
        self.native.append(script)
        return '{"onRocketChat": true}'  # WebView2 hands back the completion value as JSON


def _engine(url: str | None) -> tuple[GenericEngine, _WebView2Window]:
    engine = GenericEngine()
    window = _WebView2Window(url)
    engine.window = window
    return engine, window


def test_mocked_webview2_a_token_script_is_not_sent_to_another_origin() -> None:
    for url in (
        "https://evil.example/home",
        "http://chat.example.com/",
        "https://chat.example.com.evil.example/",
    ):
        engine, window = _engine(url)
        assert engine.run_js_on(RC, SCRIPT, timeout=2.0) is None, url
        assert window.page_saw == [] and window.native == [], url


def test_mocked_webview2_a_window_whose_url_cannot_be_read_gets_no_token_script() -> None:
    for url in (None, "", "about:blank", "not a url"):
        engine, window = _engine(url)
        assert engine.run_js_on(RC, SCRIPT, timeout=2.0) is None, url
        assert window.page_saw == [] and window.native == [], url


def test_mocked_webview2_on_rocketchat_the_token_script_bypasses_the_pages_eval() -> None:
    engine, window = _engine(RC + "/home")
    assert engine.run_js_on(RC, SCRIPT, timeout=2.0) == {"onRocketChat": True}
    assert window.native == [SCRIPT]
    assert not any(TOKEN in text for text in window.page_saw)


def test_mocked_webview2_scripts_without_a_token_keep_pywebviews_evaluate_js() -> None:
    """Only token scripts change path: the others keep evaluate_js's error handling and conversions."""
    engine, window = _engine(RC + "/home")
    assert engine.run_js("({origin: location.origin})", timeout=2.0) == {"onRocketChat": True}
    assert window.page_saw == ["({origin: location.origin})"] and window.native == []
