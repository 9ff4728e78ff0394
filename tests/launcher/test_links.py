"""Links into the app without a window: which links `open` accepts (launcher/links.py), the bare-link
routing a desktop's URL handler relies on (launcher/cli.py), and the single-instance channel's "open"
message, with a real second process and an older launcher that only knows "show"."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from launcher.cli import _route_bare_link
from launcher.links import SCHEME, LinkRefused, parse_link, parse_route
from launcher.system import single_instance

REPO = Path(__file__).resolve().parents[2]
RC = "https://chat.example.com"


@pytest.mark.parametrize(
    ("link", "path"),
    [
        ("https://chat.example.com/channel/general", "/channel/general"),
        ("https://chat.example.com/channel/general?msg=abc123", "/channel/general?msg=abc123"),
        ("https://chat.example.com/group/x", "/group/x"),
        ("https://chat.example.com/direct/alice", "/direct/alice"),
        ("https://chat.example.com/channel/general/thread/a1B2", "/channel/general/thread/a1B2"),
        ("https://chat.example.com/live/r1", "/live/r1"),
        ("https://chat.example.com/directory/teams", "/directory/teams"),
        ("https://chat.example.com/channel/general/", "/channel/general"),
        ("https://chat.example.com", "/home"),
        ("https://chat.example.com/", "/home"),
        ("HTTPS://Chat.Example.COM:443/channel/general", "/channel/general"),
        ("https://chat.example.com/channel/g%C3%A9n%C3%A9ral", "/channel/g%C3%A9n%C3%A9ral"),
        ("https://chat.example.com/channel/général", "/channel/g%C3%A9n%C3%A9ral"),
        ("  https://chat.example.com/channel/general\n", "/channel/general"),
        (f"{SCHEME}://channel/general", "/channel/general"),
        (f"{SCHEME}://direct/alice?msg=x1", "/direct/alice?msg=x1"),
        (f"{SCHEME}://home", "/home"),
    ],
)
def test_accepted_links_name_a_route_on_the_configured_rocketchat(link: str, path: str) -> None:
    assert parse_link(link, RC).path == path


@pytest.mark.parametrize(
    ("link", "sentence"),
    [
        # another origin, however it is dressed up
        ("https://evil.example.com/channel/general", "does not point to your Rocket.Chat"),
        ("https://chat.example.com.evil.com/channel/general", "does not point to your Rocket.Chat"),
        ("https://chat.example.com@evil.com/channel/general", "does not point to your Rocket.Chat"),
        ("https://user:pw@chat.example.com/channel/general", "does not point to your Rocket.Chat"),
        ("https://chat.example.com:8443/channel/general", "does not point to your Rocket.Chat"),
        ("http://chat.example.com/channel/general", "does not point to your Rocket.Chat"),
        ("https://chat.example.com//evil.com/channel/general", "not a Rocket.Chat room"),
        (f"{SCHEME}://evil.com/channel/general", "not a Rocket.Chat room"),
        (f"{SCHEME}://user@channel/general", "names a room"),
        (f"{SCHEME}:/channel/general", "names a room"),
        # a sign-in token, plain or encoded
        ("https://chat.example.com/home?resumeToken=abc", "carries a sign-in token"),
        ("https://chat.example.com/home?RESUMETOKEN=abc", "carries a sign-in token"),
        ("https://chat.example.com/channel/x?msg=1&authToken=abc", "carries a sign-in token"),
        ("https://chat.example.com/channel/x?msg=1%26resumeToken%3Dabc", "carries a sign-in token"),
        ("https://chat.example.com/channel/x?msg=1%2526resumeToken%253Dabc", "carries a sign-in token"),
        ("https://chat.example.com/channel/x#loginToken=abc", "carries a sign-in token"),
        (f"{SCHEME}://channel/general?resumeToken=abc", "carries a sign-in token"),
        # other schemes
        ("javascript:alert(1)", "only https:// links"),
        ("JaVaScRiPt://chat.example.com/%0Aalert(1)", "only https:// links"),
        ("data:text/html,<script>alert(1)</script>", "only https:// links"),
        ("file:///etc/passwd", "only https:// links"),
        ("rocketchat://room?server=chat.example.com", "only https:// links"),
        ("chat.example.com/channel/general", "only https:// links"),
        # paths that are not a room, traversal and encoding tricks
        ("https://chat.example.com/admin/users", "not a Rocket.Chat room"),
        ("https://chat.example.com/api/v1/me", "not a Rocket.Chat room"),
        ("https://chat.example.com/channel", "not a Rocket.Chat room"),
        ("https://chat.example.com/channel/a/b/c/d", "not a Rocket.Chat room"),
        ("https://chat.example.com/channel/../admin", "not a Rocket.Chat room"),
        ("https://chat.example.com/channel/%2e%2e/admin", "not a Rocket.Chat room"),
        ("https://chat.example.com/channel/..%2F..%2Fapi%2Fv1%2Fme", "not a Rocket.Chat room"),
        ("https://chat.example.com/channel/%252e%252e", "not a Rocket.Chat room"),
        ("https://chat.example.com/channel/a%00b", "not a Rocket.Chat room"),
        ("https://chat.example.com/channel/a%20b", "not a Rocket.Chat room"),
        ("https://chat.example.com/channel/a%ZZ", "not a Rocket.Chat room"),
        ("https://chat.example.com/channel\\general", "not a Rocket.Chat room"),
        (f"{SCHEME}://channel/%2F%2Fevil.com", "not a Rocket.Chat room"),
        ("https://chat.example.com/channel/a b", "spaces or control characters"),
        ("https://chat.example.com/channel/a\tb", "spaces or control characters"),
        ("", "empty"),
        ("https://chat.example.com/channel/" + "a" * 3000, "too long"),
        # queries and fragments beyond ?msg=<id>
        ("https://chat.example.com/channel/general?foo=1", "?msg=<message id>"),
        ("https://chat.example.com/channel/general?msg=a&msg=b", "?msg=<message id>"),
        ("https://chat.example.com/channel/general?msg=<x>", "?msg=<message id>"),
        ("https://chat.example.com/channel/general#top", "no #fragment"),
    ],
)
def test_refused_links_say_why_in_one_sentence(link: str, sentence: str) -> None:
    with pytest.raises(LinkRefused) as refused:
        parse_link(link, RC)
    message = str(refused.value)
    assert sentence in message
    assert message.startswith("Refused the link") and message.endswith(".") and "\n" not in message
    assert "abc" not in message  # the link itself (a token) is never repeated


def test_a_path_prefix_is_part_of_the_origin_check() -> None:
    assert parse_link("https://ex.com/chat/channel/general", "https://ex.com/chat").path == "/channel/general"
    for link in ("https://ex.com/channel/general", "https://ex.com/chatx/channel/general"):
        with pytest.raises(LinkRefused):
            parse_link(link, "https://ex.com/chat")


def test_a_forwarded_route_is_checked_again_on_arrival() -> None:
    assert parse_route("/channel/general?msg=abc").path == "/channel/general?msg=abc"
    for route in ("channel/general", "/channel/../admin", "//evil.com/x", "/channel/x?resumeToken=1", "/x"):
        with pytest.raises(LinkRefused):
            parse_route(route)


@pytest.mark.parametrize(
    ("argv", "routed"),
    [
        (["rocketchat-launcher://channel/general"], ["open", "rocketchat-launcher://channel/general"]),
        (["--profile", "p", "https://c/x"], ["--profile", "p", "open", "https://c/x"]),
        (["--config=f", "javascript:alert(1)"], ["--config=f", "open", "javascript:alert(1)"]),
        (["open", "https://c/x"], ["open", "https://c/x"]),
        (["doctor"], ["doctor"]),
        ([], []),
        (["--start-minimized"], ["--start-minimized"]),
    ],
)
def test_a_bare_link_from_a_url_handler_means_open(argv: list[str], routed: list[str]) -> None:
    assert _route_bare_link(argv) == routed


# ---------------------------------------------------------------------------- the single-instance channel
@pytest.mark.real
def test_open_reaches_the_running_instance_from_a_second_process(tmp_path: Path) -> None:
    first = single_instance.acquire(tmp_path / "a")
    assert first is not None
    try:
        routes: list[str] = []
        arrived = threading.Event()
        shown = threading.Event()
        assert single_instance.send_open(tmp_path / "a", "/channel/early")  # before listen(): kept
        first.listen(shown.set, lambda route: (routes.append(route), arrived.set()))
        assert arrived.wait(5) and routes == ["/channel/early"]
        arrived.clear()
        code = (
            "import sys; from pathlib import Path; from launcher.system import single_instance as s;"
            f" sys.exit(0 if s.send_open(Path({str(tmp_path / 'a')!r}), '/channel/general?msg=x1') else 5)"
        )
        assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=30).returncode == 0
        assert arrived.wait(5) and routes == ["/channel/early", "/channel/general?msg=x1"]
        assert not shown.is_set()  # "open" is its own message; the window side brings itself forward
        assert single_instance.acquire(tmp_path / "a") is None  # plain "show" still works
        assert shown.wait(5)
        assert not single_instance.send_open(tmp_path / "b", "/channel/general")  # nobody runs there
    finally:
        first.close()


@pytest.mark.real
def test_the_channel_ignores_what_is_neither_show_nor_open(tmp_path: Path) -> None:
    first = single_instance.acquire(tmp_path / "a")
    assert first is not None
    try:
        routes: list[str] = []
        arrived = threading.Event()
        first.listen(lambda: None, lambda route: (routes.append(route), arrived.set()))
        endpoint = single_instance._endpoint(tmp_path / "a")
        for junk in (
            b"open \n",
            b"open /a b\n",
            b"open /x\x00\n",
            b"hello\n",
            b"open " + b"a" * 5000 + b"\n",
        ):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(5)
                client.connect(str(endpoint))
                client.sendall(junk)
                client.shutdown(socket.SHUT_WR)
                try:
                    answer = client.recv(3)
                except ConnectionResetError:  # closed with the over-long line unread
                    answer = b""
                assert answer == b""  # no "ok"
        with pytest.raises(ValueError):
            single_instance.send_open(tmp_path / "a", "/a b")
        assert single_instance.send_open(tmp_path / "a", "/channel/general")
        assert arrived.wait(5)  # delivered after the answer, on the channel's thread
        assert routes == ["/channel/general"]  # and none of the junk before it
    finally:
        first.close()


@pytest.mark.real
def test_an_older_launcher_that_only_knows_show_still_comes_forward(tmp_path: Path) -> None:
    data_dir = tmp_path / "old"
    data_dir.mkdir(mode=0o700)
    endpoint = single_instance._endpoint(data_dir)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(endpoint))
    server.listen(4)
    received: list[bytes] = []

    def old_launcher() -> None:  # the previous protocol: exactly b"show\n", then b"ok\n"
        for _ in range(2):
            conn, _ = server.accept()
            with conn:
                data = conn.recv(5)
                received.append(data)
                if data == b"show\n":
                    conn.sendall(b"ok\n")

    thread = threading.Thread(target=old_launcher, daemon=True)
    thread.start()
    try:
        assert single_instance.send_open(data_dir, "/channel/general")
        thread.join(5)
        assert received == [b"open ", b"show\n"]
    finally:
        server.close()
        os.unlink(endpoint)
