"""Download names and paths as pure rules: a byte limit that keeps the extension, no hidden, invisible
or device names, a path reserved for each running download, data: URLs as another site's, and which
saved files "click to open" shows in their folder instead of opening."""

from __future__ import annotations

import stat

import pytest

from launcher.window.features import downloads

RC = "https://chat.example.com"


def test_a_long_japanese_name_is_cut_by_bytes_and_keeps_its_extension():
    name = downloads.file_name_for("報告" * 100 + ".pdf", RC + "/f")  # 200 characters, 600 bytes
    assert len(name.encode("utf-8")) <= 200
    assert name.endswith(".pdf") and name.startswith("報告報告")
    assert name.encode("utf-8").decode("utf-8") == name  # no half character at the cut


def test_a_hundred_japanese_characters_fit_whole():
    name = "議事録" * 33 + "A.txt"  # 100 characters + extension, 302 bytes
    saved = downloads.file_name_for(name, RC + "/f")
    assert len(saved.encode("utf-8")) <= 200 and saved.endswith(".txt")


def test_an_absurdly_long_suffix_is_no_extension_and_the_name_is_not_hidden():
    name = downloads.file_name_for("a." + "x" * 300, RC + "/f")
    assert not name.startswith(".") and name.startswith("a.xxx")
    assert len(name.encode("utf-8")) <= 200


def test_a_name_that_is_only_a_long_suffix_is_not_hidden_after_the_cut():
    name = downloads.file_name_for("." + "y" * 250 + ".txt", RC + "/f")
    assert not name.startswith(".") and name.endswith(".txt")
    assert len(name.encode("utf-8")) <= 200


def test_a_cut_never_leaves_a_leading_or_trailing_dot():
    name = downloads.file_name_for("." * 5 + "b" * 190 + " ." + "c" * 10 + ".txt", RC + "/f")
    assert name[0] not in ". " and not name.endswith(".")


@pytest.mark.parametrize(
    "mark", ["\u200e", "\u200f", "\u061c", "\u200b", "\u2028", "\u2029", "\ufeff", "\u00ad", "\u2060"]
)
def test_invisible_format_and_separator_marks_are_dropped(mark):
    assert downloads.file_name_for(f"in{mark}voice{mark}.pdf", RC + "/f") == "invoice.pdf"


@pytest.mark.parametrize(
    ("given", "saved"),
    [
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("COM1.txt", "_COM1.txt"),
        ("lpt9.tar.gz", "_lpt9.tar.gz"),
        ("NUL .log", "_NUL .log"),
        ("aux", "_aux"),
        ("PRN.", "_PRN"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("COM10.txt", "COM10.txt"),
        ("my CON.txt", "my CON.txt"),
    ],
)
def test_windows_device_names_are_renamed(given, saved):
    assert downloads.file_name_for(given, RC + "/f") == saved


def test_a_running_downloads_target_is_not_given_again(tmp_path):
    running = frozenset({tmp_path / "same.txt"})
    assert downloads.unique_path(tmp_path, "same.txt", running).name == "same (1).txt"


def test_reserving_creates_each_name_once(tmp_path):
    names = [downloads.reserve_path(tmp_path, "same.txt").name for _ in range(5)]
    assert names == ["same.txt", "same (1).txt", "same (2).txt", "same (3).txt", "same (4).txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    assert all(p.stat().st_size == 0 for p in tmp_path.iterdir())


def test_reserving_skips_the_targets_of_running_downloads(tmp_path):
    running = frozenset({tmp_path / "cut.bin"})  # chosen in a Save As dialog: not created by us
    assert downloads.reserve_path(tmp_path, "cut.bin", running).name == "cut (1).bin"
    assert not (tmp_path / "cut.bin").exists()


def test_reserving_in_a_folder_that_cannot_be_written_raises(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(OSError):
        downloads.reserve_path(not_a_folder, "a.txt")


def test_a_data_url_names_nobody_and_a_blob_its_creator():
    assert downloads.source_origin("data:text/plain,hi") is None
    assert downloads.source_origin("DATA:application/x-desktop;base64,AAAA") is None
    assert downloads.source_origin("blob:https://chat.example.com/uuid") == RC
    assert downloads.source_origin("blob:http://127.0.0.1:9999/uuid") == "http://127.0.0.1:9999"
    assert downloads.source_origin("blob:null/uuid") is None


@pytest.mark.parametrize(
    "name",
    [
        "invoice.pdf.desktop",
        "setup.EXE",
        "run.sh",
        "a.bat",
        "b.cmd",
        "c.msi",
        "d.ps1",
        "Thing.app",
        "e.command",
        "f.jar",
        "g.vbs",
        "h.lnk",
        "i.scr",
        "j.AppImage",
        "k.desktop.",
        "l.exe ",
    ],
)
def test_programs_and_launchers_show_in_their_folder(name):
    assert downloads.opens_as_program(name)


@pytest.mark.parametrize("name", ["report.pdf", "photo.png", "notes.txt", "logs.tar.gz", "desktop.txt"])
def test_documents_open(name):
    assert not downloads.opens_as_program(name, stat.S_IFREG | 0o644)


def test_an_executable_document_shows_in_its_folder():
    assert downloads.opens_as_program("notes.txt", stat.S_IFREG | 0o744)


def test_the_pace_allows_five_quiet_downloads_in_thirty_seconds_then_asks():
    now = [1000.0]
    pace = downloads.Pace(clock=lambda: now[0])
    assert [pace.allow() for _ in range(7)] == [True] * 5 + [False] * 2
    now[0] += 29.9
    assert pace.allow() is False  # refusals do not count, the first five still do
    now[0] += 0.1
    assert [pace.allow() for _ in range(6)] == [True] * 5 + [False]
