"""The sign-in flow behind the window, made on a worker (httpx and keyring imports cost ~200 ms of
CPU, so not before the window shows), and Rocket.Chat's public Iframe settings read beside the resume.

Why apart from the controller: the flow is the one slow-to-build dependency of the sign-in, and tests
hand in their own (a real SignInFlow against the stand-in servers) through `make_flow`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from launcher.window import strategy

if TYPE_CHECKING:
    from launcher.config.settings import Settings
    from launcher.paths import Paths
    from launcher.signin.flow import SignInFlow

__all__ = ["NO_SIGN_IN", "FlowLoader", "keyring_flow"]

_log = logging.getLogger(__name__)

NO_SIGN_IN = "The launcher could not start its sign-in."


def keyring_flow(settings: Settings, paths: Paths) -> Callable[[], SignInFlow]:
    """The product's flow: the organization and Rocket.Chat over HTTP, the keyring of this profile."""

    def make() -> SignInFlow:
        from launcher.signin.credentials import CredentialStore
        from launcher.signin.flow import SignInFlow

        return SignInFlow(settings, CredentialStore(namespace=paths.keyring_namespace))

    return make


class FlowLoader:
    """`create()` once on a worker; `wait()` from anywhere (None if it could not be made: `error`)."""

    def __init__(self, make_flow: Callable[[], SignInFlow]) -> None:
        self._make_flow = make_flow
        self.error: str | None = None
        self._flow: SignInFlow | None = None
        self._ready = threading.Event()
        self._public: dict[str, Any] | None = None
        self._public_done = threading.Event()

    def create(self) -> None:
        try:
            self._flow = self._make_flow()
        except Exception as exc:
            _log.exception("could not prepare the sign-in")
            self.error = str(exc) if str(exc) else NO_SIGN_IN
        finally:
            self._ready.set()

    def wait(self) -> SignInFlow | None:
        """The sign-in flow once the worker made it (None if it could not: see `error`)."""
        self._ready.wait(30)
        return self._flow

    # -- Rocket.Chat's public settings

    def read_public_settings(self) -> None:
        """Start reading them on a thread of their own (the resume goes on meanwhile)."""
        self._public_done.clear()
        threading.Thread(target=self._fetch_public_settings, name="public-settings", daemon=True).start()

    def public_settings(self, wait_s: float) -> dict[str, Any] | None:
        """Rocket.Chat's public Iframe settings, read beside the resume (None: unknown)."""
        self._public_done.wait(wait_s)
        return self._public

    def known_public_settings(self) -> dict[str, Any] | None:
        """The public settings if they were read already (never waits)."""
        return self._public if self._public_done.is_set() else None

    def _fetch_public_settings(self) -> None:
        try:
            flow = self.wait()  # its HTTP client (one pool, one TLS context) serves this too
            if flow is None:
                raise RuntimeError("no sign-in flow")
            self._public = flow.rocketchat.public_settings(strategy.PUBLIC_SETTING_IDS)
        except Exception as exc:
            _log.info("could not read Rocket.Chat's public settings (%s); trying the command first", exc)
            self._public = None
        finally:
            self._public_done.set()
