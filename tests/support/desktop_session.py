"""A private desktop session for the test run: D-Bus session bus, unlocked gnome-keyring, Xvfb.

``prepare()`` makes only the private HOME and XDG_RUNTIME_DIR (every run uses them); ``start()`` starts
the processes, which tests/conftest.py does only when a test of a costly tier needs them.

Why: the launcher stores secrets in the real Secret Service and shows a real Qt WebEngine window. Tests
must exercise both without touching the developer's own keyring, bus or screen, and without leaving
processes behind (docs/platform-notes.md#linux-test-session).

Every process is started by us, in the foreground, so that we own its pid and can stop it. The D-Bus
daemon and gnome-keyring run WITHOUT ``DISPLAY``: should anything ever ask gnome-keyring for an unlock
prompt, gcr-prompter (activated by the bus with the bus's environment) cannot open a window and the
prompt is dismissed at once, instead of hanging on an invisible dialog.

Two helpers give a SUBPROCESS a broken keyring, for the launcher's keyring-failure paths:

- ``environment_without_keyring()``: the session bus address points to a dead socket, so keyring falls
  back to ``keyring.backends.fail.Keyring`` and ``set_password`` raises ``NoKeyringError``.
- ``locked_keyring_session()``: a second private bus and gnome-keyring whose ``login`` collection is
  LOCKED: its ``login.keyring`` was created with another password, and the daemon was "unlocked" with a
  wrong one. No ``DISPLAY``, so the unlock prompt is dismissed and keyring raises
  ``KeyringLocked: Failed to unlock the collection!`` in ~0.2 s. (The other way to get a locked keyring,
  a daemon that is never unlocked, yields ``InitError: ... Prompt dismissed`` but relies on the bus
  auto-activating gnome-keyring, whose pid we would not own; with a DISPLAY either way HANGS.)
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "DesktopSession",
    "DesktopSessionError",
    "environment_without_keyring",
    "locked_keyring_session",
    "verify_secret_service",
]

_SECRETS_BUS_NAME = "org.freedesktop.secrets"
_ROOT_PREFIX = "rcl-desktop-"
_START_TIMEOUT = 15.0
_STOP_TIMEOUT = 5.0
_XDG_DIRS_TO_UNSET = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")
# Variables that could make keyring pick something other than the Secret Service.
_KEYRING_OVERRIDES = ("PYTHON_KEYRING_BACKEND", "PYTHON_KEYRING_PROPERTY")


class DesktopSessionError(RuntimeError):
    """A part of the private desktop session could not be started or verified."""


@dataclass
class _Process:
    """A child we started, with the log file that holds its stderr."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class DesktopSession:
    """A throw-away HOME + XDG_RUNTIME_DIR, a D-Bus session bus, an unlocked gnome-keyring and Xvfb.

    ``keyring_file``: an existing ``login.keyring`` to put in HOME before gnome-keyring starts (it is
    unlocked with ``keyring_password``, so a file made with another password stays locked).

    ``start()`` returns once every part answers; ``env`` then holds the variables to export. ``stop()``
    ends every process we started (and any service the bus activated) and removes the directory.
    """

    with_display: bool = True
    keyring_password: str = field(default_factory=lambda: secrets.token_urlsafe(16), repr=False)
    keyring_file: Path | None = None
    root: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    _processes: list[_Process] = field(default_factory=list)

    # -- public -------------------------------------------------------------------------------

    def prepare(self) -> dict[str, str]:
        """Make the throw-away HOME and XDG_RUNTIME_DIR (no process yet); return those two variables.

        The test run exports them at once, so that nothing reaches the developer's own files, and
        calls ``start()`` only when a test needs the bus, the keyring or the display.
        """
        if self.root is None:
            if sys.platform.startswith("linux"):  # owners are looked up in /proc
                _remove_abandoned_roots()
            self.root = Path(tempfile.mkdtemp(prefix=_ROOT_PREFIX))
            (self.root / "owner.pid").write_text(str(os.getpid()))
            (self.root / "home").mkdir()
            runtime = self.root / "runtime"
            runtime.mkdir(mode=0o700)
            runtime.chmod(0o700)
        return {"HOME": str(self.root / "home"), "XDG_RUNTIME_DIR": str(self.root / "runtime")}

    @property
    def running(self) -> bool:
        """True once ``start()`` has started the processes (until ``stop()``)."""
        return bool(self._processes)

    def start(self) -> DesktopSession:
        started = time.monotonic()
        dirs = self.prepare()
        home, runtime = Path(dirs["HOME"]), Path(dirs["XDG_RUNTIME_DIR"])
        if self.keyring_file is not None:
            keyrings = home / ".local" / "share" / "keyrings"
            keyrings.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.keyring_file, keyrings / "login.keyring")
        base = _base_environment(home, runtime)
        try:
            xvfb, display_pipe = self._start_xvfb(base) if self.with_display else (None, -1)
            address = self._start_dbus(base, runtime)
            base["DBUS_SESSION_BUS_ADDRESS"] = address
            self._start_keyring(base, self.keyring_password)
            self.timings["bus_and_keyring"] = time.monotonic() - started
            self.env = {
                "HOME": str(home),
                "XDG_RUNTIME_DIR": str(runtime),
                "DBUS_SESSION_BUS_ADDRESS": address,
                "NO_AT_BRIDGE": "1",
            }
            if xvfb is not None:
                self.env["DISPLAY"] = ":" + _read_display(xvfb, display_pipe)
            self.timings["total"] = time.monotonic() - started
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        address = self.env.get("DBUS_SESSION_BUS_ADDRESS")
        bus = next((p for p in self._processes if p.name == "dbus-daemon"), None)
        # Bus-activated services (a second gnome-keyring, gcr-prompter, ...) are children of the bus
        # daemon: stop them while it is alive, so that it reaps them and nothing is orphaned.
        if address and bus is not None and bus.popen.poll() is None:
            own = {p.popen.pid for p in self._processes}
            for pid in _bus_peer_pids(address) - own - {os.getpid()}:
                _terminate_pid(pid)
        for proc in reversed(self._processes):
            _terminate(proc.popen)
        self._processes.clear()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def pids(self) -> list[int]:
        """Pids of the processes this session started (for leak checks)."""
        return [p.popen.pid for p in self._processes]

    def __enter__(self) -> DesktopSession:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- parts --------------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], env: Mapping[str, str], **kwargs: object) -> _Process:
        assert self.root is not None
        log = self.root / f"{name}.log"
        with log.open("wb") as log_file:
            popen = subprocess.Popen(
                _die_with_parent(argv),
                env=dict(env),
                stderr=log_file,
                stdout=kwargs.pop("stdout", subprocess.DEVNULL),  # type: ignore[arg-type]
                start_new_session=True,
                **kwargs,  # type: ignore[arg-type]
            )
        proc = _Process(name, popen, log)
        self._processes.append(proc)
        return proc

    def _start_xvfb(self, env: Mapping[str, str]) -> tuple[_Process, int]:
        read_fd, write_fd = os.pipe()
        try:
            proc = self._spawn(
                "Xvfb",
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                env,
                pass_fds=(write_fd,),
            )
        finally:
            os.close(write_fd)
        return proc, read_fd

    def _start_dbus(self, env: Mapping[str, str], runtime: Path) -> str:
        proc = self._spawn(
            "dbus-daemon",
            [
                "dbus-daemon",
                "--session",
                "--nofork",
                "--nopidfile",
                f"--address=unix:path={runtime / 'bus'}",
                "--print-address",
            ],
            env,
            stdout=subprocess.PIPE,
        )
        assert proc.popen.stdout is not None
        line = _read_line(proc.popen.stdout.fileno(), _START_TIMEOUT)
        proc.popen.stdout.close()
        if not line.startswith("unix:"):
            raise DesktopSessionError(
                f"dbus-daemon printed no bus address within {_START_TIMEOUT:.0f} s "
                f"(exit code {proc.popen.poll()}): {proc.log_tail()}"
            )
        return line

    def _start_keyring(self, env: Mapping[str, str], password: str) -> None:
        proc = self._spawn(
            "gnome-keyring-daemon",
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            env,
            stdin=subprocess.PIPE,
        )
        assert proc.popen.stdin is not None
        proc.popen.stdin.write(password.encode())
        proc.popen.stdin.close()
        deadline = time.monotonic() + _START_TIMEOUT
        address = env["DBUS_SESSION_BUS_ADDRESS"]
        while not _bus_has_owner(address, _SECRETS_BUS_NAME):
            if proc.popen.poll() is not None or time.monotonic() > deadline:
                raise DesktopSessionError(
                    f"gnome-keyring-daemon did not take {_SECRETS_BUS_NAME} on the private bus "
                    f"(exit code {proc.popen.poll()}): {proc.log_tail()}"
                )
            time.sleep(0.02)


def verify_secret_service(env: Mapping[str, str] | None = None) -> None:
    """Round-trip a secret through keyring's SecretService backend; raise DesktopSessionError if not.

    Runs in this process (with ``os.environ``) when ``env`` is None, else in a subprocess with ``env``.
    """
    if env is not None:
        result = subprocess.run(
            [_python(), "-c", "from tests.support.desktop_session import verify_secret_service as v; v()"],
            env=dict(env),
            cwd=str(_repo_root()),
            capture_output=True,
            text=True,
            timeout=30,
        )
        if result.returncode != 0:
            raise DesktopSessionError(result.stderr.strip().splitlines()[-1] if result.stderr else "failed")
        return
    from keyring.backends import SecretService

    service, user, value = f"rcl-test-session/{uuid.uuid4()}", "probe", secrets.token_urlsafe(8)
    try:
        backend = SecretService.Keyring()
        backend.set_password(service, user, value)
        read_back = backend.get_password(service, user)
        backend.delete_password(service, user)
    except Exception as exc:
        raise DesktopSessionError(
            "the private gnome-keyring does not work through keyring.backends.SecretService.Keyring: "
            f"{type(exc).__name__}: {exc}; check that dbus and gnome-keyring are installed "
            "(scripts/install-system-deps.sh) and that SecretStorage is in the venv"
        ) from exc
    if read_back != value:
        raise DesktopSessionError("the private gnome-keyring returned a different secret than was stored")


def environment_without_keyring(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default os.environ) for a subprocess that can reach no Secret Service.

    DBUS_SESSION_BUS_ADDRESS points to a socket file nobody listens on (connect is refused), so
    keyring's SecretService backend is not viable and ``keyring.set_password`` raises NoKeyringError.
    """
    env = dict(os.environ if base is None else base)
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={_dead_socket()}"
    for name in _KEYRING_OVERRIDES:
        env.pop(name, None)
    return env


@contextlib.contextmanager
def locked_keyring_session(base: Mapping[str, str] | None = None) -> Iterator[dict[str, str]]:
    """Yield an env copy for a subprocess whose Secret Service has a LOCKED login collection.

    keyring calls there raise ``KeyringLocked`` quickly (see the module docstring). The env has no
    DISPLAY, so nothing can hang on an unlock prompt.
    """
    wrong_password = "not-the-password-" + secrets.token_urlsafe(8)
    locked = DesktopSession(
        with_display=False, keyring_password=wrong_password, keyring_file=_login_keyring_with_other_password()
    )
    with locked:
        env = dict(os.environ if base is None else base)
        env.update(locked.env)
        env.pop("DISPLAY", None)
        for name in (*_XDG_DIRS_TO_UNSET, *_KEYRING_OVERRIDES):
            env.pop(name, None)
        yield env


# -- private helpers ------------------------------------------------------------------------------

_other_password_keyring: Path | None = None
_scratch_dir: Path | None = None


def _scratch() -> Path:
    """A per-process temp dir for the helpers' files, removed at interpreter exit."""
    global _scratch_dir
    if _scratch_dir is None or not _scratch_dir.exists():
        _scratch_dir = Path(tempfile.mkdtemp(prefix="rcl-test-scratch-"))
        atexit.register(shutil.rmtree, _scratch_dir, True)
    return _scratch_dir


def _dead_socket() -> Path:
    """A unix socket file nobody listens on: connect() fails with ECONNREFUSED."""
    path = _scratch() / "dead-bus"
    if not path.exists():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(path))
        sock.close()  # the file stays
    return path


def _login_keyring_with_other_password() -> Path:
    """A login.keyring created with a random password nobody keeps; made once per process."""
    global _other_password_keyring
    if _other_password_keyring is not None and _other_password_keyring.exists():
        return _other_password_keyring
    with DesktopSession(with_display=False) as maker:
        assert maker.root is not None
        env = {**_base_environment(maker.root / "home", maker.root / "runtime"), **maker.env}
        verify_secret_service(env)  # writes an item, so the login collection is saved to disk
        made = maker.root / "home" / ".local" / "share" / "keyrings" / "login.keyring"
        if not made.exists():
            raise DesktopSessionError(f"gnome-keyring wrote no {made}; cannot build a locked keyring")
        _other_password_keyring = _scratch() / "login.keyring"
        shutil.copy2(made, _other_password_keyring)
    return _other_password_keyring


def _remove_abandoned_roots() -> None:
    """Delete session dirs whose owner process is gone (a test run killed with SIGKILL)."""
    for root in Path(tempfile.gettempdir()).glob(_ROOT_PREFIX + "*"):
        try:
            owner = int((root / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if not _alive(owner):
            shutil.rmtree(root, ignore_errors=True)


def _base_environment(home: Path, runtime: Path) -> dict[str, str]:
    """Environment for the session's daemons: the current one, minus DISPLAY and XDG overrides."""
    env = dict(os.environ)
    env.update({"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime), "NO_AT_BRIDGE": "1"})
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", *_XDG_DIRS_TO_UNSET):
        env.pop(name, None)
    return env


def _die_with_parent(argv: list[str]) -> list[str]:
    """Prefix argv so the child gets SIGTERM if the test process dies without cleaning up."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *argv] if setpriv else argv


def _read_line(fd: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    data = b""
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace").strip().splitlines()[0] if data.strip() else ""


def _read_display(xvfb: _Process, fd: int) -> str:
    try:
        number = _read_line(fd, _START_TIMEOUT)
    finally:
        os.close(fd)
    if not number.isdigit():
        raise DesktopSessionError(
            f"Xvfb reported no display within {_START_TIMEOUT:.0f} s "
            f"(exit code {xvfb.popen.poll()}): {xvfb.log_tail()}"
        )
    return number


def _bus_call(address: str, message: object) -> object:
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus=address) as conn:
        reply = conn.send_and_get_reply(message, timeout=5)
    return reply.body[0]


def _bus_has_owner(address: str, name: str) -> bool:
    from jeepney.bus_messages import message_bus

    return bool(_bus_call(address, message_bus.NameHasOwner(name)))


def _bus_peer_pids(address: str) -> set[int]:
    """Pids of every client of the bus (best effort: an unreachable bus has none)."""
    from jeepney.bus_messages import message_bus

    pids: set[int] = set()
    try:
        names = _bus_call(address, message_bus.ListNames())
        for name in names:  # type: ignore[attr-defined]
            if name.startswith(":"):
                with contextlib.suppress(Exception):
                    pids.add(int(_bus_call(address, message_bus.GetConnectionUnixProcessID(name))))  # type: ignore[call-overload]
    except Exception:
        return pids
    return pids


def _terminate(popen: subprocess.Popen[bytes]) -> None:
    if popen.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            popen.terminate()
        try:
            popen.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(timeout=_STOP_TIMEOUT)
    for stream in (popen.stdin, popen.stdout, popen.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def _terminate_pid(pid: int) -> None:
    """Stop a process we did not spawn directly (a bus-activated service) and wait until it is gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.02)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _python() -> str:
    return sys.executable


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]
