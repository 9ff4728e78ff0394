"""Launching a written .desktop entry for real: `gio launch` parses its Exec line as the desktop does
(GLib's own parser: string escapes, quoting, %% and the field codes) and starts a recorder script that
writes the arguments it received. Shared by the autostart and URL-handler tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

#: Folder names with what the Desktop Entry Specification makes special: %, spaces, both quotes,
#: a backslash, $ and a backtick; "50%u" would become the link if it were not written "50%%u".
AWKWARD_FOLDERS = ["50%u", "100% sure", 'say "hi" it\'s 5%', "back\\slash $HOME `x` %%"]
#: Where the recorder lives: all of the above but `%`. GLib (GNOME, XFCE) checks that the program exists
#: before it undoes `%%`, so no GLib desktop starts a program whose own path holds a `%`, however the
#: entry is written (tried with gio 2.74); the arguments after it may hold any.
PROGRAM_FOLDER = 'bin "q" it\'s back\\slash $HOME `x`'

needs_gio = pytest.mark.skipif(shutil.which("gio") is None, reason="gio (GLib) is not installed")


def recorder(folder: Path) -> Path:
    """An executable in `folder` (created) that writes its arguments as JSON to $RECORD_TO."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "rocketchat launcher"
    script.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "with open(os.environ['RECORD_TO'], 'w', encoding='utf-8') as out:\n"
        "    json.dump(sys.argv[1:], out)\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def launched_arguments(desktop_file: Path, record_to: Path, *uris: str) -> list[str]:
    """Start the entry with `gio launch` (passing `uris` for %u) and return what the program received."""
    record_to.unlink(missing_ok=True)
    env = {**os.environ, "RECORD_TO": str(record_to)}
    launched = subprocess.run(
        ["gio", "launch", str(desktop_file), *uris], capture_output=True, text=True, env=env, timeout=30
    )
    assert launched.returncode == 0, launched.stdout + launched.stderr
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # gio returns once the program is spawned, not when it is done
        if record_to.is_file() and record_to.read_text(encoding="utf-8").endswith("]"):
            return json.loads(record_to.read_text(encoding="utf-8"))
        time.sleep(0.05)
    raise AssertionError(f"the entry's program did not run: {desktop_file.read_text(encoding='utf-8')}")
