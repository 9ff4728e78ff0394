"""The sign-in controller's rules, every outcome -> page, against a scripted page (no window).

The page is tests/launcher/window/scripted_page.py: it answers the launcher's real injected scripts
with the dicts they return in Rocket.Chat's page. The flow is scripted too (the flow's real outcome
types), except in test_a_real_flow_*, which signs in through the stand-in Rocket.Chat and the token
service. The waits of launcher/window/strategy.py are shortened so each test takes milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from launcher.paths import Paths
from launcher.timeline import Timeline
from launcher.window import strategy, webstate
from launcher.window.flow_loader import NO_SIGN_IN
from launcher.window.local_pages import CERTIFICATE_TITLE, SIGN_IN_LINK_REFUSED, SIGNIN_PAGE, UNREACHABLE
from launcher.window.page_trust import CertificateRefusal
from launcher.window.signed_in_watch import KEEPS_SIGNING_OUT, KEEPS_SWITCHING_ACCOUNT, RecoveryBudget
from launcher.window.signin_controller import SignInController
from launcher.window.signin_form import SIGNED_OUT_NOTICE, SignInForm
from launcher.window.states import Episodes, State
from tests.launcher.conftest import EMPLOYEES
from tests.launcher.window.scripted_page import (
    EMPLOYEE,
    RC,
    ScriptedFlow,
    ScriptedPage,
    failed,
    needs_password,
    signed_in,
    token,
    wait_for,
)

ORG = "https://org.example.test"


@pytest.fixture(autouse=True)
def _short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (
        ("COMMAND_WAIT_S", 0.15),
        ("RESUME_WAIT_S", 0.15),
        ("PAGE_LOAD_CAP_S", 0.3),
        ("PAGE_SESSION_WAIT_S", 0.3),
        ("REJECTED_GRACE_S", 0.02),
        ("TOKEN_PROBE_AFTER_S", 0.05),
    ):
        monkeypatch.setattr(strategy, name, value)


@dataclass
class Window:
    page: ScriptedPage
    flow: ScriptedFlow
    episodes: Episodes
    signin: SignInController
    form: SignInForm
    paths: Paths
    timeline: Timeline
    states: list[tuple[str, dict[str, Any]]]
    settled: list[str]

    def start(self) -> str:
        """What the Shell does: open the first page, then start the sign-in once it loaded."""
        first = self.signin.first_page()
        self.page.load(first)
        self.signin.page_opened()
        self.signin.start()
        return first

    def reaches(self, state: State, timeout: float = 3.0) -> dict[str, Any]:
        """The info of the first change to `state` (a settled page: signed-in, sign-in form, error)."""

        def found() -> dict[str, Any] | None:
            for seen, info in self.states:
                if seen == state:
                    return info or {"state": seen}
            return None

        return wait_for(found, f"the window reaching {state} (it went {self.settled})", timeout)

    def then(self, state: State, after: int, timeout: float = 3.0) -> dict[str, Any]:
        """The info of the first change to `state` after the first `after` settled changes."""
        wait_for(lambda: len([s for s in self.settled[after:] if s == state]), f"{state} again", timeout)
        return [info for seen, info in self.states if seen == state][-1]


@pytest.fixture
def make_window(profile: Paths, settings_for: Callable[..., Any]) -> Iterator[Callable[..., Window]]:
    made: list[Window] = []

    def make(
        flow: ScriptedFlow | None = None, *, budget: RecoveryBudget | None = None, **values: Any
    ) -> Window:
        settings = settings_for(RC, ORG, **values)
        page = ScriptedPage()
        flow = flow or ScriptedFlow()
        flow.page = page
        closed = page.closed
        episodes = Episodes(closed)
        states: list[tuple[str, dict[str, Any]]] = []
        settled: list[str] = []

        def on_change(state: str, info: dict[str, Any]) -> None:
            states.append((str(state), dict(info)))
            settled.append(str(state))

        timeline = Timeline()
        signin = SignInController(
            page,
            episodes,
            settings,
            profile,
            timeline,
            make_flow=lambda: flow,
            on_change=on_change,
            budget=budget,
        )
        window = Window(
            page,
            flow,
            episodes,
            signin,
            SignInForm(signin, page, episodes, profile),
            profile,
            timeline,
            states,
            settled,
        )
        made.append(window)
        return window

    yield make
    for window in made:
        window.page.closed.set()
        window.page.wake()


def _mark_signed_in(paths: Paths, user_id: str = EMPLOYEE) -> None:
    webstate.set_signed_in(paths, True, user_id)


# ---------------------------------------------------------------- the first start (sign-in form)


def test_first_start_without_a_stored_login_stays_on_the_form_with_the_username(make_window):
    window = make_window(ScriptedFlow(resumes=[needs_password()]))
    assert window.start() == SIGNIN_PAGE
    window.reaches(State.SIGNIN)
    assert window.page.loads == [SIGNIN_PAGE]  # the form was there already: no reload
    assert window.form.page_context()["username"] == "alice"
    assert window.page.handed == []


def test_a_typed_sign_in_hands_the_token_over_and_marks_the_profile(make_window):
    window = make_window(ScriptedFlow(resumes=[needs_password()], sign_ins=[signed_in("typed")]))
    window.start()
    window.reaches(State.SIGNIN)
    window.page.accept(signed_in("typed").token)
    assert window.form.submit_credentials(" alice ", "pw", True) == {"ok": True}
    info = window.reaches(State.SIGNED_IN)
    assert info["path"] == "iframe-command" and window.page.user == EMPLOYEE
    assert window.page.handed == [("iframe-command", token("typed").auth_token)]
    assert webstate.signed_in_user(window.paths) == EMPLOYEE and window.page.cover[-1] is False
    assert window.flow.calls[-1] == "sign_in:alice:True" and not window.signin.wipe_at_exit()


def test_a_wrong_password_keeps_the_form_and_says_why(make_window):
    failures: list[str] = []
    flow = ScriptedFlow(resumes=[needs_password()], sign_ins=[needs_password("Wrong username or password.")])
    window = make_window(flow)
    window.signin._on_form_failed = failures.append
    window.start()
    window.reaches(State.SIGNIN)
    answer = window.form.submit_credentials("alice", "bad", True)
    assert answer == {"ok": False, "message": "Wrong username or password.", "field": "password"}
    assert window.settled == [State.SIGNIN] and failures == ["Wrong username or password."]
    assert window.form.submit_credentials("alice", "", True)["field"] == "username"


def test_not_remembered_sign_in_leaves_nothing_behind(make_window):
    window = make_window(ScriptedFlow(resumes=[needs_password()], sign_ins=[signed_in("typed")]))
    window.start()
    window.reaches(State.SIGNIN)
    window.page.accept(token("typed"))
    window.form.submit_credentials("alice", "pw", False)
    window.reaches(State.SIGNED_IN)
    assert window.signin.wipe_at_exit() and webstate.signed_in_user(window.paths) is None


# ---------------------------------------------------------------- a later start (signed-in mark)


def test_the_pages_own_session_signs_in_without_the_launchers_token(make_window):
    window = make_window(ScriptedFlow(resumes=[signed_in("cached")]))
    _mark_signed_in(window.paths)
    window.page.own_session = EMPLOYEE
    assert window.start() == RC
    info = window.reaches(State.SIGNED_IN)
    assert info["path"] == "page-session" and window.page.handed == []
    wait_for(window.signin.first_resume_done.is_set, "the resume")
    assert window.timeline.get("token_ready") is not None and window.signin.token == token("cached")
    assert window.episodes.generation == 0 and "login-tick" not in window.page.calls  # no second sign-in


def test_a_revoked_own_session_gets_the_launchers_token(make_window):
    window = make_window(ScriptedFlow(resumes=[signed_in("cached")]))
    _mark_signed_in(window.paths)
    window.page.own_session, window.page.own_session_accepted = EMPLOYEE, False
    window.page.accept(token("cached"))
    window.start()
    assert window.reaches(State.SIGNED_IN)["path"] == "iframe-command"
    assert window.page.handed == [("iframe-command", token("cached").auth_token)]


def test_the_password_form_only_when_the_organization_refuses_the_stored_login(make_window):
    window = make_window(ScriptedFlow(resumes=[needs_password("Your password changed: sign in again.")]))
    _mark_signed_in(window.paths)
    window.start()
    assert window.reaches(State.SIGNIN)["message"] == "Your password changed: sign in again."
    assert window.page.loads == [RC, SIGNIN_PAGE] and not webstate.expects_signed_in(window.paths)
    assert window.form.page_context()["field"] == "password"


# ---------------------------------------------------------------- the hand-off's results


def test_a_refused_token_is_replaced_once_by_a_fresh_one(make_window):
    window = make_window(ScriptedFlow(resumes=[needs_password()], refreshes=[signed_in("fresh")]))
    window.page.accept(token("fresh"))
    window.start()
    window.reaches(State.SIGNIN)
    window.flow.sign_ins = [signed_in("stale")]  # Rocket.Chat's page refuses it (expired)
    window.form.submit_credentials("alice", "pw", True)
    window.reaches(State.SIGNED_IN)
    assert [t for _, t in window.page.handed] == [token("stale").auth_token, token("fresh").auth_token]
    assert window.flow.calls.count("refresh") == 1 and window.signin.token == token("fresh")


@pytest.mark.parametrize(
    ("fresh_accepted_by_me", "message"),
    [
        (False, "Rocket.Chat refused your sign-in: Retry, or sign in as someone else."),
        (True, "Rocket.Chat did not confirm the sign-in in time: Retry, or sign in as someone else."),
    ],
)
def test_a_fresh_token_refused_too_ends_on_the_error_page(make_window, fresh_accepted_by_me, message):
    values = {"login_strategy": "iframe-command"} if fresh_accepted_by_me else {}
    window = make_window(ScriptedFlow(resumes=[signed_in("one")], refreshes=[signed_in("two")]), **values)
    if fresh_accepted_by_me:
        window.page.commands_taken = False  # the page ignores the command: no answer in time
        window.page.accept(token("two"))  # though Rocket.Chat's /me still knows the token
    window.start()
    assert window.reaches(State.ERROR)["message"] == message
    assert window.flow.calls.count("refresh") == 1  # never a third token


def test_a_refused_token_whose_stored_login_is_refused_goes_to_the_form(make_window):
    window = make_window(
        ScriptedFlow(resumes=[signed_in("one")], refreshes=[needs_password("Sign in again.")])
    )
    window.start()
    assert window.reaches(State.SIGNIN)["message"] == "Sign in again."
    assert window.page.loads[-1] == SIGNIN_PAGE


def test_auto_falls_back_to_the_announced_resume_token_link(make_window):
    window = make_window(ScriptedFlow(resumes=[signed_in("one")]))
    window.page.commands_taken = False  # the command is not confirmed in time
    window.page.accept(token("one"))
    window.start()
    assert window.reaches(State.SIGNED_IN)["path"] == "resume-token"
    link = f"{RC}/home?resumeToken={token('one').auth_token}"
    assert link in window.page.loads  # the scripted guard raised had it not been announced first
    assert window.timeline.as_dict().get("login_iframe-command") == "timeout"


def test_a_forced_strategy_never_switches(make_window):
    window = make_window(ScriptedFlow(resumes=[signed_in("one")]), login_strategy="iframe-command")
    window.page.commands_taken = False
    window.page.accept(token("one"))
    window.start()
    window.reaches(State.ERROR)
    assert not any("resumeToken=" in url for url in window.page.loads)


@pytest.mark.parametrize(
    ("configured", "public", "commands_taken", "accepted", "expected_handed", "expected"),
    [
        # the command is not confirmed in time: auto falls back to the deep link, which works
        ("auto", {"Iframe_Integration_receive_enable": True}, False, True, ["resume-token"], State.SIGNED_IN),
        # Rocket.Chat tried the token and refused it: no other path, a fresh token (refused too: error)
        (
            "auto",
            {"Iframe_Integration_receive_enable": True},
            True,
            False,
            ["iframe-command"] * 2,
            State.ERROR,
        ),
        # settings say the command cannot work: straight to the deep link
        ("auto", {"Iframe_Integration_receive_enable": False}, True, True, ["resume-token"], State.SIGNED_IN),
        # a forced strategy never switches
        ("iframe-command", None, False, True, [], State.ERROR),
    ],
)
def test_login_paths_and_their_fallbacks(
    make_window, configured, public, commands_taken, accepted, expected_handed, expected
):
    flow = ScriptedFlow(resumes=[signed_in("one")], refreshes=[signed_in("two")], public=public)
    window = make_window(flow, login_strategy=configured)
    window.page.commands_taken = commands_taken
    if accepted:
        window.page.accept(token("one"))
        window.page.accept(token("two"))
    window.start()
    window.reaches(expected)
    assert [path for path, _ in window.page.handed] == expected_handed


def test_rocketchat_unreachable_is_the_network_page_or_the_certificate_page(make_window):
    window = make_window(ScriptedFlow(resumes=[signed_in("one")]))
    window.page.reachable = False
    window.start()
    assert window.reaches(State.ERROR)["message"] == UNREACHABLE

    other = make_window(ScriptedFlow(resumes=[failed("The organization's certificate is not trusted.")]))
    other.page.certificate = CertificateRefusal("chat.example.test", "Evil CA", "untrusted", True)
    other.start()
    assert other.reaches(State.ERROR)["message"] == other.page.certificate.message()
    assert other.form.page_context()["title"] == CERTIFICATE_TITLE


def test_a_failed_resume_and_a_missing_flow_end_on_the_error_page(make_window):
    window = make_window(
        ScriptedFlow(resumes=[failed("The organization cannot be reached: check your network.")])
    )
    window.start()
    assert window.reaches(State.ERROR)["message"] == "The organization cannot be reached: check your network."

    broken = make_window()
    broken.signin.flows._make_flow = lambda: (_ for _ in ()).throw(RuntimeError(""))
    broken.start()
    assert broken.reaches(State.ERROR)["message"] == NO_SIGN_IN


def test_a_refused_token_link_during_the_sign_in_stops_it(make_window):
    window = make_window(ScriptedFlow(resumes=[signed_in("one")]))
    window.page.commands_taken = False
    window.signin.first_page()
    window.episodes.begin(State.SIGNING_IN)
    window.signin.token_link_refused()
    assert window.reaches(State.ERROR)["message"] == SIGN_IN_LINK_REFUSED


# ---------------------------------------------------------------- signed in: the watch's results


def _signed_in_window(make_window, **kwargs: Any) -> Window:
    window = make_window(ScriptedFlow(resumes=[signed_in("one")], refreshes=[signed_in("again")]), **kwargs)
    window.page.accept(token("one"))
    window.page.accept(token("again"))
    window.start()
    window.reaches(State.SIGNED_IN)
    return window


def _drop_session(window: Window) -> None:
    window.page.user, window.page.dropped = None, True
    window.page.wake()


def test_a_dropped_session_is_signed_in_again_with_a_fresh_token(make_window):
    window = _signed_in_window(make_window)
    _drop_session(window)
    window.then(State.SIGNED_IN, after=1)
    assert window.flow.calls.count("refresh") == 1 and window.page.user == EMPLOYEE
    assert window.page.handed[-1][1] == token("again").auth_token


def test_3_recoveries_in_10_minutes_then_the_error_page(make_window):
    window = _signed_in_window(make_window)
    for n in range(1, 4):
        _drop_session(window)
        window.then(State.SIGNED_IN, after=n)
    _drop_session(window)
    info = window.reaches(State.ERROR)
    assert info["message"] == KEEPS_SIGNING_OUT.format(count=4, minutes=10)
    assert window.flow.calls.count("refresh") == 3


def test_recoveries_older_than_the_window_do_not_count(make_window):
    now = [1000.0]
    window = _signed_in_window(make_window, budget=RecoveryBudget(clock=lambda: now[0]))
    for n in range(1, 5):
        now[0] += 601.0  # each one more than 10 minutes after the last
        _drop_session(window)
        window.then(State.SIGNED_IN, after=n)
    assert State.ERROR not in window.settled


def test_a_page_on_another_account_is_signed_in_again_with_the_employees_token(make_window):
    window = _signed_in_window(make_window)
    mallory = token("mallory", "u-mallory")
    for n in range(1, 4):
        window.page.user = mallory.user_id
        window.page.wake()
        window.then(State.SIGNED_IN, after=n)
        assert window.page.user == EMPLOYEE
    assert window.flow.calls.count("refresh") == 0  # the token in memory, no new one
    assert "show-cover" in window.page.calls
    window.page.user = mallory.user_id
    window.page.wake()
    info = window.reaches(State.ERROR)
    assert info["message"] == KEEPS_SWITCHING_ACCOUNT.format(count=4, minutes=10)


def test_a_failed_rocketchat_load_after_sign_in_shows_the_error_page(make_window):
    window = _signed_in_window(make_window)
    window.page.url = "chrome-error://chromewebdata/"
    window.signin.page_load_failed(RC + "/channel/general")
    assert window.reaches(State.ERROR, timeout=5)["message"] == UNREACHABLE


# ---------------------------------------------------------------- the person: retry, sign out


def test_retry_resumes_again_from_the_error_page_only(make_window):
    window = make_window(ScriptedFlow(resumes=[failed("Down."), signed_in("one")]))
    window.page.accept(token("one"))
    assert window.form.retry()["ok"] is False
    window.start()
    window.reaches(State.ERROR)
    assert window.form.retry() == {"ok": True}
    window.reaches(State.SIGNED_IN)


def test_sign_out_clears_everything_and_shows_the_form(make_window):
    window = _signed_in_window(make_window)
    window.form.sign_out()
    assert window.reaches(State.SIGNIN).get("message") is None
    assert window.signin.token is None and "sign_out" in window.flow.calls
    assert window.page.cookies_deleted == 1 and webstate.wipe_pending(window.paths)
    assert window.form.page_context()["notice"] == SIGNED_OUT_NOTICE
    assert not window.signin.wipe_at_exit()  # signing out wiped already


def test_sign_in_as_someone_else_forgets_the_username(make_window):
    window = _signed_in_window(make_window)
    window.signin.pages.username = "alice"
    window.form.switch_user()
    window.reaches(State.SIGNIN)
    wait_for(lambda: window.form.page_context()["username"] == "", "the username forgotten")


def test_commands_work_follows_how_the_page_signed_in(make_window):
    window = _signed_in_window(make_window)
    assert window.signin.login_path == "iframe-command" and window.signin.commands_work()
    window.signin.login_path = "resume-token"
    assert not window.signin.commands_work()
    assert strategy.commands_work("page-session", "auto", {"Iframe_Integration_receive_enable": True}, RC)
    assert not strategy.commands_work("page-session", "auto", None, RC)
    assert not strategy.commands_work("page-session", "resume-token", None, RC)


# ---------------------------------------------------------------- a real flow


@pytest.mark.real
def test_a_real_flow_signs_in_through_the_stand_in_and_the_token_service(
    profile, settings_for, org, rc, desktop_session
):
    """The form's sign-in with the real SignInFlow (the stand-in Rocket.Chat and the token service on
    127.0.0.1, the real keyring), then the scripted page takes the real token."""
    from launcher.signin.credentials import CredentialStore
    from launcher.signin.flow import SignInFlow

    settings = settings_for(rc.url, org.url)
    page = ScriptedPage()
    page.rc_url = page.rc_origin = settings.rocketchat_origin
    episodes = Episodes(page.closed)
    states: list[str] = []
    signin = SignInController(
        page,
        episodes,
        settings,
        profile,
        Timeline(),
        make_flow=lambda: SignInFlow(settings, CredentialStore(namespace=profile.keyring_namespace)),
        on_change=lambda state, info: states.append(str(state)),
    )
    form = SignInForm(signin, page, episodes, profile)
    try:
        page.load(signin.first_page())
        signin.page_opened()
        signin.start()
        wait_for(lambda: State.SIGNIN in states, "the form", timeout=10)
        answer = form.submit_credentials("alice", "wrong", True)
        assert answer["ok"] is False and answer["field"] == "password" and states == [State.SIGNIN]
        page.accept_all = True
        assert form.submit_credentials("alice", EMPLOYEES["alice"], True) == {"ok": True}
        wait_for(lambda: State.SIGNED_IN in states, "signed in", timeout=10)
        assert page.handed == [("iframe-command", signin.token.auth_token)]
        assert (
            signin.login_path == "iframe-command" and webstate.signed_in_user(profile) == signin.token.user_id
        )
    finally:
        page.closed.set()
