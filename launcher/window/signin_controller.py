"""The sign-in controller: the one owner of the sign-in's state and the one place where an outcome
becomes the next page.

It owns the Rocket.Chat token (in memory only), "keep me signed in", the login path, the page's user
(kept with the signed-in mark) and whether the person signed out; nothing else writes them. Every
outcome lands here and picks the page that follows:
- the flow's outcome (launcher/signin/flow.py: SignedIn, NeedsCredentials, Failed) at the start, after
  Retry, after a refused token and after the page dropped its session: hand-off, sign-in form or error;
- the hand-off's result (launcher/window/handoff.py: HandOffEnd): signed in, a fresh token once, or the
  error page that says what is wrong;
- the signed-in watch's drift (launcher/window/signed_in_watch.py): signed in again, at most
  MAX_RECOVERIES times in RECOVERY_WINDOW_S, then the error page.
It acts on the window only through the `Page` port (launcher/window/page.py) and the episodes, so the
unit tests run it against a scripted fake page. The local pages' bridge calls reach it through
launcher/window/signin_form.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from launcher.window import injection, navigation, strategy, webstate
from launcher.window.flow_loader import NO_SIGN_IN, FlowLoader, keyring_flow
from launcher.window.handoff import PageHandOff
from launcher.window.local_pages import SIGN_IN_LINK_REFUSED, SIGNIN_PAGE, LocalPages
from launcher.window.signed_in_watch import Drift, RecoveryBudget, SignedInWatch
from launcher.window.states import HandOffResult, LoginPath, State

if TYPE_CHECKING:
    from launcher.config.settings import Settings
    from launcher.paths import Paths
    from launcher.signin.flow import Outcome, SignInFlow
    from launcher.timeline import Timeline
    from launcher.window.page import Page
    from launcher.window.states import Episodes

__all__ = ["SignInController"]

_log = logging.getLogger(__name__)


class SignInController:
    """One per window. `on_change(state, info)` hears every settled change (the --exit-when-ready rule);
    `on_form_failed(message)` a failed sign-in typed into the form. `make_flow` builds the sign-in flow
    (default: the product's, over HTTP and the keyring)."""

    def __init__(
        self,
        page: Page,
        episodes: Episodes,
        settings: Settings,
        paths: Paths,
        timeline: Timeline,
        *,
        username: str | None = None,
        make_flow: Callable[[], SignInFlow] | None = None,
        on_change: Callable[[str, dict[str, Any]], None] | None = None,
        on_form_failed: Callable[[str], None] | None = None,
        budget: RecoveryBudget | None = None,
    ) -> None:
        self._page = page
        self._episodes = episodes
        self._settings = settings
        self._paths = paths
        self._timeline = timeline
        self._on_change = on_change
        self._on_form_failed = on_form_failed
        self.flows = FlowLoader(make_flow or keyring_flow(settings, paths))
        self.pages = LocalPages(
            page,
            episodes,
            paths,
            self._change,
            settings.organization_name or "Rocket.Chat",
            settings.organization_logo,
            username,
        )
        self.handoff = PageHandOff(
            page, episodes, self.flows, timeline, settings.login_strategy, self.confirmed_in
        )
        self.watch = SignedInWatch(page, episodes)
        self.budget = budget or RecoveryBudget()
        # The sign-in's state: written only by this class, under the episodes' lock where loops race.
        self.token: Any = None  # the Rocket.Chat token of this run, in memory only
        self.remember = bool(settings.remember_me_default)
        self.login_path: str | None = None  # a LoginPath once Rocket.Chat is signed in
        self.page_user: str | None = None  # the user id kept with the signed-in mark
        self.signed_out = False  # the person signed out: nothing to wipe at exit beyond that
        self.first_resume_done = threading.Event()
        self._confirmed_gen: int | None = None  # the episode whose sign-in was confirmed
        self._page_watch: tuple[int, threading.Event] | None = None  # (episode, decided) of the watcher
        self._start: tuple[int, bool] = (0, False)  # (episode, on the form) of the window's start

    # ----------------------------------------------------------------- the window's start

    def first_page(self) -> str:
        """The URL the window opens on: Rocket.Chat when the profile holds a signed-in session (the
        webstate mark), else the sign-in form."""
        on_rocketchat = webstate.expects_signed_in(self._paths)
        self.page_user = webstate.signed_in_user(self._paths) if on_rocketchat else None
        self._episodes.start_in(State.SIGNING_IN if on_rocketchat else State.SIGNIN)
        return self._page.rc_url if on_rocketchat else SIGNIN_PAGE

    def page_opened(self) -> None:
        """The window exists and its first URL is loading: watch the page sign itself in, if it may."""
        gen = self._episodes.generation
        on_form = self._episodes.state == State.SIGNIN
        self._start = (gen, on_form)
        if not on_form:
            self._episodes.emit(State.SIGNING_IN, {})
            if self.page_user:
                self._watch_page_session(gen, self.page_user)

    def start(self) -> None:
        """On the worker, once the first page loaded: make the flow, then resume the sign-in."""
        gen, on_form = self._start
        self.flows.create()
        self.resume(gen, on_signin_page=on_form)

    # ----------------------------------------------------------------- outcomes -> pages

    def resume(self, gen: int, on_signin_page: bool = False) -> None:
        """Sign in without asking (cached token, else the stored login). Started on the sign-in page (no
        signed-in mark), a success still goes to Rocket.Chat: the mark only saves a detour."""
        try:
            self._resume(gen, on_signin_page)
        finally:
            self.first_resume_done.set()

    def _resume(self, gen: int, on_form: bool) -> None:
        from launcher.signin.flow import SignedIn

        flow = self.flows.wait()
        if flow is None:
            self.pages.show_error(gen, self.flows.error or NO_SIGN_IN)
            return
        if self._settings.login_strategy == "auto":
            self.flows.read_public_settings()
        try:
            result: Outcome | None = flow.resume()
        except Exception:
            _log.exception("resume failed")
            result = None
        if not self._episodes.current(gen):
            return
        if isinstance(result, SignedIn):
            self.remember = True  # it came from the keyring: the person chose to be remembered
            # The page may be signing itself in from its own session: hand the token over only once the
            # server refused that session (or the watch ended), never over a resume still in flight.
            by_page = not on_form and self._wait_page_verdict(gen)
            with self._episodes.lock:
                by_page = by_page and self._episodes.current(gen)
                if by_page:
                    self.token = result.token
            if by_page and result.token.user_id == self.page_user:
                self._timeline.mark("token_ready")  # kept for later; the page signed itself in already
                return
            self._hand_over(result.token, gen=None if on_form else gen)
            return
        if not on_form and self._wait_page_verdict(gen):
            message = getattr(result, "message", None) or "no stored sign-in"
            _log.warning("Rocket.Chat signed itself in from its own session; the launcher's: %s", message)
            return
        self._follow(gen, result, load_form=not on_form)

    def _follow(self, gen: int, result: Outcome | None, load_form: bool = True) -> None:
        """The page after a flow outcome that needs no form answer: a fresh token goes to the page (as a
        refreshed one: refused too, it is not replaced again), a refused login to the form, a failure
        to the error page (a refused certificate says more than the sign-in's error)."""
        from launcher.signin.flow import Failed, NeedsCredentials, SignedIn

        if not self._episodes.current(gen):
            return
        if isinstance(result, SignedIn):
            self._timeline.note("token_refreshed", True)
            with self._episodes.lock:
                self.token = result.token
            self._hand_off(gen, result.token, refreshed=True)
        elif isinstance(result, NeedsCredentials):
            if result.username and not self.pages.username:
                self.pages.username = result.username
            self.pages.show_signin(gen, message=result.message, load=load_form)
        elif isinstance(result, Failed) and self._page.refusal() is not None:
            self.pages.show_unreachable(gen)
        elif isinstance(result, Failed):
            self.pages.show_error(gen, result.message)
        else:
            self.pages.show_error(gen, "The launcher could not sign you in: try again.")

    def _hand_over(self, token: Any, gen: int | None = None) -> None:
        """Hand `token` to Rocket.Chat's page, in episode `gen` if it is still signing in, else a new one."""
        self._timeline.mark("token_ready")
        with self._episodes.lock:
            self.token = token
            if gen is not None and not (
                self._episodes.current(gen) and self._episodes.state == State.SIGNING_IN
            ):
                gen = None
        if gen is None:
            gen = self._episodes.begin(State.SIGNING_IN)
        threading.Thread(target=self._hand_off, args=(gen, token), name="rc-sign-in", daemon=True).start()

    def _hand_off(self, gen: int, token: Any, refreshed: bool = False) -> None:
        end = self.handoff.sign_in_page(gen, token)
        if end.result == HandOffResult.CONFIRMED:
            self._confirmed(gen, end.path or LoginPath.RESUME_TOKEN, lifted=end.lifted)
        elif end.result == HandOffResult.UNREACHABLE:
            self.pages.show_unreachable(gen)
        elif end.result != HandOffResult.CANCELLED and self._episodes.current(gen):
            self._not_confirmed(gen, token, refreshed)

    def _not_confirmed(self, gen: int, token: Any, refreshed: bool) -> None:
        """The page did not sign in with this token. Rocket.Chat's REST API does not check a token's
        expiry (only the web client's resume login does), so only the page notices: get a fresh token
        once (flow.refresh: the stored login), then give up with a message that says what is wrong."""
        flow = self.flows.wait()
        if flow is None:
            self.pages.show_error(gen, self.flows.error or NO_SIGN_IN)
            return
        if not refreshed:
            self._follow(gen, flow.refresh())
            return
        self.pages.show_error(gen, self.handoff.why_not_confirmed(flow, token))

    def _confirmed(self, gen: int, path: str, user_id: str | None = None, lifted: bool = False) -> None:
        """The page is signed in (once per episode: the watcher and the token path may both see it)."""
        with self._episodes.lock:
            if (
                not self._episodes.current(gen)
                or self._confirmed_gen == gen
                or self._episodes.state != State.SIGNING_IN
            ):
                return
            self._confirmed_gen = gen
            token = self.token
        if user_id is None and token is not None:
            user_id = token.user_id
        page = self._page
        if not lifted:
            page.evaluate(injection.hide_cover(page.rc_origin))
        self._timeline.mark("signin_confirmed")
        page.set_cover(False)
        self._timeline.note("login_path", str(path))
        self.login_path = str(path)
        webstate.set_signed_in(self._paths, self.remember, user_id if self.remember else None)
        self._change(gen, State.SIGNED_IN, path=str(path))
        if user_id:
            threading.Thread(
                target=self._keep_signed_in, args=(gen, user_id), name="signed-in-watch", daemon=True
            ).start()

    def confirmed_in(self, gen: int) -> bool:
        return self._confirmed_gen == gen

    # ----------------------------------------------------------------- the page's own session

    def _watch_page_session(self, gen: int, user_id: str) -> None:
        decided = threading.Event()
        self._page_watch = (gen, decided)

        def watch() -> None:
            try:
                end = self.handoff.watch_page_session(gen, user_id)
                if end is not None:
                    self.remember = True  # the mark exists only for a remembered sign-in
                    self._confirmed(gen, LoginPath.PAGE_SESSION, user_id, lifted=end.lifted)
            finally:
                decided.set()

        threading.Thread(target=watch, name="page-session", daemon=True).start()

    def _wait_page_verdict(self, gen: int) -> bool:
        """Before handing a token over, or when the launcher could not sign in: if the page may still sign
        itself in (the watcher runs for this episode), wait for its verdict. True when the page confirmed
        itself (its own session, accepted by the server)."""
        watch = self._page_watch
        if watch is not None and watch[0] == gen:
            watch[1].wait(strategy.PAGE_LOAD_CAP_S + strategy.PAGE_SESSION_WAIT_S)
        return self._confirmed_gen == gen

    # ----------------------------------------------------------------- keeping it signed in

    def _keep_signed_in(self, gen: int, user_id: str) -> None:
        drift = self.watch.watch(gen, user_id)
        if drift is not None:
            self._recover(gen, drift)

    def _recover(self, gen: int, drift: Drift) -> None:
        with self._episodes.lock:
            if not (self._episodes.current(gen) and self._episodes.state == State.SIGNED_IN):
                return  # the person signs out, or the window moved on
            new_gen = self._episodes.begin(State.SIGNING_IN)
        other_account = drift == Drift.OTHER_ACCOUNT
        if not self.budget.take():
            _log.warning(
                "Rocket.Chat's page %s again; not signing in a %dth time",
                "switched to another account" if other_account else "dropped the session",
                self.budget.limit + 1,
            )
            if other_account:  # not one more look at that account
                self._page.evaluate(injection.show_cover(self._page.rc_origin))
            self.pages.show_error(new_gen, self.budget.too_many(drift))
            return
        if other_account:
            _log.warning("Rocket.Chat's page is signed in as another account; signing the employee in again")
            self._timeline.note("page_other_account", self.budget.spent)
        else:
            _log.info("Rocket.Chat's page dropped its session; signing it in again")
            self._timeline.note("page_signed_out", self.budget.spent)
        threading.Thread(
            target=self._sign_in_again, args=(new_gen, drift), name="sign-in-again", daemon=True
        ).start()

    def _sign_in_again(self, gen: int, drift: Drift) -> None:
        """The page on another account: the employee's token in memory, which Rocket.Chat still accepts
        (replaced once if the page refuses it). A dropped session: a fresh token from the organization
        (the stored login). Then the usual hand-off."""
        flow = self.flows.wait()
        if flow is None:
            self.pages.show_error(gen, self.flows.error or NO_SIGN_IN)
            return
        self._page.evaluate(injection.show_cover(self._page.rc_origin))
        token = self.token if drift == Drift.OTHER_ACCOUNT else None
        if token is not None:
            self._hand_off(gen, token)
            return
        self._follow(gen, flow.refresh())

    # ----------------------------------------------------------------- the window's events

    def token_link_refused(self) -> None:
        """The window refused a link carrying a sign-in token. During the sign-in, the link left
        Rocket.Chat's origin: stop the hand-off and say so. Later the link only stays closed."""
        if self._episodes.state == State.SIGNING_IN:
            self.pages.show_error(self._episodes.interrupt(), SIGN_IN_LINK_REFUSED)

    def page_load_failed(self, url: str) -> None:
        """A load failed. After sign-in, a Rocket.Chat page that really left Rocket.Chat shows the error
        page rather than the engine's blank one."""
        if self._episodes.state != State.SIGNED_IN or not navigation.is_rocketchat(url, self._page.rc_origin):
            return
        gen = self._episodes.generation

        def check() -> None:
            self._page.closed.wait(0.5)
            where = self._page.evaluate("({origin: location.origin})")
            left = isinstance(where, dict) and where.get("origin") != self._page.rc_origin
            if left and self._episodes.current(gen):
                self.pages.show_unreachable(gen)

        threading.Thread(target=check, name="load-failed", daemon=True).start()

    def commands_work(self) -> bool:
        """Whether Rocket.Chat takes iframe commands (`go`...) now (see strategy.commands_work)."""
        public = self.flows.known_public_settings()
        return strategy.commands_work(
            self.login_path, self._settings.login_strategy, public, self._page.rc_origin
        )

    def wipe_at_exit(self) -> bool:
        """ "Keep me signed in" was off, and the person did not sign out (which wiped already)."""
        return not self.remember and not self.signed_out

    # ----------------------------------------------------------------- pages and states

    def _change(self, gen: int, state: State, **info: Any) -> None:
        if self._episodes.change(gen, state, info) and self._on_change is not None:
            self._on_change(state, info)

    # ----------------------------------------------------------------- the person (signin_form.py)

    def forget_token(self) -> Any:
        """Signing out: the token this run held (now forgotten), for the caller to clear everywhere."""
        with self._episodes.lock:
            self.signed_out = True
            token, self.token = self.token, None
        return token

    def signed_in_by_form(self, username: str, token: Any, remember: bool) -> None:
        self.pages.username = username
        self.remember, self.signed_out = remember, False
        self._hand_over(token)

    def form_failed(self, message: str) -> None:
        self._episodes.emit("signin-failed", {"message": message})
        if self._on_form_failed is not None:
            self._on_form_failed(message)

    def retry(self) -> bool:
        """Retry on the error page: resume again in a new episode (False: not on the error page)."""
        if self._episodes.state != State.ERROR:
            return False
        gen = self._episodes.begin(State.SIGNING_IN)
        threading.Thread(target=self.resume, args=(gen,), name="retry", daemon=True).start()
        return True
