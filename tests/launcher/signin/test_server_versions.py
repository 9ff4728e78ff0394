"""Public settings read right on every Rocket.Chat version: before 7.0 settings.public ignored the `_id`
filter and paged through every public setting, so the Iframe settings are on a later page. Against the
stand-in in its 6.x mode and its current mode, in process (the doctor's check over real HTTP)."""

from __future__ import annotations

import pytest

from launcher.doctor.checks import run_checks, version_notes
from launcher.signin.rcclient import RocketChatClient
from tests.launcher.conftest import to_toml

WANTED = ["Iframe_Integration_receive_enable", "Iframe_Integration_receive_origin"]


@pytest.mark.parametrize("version", ["6.9.0", "7.10.0", "8.0.0"])
def test_the_iframe_settings_are_read_on_every_version(rc, client_for, settings_for, version):
    rc.set_version(version)
    rc.set_setting("Iframe_Integration_receive_enable", True)
    rc.set_setting("Iframe_Integration_receive_origin", "https://a.example.com,*")
    settings = settings_for(rc.url, mode="rocketchat")

    values = RocketChatClient(rc.url, client_for(settings)).public_settings(WANTED)

    assert values == {
        "Iframe_Integration_receive_enable": True,
        "Iframe_Integration_receive_origin": "https://a.example.com,*",
    }


def test_an_old_server_really_hides_the_settings_behind_the_first_page(rc, client_for, settings_for):
    """The 6.x mode is what makes the test above mean something: one request by `_id` misses them."""
    rc.set_version("6.9.0")
    client = client_for(settings_for(rc.url, mode="rocketchat"))
    first_page = client.get(f"{rc.url}/api/v1/settings.public", params={"_id": ",".join(WANTED)}).json()

    assert not {item["_id"] for item in first_page["settings"]} & set(WANTED)
    assert first_page["total"] > len(first_page["settings"])


def test_a_setting_the_server_does_not_list_is_unknown_not_off(rc, client_for, settings_for):
    values = RocketChatClient(rc.url, client_for(settings_for(rc.url, mode="rocketchat"))).public_settings(
        ["Iframe_Integration_receive_enable", "No_Such_Setting"]
    )

    assert "No_Such_Setting" not in values  # absent, so the launcher tries the command and falls back
    assert values["Iframe_Integration_receive_enable"] is rc.setting("Iframe_Integration_receive_enable")


@pytest.mark.real
def test_doctor_names_the_version_and_what_follows_from_it(rc, profile):
    rc.set_version("6.9.0")
    rc.set_setting("Iframe_Integration_receive_origin", rc.origin)  # "*" is a warning (issue 31, M6)
    profile.config_dir.mkdir(parents=True, exist_ok=True)
    profile.user_config_file.write_text(
        to_toml({"rocketchat.url": rc.url, "mode": "rocketchat"}), encoding="utf-8"
    )

    checks = {c.name: c for c in run_checks(paths=profile, env={})}

    assert checks["Rocket.Chat"].detail == (
        f"version 6.9 answers at {rc.url}; before 7.0, so its public settings come as one long list that the "
        "launcher reads page by page; unread counts come from its unread-changed event only"
    )
    assert checks["Iframe login command"].status == "ok"  # found on a later page, not misread as "off"


def test_version_notes_for_current_servers():
    assert (
        version_notes("8.0") == "rooms unread without a count show as a dot, from its per-room unread events"
    )
    assert version_notes("next").startswith("an unrecognised version number")
