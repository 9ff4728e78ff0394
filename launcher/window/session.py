"""The sign-in behind the window: the flow (made on a worker, since httpx and keyring imports cost
~200 ms of CPU), the resume at start, the start of the hand-off once a token is there, and sign-out.

Why apart from the shell: this is the state machine's sign-in side (which page comes next after a
resume, a typed sign-in or a sign-out); the shell only builds the window and routes its events.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from launcher.window import injection, navigation, strategy, webstate
from launcher.window.states import State

if TYPE_CHECKING:
    from launcher.window.shell import Shell

__all__ = ["NO_SIGN_IN", "Session"]

_log = logging.getLogger(__name__)

NO_SIGN_IN = "The launcher could not start its sign-in."


class Session:
    """One per window; `shell` is the window's Shell (its episodes, pages, hand-off and engine)."""

    def __init__(self, shell: Shell) -> None:
        self._shell = shell
        self.flow_error: str | None = None
        self.first_resume_done = threading.Event()
        self.signed_out = False  # the person signed out: nothing to wipe at exit beyond that
        self._flow: Any = None
        self._flow_ready = threading.Event()
        self._public: dict[str, Any] | None = None
        self._public_done = threading.Event()

    # -- the flow and Rocket.Chat's public settings

    def create_flow(self) -> None:
        shell = self._shell
        try:
            from launcher.signin.credentials import CredentialStore
            from launcher.signin.flow import SignInFlow

            store = CredentialStore(namespace=shell.paths.keyring_namespace)
            self._flow = SignInFlow(shell.settings, store)
        except Exception as exc:
            _log.exception("could not prepare the sign-in")
            self.flow_error = str(exc) if str(exc) else NO_SIGN_IN
        finally:
            self._flow_ready.set()

    def wait_flow(self) -> Any:
        """The sign-in flow once the worker made it (None if it could not: see `flow_error`)."""
        self._flow_ready.wait(30)
        return self._flow

    def public_settings(self, wait_s: float) -> dict[str, Any] | None:
        """Rocket.Chat's public Iframe settings, read beside resume() (None: unknown)."""
        self._public_done.wait(wait_s)
        return self._public

    def known_public_settings(self) -> dict[str, Any] | None:
        """The public settings if they were read already (never waits)."""
        return self._public if self._public_done.is_set() else None

    def _fetch_public_settings(self) -> None:
        try:
            flow = self.wait_flow()  # its HTTP client (one pool, one TLS context) serves this too
            if flow is None:
                raise RuntimeError("no sign-in flow")
            self._public = flow.rocketchat.public_settings(strategy.PUBLIC_SETTING_IDS)
        except Exception as exc:
            _log.info("could not read Rocket.Chat's public settings (%s); trying the command first", exc)
            self._public = None
        finally:
            self._public_done.set()

    # -- signing in

    def resume(self, gen: int, on_signin_page: bool = False) -> None:
        """Sign in without asking (cached token, else the stored login). Started on the sign-in page (no
        signed-in mark), a success still goes to Rocket.Chat: the mark only saves a detour."""
        try:
            self._resume(gen, on_signin_page)
        finally:
            self.first_resume_done.set()

    def _resume(self, gen: int, on_signin_page: bool) -> None:
        from launcher.signin.flow import Failed, NeedsCredentials, SignedIn

        shell = self._shell
        flow = self.wait_flow()
        if flow is None:
            shell.pages.show_error(gen, self.flow_error or NO_SIGN_IN)
            return
        if shell.settings.login_strategy == "auto":
            self._public_done.clear()
            threading.Thread(target=self._fetch_public_settings, name="public-settings", daemon=True).start()
        try:
            result = flow.resume()
        except Exception:
            _log.exception("resume failed")
            result = None
        if not shell.episodes.current(gen):
            return
        if isinstance(result, SignedIn):
            shell.remember = True  # it came from the keyring: the person chose to be remembered
            # The page may be signing itself in from its own session: hand the token over only once the
            # server refused that session (or the watch ended), never over a resume still in flight.
            by_page = not on_signin_page and shell.handoff.wait_page_verdict(gen)
            with shell.episodes.lock:
                by_page = by_page and shell.episodes.current(gen)
                if by_page:
                    shell.token = result.token
            if by_page and result.token.user_id == shell.page_user:
                shell.timeline.mark("token_ready")  # kept for later; the page signed itself in already
                return
            self.start_rocketchat(result.token, gen=None if on_signin_page else gen)
            return
        if not on_signin_page and shell.handoff.wait_page_verdict(gen):
            message = getattr(result, "message", None) or "no stored sign-in"
            _log.warning("Rocket.Chat signed itself in from its own session; the launcher's: %s", message)
            return
        if not shell.episodes.current(gen):
            return
        if isinstance(result, NeedsCredentials):
            if result.username and not shell.pages.username:
                shell.pages.username = result.username
            shell.pages.enter_signin(gen, message=result.message, load=not on_signin_page)
        elif isinstance(result, Failed) and shell.trust.refusal(shell.rc_url) is not None:
            shell.show_unreachable(gen)  # the page's refused certificate says more than the sign-in's error
        elif isinstance(result, Failed):
            shell.pages.show_error(gen, result.message)
        else:
            shell.pages.show_error(gen, "The launcher could not sign you in: try again.")

    def signed_in_by_form(self, token: Any, remember: bool) -> None:
        self._shell.remember, self.signed_out = remember, False
        self.start_rocketchat(token)

    def start_rocketchat(self, token: Any, gen: int | None = None) -> None:
        """Hand `token` to Rocket.Chat's page, in episode `gen` if it is still signing in, else a new one."""
        shell = self._shell
        shell.timeline.mark("token_ready")
        with shell.episodes.lock:
            shell.token = token
            if gen is not None and not (shell.episodes.current(gen) and shell.state == State.SIGNING_IN):
                gen = None
        if gen is None:
            gen = shell.episodes.begin(State.SIGNING_IN)
        threading.Thread(
            target=shell.handoff.sign_in_page, args=(gen, token), name="rc-sign-in", daemon=True
        ).start()

    # -- signing out

    def sign_out_as(self, notice: str | None) -> None:
        """Sign out everywhere and show the form; `notice` None: "sign in as someone else" (the
        username is forgotten too)."""
        shell = self._shell
        gen = shell.episodes.begin(State.SIGNING_OUT)
        with shell.episodes.lock:
            self.signed_out = True
            token, shell.token = shell.token, None
        url = shell.current_url()
        if url and navigation.is_rocketchat(url, shell.rc_origin):
            shell.evaluate(injection.sign_out(shell.rc_origin))
        flow = self.wait_flow()
        self.first_resume_done.wait(30)  # a resume() still running must not save a token after this
        if flow is not None:
            try:
                flow.sign_out()
            except Exception:
                _log.exception("sign-out at the organization failed")
        elif token is not None:
            _log.warning("no sign-in flow: the keyring could not be cleared")
        try:
            if shell.engine is not None:
                shell.engine.delete_cookies()
        except Exception:
            _log.exception("could not delete the webview's cookies")
        webstate.request_wipe(shell.paths)
        if notice is None:
            shell.pages.username = None
        shell.pages.enter_signin(gen, message=None, notice=notice)
