"""`rocketchat-launcher demo`: the whole product on one machine, with nothing to configure.

Starts the Rocket.Chat stand-in (rcsandbox) and the organization token service on free loopback ports,
with one demo employee, prints the demo credentials, and opens the launcher on them with a throw-away
profile and keyring namespace (both removed at the end). A Typist types the demo credentials into the
sign-in page as a person would; with --exit-when-ready it presses "Sign in" too. --unattended signs in,
saves a screenshot of the signed-in window and exits (what `make demo` runs on a machine with no display).
`DemoStack` is the one place that builds this stack: the end-to-end tests run the real window against it,
and the start-up benchmark's stack (bench/stack.py) is a DemoStack with its own users, raised rate limits
and latency knobs.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:  # the servers' packages load only when a stack starts (see main)
    from tokenservice.throttle import ThrottleSettings

DEMO_ORGANIZATION = "Example Corp (demo)"
_DEFAULT_SCREENSHOT = Path("build/demo/signed-in.png")
_UNATTENDED_TIMEOUT_S = 100


@dataclass(frozen=True)
class DemoUser:
    username: str = "demo"
    password: str = field(default_factory=lambda: "demo-" + secrets.token_urlsafe(6), repr=False)
    name: str = "Dana Demo"
    email: str = "dana.demo@example.com"


class DemoStack:
    """A running rcsandbox + token service on 127.0.0.1 with its employees; use as a context manager.

    `users` are the employees (in the token service's users file; Rocket.Chat learns them at their first
    sign-in), `rocketchat_users` accounts only Rocket.Chat knows. `organization` is the name
    `write_launcher_config` gives the organization. `client_start_delay` and `latency` (seconds, every REST
    answer of both servers) are the starting values of the latency knobs, which `set_client_start_delay`
    and `set_latency` change while the stack runs. `login_rate_limit` (Rocket.Chat's logins per address
    and minute) and `throttle` (the token service's failed-login limits) override the servers' defaults.
    `rc_tls` = (certificate, key, issuing CA) serves Rocket.Chat over https (the token service trusts that
    CA); `rc_options` are more of the stand-in's SandboxConfig fields.
    """

    def __init__(
        self,
        workdir: Path,
        users: list[DemoUser] | None = None,
        *,
        rocketchat_users: Sequence[DemoUser] = (),
        organization: str = DEMO_ORGANIZATION,
        rc_settings: dict[str, Any] | None = None,
        client_start_delay: float = 1.0,
        latency: float = 0.0,
        password_cost: int = 2**14,
        login_rate_limit: int | None = None,
        throttle: ThrottleSettings | None = None,
        rc_tls: tuple[Path, Path, Path] | None = None,
        rc_options: dict[str, Any] | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.users = users or [DemoUser()]
        self.rocketchat_users = list(rocketchat_users)
        self.organization = organization
        self._rc_settings = {
            "Iframe_Integration_receive_enable": True,
            "Iframe_Integration_receive_origin": "*",
            **(rc_settings or {}),
        }
        self._client_start_delay = client_start_delay
        self._latency = latency
        self._password_cost = password_cost
        self._login_rate_limit = login_rate_limit
        self._throttle = throttle
        # (certificate, key, CA that issued it): Rocket.Chat on https; the token service trusts the CA.
        self._rc_tls = rc_tls
        self._rc_options = dict(rc_options or {})  # more SandboxConfig fields (record_requests, version...)
        self._secret = secrets.token_urlsafe(16)
        self.sandbox: Any = None
        self.token_server: Any = None
        self.token_config: Any = None

    @property
    def user(self) -> DemoUser:
        return self.users[0]

    @property
    def rocketchat_url(self) -> str:
        return self.sandbox.url

    @property
    def organization_url(self) -> str:
        return self.token_server.url

    def start(self) -> Self:
        from rcsandbox import Sandbox, SandboxConfig, SandboxUser
        from rcsandbox.background import BackgroundServer
        from tokenservice.app import create_app
        from tokenservice.config import CookieSettings, ServiceAccount, TokenServiceConfig
        from tokenservice.directory import UsersFileDirectory
        from tokenservice.throttle import ThrottleSettings

        self.workdir.mkdir(parents=True, exist_ok=True)
        overrides: dict[str, Any] = {}
        if self._login_rate_limit is not None:
            overrides["login_rate_limit"] = self._login_rate_limit
        self.sandbox = Sandbox(
            SandboxConfig(
                users=[
                    SandboxUser(username=u.username, password=u.password, name=u.name, email=u.email)
                    for u in self.rocketchat_users
                ],
                create_tokens_secret=self._secret,
                settings=self._rc_settings,
                client_start_delay=self._client_start_delay,
                latency=self._latency,
                **overrides,
                **self._rc_options,
            ),
            tls=(self._rc_tls[0], self._rc_tls[1]) if self._rc_tls else None,
        ).start()
        self.token_config = TokenServiceConfig(
            rocketchat_url=self.sandbox.url,
            rocketchat_ca_file=str(self._rc_tls[2]) if self._rc_tls else None,
            service_account=ServiceAccount(username="admin", password="admin-pw"),  # noqa: S106 (sandbox admin)
            directory=UsersFileDirectory(self._write_users_file()),
            create_tokens_secret=self._secret,
            cookie=CookieSettings(secure=False, samesite="lax"),  # plain http on loopback
            latency=self._latency,
            throttle=self._throttle or ThrottleSettings(),
        )
        try:
            self.token_server = BackgroundServer(create_app(self.token_config)).start()
        except BaseException:
            self.sandbox.stop()
            raise
        return self

    def stop(self) -> None:
        if self.token_server is not None:
            self.token_server.stop()
        if self.sandbox is not None:
            self.sandbox.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def set_client_start_delay(self, seconds: float) -> None:
        """The web client's start delay; a page reads it when it loads."""
        self.sandbox.set_client_start_delay(seconds)

    def set_latency(self, seconds: float) -> None:
        """The latency of every REST answer of both servers, from their next request on. A token fetch
        through the token service pays it there and again at every Rocket.Chat call the service makes."""
        self.sandbox.set_latency(seconds)
        self.token_config.latency = seconds

    def write_launcher_config(self, path: Path, organization: str | None = None, **extra: str) -> Path:
        """A launcher.toml pointing at this stack (organization mode, the token service's default contract;
        organization: its name, default the stack's; extra: top-level keys such as login_strategy)."""
        lines = [f"{key} = {_toml(value)}" for key, value in extra.items()]
        lines += [
            "[rocketchat]",
            f"url = {_toml(self.rocketchat_url)}",
            "[organization]",
            f"name = {_toml(self.organization if organization is None else organization)}",
            f"url = {_toml(self.organization_url)}",
        ]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def _write_users_file(self) -> Path:
        from tokenservice.passwords import hash_password

        blocks = [
            "[[users]]\n"
            f"username = {_toml(u.username)}\nname = {_toml(u.name)}\nemail = {_toml(u.email)}\n"
            f"password_hash = {_toml(hash_password(u.password, n=self._password_cost))}\n"
            for u in self.users
        ]
        path = self.workdir / "users.toml"
        path.write_text("\n".join(blocks), encoding="utf-8")
        path.chmod(0o600)
        return path


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(options: argparse.Namespace) -> int:
    """Run the demo; returns the launcher's exit code."""
    try:
        import rcsandbox  # noqa: F401
        import tokenservice  # noqa: F401
    except ImportError as exc:
        print(
            f"The demo needs the server extras ({exc.name} is missing): "
            "pip install 'rocketchat-launcher[server]', then run the demo again."
        )
        return 1
    from devstack.typist import Typist
    from launcher import app
    from launcher.config import load_settings
    from launcher.paths import Paths

    unattended = bool(getattr(options, "unattended", False))
    screenshot = Path(getattr(options, "screenshot", None) or _DEFAULT_SCREENSHOT).resolve()
    with (
        tempfile.TemporaryDirectory(prefix="rocketchat-launcher-demo-") as tmp,
        DemoStack(Path(tmp)) as stack,
    ):
        user = stack.user
        config_file = stack.write_launcher_config(Path(tmp) / "launcher.toml")
        paths = Paths.under(Path(tmp) / "profile")
        settings = load_settings(env={}, paths=paths, config_file=config_file, site_config_dirs=[])
        submit = unattended or bool(getattr(options, "exit_when_ready", False))
        print(
            "Demo running (stopped when the window closes):\n"
            f"  Rocket.Chat stand-in:   {stack.rocketchat_url}\n"
            f"  organization service:   {stack.organization_url}\n"
            f"  demo username:          {user.username}\n"
            f"  demo password:          {user.password}\n"
            + (
                "The demo types these into the sign-in page and signs in by itself."
                if submit
                else "The demo types these into the sign-in page; press Sign in."
            ),
            flush=True,
        )
        options.paths = paths
        options.username = user.username
        try:
            if unattended:
                return _run_unattended(app, settings, options, user, Path(tmp) / "run", screenshot)
            typist = Typist(user.username, user.password, submit=submit)
            return app.run(settings, options, attach=typist.attach)
        finally:
            _forget(paths)


def _run_unattended(
    app: Any, settings: Any, options: argparse.Namespace, user: DemoUser, run_dir: Path, screenshot: Path
) -> int:
    """Sign in, save the signed-in window as `screenshot`, close: 0 only when Rocket.Chat signed in."""
    import shutil

    from devstack.typist import Typist
    from launcher.window.recorder import Recorder

    recorder = Recorder(run_dir, plan={"finish_on": ["signed-in", "error"], "timeout": _UNATTENDED_TIMEOUT_S})
    typist = Typist(user.username, user.password, submit=True)

    def attach(shell: Any) -> None:
        typist.attach(shell)
        recorder.attach(shell)

    app.run(settings, options, attach=attach)
    shots = sorted(run_dir.glob("*-signed-in.png"))
    final = recorder.report.get("final_state")
    if final != "signed-in" or not shots:
        print(f"The demo did not sign in (it ended in {final or 'no state'}).")
        return 1
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shots[-1], screenshot)
    print(
        f"Rocket.Chat is signed in. A screenshot of the window is in {screenshot}; "
        "to see it live, run `make demo` on a desktop.",
        flush=True,
    )
    return 0


def _forget(paths: Any) -> None:
    """Remove the throw-away keyring entries (the profile folder goes with the temporary directory)."""
    try:
        from launcher.signin.credentials import CredentialStore

        CredentialStore(paths.keyring_namespace).clear()
    except Exception as exc:
        print(f"Could not remove the demo's keyring entries ({exc}); they are harmless.")
