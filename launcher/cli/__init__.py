"""The command line: ``rocketchat-launcher [options] [config|sign-in|sign-out|doctor|autostart|open|url-handler|demo]``.

A bare link (``rocketchat-launcher rocketchat-launcher://channel/general``, how a desktop's URL handler
calls the launcher: the `.desktop` entry's ``%u``, the Windows registry's ``"%1"``) means ``open <link>``.
Without a subcommand it opens the window (``launcher.app.run``, imported only then, so the other commands
start fast and never load Qt). Exit codes: 0 success, 1 failure with one sentence on stderr, 2 bad usage.
Passwords are never accepted as arguments: ``--password-stdin`` or an interactive prompt.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from launcher import APP_NAME, __version__
from launcher.cli import commands
from launcher.cli.commands import DEMO_MISSING, demo_available, fail
from launcher.cli.commands import exit_now as _exit_now  # noqa: F401  (tests end a process with it)
from launcher.errors import LauncherError
from launcher.paths import Paths

__all__ = ["DEMO_MISSING", "build_parser", "demo_available", "main"]

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
    with_demo = demo_available()
    title = "window options (no subcommand, or demo)" if with_demo else "window options"
    _add_window_options(parser.add_argument_group(title), default=None)
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
    if with_demo:
        _add_demo(command("demo", "run the launcher against a local Rocket.Chat stand-in", [window_shared]))
    return parser


def _add_demo(demo: argparse.ArgumentParser) -> None:
    demo.add_argument(
        "--unattended",
        action="store_true",
        help="sign in by itself, save a screenshot of the signed-in window and exit (`make demo` does this when there is no display)",
    )
    demo.add_argument(
        "--screenshot", type=Path, metavar="FILE", help="where --unattended saves the screenshot (PNG)"
    )


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


def main(argv: Sequence[str] | None = None, *, attach: Callable[[Any], None] | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit code. `attach(shell)` is handed to
    `launcher.app.run` for the window: what the demo and the tests' driver use to follow it."""
    args = _route_bare_link(list(sys.argv[1:] if argv is None else argv))
    if _first_word(args) == "demo" and not demo_available():
        fail(DEMO_MISSING)
        return 2
    parser = build_parser()
    options = parser.parse_args(args)
    options.attach = attach
    options.paths = Paths.under(options.profile) if options.profile else Paths.default()
    options.cli_settings = {"rocketchat.url": options.rocketchat_url} if options.rocketchat_url else {}

    from launcher.logs.setup import setup_logging

    setup_logging(options.paths, verbose=options.verbose)
    handlers = {
        None: commands.run_window,
        "config": commands.run_config,
        "sign-in": commands.run_sign_in,
        "sign-out": commands.run_sign_out,
        "doctor": commands.run_doctor,
        "autostart": commands.run_autostart,
        "open": commands.run_open,
        "url-handler": commands.run_url_handler,
        "demo": commands.run_demo,
    }
    try:
        return handlers[options.command](options)
    except LauncherError as error:
        log.error("%s failed: %s", options.command or "launcher", error)
        fail(str(error))
        return 1
    except KeyboardInterrupt:
        return 130


_VALUE_OPTIONS = {"--config", "--rocketchat-url", "--profile", "--timeline", "--username", "--screenshot"}


def _first_word(argv: list[str]) -> str | None:
    """The first argument that is neither an option nor an option's value (the subcommand, if any)."""
    skip = False
    for arg in argv:
        if skip or arg.startswith("-"):
            skip = arg in _VALUE_OPTIONS
            continue
        return arg
    return None


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
