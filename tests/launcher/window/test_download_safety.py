"""Downloads a page did not earn, in the real Qt window (Xvfb, real keyring, the stand-in over real
HTTP): another site's frame inside Rocket.Chat's page, a stream of files with no click, downloads of
one name at once, a person cancelling a running download, and "click to open" on a program.

Another site's frame is made as an admin's custom script (or an app's widget) would: Rocket.Chat's
`Custom_Script_Logged_In` setting appends an iframe of a server of another origin, whose script starts
data: and blob: downloads on its own. Each test reads what the launcher did from the files on disk and
its facts (the Save As dialog on screen, the downloads that ended and why).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.launcher.desktop.desktop_bus import NotificationServer
from tests.support.launcher_runs import Launcher, LiveRun, OtherOrigin

pytestmark = pytest.mark.window

#: what the foreign frame runs: one data: download of a launcher disguised as a PDF on load, then a
#: burst of 30 (15 data:, 15 blob: of 2 MiB, 300 ms apart) each time the top page posts "burst"
_FRAME = b"""<!doctype html><html><body><p>an embedded page</p><script>
function save(href, name) {
  var a = document.createElement("a"); a.href = href; a.download = name;
  document.body.appendChild(a); a.click(); a.remove();
}
save("data:application/x-desktop;base64," + btoa("[Desktop Entry]\\nType=Application\\nName=Invoice\\n"
  + "Exec=sh -c 'touch /tmp/owned'\\n"), "invoice.pdf.desktop");
var bursts = 0;
window.addEventListener("message", function (event) {
  if (event.data !== "burst") return;
  var burst = ++bursts, i = 0;
  (function next() {  // one every 300 ms: a download started in one go with the last is dropped
    save(i % 2 ? URL.createObjectURL(new Blob([new Uint8Array(2 * 1024 * 1024)]))
      : "data:text/plain," + encodeURIComponent("junk " + i), "junk-" + burst + "-" + i + (i % 2 ? ".bin" : ".txt"));
    if (++i < 30) setTimeout(next, 300);
  })();
  fetch("/burst-" + bursts + "-started");
});
</script></body></html>"""


@pytest.fixture
def frame_site() -> Iterator[OtherOrigin]:
    server = OtherOrigin(_FRAME)
    yield server
    server.close()


def _signed_in(launcher: Launcher, folder: Path, frame_url: str | None = None) -> LiveRun:
    """Signed in with downloads into `folder`; with `frame_url`, Rocket.Chat's page embeds that page."""
    launcher.add_config(f'[downloads]\nfolder = "{folder}"')
    if frame_url is not None:
        script = (
            "(function () { var f = document.createElement('iframe'); f.id = 'foreign-frame';"
            f" f.src = {json.dumps(frame_url)}; document.body.appendChild(f); }})();"
        )
        launcher.stack.sandbox.set_setting("Custom_Script_Logged_In", script)
    return launcher.start_signed_in(timeout=150)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _wait_for_file(path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not path.exists():
        time.sleep(0.05)
    assert path.exists(), f"{path.name} never appeared; the folder holds {_files(path.parent)}"


def _save_blobs(live: LiveRun, files: list[tuple[str, str]]) -> None:
    """Rocket.Chat's own page saving blob: files, all in one go and with no click."""
    script = (
        "(function (files) { files.forEach(function (f) { var a = document.createElement('a');"
        " a.href = URL.createObjectURL(new Blob([f[1]], {type: 'text/plain'})); a.download = f[0];"
        " document.body.appendChild(a); a.click(); a.remove(); }); return files.length; })("
        + json.dumps(files)
        + ")"
    )
    assert live.js(script) == len(files)


def _refused(facts: dict[str, Any], reason: str = "") -> list[dict[str, Any]]:
    """The downloads that never started (no path), with `reason` in their reason."""
    return [d for d in facts.get("downloads", []) if not d["ok"] and not d["path"] and reason in d["reason"]]


def _post_to_frame(live: LiveRun, message: str) -> None:
    script = f"document.getElementById('foreign-frame').contentWindow.postMessage({json.dumps(message)}, '*'); true"
    assert live.js(script) is True


# ------------------------------------------------------------------------- another site's frame (M3)


def test_a_foreign_frames_data_download_asks_and_its_bursts_save_nothing(make_launcher, tmp_path, frame_site):
    folder = tmp_path / "downloads"
    live = _signed_in(make_launcher(), folder, frame_site.url)

    # the frame's data: launcher "invoice.pdf.desktop" gets the Save As dialog, not the folder
    live.wait_features(lambda f: f["save_dialog"], 45)
    assert [n for n in _files(folder) if not n.endswith(".download")] == []
    # a burst while the dialog is open: all 30 refused, no second dialog stacked on the first
    _post_to_frame(live, "burst")
    facts = live.wait_features(lambda f: len(_refused(f, "waiting for your answer")) >= 30, 45)
    assert facts["save_dialog"] and _files(folder) == []

    shown = live.command("save-as-cancel")  # the person reads who offers the file, and says no
    assert shown["cancelled"] and shown["name"] == "invoice.pdf.desktop", shown
    assert shown["title"] == "Save a file from a page inside Rocket.Chat (a data: link)", shown
    # the next burst comes right after the refusal: all 30 refused without asking again
    _post_to_frame(live, "burst")
    facts = live.wait_features(lambda f: len(_refused(f, "refused a file from the same site")) >= 30, 45)
    assert len(_refused(facts)) == 60, facts["downloads"]
    assert not facts["save_dialog"] and _files(folder) == []
    assert live.command("facts")["state"] == "signed-in"
    assert live.finish().returncode == 0


def test_rocketchats_own_page_saves_five_files_quietly_then_asks(make_launcher, tmp_path):
    folder = tmp_path / "downloads"
    live = _signed_in(make_launcher(), folder)

    _save_blobs(live, [(f"note {n}.txt", f"note {n}\n") for n in range(1, 9)])  # eight at once, no click
    facts = live.wait_features(lambda f: f["save_dialog"] and len(f["downloads"]) >= 7)
    saved = [d["name"] for d in facts["downloads"] if d["ok"]]
    assert saved == [f"note {n}.txt" for n in range(1, 6)], facts["downloads"]
    assert [d["name"] for d in _refused(facts)] == ["note 7.txt", "note 8.txt"]
    shown = live.command("save-as-cancel")
    assert (
        shown["name"] == "note 6.txt"
        and shown["title"] == f"Save a file from {live.launcher.stack.sandbox.origin}"
    )
    assert _files(folder) == [f"note {n}.txt" for n in range(1, 6)]
    assert live.finish().returncode == 0


# ------------------------------------------------------------------------------ one name at once (M5)


def test_five_downloads_of_one_name_started_together_each_get_their_own_file(make_launcher, tmp_path):
    folder = tmp_path / "downloads"
    live = _signed_in(make_launcher(), folder)

    _save_blobs(live, [("same.txt", f"copy {n}\n") for n in range(1, 6)])
    facts = live.wait_features(lambda f: len(f["downloads"]) == 5)

    assert all(d["ok"] for d in facts["downloads"]), facts["downloads"]
    expected = ["same.txt"] + [f"same ({n}).txt" for n in range(1, 5)]
    assert sorted(d["name"] for d in facts["downloads"]) == sorted(expected)
    assert _files(folder) == sorted(expected)
    contents = sorted((folder / name).read_text(encoding="utf-8") for name in expected)
    assert contents == [f"copy {n}\n" for n in range(1, 6)]  # none lost, none overwritten
    assert live.finish().returncode == 0


def test_a_failed_download_removes_only_what_it_created(make_launcher, tmp_path):
    folder = tmp_path / "downloads"
    live = _signed_in(make_launcher(), folder)

    # cut.bin arrives slowly and then breaks; while it runs, the page saves another cut.bin
    script = (
        "(function () { var a = document.createElement('a');"
        " a.href = document.getElementById('file-cut').href + '&hold=3';"
        " document.body.appendChild(a); a.click(); a.remove(); return true; })()"
    )
    assert live.js(script) is True
    _wait_for_file(folder / "cut.bin.download")
    _save_blobs(live, [("cut.bin", "the finished one\n")])
    facts = live.wait_features(lambda f: len(f["downloads"]) == 2, 40)

    finished = [d for d in facts["downloads"] if d["ok"]]
    failed = [d for d in facts["downloads"] if not d["ok"]]
    assert len(finished) == 1 and len(failed) == 1, facts["downloads"]
    assert failed[0]["name"] == "cut.bin" and finished[0]["name"] == "cut (1).bin"
    assert _files(folder) == ["cut (1).bin"]
    assert (folder / "cut (1).bin").read_text(encoding="utf-8") == "the finished one\n"
    assert live.finish().returncode == 0


# --------------------------------------------------------------------------------- cancelling (M3)


def test_a_running_download_is_cancelled_with_the_button_and_with_the_keyboard(make_launcher, tmp_path):
    folder = tmp_path / "downloads"
    live = _signed_in(make_launcher(), folder)
    assert live.command("download-cancel") == {"clicked": False, "visible": False}  # nothing runs

    assert live.command("click", selector="#file-slow")["clicked"]
    _wait_for_file(folder / "slow.bin.download")
    pressed = live.command("download-cancel")
    assert pressed == {"clicked": True, "visible": True, "text": "Cancel download"}, pressed
    facts = live.wait_features(lambda f: len(f["downloads"]) == 1)
    assert facts["downloads"][0] == {
        "name": "slow.bin",
        "path": str(folder / "slow.bin"),
        "ok": False,
        "reason": "cancelled",
    }
    assert _files(folder) == []
    assert live.command("download-cancel")["visible"] is False  # the button goes with the download

    assert live.command("click", selector="#file-slow")["clicked"]
    _wait_for_file(folder / "slow.bin.download")
    assert live.command("key", key="Ctrl+Shift+X")["sent"]
    facts = live.wait_features(lambda f: len(f["downloads"]) == 2)
    assert facts["downloads"][1]["reason"] == "cancelled", facts["downloads"]
    assert _files(folder) == []
    assert live.finish().returncode == 0


# ------------------------------------------------------------------------ click to open (Info)


@pytest.fixture
def notification_server() -> Iterator[NotificationServer]:
    service = NotificationServer()
    yield service
    service.close()


def _desktop_apps(data_home: Path) -> Path:
    """The desktop's applications as xdg-open finds them (XDG_DATA_HOME): a viewer for text and
    launchers and a file manager for folders, both writing what they were asked to open to a log."""
    apps = data_home / "applications"
    apps.mkdir(parents=True)
    log = data_home / "opened.log"
    for app, kinds in (("viewer", "text/plain;application/x-desktop;"), ("folders", "inode/directory;")):
        script = data_home / f"{app}.sh"
        script.write_text(f'#!/bin/sh\nprintf "{app} %s\\n" "$1" >> "{log}"\n', encoding="utf-8")
        script.chmod(0o755)
        (apps / f"test-{app}.desktop").write_text(
            f"[Desktop Entry]\nType=Application\nName={app}\nExec={script} %f\nMimeType={kinds}\n",
            encoding="utf-8",
        )
    (apps / "mimeapps.list").write_text(
        "[Default Applications]\ntext/plain=test-viewer.desktop\napplication/x-desktop=test-viewer.desktop\n"
        "inode/directory=test-folders.desktop\n",
        encoding="utf-8",
    )
    return log


def test_click_to_open_shows_a_downloaded_launcher_in_its_folder(
    make_launcher, tmp_path, notification_server, monkeypatch
):
    folder = tmp_path / "downloads"
    opened = _desktop_apps(tmp_path / "xdg-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))  # the launcher's xdg-open reads it
    live = _signed_in(make_launcher(), folder)

    _save_blobs(live, [("invoice.pdf.desktop", "[Desktop Entry]\nType=Application\nExec=sh -c 'touch x'\n")])
    (note,) = notification_server.wait_for(1)
    assert note["body"] == "invoice.pdf.desktop — click to show it in its folder."
    live.wait_facts(lambda f: f["notifications_shown"] >= 1)
    notification_server.click(note["id"])

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not opened.exists():
        time.sleep(0.2)
    assert opened.read_text(encoding="utf-8").splitlines() == [f"folders {folder}"]
    assert live.finish().returncode == 0
