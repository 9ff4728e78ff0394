"""The pure decisions behind the window's working day: download names, who may use the microphone,
the remembered choices, the personal dictionary and the spell-check languages."""

from __future__ import annotations

import hashlib
import json

import pytest

from launcher.window.features import dictionary, downloads, spellcheck
from launcher.window.features.choices import Choices
from launcher.window.features.permissions import Decision, decide

RC = "https://chat.example.com"
MEET = "https://meet.example.com"


@pytest.mark.parametrize(
    ("suggested", "url", "expected"),
    [
        ("Quarterly report.pdf", "https://chat.example.com/file-upload/x/y", "Quarterly report.pdf"),
        ("", "https://chat.example.com/file-upload/id/Team%20photo.png", "Team photo.png"),
        ("../../etc/passwd", "https://chat.example.com/f", "passwd"),
        ("..\\..\\evil.exe", "https://chat.example.com/f", "evil.exe"),
        ("a\u202egnp.exe", "https://chat.example.com/f", "a_gnp.exe"),
        (".bashrc", "https://chat.example.com/f", "bashrc"),
        ("", "blob:https://chat.example.com/1234", "download"),
        ("con:tainer?.txt", "https://x.example/f", "con_tainer_.txt"),
    ],
)
def test_file_names_are_the_servers_and_safe(suggested, url, expected):
    assert downloads.file_name_for(suggested, url) == expected


def test_a_clash_gets_a_numbered_name_that_keeps_the_extension(tmp_path):
    (tmp_path / "logs.tar.gz").write_text("x")
    (tmp_path / "logs (1).tar.gz").write_text("x")
    assert downloads.unique_path(tmp_path, "logs.tar.gz").name == "logs (2).tar.gz"
    assert downloads.unique_path(tmp_path, "new.txt").name == "new.txt"


def test_the_source_of_a_download_is_the_url_or_the_blob_creator_and_a_data_url_nobody():
    assert downloads.source_origin("https://chat.example.com/a") == RC
    assert downloads.source_origin("blob:https://chat.example.com/uuid") == RC
    assert downloads.source_origin("data:text/plain,hi") is None  # any frame can make one
    assert downloads.source_origin("file:///etc/passwd") is None


def test_only_rocketchat_and_call_origins_are_asked_and_others_denied(tmp_path):
    choices = Choices(tmp_path / "choices.json")
    ask = {"rc_origin": RC, "call_origins": (MEET,), "choices": choices}
    assert decide(RC, "microphone", **ask) is Decision.ASK
    assert decide(MEET, "camera", **ask) is Decision.ASK
    assert decide("https://evil.example", "microphone", **ask) is Decision.DENY
    assert decide(MEET, "clipboard", **ask) is Decision.DENY
    assert decide(RC, "notifications", **ask) is Decision.GRANT
    assert decide(MEET, "notifications", **ask) is Decision.DENY
    assert decide(RC, "other", **ask) is Decision.DENY
    choices.remember(RC, "microphone", True)
    assert decide(RC, "microphone", **ask) is Decision.GRANT
    assert decide(RC, "microphone+camera", **ask) is Decision.ASK  # the camera was never answered
    choices.remember(RC, "camera", False)
    assert decide(RC, "microphone+camera", **ask) is Decision.DENY


def test_choices_survive_a_restart_and_a_damaged_file_means_ask_again(tmp_path):
    path = tmp_path / "choices.json"
    Choices(path).remember(RC, "screen", True)
    assert Choices(path).permission(RC, "screen") is True
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert Choices(path).forget_permissions() == 1
    assert Choices(path).permission(RC, "screen") is None
    path.write_text("{not json", encoding="utf-8")
    assert Choices(path).permission(RC, "screen") is None
    path.write_text(json.dumps({"permissions": {RC: {"screen": "yes"}}}), encoding="utf-8")
    assert Choices(path).permission(RC, "screen") is None  # only a real boolean counts


def test_the_personal_dictionary_is_in_chromiums_format(tmp_path):
    assert dictionary.add_word(tmp_path, "Rocketeer")
    assert dictionary.add_word(tmp_path, "Kubernetes")
    assert not dictionary.add_word(tmp_path, "two words")
    text = (tmp_path / dictionary.FILE_NAME).read_text(encoding="utf-8")
    body = "Kubernetes\nRocketeer\n"
    assert text == body + "checksum_v1 = " + hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()
    assert dictionary.words(tmp_path) == {"Kubernetes", "Rocketeer"}


def test_spell_check_languages_follow_the_configuration_else_the_system():
    have = {"en-US", "de-DE"}
    assert spellcheck.languages(["de-DE", "fr-FR"], have) == ["de-DE"]
    assert spellcheck.languages([], have, system="de_AT") == ["de-DE"]
    assert spellcheck.languages([], have, system="fr_FR") == ["en-US"]
    assert spellcheck.languages([], set(), system="en_US") == []
