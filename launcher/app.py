"""Entry point of the desktop window: `run(settings, options)`, called lazily by the CLI.

Here the window is composed: the Shell (the window and its Page port), the sign-in controller (the
one owner of the sign-in's state, and the one place an outcome becomes the next page), what the
person may ask (the local pages' form, Retry, Sign out), the link opener and the desktop; each gets
only what it calls, and the menu's and tray's actions are wired in as callbacks
(docs/architecture.md walks the shape). Everything heavy (pywebview, Qt, httpx, keyring) is imported
from here on, in the order that gets the window on screen first; docs/desktop.md says what users see.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from launcher.timeline import Timeline

if TYPE_CHECKING:
    from launcher.config.settings import Settings
    from launcher.paths import Paths
    from launcher.window.shell import Shell


def run(
    settings: Settings, options: argparse.Namespace, *, attach: Callable[[Shell], None] | None = None
) -> int:
    """Open the window; return the exit code (0 signed in or closed normally; see
    launcher/window/exit_when_ready.py). `attach(shell)` runs before the window opens: the demo and
    the tests' driver (tests/support/e2e_entry.py, through `launcher.cli.main`) follow and drive the
    window from there."""
    timeline = Timeline()
    from launcher.paths import Paths

    paths = getattr(options, "paths", None)
    if paths is None:
        profile = getattr(options, "profile", None)
        paths = Paths.under(profile) if profile else Paths.default()
    route: str | None = getattr(options, "open_route", None)  # `open <link>`: a checked Rocket.Chat route
    instance, code = _single_instance(paths.data_dir, bool(getattr(options, "exit_when_ready", False)), route)
    if instance is None:
        return code
    shell = _compose(
        settings,
        paths,
        timeline,
        debug=bool(getattr(options, "debug", False)),
        exit_when_ready=bool(getattr(options, "exit_when_ready", False)),
        start_minimized=bool(getattr(options, "start_minimized", False)),
        username=getattr(options, "username", None),
        instance=instance,
    )
    timeline_file: Path | None = getattr(options, "timeline", None)
    if timeline_file is not None:
        shell.add_listener(lambda state, _info: _write_on(state, timeline, timeline_file))
    if route is not None:
        shell.open_link(route, bring_forward=False)  # lands on the room once signed in
    _apply_autostart_policy(settings)
    if attach is not None:
        attach(shell)
    record = os.environ.get("ROCKETCHAT_LAUNCHER_RECORD")
    if record:
        # An observer only (states, screenshots, report.json), for the bundle test, which can reach the
        # frozen app only through its environment; not even imported otherwise.
        from launcher.window.recorder import Recorder

        Recorder(Path(record)).attach(shell)
    try:
        code = shell.run()
    finally:
        instance.close()
    if timeline_file is not None:
        timeline.write(timeline_file)
    return code


def _compose(
    settings: Settings,
    paths: Paths,
    timeline: Timeline,
    *,
    debug: bool,
    exit_when_ready: bool,
    start_minimized: bool,
    username: str | None,
    instance: Any,
) -> Shell:
    """The window and its parts, each handed what it calls (nothing calls back up into the Shell)."""
    from launcher.desktop.integration import Desktop
    from launcher.window.exit_when_ready import ExitWhenReady
    from launcher.window.open_link import LinkOpener
    from launcher.window.shell import Shell
    from launcher.window.signin_controller import SignInController
    from launcher.window.signin_form import SignInForm

    shell = Shell(settings, paths, timeline, debug=debug, start_minimized=start_minimized, instance=instance)
    exit_rule = ExitWhenReady(shell.request_exit) if exit_when_ready else None
    shell.exit_rule = exit_rule
    sign_in = SignInController(
        shell.page,
        shell.episodes,
        settings,
        paths,
        timeline,
        username=username,
        on_change=exit_rule.state_changed if exit_rule is not None else None,
        on_form_failed=exit_rule.sign_in_failed if exit_rule is not None else None,
    )
    form = SignInForm(sign_in, shell.page, shell.episodes, paths)
    desktop = Desktop(shell)
    links = LinkOpener(shell.page, shell.episodes, sign_in.commands_work, desktop.bring_forward)
    shell.connect(sign_in=sign_in, form=form, sign_out=form.sign_out, desktop=desktop, links=links)
    return shell


def _single_instance(data_dir: Path, exit_when_ready: bool, route: str | None = None) -> tuple[Any, int]:
    """(this profile's instance, 0), or (None, exit code) when another launcher runs it: that one was asked
    to bring its window forward, on `route` when given (exit 0; 1 with --exit-when-ready, which did not
    sign anything in)."""
    from launcher.system import single_instance

    try:
        instance = single_instance.acquire(data_dir, route)
    except single_instance.AlreadyRunning as error:
        print(str(error), file=sys.stderr)
        return None, 1
    except OSError as error:  # no private place for the channel: run, just without the single-instance check
        logging.getLogger(__name__).warning("single-instance check unavailable: %s", error)
        return single_instance.Unchecked(), 0
    if instance is None:
        message = (
            "Rocket.Chat is already open: its window was brought forward."
            if route is None
            else "Rocket.Chat is already open: the link opens in its window."
        )
        print(message, file=sys.stderr if exit_when_ready else sys.stdout)
        return None, 1 if exit_when_ready else 0
    return instance, 0


def _apply_autostart_policy(settings: Settings) -> None:
    """An administrator's `autostart = true|false` is enforced at every start (the user's own choice,
    made with `rocketchat-launcher autostart`, is left alone when the key is unset)."""
    if settings.autostart is None:
        return
    from launcher.system.autostart import autostart_for_this_os, launcher_command

    entry = autostart_for_this_os()
    try:
        if settings.autostart and not entry.is_enabled():
            entry.enable(launcher_command())
        elif not settings.autostart and entry.is_enabled():
            entry.disable()
    except OSError as error:
        logging.getLogger(__name__).warning("could not apply the autostart setting: %s", error)


def _write_on(state: str, timeline: Timeline, path: Path) -> None:
    if state == "signed-in":
        timeline.write(path)
