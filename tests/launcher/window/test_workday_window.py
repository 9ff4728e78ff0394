"""A working day in the real Qt window (Xvfb, real keyring, the stand-in over real HTTP): downloads,
the right-click menu, spell check, microphone/camera/screen permissions and in-app pop-ups.

Each test drives the window as a person would (real mouse clicks into the web view through the e2e
driver) and reads what the launcher did from its facts: the files on disk, the menu's entries, the
dialogs on screen, the pop-up windows.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.launcher_runs import Launcher, LiveRun

pytestmark = [pytest.mark.gui, pytest.mark.keyring]


def _configure(launcher: Launcher, text: str) -> None:
    """Put tables into the launcher's configuration file (before the first start)."""
    with launcher.config.open("a", encoding="utf-8") as handle:
        handle.write("\n" + text.strip() + "\n")


def _signed_in(launcher: Launcher, **plan: Any) -> LiveRun:
    launcher.sign_in_with_form()
    live = launcher.start(plan={"timeout": 120, **plan})
    live.wait_signed_in()
    live.wait_facts(lambda f: _js(live, "!!document.getElementById('workday')") is True)
    return live


def _js(live: LiveRun, script: str) -> Any:
    return live.command("js", script=script).get("value")


def _workday(live: LiveRun, condition, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    facts: dict[str, Any] = {}
    while time.monotonic() < deadline:
        facts = live.command("workday")
        if condition(facts):
            return facts
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout:.0f} s; last workday facts: {facts}")


# ------------------------------------------------------------------------------------------ downloads


def test_an_attachment_lands_in_the_downloads_folder_with_its_name_and_the_app_lives(make_launcher, tmp_path):
    folder = tmp_path / "My Downloads"
    launcher = make_launcher()
    _configure(launcher, f'[downloads]\nfolder = "{folder}"')
    (folder).mkdir()
    (folder / "Quarterly report.txt").write_text("an older copy", encoding="utf-8")
    live = _signed_in(launcher)

    assert live.command("click", selector="#file-download")["clicked"]
    facts = _workday(live, lambda f: len(f.get("downloads", [])) == 1)
    live.command("click", selector="#save-notes")
    facts = _workday(live, lambda f: len(f.get("downloads", [])) == 2)

    saved = folder / "Quarterly report (1).txt"
    assert facts["downloads"][0] == {"name": saved.name, "path": str(saved), "ok": True}
    assert saved.read_bytes().startswith(b"Quarterly report\nRevenue: up.")
    assert (folder / "Quarterly report.txt").read_text(encoding="utf-8") == "an older copy"
    assert (folder / "meeting notes.txt").read_text(encoding="utf-8") == "notes from the page\n"  # a blob:
    assert live.command("facts")["state"] == "signed-in"  # the launcher is still running
    assert live.finish().returncode == 0


def test_a_download_cut_half_way_leaves_no_partial_file(make_launcher, tmp_path):
    folder = tmp_path / "downloads"
    launcher = make_launcher()
    _configure(launcher, f'[downloads]\nfolder = "{folder}"')
    live = _signed_in(launcher)

    live.command("click", selector="#file-cut")
    facts = _workday(live, lambda f: len(f.get("downloads", [])) == 1)

    entry = facts["downloads"][0]
    assert entry["ok"] is False and entry["name"] == "cut.bin", entry
    assert sorted(p.name for p in folder.iterdir()) == []
    assert live.finish().returncode == 0


def test_a_download_folder_that_cannot_be_written_is_reported_and_the_app_lives(make_launcher, tmp_path):
    not_a_folder = tmp_path / "downloads"
    launcher = make_launcher()
    _configure(launcher, f'[downloads]\nfolder = "{not_a_folder}"')
    live = _signed_in(launcher)
    not_a_folder.write_text("a file where the folder should be", encoding="utf-8")

    live.command("click", selector="#file-download")
    facts = _workday(live, lambda f: f.get("downloads"))

    entry = facts["downloads"][0]
    assert entry["ok"] is False and "cannot be written" in entry["reason"], entry
    assert not_a_folder.read_text(encoding="utf-8") == "a file where the folder should be"
    assert live.command("facts")["state"] == "signed-in"
    assert live.finish().returncode == 0


def test_an_exception_in_a_qt_slot_is_logged_and_the_window_survives(make_launcher):
    """PyQt6 aborts the process (exit 134) when a slot raises and no excepthook is set."""
    live = _signed_in(make_launcher())

    live.command("raise-in-slot")
    facts = _workday(live, lambda f: f.get("survived"))

    assert facts["survived"] == ["RuntimeError"]
    assert live.command("facts")["state"] == "signed-in"
    run = live.finish()
    assert run.returncode == 0
    log = live.launcher.paths.log_file.read_text(encoding="utf-8")
    assert "a window handler failed; the launcher goes on" in log and "on purpose (e2e)" in log
