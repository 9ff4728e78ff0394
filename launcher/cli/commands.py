"""The command line's commands, one function each (`launcher.cli` parses the arguments and picks one).

Each gets the parsed options and returns the exit code; a LauncherError it raises becomes one sentence
on stderr and exit 1 (`launcher.cli.main`).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import importlib.util
import logging
import os
import sys
from typing import Any, NoReturn

from launcher.errors import ConfigError, CredentialStoreError

log = logging.getLogger("launcher.cli")

DEMO_MISSING = (
    "The demo needs the launcher's source tree: run `make demo` in a checkout of the project "
    "(the installed launcher does not include the demo stack)."
)


def demo_available() -> bool:
    """Whether `demo` can run here: its stack (devstack/) ships with the source tree, never the bundle."""
    try:
        return importlib.util.find_spec("devstack") is not None
    except (ImportError, ValueError):  # a parent that is no package, or a module entry set to None
        return False


def fail(message: str) -> None:
    print(message, file=sys.stderr)


def _load_settings(options: argparse.Namespace, **kwargs: Any) -> Any:
    from launcher.config import load_settings

    return load_settings(
        cli=options.cli_settings, env=os.environ, paths=options.paths, config_file=options.config, **kwargs
    )


def _store(options: argparse.Namespace) -> Any:
    from launcher.signin.credentials import CredentialStore

    return CredentialStore(options.paths.keyring_namespace)


def run_window(options: argparse.Namespace) -> int:
    settings = _load_settings(options)
    from launcher import app  # Qt and pywebview load only here

    exit_now(int(app.run(settings, options, attach=getattr(options, "attach", None)) or 0))


def run_open(options: argparse.Namespace) -> int:
    """Check the link against the configuration, then hand its room to the running launcher, or start
    one that lands there once signed in. A refused link is opened nowhere (exit 1, one sentence)."""
    from launcher.links import parse_link

    settings = _load_settings(options)
    link = parse_link(options.link, settings.rocketchat_url)  # LinkRefused: main() prints its sentence
    from launcher.system import single_instance

    try:
        forwarded = single_instance.send_open(options.paths.data_dir, link.path)
    except OSError as error:
        log.warning("could not reach a running launcher: %s", error)
        forwarded = False
    if forwarded:
        print("Rocket.Chat is already open: the link opens in its window.")
        return 0
    options.open_route = link.path
    return run_window(options)


def run_demo(options: argparse.Namespace) -> int:
    try:
        from devstack import demo
    except ImportError:
        fail(DEMO_MISSING)
        return 2

    exit_now(int(demo.main(options) or 0))


def exit_now(code: int) -> NoReturn:
    """End the process once the window is gone and everything is written.

    pywebview runs its own work (the JS-bridge set-up, the `start(func)` thread) in non-daemon threads; one
    caught in `evaluate_js` when the window closes would keep a normal interpreter shutdown waiting forever,
    so a closed window could leave a process behind. Logs and output are flushed first; nothing else is
    left to run at this point."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def run_config(options: argparse.Namespace) -> int:
    from launcher.config import config_layers, format_locks, format_settings

    settings = _load_settings(options, require_complete=False)
    print(format_settings(settings))
    if settings.warnings:
        print()
        print(format_locks(settings))
    print()
    print("Files read, lowest priority first (a missing file is skipped):")
    for role, path, _ in config_layers(paths=options.paths, env=os.environ, config_file=options.config):
        state = "found" if path.is_file() else "not found"
        print(f"  {role}: {path} ({state})")
    _load_settings(options)  # what is still missing, as a ConfigError (exit 1) after the listing
    return 0


def run_doctor(options: argparse.Namespace) -> int:
    from launcher.doctor import checks as doctor

    checks = doctor.run_checks(
        paths=options.paths, cli=options.cli_settings, env=os.environ, config_file=options.config
    )
    print(doctor.format_json(checks) if options.json else doctor.format_text(checks))
    return doctor.exit_code(checks)


def run_autostart(options: argparse.Namespace) -> int:
    from launcher.system.autostart import autostart_for_this_os, launcher_command

    entry = autostart_for_this_os()
    if options.action == "status":
        state = "on" if entry.is_enabled() else "off"
        print(f"Autostart is {state} ({entry.describe()}).")
        return 0
    settings = _load_settings(options, require_complete=False)
    if settings.autostart is not None:
        enforced = "on" if settings.autostart else "off"
        fail(
            f"Your administrator set autostart {enforced} ({settings.sources['autostart']}); "
            "ask IT to change it."
        )
        return 1
    if options.action == "on":
        entry.enable(launcher_command())
        print(f"Autostart is on: {entry.describe()}.")
    else:
        entry.disable()
        print("Autostart is off.")
    return 0


def run_url_handler(options: argparse.Namespace) -> int:
    from launcher.system.url_handler import handler_command, url_handler_for_this_os

    handler = url_handler_for_this_os()
    if options.action == "status":
        state = "on" if handler.is_enabled() else "off"
        print(f"rocketchat-launcher:// links open here: {state} ({handler.describe()}).")
        return 0
    if options.action == "on":
        handler.enable(handler_command(options.profile, options.config))
        print(f"rocketchat-launcher:// links now open in this launcher: {handler.describe()}.")
    else:
        handler.disable()
        print("rocketchat-launcher:// links no longer open in this launcher.")
    return 0


def run_sign_in(options: argparse.Namespace) -> int:
    from launcher.signin.flow import ENTER_BOTH, Failed, NeedsCredentials, SignedIn, SignInFlow

    settings = _load_settings(options)
    store = _store(options)
    store.check()  # no keyring: say so before asking for a password that could not be kept
    stored = store.load_login()
    username = getattr(options, "username", None) or (stored.username if stored else None)
    if not username:
        if not sys.stdin.isatty() or options.password_stdin:
            fail("No username given; pass --username U (the password goes to standard input).")
            return 2
        username = input("Username: ").strip()
    password = _read_password(options, username)
    if password is None:
        return 2
    with SignInFlow(settings, store) as flow:
        outcome = flow.sign_in(username, password, remember=True)
    if isinstance(outcome, SignedIn):
        if outcome.warning:
            fail(outcome.warning)
            return 1
        print(
            f"Signed in to {settings.rocketchat_url} as {username}; the login is stored in the system keyring."
        )
        return 0
    if isinstance(outcome, NeedsCredentials):
        fail(outcome.message or ENTER_BOTH)
        return 1
    assert isinstance(outcome, Failed)
    fail(outcome.message)
    return 1


def _read_password(options: argparse.Namespace, username: str) -> str | None:
    if options.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            fail("No password on standard input; pipe it in, for example from a password manager.")
            return None
        return password
    if not sys.stdin.isatty():
        fail("No terminal to ask for the password; use --password-stdin.")
        return None
    return getpass.getpass(f"Password for {username}: ")


def run_sign_out(options: argparse.Namespace) -> int:
    from launcher.signin.flow import SignInFlow

    store = _store(options)
    try:
        settings = _load_settings(options)
    except ConfigError as error:
        # Forgetting secrets must not depend on a valid configuration; only the token logout does.
        log.warning("sign-out without a usable configuration: %s", error)
        store.clear()
        options.paths.clear_webview_storage()
        fail(
            "Forgot the stored login, but could not log the token out at Rocket.Chat because the "
            f"configuration is not usable: {error}"
        )
        return 1
    try:
        with SignInFlow(settings, store) as flow:
            flow.sign_out()
    except CredentialStoreError as error:
        fail(str(error))
        return 1
    options.paths.clear_webview_storage()
    print("Signed out: the stored login and token are forgotten, and the window's web storage is deleted.")
    return 0
