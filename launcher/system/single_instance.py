"""One launcher per profile: a second start asks the running one to bring its window forward, then exits.

Two parts, both per profile (so `--profile` runs, the demo and tests never collide):

- a lock file in the profile's data folder (`flock` / `msvcrt.locking`), held for the process lifetime;
  the OS drops it when the process dies, so a crash leaves nothing stale;
- a local channel the running instance listens on: a Unix socket in a 0700 folder of the user's runtime
  folder (only the same OS user can reach it; on Linux the peer's uid is checked as well), or, where
  there are no Unix sockets (Windows), a 127.0.0.1 socket that only answers to a random secret kept in
  the profile's data folder (readable only by the user).

The only message is "show". Everything here is stdlib and runs before the window exists, so a second
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
_ANSWER = b"ok\n"
_LOCK_WAIT_S = 10.0  # a first instance still starting up takes the lock before it listens
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
        self._pending = 0
        self._guard = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept_loop, name="single-instance", daemon=True).start()

    def listen(self, on_show: Callable[[], None]) -> None:
        """Call `on_show` (from a helper thread) each time another start asks for the window."""
        with self._guard:
            self._on_show = on_show
            pending, self._pending = self._pending, 0
        for _ in range(pending):
            on_show()

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
        while not self._closed:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2.0)
                try:
                    if self._accepted(conn):
                        conn.sendall(_ANSWER)
                        self._show()
                except OSError:
                    continue

    def _accepted(self, conn: socket.socket) -> bool:
        if _HAS_UNIX and not _same_user(conn):
            _log.warning("ignored a single-instance request from another user")
            return False
        expected = (self._secret or b"") + _MESSAGE
        received = b""
        while len(received) < len(expected):
            chunk = conn.recv(len(expected) - len(received))
            if not chunk:
                break
            received += chunk
        return hmac.compare_digest(received, expected)

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


class Unchecked:
    """Stands in for PrimaryInstance when no private channel could be set up."""

    def listen(self, on_show: Callable[[], None]) -> None:
        pass

    def close(self) -> None:
        pass


def acquire(data_dir: Path) -> PrimaryInstance | None:
    """Become the profile's instance, or ask the running one to show its window and return None.

    Raises AlreadyRunning when another instance holds the profile but does not answer within 10 s."""
    private_dir(data_dir)
    endpoint = _endpoint(data_dir)
    if _ask_to_show(endpoint, data_dir):
        return None
    deadline = time.monotonic() + _LOCK_WAIT_S
    while True:
        lock_fd = _try_lock(data_dir / "instance.lock")
        if lock_fd is not None:
            break
        if _ask_to_show(endpoint, data_dir):
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


def _ask_to_show(endpoint: Path, data_dir: Path) -> bool:
    """True when a running instance answered "ok" to "show"."""
    try:
        if _HAS_UNIX:
            if not endpoint.exists():
                return False
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.settimeout(2.0)
            client.connect(str(endpoint))
            payload = _MESSAGE
        else:
            port, secret = endpoint.read_text(encoding="ascii").split()
            client = socket.create_connection(("127.0.0.1", int(port)), timeout=2.0)
            payload = secret.encode("ascii") + _MESSAGE
        with client:
            client.sendall(payload)
            return client.recv(len(_ANSWER)) == _ANSWER
    except (OSError, ValueError):
        return False


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
