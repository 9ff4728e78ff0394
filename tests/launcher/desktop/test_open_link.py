"""`rocketchat-launcher open <link>`: a Rocket.Chat link lands on its room in the window. Real launcher
processes, the real window under Xvfb, the rcsandbox stand-in over real HTTP; the second start is a real
second process that talks to the running one over the single-instance channel."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.launcher_runs import REPO

pytestmark = pytest.mark.window

LANDING_WAIT_S = 90.0  # generous: the wait ends as soon as the page is there


@pytest.mark.parametrize(
    ("rc_settings", "how"),
    [({}, "go"), ({"Iframe_Integration_receive_enable": False}, "load")],
    ids=["go-command", "receive-off-loads-the-url"],
)
def test_open_forwards_the_link_to_the_running_window_which_lands_on_the_room(
    make_launcher, rc_settings, how
):
    launcher = make_launcher(rc_settings=rc_settings)
    launcher.sign_in_by_command()
    live = launcher.start()
    live.wait_signed_in()
    before = live.command("facts")
    assert before["page"]["path"] != "/channel/general"
    activations = before["activations"]

    second, seconds = launcher.run_cli("open", f"{launcher.stack.rocketchat_url}/channel/general?msg=abc123")

    assert second.returncode == 0, second.stderr
    assert "already open" in second.stdout
    print(f"`open` answered in {seconds:.2f} s")
    facts = live.wait_facts(
        lambda f: (
            f["page"]["path"] == "/channel/general"
            and "Route: /channel/general" in f["page"]["text"]  # the stand-in's client shows that room
            and "Signed in as" in f["page"]["text"]
            and f["links_opened"]
        ),
        LANDING_WAIT_S,
    )
    assert facts["links_opened"] == [f"{how} /channel/general?msg=abc123"]
    assert facts["state"] == "signed-in"
    assert facts["activations"] == activations + 1  # brought forward too
    navigated = [e["path"] for e in launcher.stack.sandbox.events("navigated")]
    if how == "go":
        assert navigated == ["/channel/general"]  # Rocket.Chat's own go command moved the client
    else:
        assert navigated == []  # receive is off: the page was loaded on the room's address instead

    # the launcher's own scheme, as a desktop's URL handler passes it (a bare link, no "open")
    argv = [sys.executable, "-m", "launcher", "--config", str(launcher.config), "--profile"]
    handler = subprocess.run(
        [*argv, str(launcher.profile), "rocketchat-launcher://direct/bob"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert handler.returncode == 0, handler.stderr
    live.wait_facts(lambda f: f["page"]["path"] == "/direct/bob", LANDING_WAIT_S)
    assert live.finish().returncode == 0


def test_refused_links_exit_non_zero_with_a_sentence_and_the_window_stays(make_launcher, other_origin):
    launcher = make_launcher()
    launcher.sign_in_by_command()
    live = launcher.start()
    live.wait_signed_in()
    start_path = live.command("facts")["page"]["path"]
    rc = launcher.stack.rocketchat_url
    refused = {
        f"{other_origin.url}/channel/general": "does not point to your Rocket.Chat",
        f"{rc}/home?resumeToken=not-a-real-token-but-shaped-like-one": "carries a sign-in token",
        "javascript:alert(document.cookie)": "only http:// links",
        f"{rc}/channel/..%2F..%2Fapi%2Fv1%2Fme": "not a Rocket.Chat room",
        f"{rc}/admin/users": "not a Rocket.Chat room",
        "rocketchat-launcher://channel/general?resumeToken%3Dabc": "carries a sign-in token",
    }
    for link, sentence in refused.items():
        proc, _ = launcher.run_cli("open", link)
        assert proc.returncode == 1, (link, proc.stdout, proc.stderr)
        assert sentence in proc.stderr, (link, proc.stderr)
        assert proc.stderr.strip().count("\n") == 0, proc.stderr  # one sentence
        assert "resumeToken" not in proc.stderr and "not-a-real-token" not in proc.stderr

    # a good link afterwards lands, and it is the only one the window ever applied
    accepted, _ = launcher.run_cli("open", f"{rc}/group/team")
    assert accepted.returncode == 0, accepted.stderr
    facts = live.wait_facts(
        lambda f: f["page"]["path"] == "/group/team" and f["links_opened"], LANDING_WAIT_S
    )
    assert facts["links_opened"] == ["go /group/team"]
    assert start_path != "/group/team"
    assert other_origin.requests == []  # nothing went to the other origin
    assert launcher.opened_in_browser() == []  # nor to the system browser
    assert live.finish().returncode == 0


def test_open_with_no_launcher_running_starts_one_that_lands_on_the_room(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_by_command()  # a stored login: the new start signs in by itself

    live = launcher.start(args=["open", f"{launcher.stack.rocketchat_url}/channel/general"])

    facts = live.wait_facts(
        lambda f: f["page"]["path"] == "/channel/general" and f["links_opened"], LANDING_WAIT_S
    )
    assert facts["state"] == "signed-in"
    assert facts["links_opened"] and facts["links_opened"][0].endswith(" /channel/general")
    assert facts["link_pending"] is None
    assert live.finish().returncode == 0


def test_a_link_opened_by_the_desktop_lands_in_the_running_window(make_launcher, tmp_path):
    """`url-handler on` registers the scheme the XDG way; xdg-open (what a mail client calls) then
    starts the registered entry, which forwards the link to the running window."""
    launcher = make_launcher()
    launcher.sign_in_by_command()
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
    }
    argv = [sys.executable, "-m", "launcher", "--config", str(launcher.config), "--profile"]
    on = subprocess.run(
        [*argv, str(launcher.profile), "url-handler", "on"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert on.returncode == 0, on.stderr
    entry = tmp_path / "xdg-data" / "applications" / "rocketchat-launcher-links.desktop"
    valid = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    query = ["xdg-mime", "query", "default", "x-scheme-handler/rocketchat-launcher"]
    default = subprocess.run(query, env=env, capture_output=True, text=True, timeout=30)
    assert default.stdout.strip() == entry.name

    live = launcher.start()
    live.wait_signed_in()
    opened = subprocess.run(
        ["xdg-open", "rocketchat-launcher://channel/general"], env=env, timeout=60, capture_output=True
    )
    assert opened.returncode == 0, opened.stderr
    facts = live.wait_facts(
        lambda f: f["page"]["path"] == "/channel/general" and f["links_opened"], LANDING_WAIT_S
    )
    assert facts["links_opened"] == ["go /channel/general"]
    assert live.finish().returncode == 0
