"""One launcher per profile: a second start asks the running one to bring its window forward, then exits.

Two parts, both per profile (so `--profile` runs, the demo and tests never collide):

- a lock file in the profile's data folder (`flock` / `msvcrt.locking`), held for the process lifetime;
  the OS drops it when the process dies, so a crash leaves nothing stale;
- a local channel the running instance listens on: a Unix socket in a 0700 folder of the user's runtime
  folder (only the same OS user can reach it; on Linux the peer's uid is checked as well), or, where
  there are no Unix sockets (Windows), a 127.0.0.1 socket that only answers to a random secret kept in
  the profile's data folder (readable only by the user).

Each connection is served in a short thread of its own with one deadline for the whole request (2 s), so
a client that sends a byte now and then is hung up on and never holds up the next start; at most 32 are
served at once, more are hung up on at once (the sender retries).

Messages are one line: "show" (bring the window forward), or "open <route>" (bring it forward on that
Rocket.Chat route, e.g. "open /channel/general"; `rocketchat-launcher open <link>`). The route was checked
by the sender (launcher/links.py) and is checked again by the window before it is used; it is never a
whole URL and never carries a secret. A launcher that predates "open" does not answer it; `send_open`
then falls back to "show". Everything here is stdlib and runs before the window exists, so a second
start costs a few milliseconds and never opens a window.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from launcher.paths import private_dir

_log = logging.getLogger(__name__)

_MESSAGE = b"show\n"
_OPEN = b"open "
_ANSWER = b"ok\n"
_MAX_LINE = 4096  # a route is at most ~2 kB (launcher/links.py); longer lines are refused
_LOCK_WAIT_S = 10.0  # a first instance still starting up takes the lock before it listens
#: One deadline for a whole request (read the line, answer): a client that sends a byte now and then
#: is hung up on, and it never delays another one, each connection having its own short thread.
_REQUEST_DEADLINE_S = 2.0
_MAX_CONNECTIONS = 32  # served at once; more are hung up on at once (each lasts the deadline at most)
_HAS_UNIX = hasattr(socket, "AF_UNIX") and sys.platform != "win32"


class AlreadyRunning(Exception):
    """Another launcher holds this profile but did not answer."""


class PrimaryInstance:
    """This process owns the profile. `listen(on_show)` answers later starts until `close()`."""

    def __init__(self, lock_fd: int, server: socket.socket, secret: bytes | None, endpoint: Path) -> None:
        self._lock_fd = lock_fd
        self._server = server
        self._secret = secret
        self._endpoint = endpoint
        self._on_show: Callable[[], None] | None = None
        self._on_open: Callable[[str], None] | None = None
        self._pending = 0
        self._pending_routes: list[str] = []
        self._guard = threading.Lock()
        self._slots = threading.BoundedSemaphore(_MAX_CONNECTIONS)
        self._delivery = threading.Lock()  # the callbacks still run one at a time, as they always did
        self._closed = False
        threading.Thread(target=self._accept_loop, name="single-instance", daemon=True).start()

    def listen(self, on_show: Callable[[], None], on_open: Callable[[str], None] | None = None) -> None:
        """Call `on_show` (from a helper thread) each time another start asks for the window, and
        `on_open(route)` when it asks for a Rocket.Chat route (without `on_open`: `on_show`). Requests
        that came before are delivered now."""
        with self._guard:
            self._on_show, self._on_open = on_show, on_open
            pending, self._pending = self._pending, 0
            routes, self._pending_routes = self._pending_routes, []
        for _ in range(pending):
            on_show()
        for route in routes:
            self._open(route)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._server.close()
        if _HAS_UNIX:
            with contextlib.suppress(OSError):
                self._endpoint.unlink()
        with contextlib.suppress(OSError):
            os.close(self._lock_fd)

    def _accept_loop(self) -> None:
        """Only accepts: each connection is served in a thread of its own, so a slow one delays no other."""
        while not self._closed:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            if not self._slots.acquire(blocking=False):
                _log.warning("hung up on a single-instance request: too many at once")
                conn.close()
                continue
            try:
                threading.Thread(
                    target=self._serve, args=(conn,), name="single-instance-request", daemon=True
                ).start()
            except RuntimeError:  # no thread to be had: hang up, the sender retries
                conn.close()
                self._slots.release()

    def _serve(self, conn: socket.socket) -> None:
        deadline = time.monotonic() + _REQUEST_DEADLINE_S
        try:
            with conn:
                message = self._accepted(conn, deadline)
                if message is None:
                    return
                _settimeout_until(conn, deadline)
                conn.sendall(_ANSWER)
            with self._delivery:
                if message == _MESSAGE:
                    self._show()
                else:
                    self._open(message[len(_OPEN) : -1].decode("ascii"))
        except OSError:
            return  # the deadline passed, or the sender left
        finally:
            self._slots.release()

    def _accepted(self, conn: socket.socket, deadline: float) -> bytes | None:
        """The request line ("show\\n" or "open <route>\\n", secret removed), or None to ignore it."""
        if _HAS_UNIX and not _same_user(conn):
            _log.warning("ignored a single-instance request from another user")
            return None
        secret = self._secret or b""
        received = _read_line(conn, len(secret) + _MAX_LINE, deadline)
        if not hmac.compare_digest(received[: len(secret)], secret):
            return None
        message = received[len(secret) :]
        if message == _MESSAGE:
            return message
        if message.startswith(_OPEN) and message.endswith(b"\n") and _printable(message[len(_OPEN) : -1]):
            return message
        _log.warning("ignored a single-instance request that was neither show nor open")
        return None

    def _show(self) -> None:
        with self._guard:
            callback = self._on_show
            if callback is None:
                self._pending += 1
                return
        try:
            callback()
        except Exception:
            _log.exception("could not bring the window forward")

    def _open(self, route: str) -> None:
        with self._guard:
            if self._on_show is None:
                self._pending_routes.append(route)
                return
            callback = self._on_open
        if callback is None:
            self._show()
            return
        try:
            callback(route)
        except Exception:
            _log.exception("could not open a forwarded link")


class Unchecked:
    """Stands in for PrimaryInstance when no private channel could be set up."""

    def listen(self, on_show: Callable[[], None], on_open: Callable[[str], None] | None = None) -> None:
        pass

    def close(self) -> None:
        pass


def acquire(data_dir: Path, route: str | None = None) -> PrimaryInstance | None:
    """Become the profile's instance, or ask the running one to show its window (on `route`, a checked
    Rocket.Chat route, when given) and return None.

    Raises AlreadyRunning when another instance holds the profile but does not answer within 10 s."""
    private_dir(data_dir)
    endpoint = _endpoint(data_dir)
    if _forward(endpoint, route):
        return None
    deadline = time.monotonic() + _LOCK_WAIT_S
    while True:
        lock_fd = _try_lock(data_dir / "instance.lock")
        if lock_fd is not None:
            break
        if _forward(endpoint, route):
            return None
        if time.monotonic() > deadline:
            raise AlreadyRunning(
                "Another Rocket.Chat launcher is using this profile but does not answer; "
                "close it (or end its process), then start again."
            )
        time.sleep(0.1)
    try:
        server, secret = _listen(endpoint, data_dir)
    except OSError:
        os.close(lock_fd)
        raise
    return PrimaryInstance(lock_fd, server, secret, endpoint)


# ---------------------------------------------------------------------------- channel


def _endpoint(data_dir: Path) -> Path:
    """The socket path (Unix) or the port file (elsewhere) of this profile."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode("utf-8")).hexdigest()[:16]
    if not _HAS_UNIX:
        return data_dir / "instance.port"
    return _private_runtime_dir() / f"{digest}.sock"


def _private_runtime_dir() -> Path:
    """$XDG_RUNTIME_DIR/rocketchat-launcher (or a per-user folder in the temp dir), mode 0700, ours."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base:
        folder = Path(base) / "rocketchat-launcher"
    else:
        import tempfile

        folder = Path(tempfile.gettempdir()) / f"rcl-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        os.chmod(folder, 0o700)
        info = folder.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise OSError(f"{folder} is not private to this user; remove it and start again.")
    return folder


def _listen(endpoint: Path, data_dir: Path) -> tuple[socket.socket, bytes | None]:
    if _HAS_UNIX:
        with contextlib.suppress(FileNotFoundError):
            endpoint.unlink()  # left by a process that died: the lock says nobody uses it
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            server.bind(str(endpoint))
        finally:
            os.umask(old_umask)
        server.listen(4)
        return server, None
    import secrets

    secret = secrets.token_hex(16).encode("ascii")
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    tmp = endpoint.with_suffix(".tmp")
    tmp.write_text(f"{server.getsockname()[1]} {secret.decode('ascii')}", encoding="ascii")
    os.replace(tmp, endpoint)
    return server, secret


def send_open(data_dir: Path, route: str) -> bool:
    """Ask the profile's running launcher to open `route` (a route checked by launcher/links.py);
    False when no launcher runs (or none answers)."""
    return _forward(_endpoint(private_dir(data_dir)), route)


def _forward(endpoint: Path, route: str | None) -> bool:
    """Ask for `route` ("open"), or only for the window ("show"); an older launcher that does not
    answer "open" is at least asked to show its window."""
    if route is None:
        return _ask(endpoint, _MESSAGE)
    line = _OPEN + route.encode("ascii") + b"\n"
    if len(line) > _MAX_LINE or not _printable(line[len(_OPEN) : -1]):
        raise ValueError("not a route that can be forwarded")
    if _ask(endpoint, line):
        return True
    if _ask(endpoint, _MESSAGE):
        _log.warning("the running launcher does not take links (an older version); it only came forward")
        return True
    return False


def _ask(endpoint: Path, message: bytes) -> bool:
    """True when a running instance answered "ok" to `message`."""
    try:
        if _HAS_UNIX:
            if not endpoint.exists():
                return False
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.settimeout(2.0)
            client.connect(str(endpoint))
            payload = message
        else:
            port, secret = endpoint.read_text(encoding="ascii").split()
            client = socket.create_connection(("127.0.0.1", int(port)), timeout=2.0)
            payload = secret.encode("ascii") + message
        with client:
            client.sendall(payload)
            return client.recv(len(_ANSWER)) == _ANSWER
    except (OSError, ValueError):
        return False


def _read_line(conn: socket.socket, limit: int, deadline: float) -> bytes:
    """Bytes up to and including the first newline (at most `limit`), or what came before EOF.

    Raises TimeoutError (an OSError) once `deadline` (time.monotonic()) passes, however the bytes trickle."""
    received = b""
    while len(received) < limit and not received.endswith(b"\n"):
        _settimeout_until(conn, deadline)
        chunk = conn.recv(min(1024, limit - len(received)))
        if not chunk:
            break
        received += chunk
        if b"\n" in received:
            received = received[: received.index(b"\n") + 1]
            break
    return received


def _settimeout_until(conn: socket.socket, deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("the single-instance request took too long")
    conn.settimeout(remaining)


def _printable(data: bytes) -> bool:
    """Visible ASCII only: a route is percent-encoded and carries no spaces, newlines or controls."""
    return bool(data) and all(0x21 <= byte <= 0x7E for byte in data)


def _same_user(conn: socket.socket) -> bool:
    """The folder's 0700 mode already keeps other users out; on Linux also check the peer's uid."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return True
    import struct

    creds = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


# ---------------------------------------------------------------------------- lock


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding an exclusive lock on `path`, or None if another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd
