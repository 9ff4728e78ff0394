"""Issue 31, L5: a slow client must not hold the single-instance channel. Real sockets and a real second
process: a local client that dribbles its request one byte at a time (any local user on Windows' TCP
path could do it) while another start of the launcher asks the running one to come forward."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from launcher.system import single_instance
from tests.support.launcher_runs import REPO

pytestmark = pytest.mark.real


@pytest.fixture
def shown(tmp_path: Path) -> Iterator[threading.Event]:
    """The running launcher of the profile: the event is set each time a start asks for its window."""
    first = single_instance.acquire(tmp_path / "profile")
    assert first is not None
    event = threading.Event()
    first.listen(event.set)
    try:
        yield event
    finally:
        first.close()


def _dribbler(endpoint: Path, stop: threading.Event, sent: list[int], closed: threading.Event) -> None:
    """Connects and sends "show\\n" without its newline, one byte every 0.3 s, then keeps sending
    spaces; notes when the launcher hangs up."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(str(endpoint))
    payload = b"show" + b" " * 1000
    with client:
        for byte in payload:
            if stop.is_set():
                return
            try:
                client.sendall(bytes([byte]))
            except OSError:
                closed.set()
                return
            sent[0] += 1
            if stop.wait(0.3):
                return


def _second_start(profile: Path) -> tuple[int, float]:
    code = (
        "import sys; from pathlib import Path; from launcher.system import single_instance as s;"
        f" sys.exit(0 if s.acquire(Path({str(profile)!r})) is None else 5)"
    )
    started = time.monotonic()
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=60, capture_output=True)
    return completed.returncode, time.monotonic() - started


@pytest.mark.skipif(not single_instance._HAS_UNIX, reason="the dribbling client uses the Unix socket")
def test_a_dribbling_client_does_not_hold_the_channel_and_is_cut_off(shown, tmp_path: Path):
    endpoint = single_instance._endpoint(tmp_path / "profile")
    stop, closed, sent = threading.Event(), threading.Event(), [0]
    threads = [
        threading.Thread(target=_dribbler, args=(endpoint, stop, sent, closed), daemon=True) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 5
        while sent[0] < 6 and time.monotonic() < deadline:  # every dribbler is connected and sending
            time.sleep(0.05)
        assert sent[0] >= 6

        returncode, seconds = _second_start(tmp_path / "profile")

        assert returncode == 0, "the second start was not served while slow clients were connected"
        assert shown.wait(5)
        print(f"second start served in {seconds:.2f} s with 3 dribbling clients")
        # Each dribbler is hung up on once its request's deadline passes, however slowly it keeps sending.
        assert closed.wait(single_instance._REQUEST_DEADLINE_S + 5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(5)


@pytest.mark.skipif(not single_instance._HAS_UNIX, reason="the slow client uses the Unix socket")
def test_a_request_sent_slowly_but_within_the_deadline_is_still_answered(shown, tmp_path: Path):
    endpoint = single_instance._endpoint(tmp_path / "profile")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        client.connect(str(endpoint))
        for byte in b"show\n":
            client.sendall(bytes([byte]))
            time.sleep(0.1)
        assert client.recv(3) == b"ok\n"
    assert shown.wait(5)


@pytest.mark.skipif(not single_instance._HAS_UNIX, reason="the idle clients use the Unix socket")
def test_more_idle_clients_than_the_launcher_serves_at_once_do_not_stop_a_second_start(shown, tmp_path):
    endpoint = single_instance._endpoint(tmp_path / "profile")
    idle = []
    try:
        for _ in range(single_instance._MAX_CONNECTIONS + 8):  # connect, then send nothing
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(str(endpoint))
            idle.append(client)

        returncode, seconds = _second_start(tmp_path / "profile")

        assert returncode == 0
        assert shown.wait(5)
        # The ones over the limit are hung up on at once, the others when their deadline passes; the
        # second start retries until a place is free.
        assert seconds < single_instance._REQUEST_DEADLINE_S + 5
        print(f"second start served in {seconds:.2f} s behind {len(idle)} idle clients")
    finally:
        for client in idle:
            client.close()
