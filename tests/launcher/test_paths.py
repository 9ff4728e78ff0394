"""The profile on disk: private to its user, and nothing of a session left after sign-out.

Real files in a temporary profile, under the usual umask (022), so a folder made with the default mode
would be readable by every account on the desk.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from launcher.logs import setup as logsetup
from launcher.paths import Paths, private_dir
from launcher.window import place, webstate


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def profile(tmp_path: Path) -> Paths:
    return Paths.under(tmp_path / "profile")


def test_the_log_folder_and_every_log_file_are_private_rotations_included(
    profile: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logsetup, "_MAX_BYTES", 2_000)
    setup = logsetup.setup_logging(profile)
    try:
        for n in range(100):
            logging.getLogger("launcher.test").warning("line %d of a log that rotates", n)
    finally:
        setup.close()
    files = sorted(profile.log_dir.iterdir())
    assert profile.log_file in files and len(files) >= 2, files  # it did rotate
    assert _mode(profile.log_dir) == 0o700
    assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_an_existing_readable_profile_is_tightened(profile: Paths) -> None:
    """A profile an older version left 0755/0644 is not left readable by others."""
    profile.log_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(profile.log_dir, 0o755)  # noqa: S103 (the old, readable profile under test)
    profile.log_file.write_text("old\n", encoding="utf-8")
    os.chmod(profile.log_file, 0o644)
    setup = logsetup.setup_logging(profile)
    try:
        logging.getLogger("launcher.test").warning("one more line")
    finally:
        setup.close()
    assert (_mode(profile.log_dir), _mode(profile.log_file)) == (0o700, 0o600)
    assert profile.log_file.read_text(encoding="utf-8").startswith("old\n")  # appended, nothing lost


def test_the_data_folders_are_private(profile: Paths) -> None:
    place.save(profile.data_dir, place.WindowState(x=1, y=2, width=800, height=600, maximized=False))
    webstate.set_signed_in(profile, True, user_id="u1")
    assert _mode(profile.data_dir) == 0o700
    assert _mode(profile.webview_storage_dir) == 0o700


def test_private_dir_keeps_what_the_folder_holds(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    folder.mkdir(parents=True, mode=0o755)
    (folder / "kept").write_text("x", encoding="utf-8")
    assert private_dir(folder) == folder
    assert _mode(folder) == 0o700 and (folder / "kept").read_text(encoding="utf-8") == "x"


def _fill_webview_folders(profile: Paths) -> None:
    for folder in (profile.webview_storage_dir, profile.webview_cache_dir):
        (folder / "Cache").mkdir(parents=True)
        (folder / "Cache" / "entry").write_text("GET /home?resumeToken=...", encoding="utf-8")


def test_a_sign_out_deletes_the_http_cache_that_saw_the_resume_token_link(profile: Paths) -> None:
    _fill_webview_folders(profile)
    webstate.request_wipe(profile)
    assert webstate.wipe_if_requested(profile) is True
    assert not profile.webview_cache_dir.exists()
    assert not profile.webview_storage_dir.exists()
    assert not webstate.wipe_pending(profile)


def test_the_command_line_sign_out_deletes_the_http_cache_too(profile: Paths) -> None:
    _fill_webview_folders(profile)
    assert profile.clear_webview_storage() is True
    assert not profile.webview_cache_dir.exists() and not profile.webview_storage_dir.exists()
    assert profile.clear_webview_storage() is False  # nothing left to remove
