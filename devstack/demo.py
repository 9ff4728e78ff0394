"""`rocketchat-launcher demo`: the whole product on one machine, with nothing to configure.

Starts the Rocket.Chat stand-in (rcsandbox) and the organization token service on free loopback ports,
with one demo employee, prints the demo credentials, and opens the launcher on them with a throw-away
profile and keyring namespace (both removed at the end). The sign-in page shows the demo credentials
filled in; with --exit-when-ready the demo presses "Sign in" itself, so it runs unattended.
`DemoStack` is also what the end-to-end tests run the real window against.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEMO_ORGANIZATION = "Example Corp (demo)"


@dataclass(frozen=True)
class DemoUser:
    username: str = "demo"
    password: str = field(default_factory=lambda: "demo-" + secrets.token_urlsafe(6), repr=False)
    name: str = "Dana Demo"
    email: str = "dana.demo@example.com"


class DemoStack:
    """A running rcsandbox + token service with one employee; use as a context manager."""

    def __init__(
        self,
        workdir: Path,
        users: list[DemoUser] | None = None,
        *,
        rc_settings: dict[str, Any] | None = None,
        client_start_delay: float = 1.0,
        password_cost: int = 2**14,
    ) -> None:
        self.workdir = Path(workdir)
        self.users = users or [DemoUser()]
        self._rc_settings = {
            "Iframe_Integration_receive_enable": True,
            "Iframe_Integration_receive_origin": "*",
            **(rc_settings or {}),
        }
        self._client_start_delay = client_start_delay
        self._password_cost = password_cost
        self._secret = secrets.token_urlsafe(16)
        self.sandbox: Any = None
        self.token_server: Any = None

    @property
    def user(self) -> DemoUser:
        return self.users[0]

    @property
    def rocketchat_url(self) -> str:
        return self.sandbox.url

    @property
    def organization_url(self) -> str:
        return self.token_server.url

    def start(self) -> DemoStack:
        from rcsandbox import Sandbox, SandboxConfig
        from rcsandbox.background import BackgroundServer
        from tokenservice.app import create_app
        from tokenservice.config import CookieSettings, ServiceAccount, TokenServiceConfig
        from tokenservice.directory import UsersFileDirectory

        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sandbox = Sandbox(
            SandboxConfig(
                create_tokens_secret=self._secret,
                settings=self._rc_settings,
                client_start_delay=self._client_start_delay,
            )
        ).start()
        config = TokenServiceConfig(
            rocketchat_url=self.sandbox.url,
            service_account=ServiceAccount(username="admin", password="admin-pw"),  # noqa: S106 (sandbox admin)
            directory=UsersFileDirectory(self._write_users_file()),
            create_tokens_secret=self._secret,
            cookie=CookieSettings(secure=False, samesite="lax"),  # plain http on loopback
        )
        try:
            self.token_server = BackgroundServer(create_app(config)).start()
        except BaseException:
            self.sandbox.stop()
            raise
        return self

    def stop(self) -> None:
        if self.token_server is not None:
            self.token_server.stop()
        if self.sandbox is not None:
            self.sandbox.stop()

    def __enter__(self) -> DemoStack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def write_launcher_config(self, path: Path, organization: str = DEMO_ORGANIZATION, **extra: str) -> Path:
        """A launcher.toml pointing at this stack (extra: top-level keys such as login_strategy)."""
        lines = [f"{key} = {_toml(value)}" for key, value in extra.items()]
        lines += [
            "[rocketchat]",
            f"url = {_toml(self.rocketchat_url)}",
            "[organization]",
            f"name = {_toml(organization)}",
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
    from launcher import app
    from launcher.config import load_settings
    from launcher.paths import Paths

    with (
        tempfile.TemporaryDirectory(prefix="rocketchat-launcher-demo-") as tmp,
        DemoStack(Path(tmp)) as stack,
    ):
        user = stack.user
        config_file = stack.write_launcher_config(Path(tmp) / "launcher.toml")
        paths = Paths.under(Path(tmp) / "profile")
        settings = load_settings(env={}, paths=paths, config_file=config_file, site_config_dirs=[])
        print(
            "Demo running (stopped when the window closes):\n"
            f"  Rocket.Chat stand-in:   {stack.rocketchat_url}\n"
            f"  organization service:   {stack.organization_url}\n"
            f"  demo username:          {user.username}\n"
            f"  demo password:          {user.password}\n"
            "The sign-in page is filled in with these; press Sign in.",
            flush=True,
        )
        options.paths = paths
        options.username = user.username
        options.demo_password = user.password
        options.demo_auto_submit = bool(getattr(options, "exit_when_ready", False))
        try:
            return app.run(settings, options)
        finally:
            _forget(paths)


def _forget(paths: Any) -> None:
    """Remove the throw-away keyring entries (the profile folder goes with the temporary directory)."""
    try:
        from launcher.signin.credentials import CredentialStore

        CredentialStore(paths.keyring_namespace).clear()
    except Exception as exc:
        print(f"Could not remove the demo's keyring entries ({exc}); they are harmless.")
