"""The one sign-in flow that the window and the CLI share.

``resume()`` never asks anyone: a cached Rocket.Chat token that Rocket.Chat still accepts (one ``/me``),
else the stored login (organization sign-in + token fetch, two requests). ``sign_in()`` is the same with
what the person typed. Outcomes are typed: ``SignedIn``, ``NeedsCredentials`` (ask, maybe with a reason)
or ``Failed`` (say what broke; ``retryable`` when trying again may help).

The rules for what is kept: a rejected password is forgotten (the username stays, to prefill the form);
network and server trouble keeps everything; a token Rocket.Chat rejects is dropped and re-minted.

Every stored secret is bound to the server it is sent to (security item L5): the password to the address
it is posted to (``organization.login.url`` resolved, or Rocket.Chat in mode "rocketchat"), the
organization session to ``organization.token.url``, the cached token to ``rocketchat.url``. When the
configuration now names another address, the stored secret is not sent: the person is asked again (the
entry stays until that new sign-in succeeds and replaces it). Entries stored by older versions carry no
address; they are bound to the configured one on their first successful use.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, TypeVar

import httpx

from launcher.config import Settings
from launcher.errors import (
    CredentialStoreError,
    InvalidCredentials,
    LauncherError,
    RateLimited,
    SessionRejected,
    TokenRejected,
    UnexpectedResponse,
)
from launcher.logs.redaction import register_secret
from launcher.signin._text import ENTER_BOTH, SIGN_IN_EXPIRED, server_changed
from launcher.signin.credentials import CredentialStore
from launcher.signin.http import make_client
from launcher.signin.orgclient import SERVER as ORG_SERVER
from launcher.signin.orgclient import OrganizationClient
from launcher.signin.rate_limits import patiently
from launcher.signin.rcclient import RocketChatClient
from launcher.signin.tokens import OrgSession, RocketChatToken

__all__ = ["ENTER_BOTH", "Failed", "NeedsCredentials", "Outcome", "RocketChatToken", "SignInFlow", "SignedIn"]

log = logging.getLogger(__name__)

Source = Literal["cached", "stored-login", "new-login"]
T = TypeVar("T")


@dataclass(frozen=True)
class SignedIn:
    """Rocket.Chat accepts ``token``. ``warning``: signed in, but something could not be remembered."""

    token: RocketChatToken
    source: Source
    username: str | None = None
    warning: str | None = None


@dataclass(frozen=True)
class NeedsCredentials:
    """Ask for the password. ``username`` prefills the form; ``message`` says why (None: first run)."""

    username: str | None
    message: str | None


@dataclass(frozen=True)
class Failed:
    """Signing in is impossible right now; ``message`` is one sentence: what happened, what to do."""

    error: LauncherError
    message: str
    retryable: bool

    @classmethod
    def of(cls, error: LauncherError) -> Failed:
        return cls(error=error, message=str(error), retryable=error.retryable)


Outcome = SignedIn | NeedsCredentials | Failed


class SignInFlow:
    """Sign-in for one launcher profile: ``settings`` says where, ``store`` remembers what."""

    def __init__(
        self, settings: Settings, store: CredentialStore, *, client: httpx.Client | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self._owns_client = client is None
        self._client = client if client is not None else make_client(settings)
        self.rocketchat = RocketChatClient(settings.rocketchat_url, self._client)
        self.organization = (
            OrganizationClient(settings.organization, self._client) if settings.organization else None
        )
        self._sleep: Callable[[float], None] = time.sleep  # rate-limit waits
        self._session: OrgSession | None = None  # the organization session of this run, for sign-out
        # The configured token address, when the last look at the keyring found a session stored for another.
        self._session_elsewhere: str | None = None

    # --- public -----------------------------------------------------------------------------------------

    def resume(self) -> Outcome:
        """Sign in without asking: the cached token if Rocket.Chat accepts it, else the stored login."""
        try:
            cached = self.store.load_token(self.settings.rocketchat_url)
        except CredentialStoreError as error:
            return Failed.of(error)
        rejected: str | None = None
        if cached is not None and not cached.expired():
            try:
                me = self.rocketchat.me(cached)
            except TokenRejected:
                log.info("the cached Rocket.Chat token was rejected (401 on /me); signing in again")
                rejected = cached.auth_token
                self._quietly(self.store.forget_token)
            except RateLimited as error:
                # Every REST route is rate-limited per client IP, and a company NAT puts everyone behind
                # one: the page's own login is not counted against /me, so let it decide.
                log.info(
                    "Rocket.Chat rate-limited the token check (%s); handing the token to the page", error
                )
                return SignedIn(token=cached, source="cached")
            except LauncherError as error:
                log.warning("could not check the cached token: %s", error)
                return Failed.of(error)
            else:
                log.info("the cached Rocket.Chat token is still accepted")
                username = me.get("username") if isinstance(me.get("username"), str) else None
                return SignedIn(token=cached, source="cached", username=username)
        elif cached is not None:
            log.info("the cached Rocket.Chat token is past its expiry; signing in again")
            rejected = cached.auth_token
            self._quietly(self.store.forget_token)
        return self._from_stored(reason=SIGN_IN_EXPIRED if cached is not None else None, rejected=rejected)

    def refresh(self) -> Outcome:
        """Rocket.Chat's page rejected the token (expired or revoked): drop it and sign in with what is
        stored. Rocket.Chat's REST header check does not look at a token's expiry, only the web client's
        resume login does, so only the page can notice an expired token
        (docs/rocketchat-contract.md#token-lifetime-and-expiry)."""
        try:
            cached = self.store.load_token(self.settings.rocketchat_url)
            self.store.forget_token()
        except CredentialStoreError as error:
            return Failed.of(error)
        return self._from_stored(reason=SIGN_IN_EXPIRED, rejected=cached.auth_token if cached else None)

    def sign_in(self, username: str, password: str, remember: bool = True) -> Outcome:
        """Sign in with what the person typed; with ``remember`` keep the login in the keyring."""
        username = username.strip()
        if not username or not password:
            return NeedsCredentials(username=username or None, message=ENTER_BOTH)
        register_secret(password)
        return self._sign_in(username, password, source="new-login", remember=remember)

    def sign_out(self) -> None:
        """End the Rocket.Chat token and the organization session (best effort), then forget everything.

        Raises ``CredentialStoreError`` when the keyring cannot be cleared (the person must know)."""
        token = self._quietly(lambda: self.store.load_token(self.settings.rocketchat_url))
        if token is not None:
            try:
                self.rocketchat.logout(token)
                log.info("logged the Rocket.Chat token out")
            except LauncherError as error:
                log.warning("could not log the token out at Rocket.Chat: %s", error)
        session = self._session or self._quietly(self.store.load_session)
        if session is not None and not self._bound_here(session.server, self._session_server()):
            session = None  # stored for another service: never sent elsewhere, only forgotten below
        if session is not None and self.organization is not None:
            try:
                self.organization.logout(session)
            except LauncherError as error:
                log.warning("could not end the organization session: %s", error)
        self._session = None
        self.store.clear()
        log.info("forgot everything stored in keyring namespace %s", self.store.namespace)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> SignInFlow:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- private ----------------------------------------------------------------------------------------

    def _from_stored(self, reason: str | None, rejected: str | None = None) -> Outcome:
        try:
            login = self.store.load_login()
            session = self._stored_session()
        except CredentialStoreError as error:
            return Failed.of(error)
        username = login.username if login else (session.username if session else None)
        if self._session_elsewhere is not None and not (login is not None and login.password):
            reason = server_changed(self._session_elsewhere)
        if session is not None and self.organization is not None:
            outcome = self._token_from_session(session, rejected)
            if outcome is not None:
                return outcome
        if login is not None and login.password:
            server = self._password_server()
            if not self._bound_here(login.server, server):
                log.warning(
                    "the stored password belongs to %s, not to the configured %s; it is not sent",
                    login.server,
                    server,
                )
                return NeedsCredentials(username=login.username, message=server_changed(server))
            return self._sign_in(
                login.username,
                login.password,
                source="stored-login",
                remember=True,
                rejected=rejected,
                bind=login.server is None,
            )
        return NeedsCredentials(username=username, message=reason)

    def _password_server(self) -> str:
        """Where a password is sent: the organization's login address, or Rocket.Chat's own login."""
        api = self.settings.organization
        return (
            api.login_url
            if self.organization is not None and api is not None
            else self.settings.rocketchat_url
        )

    def _session_server(self) -> str | None:
        """Where an organization session is sent to get a Rocket.Chat token."""
        api = self.settings.organization
        return api.token_url if api is not None else None

    @staticmethod
    def _bound_here(stored: str | None, configured: str | None) -> bool:
        """A stored secret may be sent to ``configured``: it is bound there, or (older versions) unbound."""
        return stored is None or stored == configured

    def _stored_session(self) -> OrgSession | None:
        self._session_elsewhere = None
        api = self.settings.organization
        if api is None or api.remember != "session":
            return None
        session = self.store.load_session()
        if session is not None and not self._bound_here(session.server, self._session_server()):
            self._session_elsewhere = self._session_server()
            log.warning(
                "the stored organization session belongs to %s, not to the configured %s; it is not sent",
                session.server,
                self._session_server(),
            )
            return None
        if session is not None and session.expired():
            self.store.forget_session()
            return None
        return session

    def _token_from_session(self, session: OrgSession, rejected: str | None) -> Outcome | None:
        """A token from the stored organization session; None when the session is over (ask again)."""
        assert self.organization is not None
        try:
            token = self._patiently(
                True, lambda: self.organization.rocketchat_token(session, revalidate=rejected is not None)
            )
        except SessionRejected:
            log.info("the stored organization session was rejected; it is forgotten")
            self._quietly(self.store.forget_session)
            return None
        except LauncherError as error:
            return Failed.of(error)
        if token.auth_token == rejected:
            return Failed.of(_stale_token_error(self.settings))
        self._session = session

        def remember() -> None:
            if session.server is None:  # stored by an older version: bind it where it just worked
                self.store.save_session(session, server=self._session_server())
            self.store.save_token(token, self.settings.rocketchat_url)

        warning = self._remember(remember)
        return SignedIn(token=token, source="stored-login", username=session.username, warning=warning)

    def _sign_in(
        self,
        username: str,
        password: str,
        *,
        source: Source,
        remember: bool,
        rejected: str | None = None,
        bind: bool = False,
    ) -> Outcome:
        """Sign in with a username and password; ``bind``: the stored password has no server yet (an older
        version stored it), so bind it to where it has just been accepted."""
        stored = source == "stored-login"
        session: OrgSession | None = None
        try:
            if self.organization is None:
                token = self._patiently(stored, lambda: self.rocketchat.login(username, password))
            else:
                session = self._patiently(stored, lambda: self.organization.login(username, password))
                self._session = session
                token = self._patiently(
                    stored,
                    lambda: self.organization.rocketchat_token(session, revalidate=rejected is not None),
                )
        except InvalidCredentials as error:
            if stored:
                log.info("the stored password was rejected; forgetting it, keeping the username")
                self._quietly(self.store.forget_password)
                self._quietly(self.store.forget_token)
            return NeedsCredentials(username=username, message=str(error))
        except LauncherError as error:
            log.warning("sign-in failed: %s", error)
            return Failed.of(error)
        if token.auth_token == rejected:
            log.warning("the organization handed out the token Rocket.Chat had just rejected")
            return Failed.of(_stale_token_error(self.settings))
        log.info("signed in (%s) as %s", source, username)
        if stored:

            def remember_stored() -> None:
                if bind:
                    self.store.save_login(username, password, server=self._password_server())
                self.store.save_token(token, self.settings.rocketchat_url)

            warning = self._remember(remember_stored)
        elif remember:
            warning = self._remember(lambda: self._save_all(username, password, session, token))
        else:
            warning = self._remember(lambda: self._save_username_only(username))
        return SignedIn(token=token, source=source, username=username, warning=warning)

    def _save_all(
        self, username: str, password: str, session: OrgSession | None, token: RocketChatToken
    ) -> None:
        api = self.settings.organization
        if api is not None and api.remember == "session" and session is not None:
            self.store.save_session(session, server=self._session_server())
            self.store.save_login(username, None)
        else:
            self.store.save_login(username, password, server=self._password_server())
            self.store.forget_session()
        self.store.save_token(token, self.settings.rocketchat_url)

    def _save_username_only(self, username: str) -> None:
        self.store.forget_token()
        self.store.forget_session()
        self.store.save_login(username, None)

    @staticmethod
    def _remember(action: Callable[[], object]) -> str | None:
        """Run a keyring write; a failure becomes the ``SignedIn.warning`` sentence, not a failed sign-in."""
        try:
            action()
        except CredentialStoreError as error:
            log.warning("signed in, but could not remember it: %s", error)
            return f"Signed in, but this sign-in cannot be remembered: {error}"
        return None

    def _patiently(self, unattended: bool, call: Callable[[], T]) -> T:
        """``call()``, a short rate limit waited out when unattended (launcher/signin/rate_limits.py)."""
        return patiently(unattended, call, self._sleep)

    @staticmethod
    def _quietly(action: Callable[[], T]) -> T | None:
        try:
            return action()
        except CredentialStoreError as error:
            log.warning("keyring: %s", error)
            return None


def _stale_token_error(settings: Settings) -> UnexpectedResponse:
    api = settings.organization
    url = api.token_url if api else settings.rocketchat_url
    return UnexpectedResponse(
        "The organization sign-in service handed out the same Rocket.Chat token that Rocket.Chat has just "
        "rejected; try again in a few minutes, or ask IT to check the token service.",
        server=ORG_SERVER,
        url=url,
        kind="stale-token",
    )
