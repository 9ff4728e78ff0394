"""Rocket.Chat addresses with a sign-in token: only the launcher's own hand-off link passes, once.

`navigation.refuses_token_link` and `TokenLoadAllowance` are the rule both engines apply (the Qt window
before each navigation: tests/launcher/window/test_foreign_frame.py shows it in the real window). The
generic engine (WebView2, WKWebView) has no hook before a load, only after; it cannot run here, so its
pywebview window is a stand-in (the one mock, named in its test), and the engine under test is real.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from launcher.window.engines.base import PageHooks
from launcher.window.engines.generic import GenericEngine
from launcher.window.features.options import FeatureOptions
from launcher.window.navigation import TokenLoadAllowance, refuses_token_link

RC = "https://chat.example.com"
OWN = f"{RC}/home?resumeToken=alice-token-abc"
OTHER = f"{RC}/home?resumeToken=bob-token-xyz"


def test_every_rocketchat_token_address_is_refused_but_the_announced_one() -> None:
    allowance = TokenLoadAllowance()
    for url in (OWN, OTHER, f"{RC}/home?x=1&authToken=t", f"{RC}/#loginToken=t"):
        assert refuses_token_link(url, RC, allowance), url
        assert refuses_token_link(url, RC, None), url
    assert not refuses_token_link(f"{RC}/channel/general", RC, allowance)
    assert not refuses_token_link(
        "https://elsewhere.example/?resumeToken=t", RC, allowance
    )  # not Rocket.Chat's

    allowance.allow(OWN)
    assert not refuses_token_link(OWN, RC, allowance)
    assert not refuses_token_link(
        "https://CHAT.example.com:443/home?resumeToken=alice%2Dtoken%2Dabc", RC, allowance
    )
    assert refuses_token_link(OTHER, RC, allowance)  # only that one URL
    assert not allowance.consume(OTHER)
    assert allowance.consume(OWN)
    assert refuses_token_link(OWN, RC, allowance)  # once


class _Window:
    """pywebview's window on WebView2/WKWebView (stand-in): where it is, and what it was told to load."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.events: Any = None

    def get_current_url(self) -> str:
        return self.url

    def evaluate_js(self, script: str) -> Any:
        return None


def _engine(url: str, allowance: TokenLoadAllowance) -> tuple[GenericEngine, list[str]]:
    back: list[str] = []
    engine = GenericEngine()
    engine.hooks = PageHooks(
        rc_origin=RC,
        cover_source="",
        desktop_source="",
        cache_dir=Path("/nonexistent"),
        on_load_finished=lambda u, ok: back.append("loaded"),
        on_external=lambda u: back.append("external"),
        back_to_rocketchat=lambda: back.append("back"),
        on_wake=lambda what: None,
        wake_marker="",
        bridge_call=lambda *a: None,
        certificate_error=lambda *a: False,
        proxy=None,
        features=FeatureOptions(rc_origin=RC, downloads_folder=Path("/nonexistent")),
        token_loads=allowance,
    )
    engine.window = _Window(url)
    return engine, back


def test_mocked_webview2_a_token_address_not_the_launchers_own_is_left_at_once() -> None:
    allowance = TokenLoadAllowance()
    allowance.allow(OWN)
    engine, back = _engine(OTHER, allowance)
    engine._on_loaded()
    assert back == ["back"]  # back to Rocket.Chat's start page, never reported as a good load

    engine, back = _engine(OWN, allowance)
    engine._on_loaded()
    assert back == ["loaded"]
    engine._on_loaded()  # the same link again (page script, history): once only
    assert back == ["loaded", "back"]
