"""A scripted Rocket.Chat page and sign-in flow for the sign-in controller's fast tests (no window).

`ScriptedPage` implements the `Page` port (launcher/window/page.py). It reads the scripts the launcher
runs (launcher/window/injection.py) and answers with the dicts those scripts return in a real page,
from a small model: which user the page is signed in as, whether its own stored session is still
accepted, which tokens Rocket.Chat accepts, and whether Rocket.Chat loads at all. The resume-token link
passes only when the hand-off announced it (the real navigation.TokenLoadAllowance), as the engines'
guard does. `ScriptedFlow` stands for launcher.signin.flow.SignInFlow: it returns the flow's real
outcome types from a queue per call.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from launcher.errors import TokenRejected
from launcher.signin.flow import Failed, NeedsCredentials, Outcome, SignedIn
from launcher.signin.tokens import RocketChatToken
from launcher.window import injection, navigation
from launcher.window.page_trust import CertificateRefusal

RC = "https://chat.example.test"
EMPLOYEE = "u-alice"


def token(name: str, user_id: str = EMPLOYEE) -> RocketChatToken:
    return RocketChatToken(auth_token=f"tok-{name}-" + "x" * 20, user_id=user_id)


def signed_in(name: str, user_id: str = EMPLOYEE) -> SignedIn:
    return SignedIn(token=token(name, user_id), source="cached", username="alice")  # type: ignore[arg-type]


def needs_password(message: str | None = None) -> NeedsCredentials:
    return NeedsCredentials(username="alice", message=message)


def failed(message: str) -> Failed:
    from launcher.errors import LauncherError

    return Failed(error=LauncherError(message), message=message, retryable=True)


class ScriptedPage:
    """The page model; tests change it (then `wake()`) to make Rocket.Chat do something."""

    poll_interval_s = 0.005

    def __init__(self) -> None:
        self.rc_url = RC
        self.rc_origin = RC
        self.closed = threading.Event()
        self.url: str | None = None
        self.user: str | None = None  # who Rocket.Chat's client is signed in as
        self.own_session: str | None = None  # the page's stored login (its own session), if any
        self.own_session_accepted = True
        self.accepted: dict[str, str] = {}  # auth token -> user id, what Rocket.Chat's server accepts
        self.accept_all = False  # every token (a real Rocket.Chat issued it)
        self.commands_taken = True  # Rocket.Chat acts on login-with-token (else only the link works)
        self.reachable = True
        self.dropped = False  # the client dropped its login (signed out by the server)
        self.certificate: CertificateRefusal | None = None
        self.loads: list[str] = []
        self.handed: list[tuple[str, str]] = []  # (path, auth token) of every login tick that carried one
        self.calls: list[str] = []  # the kinds of scripts run, in order
        self.cover: list[bool] = []
        self.cookies_deleted = 0
        self._allowance = navigation.TokenLoadAllowance()
        self._failed = False
        self._wakes = 0
        self._cond = threading.Condition()

    # -- the model's moves

    def accept(self, tok: RocketChatToken) -> None:
        self.accepted[tok.auth_token] = tok.user_id

    def wake(self) -> None:
        with self._cond:
            self._wakes += 1
            self._cond.notify_all()

    # -- the Page port

    def evaluate(self, script: str, timeout: float = 5.0) -> Any:
        if not self._on_rocketchat():
            kind = "origin" if script == "({origin: location.origin})" else "elsewhere"
            self.calls.append(kind)
            return {"origin": "file://", "onRocketChat": False}
        if "otherAccount:" in script:
            self.calls.append("signed-in-check")
            return self._signed_in_check(_last_string(script))
        if "signedIn: signedIn, lifted: signedIn" in script:
            self.calls.append("page-session")
            return self._page_session(_last_string(script))
        for kind, known in (
            ("stop-login", injection.stop_login(self.rc_origin)),
            ("hide-cover", injection.hide_cover(self.rc_origin)),
            ("show-cover", injection.show_cover(self.rc_origin)),
            ("sign-out", injection.sign_out(self.rc_origin)),
        ):
            if script == known:
                self.calls.append(kind)
                if kind == "sign-out":
                    self.user = None
                return True
        if script == "({origin: location.origin})":
            self.calls.append("origin")
            return {"origin": self.rc_origin}
        self.calls.append("other")
        return None

    def evaluate_with_token(self, script: str, timeout: float = 5.0) -> Any:
        if not self._on_rocketchat():
            return None
        args = json.loads("[" + script[script.rindex("})(") + 3 : -1] + "]")
        _origin, auth_token, user_id, post = args[:4]
        self.calls.append("login-tick")
        if self.user != user_id:  # not signed in, or as someone else: the login replaces it
            on_link = self.url is not None and "resumeToken=" in self.url
            if (post and self.commands_taken) or on_link:
                self.handed.append(("iframe-command" if post else "resume-token", auth_token))
                owner = self.accepted.get(auth_token) or (user_id if self.accept_all else None)
                if owner is None:
                    return {"onRocketChat": True, "clientStarted": True, "doc": 1, "droppedMine": True}
                self.user, self.dropped = owner, False
                if on_link:
                    self.url = self.rc_url + "/home"  # Rocket.Chat strips the parameter once it tried it
        signed = self.user == user_id
        return {"onRocketChat": True, "clientStarted": True, "doc": 1, "signedIn": signed, "lifted": signed}

    def current_url(self) -> str | None:
        return self.url

    def load(self, url: str) -> None:
        self.loads.append(url)
        if navigation.carries_secret(url) and not self._allowance.consume(url):
            raise AssertionError(f"the window's guard would refuse {navigation.redact(url)}")
        self.url = url
        on_rocketchat = navigation.is_rocketchat(url, self.rc_origin)
        self._failed = on_rocketchat and not self.reachable
        if on_rocketchat and "resumeToken=" not in url:
            self.dropped = False
            if self.user is None and self.own_session and self.own_session_accepted:
                self.user = self.own_session
        self.wake()

    def allow_token_load(self, url: str) -> None:
        self._allowance.allow(url)

    def load_failed(self) -> bool:
        return self._failed

    def refusal(self) -> CertificateRefusal | None:
        return self.certificate

    def cover_source(self, cover: bool) -> str:
        return injection.cover_script(self.rc_origin, "Example", cover)

    def set_cover(self, cover: bool) -> None:
        self.cover.append(cover)

    def wakeups_seen(self) -> int:
        with self._cond:
            return self._wakes

    def wait_wakeup(self, seen: int, timeout: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._wakes != seen, timeout)

    def delete_cookies(self) -> None:
        self.cookies_deleted += 1

    # -- answers

    def _on_rocketchat(self) -> bool:
        return navigation.is_rocketchat(self.url, self.rc_origin) and not self._failed

    def _page_session(self, user_id: str) -> dict[str, Any]:
        mine = self.own_session == user_id
        if mine and not self.own_session_accepted:
            return {"onRocketChat": True, "early": True, "clientStarted": True, "doc": 1, "dropped": True}
        signed = self.user == user_id
        return {
            "onRocketChat": True,
            "early": True,
            "clientStarted": True,
            "doc": 1,
            "startedUp": True,
            "userMatches": mine,
            "signedIn": signed,
            "lifted": signed,
        }

    def _signed_in_check(self, user_id: str) -> dict[str, Any]:
        other = self.user is not None and self.user != user_id
        return {
            "onRocketChat": True,
            "clientStarted": True,
            "hasToken": self.user is not None,
            "userMatches": self.user == user_id,
            "otherAccount": other,
            "signedOut": self.user is None and self.dropped,
        }


def _last_string(script: str) -> str:
    """The last JSON string literal of a script (the user id the state scripts end with)."""
    end = script.rindex('"')
    start = script.rindex('"', 0, end)
    return json.loads(script[start : end + 1])


@dataclass
class ScriptedFlow:
    """SignInFlow's surface the window uses, answering from queues (the last answer repeats)."""

    resumes: list[Outcome | None] = field(default_factory=list)
    refreshes: list[Outcome] = field(default_factory=list)
    sign_ins: list[Outcome] = field(default_factory=list)
    page: ScriptedPage | None = None
    public: dict[str, Any] | None = field(default_factory=lambda: {"Iframe_Integration_receive_enable": True})
    calls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rocketchat = _RocketChat(self)

    def resume(self) -> Outcome | None:
        self.calls.append("resume")
        return _next(self.resumes)

    def refresh(self) -> Outcome:
        self.calls.append("refresh")
        return _next(self.refreshes)

    def sign_in(self, username: str, password: str, remember: bool = True) -> Outcome:
        self.calls.append(f"sign_in:{username}:{remember}")
        return _next(self.sign_ins)

    def sign_out(self) -> None:
        self.calls.append("sign_out")


class _RocketChat:
    def __init__(self, flow: ScriptedFlow) -> None:
        self._flow = flow

    def public_settings(self, ids: Any) -> dict[str, Any]:
        if self._flow.public is None:
            raise OSError("unknown")
        return self._flow.public

    def me(self, tok: RocketChatToken) -> dict[str, Any]:
        self._flow.calls.append("me")
        page = self._flow.page
        if page is not None and tok.auth_token not in page.accepted:
            raise TokenRejected("Rocket.Chat refused the token.")
        return {"_id": tok.user_id}


def _next(queue: list[Any]) -> Any:
    if not queue:
        return None
    return queue.pop(0) if len(queue) > 1 else queue[0]


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 3.0) -> Any:
    """Until `condition()` is true (its value), or fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.002)
    raise AssertionError(f"{what} did not happen within {timeout} s")
