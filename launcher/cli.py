"""The command line: ``rocketchat-launcher [options] [config|sign-in|sign-out|doctor|autostart|open|url-handler|demo]``.

A bare link (``rocketchat-launcher rocketchat-launcher://channel/general``, how a desktop's URL handler
calls the launcher: the `.desktop` entry's ``%u``, the Windows registry's ``"%1"``) means ``open <link>``.
Without a subcommand it opens the window (``launcher.app.run``, imported only then, so the other commands
start fast and never load Qt). Exit codes: 0 success, 1 failure with one sentence on stderr, 2 bad usage.
Passwords are never accepted as arguments: ``--password-stdin`` or an interactive prompt.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from launcher import APP_NAME, __version__
from launcher.errors import ConfigError, CredentialStoreError, LauncherError
from launcher.paths import Paths

__all__ = ["build_parser", "main"]

log = logging.getLogger(__name__)

_GLOBAL_HELP = {
    "config": "configuration file, a layer above the administrator's files (like $ROCKETCHAT_LAUNCHER_CONFIG)",
    "rocketchat_url": "Rocket.Chat address, overriding the configuration",
    "profile": "keep all state (config, data, logs, webview storage, keyring namespace) under DIR",
    "verbose": "log debug details to the console too",
}


def build_parser() -> argparse.ArgumentParser:
    # Global options work before and after the subcommand; SUPPRESS keeps a subcommand's unset copy from
    # overwriting a value given before it.
    shared = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    _add_globals(shared, default=argparse.SUPPRESS)

    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        allow_abbrev=False,
        description="Open your organization's Rocket.Chat in a desktop window, already signed in.",
    )
    _add_globals(parser, default=None)
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    _add_window_options(parser.add_argument_group("window options (no subcommand, or demo)"), default=None)
    window_shared = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    _add_window_options(window_shared.add_argument_group("window options"), default=argparse.SUPPRESS)

    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(
        name: str, help: str, parents: Sequence[argparse.ArgumentParser] = ()
    ) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[shared, *parents], allow_abbrev=False, help=help)

    command("config", "print the effective settings and where each came from")
    sign_in = command("sign-in", "sign in and store the login in the keyring")
    sign_in.add_argument("--username", dest="username", default=argparse.SUPPRESS, help="the username")
    sign_in.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    command("sign-out", "forget everything stored and log the token out")
    doctor = command("doctor", "check configuration, servers and keyring")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    autostart = command("autostart", "start the launcher at login: on, off or status")
    autostart.add_argument("action", choices=("on", "off", "status"), help="what to do")
    url_handler = command(
        "url-handler", "open rocketchat-launcher:// links with this launcher: on, off or status"
    )
    url_handler.add_argument("action", choices=("on", "off", "status"), help="what to do")
    open_link = command(
        "open",
        "open a Rocket.Chat room in the window (the running one, or a new one)",
        parents=[window_shared],
    )
    open_link.add_argument(
        "link", help="https://<your Rocket.Chat>/channel/general, or rocketchat-launcher://channel/general"
    )
    demo = command("demo", "run the launcher against a local Rocket.Chat stand-in", parents=[window_shared])
    demo.add_argument(
        "--unattended",
        action="store_true",
        help="sign in by itself, save a screenshot of the signed-in window and exit (`make demo` does this when there is no display)",
    )
    demo.add_argument(
        "--screenshot", type=Path, metavar="FILE", help="where --unattended saves the screenshot (PNG)"
    )
    return parser


def _add_window_options(group: Any, *, default: Any) -> None:
    """The window's options; SUPPRESS (the subcommand's copy) keeps a value typed before the subcommand."""
    flag = default if default is not None else False
    group.add_argument(
        "--exit-when-ready", action="store_true", default=flag, help="quit once Rocket.Chat shows signed in"
    )
    group.add_argument(
        "--timeline", type=Path, metavar="FILE", default=default, help="write start-up timings (JSON) to FILE"
    )
    group.add_argument("--debug", action="store_true", default=flag, help="enable the web inspector")
    group.add_argument(
        "--start-minimized", action="store_true", default=flag, help="start hidden in the tray"
    )
    group.add_argument("--username", default=default, help="prefill the sign-in page with this username")


def _add_globals(parser: argparse.ArgumentParser, *, default: Any) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", default=default, help=_GLOBAL_HELP["config"])
    parser.add_argument(
        "--rocketchat-url", metavar="URL", default=default, help=_GLOBAL_HELP["rocketchat_url"]
    )
    parser.add_argument("--profile", type=Path, metavar="DIR", default=default, help=_GLOBAL_HELP["profile"])
    parser.add_argument(
        "--verbose",
        action="store_true",
        default=default if default is not None else False,
        help=_GLOBAL_HELP["verbose"],
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit code."""
    parser = build_parser()
    options = parser.parse_args(_route_bare_link(list(sys.argv[1:] if argv is None else argv)))
    options.paths = Paths.under(options.profile) if options.profile else Paths.default()
    options.cli_settings = {"rocketchat.url": options.rocketchat_url} if options.rocketchat_url else {}

    from launcher.logsetup import setup_logging

    setup_logging(options.paths, verbose=options.verbose)
    handlers = {
        None: _run_window,
        "config": _run_config,
        "sign-in": _run_sign_in,
        "sign-out": _run_sign_out,
        "doctor": _run_doctor,
        "autostart": _run_autostart,
        "open": _run_open,
        "url-handler": _run_url_handler,
        "demo": _run_demo,
    }
    try:
        return handlers[options.command](options)
    except LauncherError as error:
        log.error("%s failed: %s", options.command or "launcher", error)
        _fail(str(error))
        return 1
    except KeyboardInterrupt:
        return 130


_VALUE_OPTIONS = {"--config", "--rocketchat-url", "--profile", "--timeline", "--username", "--screenshot"}


def _route_bare_link(argv: list[str]) -> list[str]:
    """`rocketchat-launcher <link>` (a URL handler's call) is `rocketchat-launcher open <link>`: the
    first argument that is not an option and looks like a link gets "open" in front of it."""
    skip = False
    for index, arg in enumerate(argv):
        if skip or arg.startswith("-"):
            skip = arg in _VALUE_OPTIONS
            continue
        if "://" in arg or arg.lower().startswith(("javascript:", "data:", "file:")):
            return [*argv[:index], "open", *argv[index:]]
        return argv  # a subcommand, or an option's value: nothing to route
    return argv


def _fail(message: str) -> None:
    print(message, file=sys.stderr)


def _load_settings(options: argparse.Namespace, **kwargs: Any) -> Any:
    from launcher.config import load_settings

    return load_settings(
        cli=options.cli_settings, env=os.environ, paths=options.paths, config_file=options.config, **kwargs
    )


def _store(options: argparse.Namespace) -> Any:
    from launcher.signin.credentials import CredentialStore

    return CredentialStore(options.paths.keyring_namespace)


# --- commands ---------------------------------------------------------------------------------------------


def _run_window(options: argparse.Namespace) -> int:
    settings = _load_settings(options)
    from launcher import app  # Qt and pywebview load only here

    _exit_now(int(app.run(settings, options) or 0))


def _run_open(options: argparse.Namespace) -> int:
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
    return _run_window(options)


def _run_demo(options: argparse.Namespace) -> int:
    from devstack import demo

    _exit_now(int(demo.main(options) or 0))


def _exit_now(code: int) -> NoReturn:
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


def _run_config(options: argparse.Namespace) -> int:
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


def _run_doctor(options: argparse.Namespace) -> int:
    from launcher import doctor

    checks = doctor.run_checks(
        paths=options.paths, cli=options.cli_settings, env=os.environ, config_file=options.config
    )
    print(doctor.format_json(checks) if options.json else doctor.format_text(checks))
    return doctor.exit_code(checks)


def _run_autostart(options: argparse.Namespace) -> int:
    from launcher.system.autostart import autostart_for_this_os, launcher_command

    entry = autostart_for_this_os()
    if options.action == "status":
        state = "on" if entry.is_enabled() else "off"
        print(f"Autostart is {state} ({entry.describe()}).")
        return 0
    settings = _load_settings(options, require_complete=False)
    if settings.autostart is not None:
        enforced = "on" if settings.autostart else "off"
        _fail(
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


def _run_url_handler(options: argparse.Namespace) -> int:
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


def _run_sign_in(options: argparse.Namespace) -> int:
    from launcher.signin.flow import ENTER_BOTH, Failed, NeedsCredentials, SignedIn, SignInFlow

    settings = _load_settings(options)
    store = _store(options)
    store.check()  # no keyring: say so before asking for a password that could not be kept
    stored = store.load_login()
    username = getattr(options, "username", None) or (stored.username if stored else None)
    if not username:
        if not sys.stdin.isatty() or options.password_stdin:
            _fail("No username given; pass --username U (the password goes to standard input).")
            return 2
        username = input("Username: ").strip()
    password = _read_password(options, username)
    if password is None:
        return 2
    with SignInFlow(settings, store) as flow:
        outcome = flow.sign_in(username, password, remember=True)
    if isinstance(outcome, SignedIn):
        if outcome.warning:
            _fail(outcome.warning)
            return 1
        print(
            f"Signed in to {settings.rocketchat_url} as {username}; the login is stored in the system keyring."
        )
        return 0
    if isinstance(outcome, NeedsCredentials):
        _fail(outcome.message or ENTER_BOTH)
        return 1
    assert isinstance(outcome, Failed)
    _fail(outcome.message)
    return 1


def _read_password(options: argparse.Namespace, username: str) -> str | None:
    if options.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            _fail("No password on standard input; pipe it in, for example from a password manager.")
            return None
        return password
    if not sys.stdin.isatty():
        _fail("No terminal to ask for the password; use --password-stdin.")
        return None
    return getpass.getpass(f"Password for {username}: ")


def _run_sign_out(options: argparse.Namespace) -> int:
    from launcher.signin.flow import SignInFlow

    store = _store(options)
    try:
        settings = _load_settings(options)
    except ConfigError as error:
        # Forgetting secrets must not depend on a valid configuration; only the token logout does.
        log.warning("sign-out without a usable configuration: %s", error)
        store.clear()
        options.paths.clear_webview_storage()
        _fail(
            "Forgot the stored login, but could not log the token out at Rocket.Chat because the "
            f"configuration is not usable: {error}"
        )
        return 1
    try:
        with SignInFlow(settings, store) as flow:
            flow.sign_out()
    except CredentialStoreError as error:
        _fail(str(error))
        return 1
    options.paths.clear_webview_storage()
    print("Signed out: the stored login and token are forgotten, and the window's web storage is deleted.")
    return 0
