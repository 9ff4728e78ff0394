"""Honest checks of the shared test infrastructure: private keyring session, keyring failure envs,
the Qt WebEngine page driver and the screenshot check."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from rcsandbox import Sandbox
from rcsandbox.background import BackgroundServer
from tests.support.browser import BrowserCrashed, JavaScriptError, PageLoadError, QtBrowser
from tests.support.desktop_session import DesktopSession
from tests.support.screenshots import assert_not_blank

REPO_ROOT = Path(__file__).resolve().parents[1]
_SET_PASSWORD = "import keyring; keyring.set_password('rcl-test/infra', 'probe', 'value')"


def _run_python(code: str, env: dict[str, str], timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.real
def test_session_environment_is_private(desktop_session: DesktopSession) -> None:
    assert os.environ["HOME"] == desktop_session.env["HOME"] != str(Path("~root").expanduser())
    runtime = Path(os.environ["XDG_RUNTIME_DIR"])
    assert runtime.stat().st_mode & 0o777 == 0o700
    assert os.environ["DBUS_SESSION_BUS_ADDRESS"].startswith(f"unix:path={runtime}/bus")
    assert os.environ["DISPLAY"].startswith(":")
    assert "--no-sandbox" in os.environ["QTWEBENGINE_CHROMIUM_FLAGS"].split()
    assert os.environ["PYWEBVIEW_GUI"] == "qt"
    assert os.environ["NO_AT_BRIDGE"] == "1"
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        assert name not in os.environ


@pytest.mark.real
def test_launchers_started_by_tests_read_no_system_wide_administrator_file(tmp_path: Path) -> None:
    """/etc/xdg/rocketchat-launcher/launcher.toml (installed while the .deb test runs) reaches no test."""
    from launcher.config.layers import config_layers
    from launcher.paths import Paths

    admin = [path for role, path, _ in config_layers(paths=Paths.under(tmp_path)) if role == "administrator"]
    assert admin, "the administrator layer is still read"
    assert all(not str(path).startswith("/etc/") for path in admin), admin
    assert not any(path.exists() for path in admin), admin
    probe = "import platformdirs; print(platformdirs.site_config_dir('rocketchat-launcher', multipath=True))"
    child = _run_python(probe, env=dict(os.environ))
    assert child.returncode == 0, child.stderr
    assert "/etc/xdg" not in child.stdout, child.stdout


@pytest.mark.real
def test_keyring_round_trips_through_secret_service_in_process() -> None:
    import keyring
    from keyring.backends import SecretService

    assert isinstance(keyring.get_keyring(), SecretService.Keyring)
    service, secret = f"rcl-test/{uuid.uuid4()}", uuid.uuid4().hex
    keyring.set_password(service, "alice", secret)
    try:
        assert keyring.get_password(service, "alice") == secret
    finally:
        keyring.delete_password(service, "alice")
    assert keyring.get_password(service, "alice") is None


@pytest.mark.real
def test_keyring_round_trips_in_a_subprocess_with_the_session_env() -> None:
    code = (
        "import keyring, uuid\n"
        "s = 'rcl-test/' + uuid.uuid4().hex\n"
        "keyring.set_password(s, 'bob', 'pw')\n"
        "assert keyring.get_password(s, 'bob') == 'pw'\n"
        "keyring.delete_password(s, 'bob')\n"
        "print(type(keyring.get_keyring()).__module__)\n"
    )
    result = _run_python(code, dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "keyring.backends.SecretService"


@pytest.mark.real
def test_environment_without_keyring_raises_no_keyring_error(no_keyring_env: dict[str, str]) -> None:
    result = _run_python(_SET_PASSWORD, no_keyring_env)
    assert result.returncode != 0
    assert "keyring.errors.NoKeyringError" in result.stderr


@pytest.mark.real
def test_locked_keyring_session_raises_keyring_locked(locked_keyring_env: dict[str, str]) -> None:
    assert "DISPLAY" not in locked_keyring_env
    assert locked_keyring_env["DBUS_SESSION_BUS_ADDRESS"] != os.environ["DBUS_SESSION_BUS_ADDRESS"]
    result = _run_python(_SET_PASSWORD, locked_keyring_env, timeout=20)
    assert result.returncode != 0
    assert "keyring.errors.KeyringLocked" in result.stderr or "keyring.errors.InitError" in result.stderr


@pytest.mark.real
def test_locked_keyring_also_refuses_reads(locked_keyring_env: dict[str, str]) -> None:
    result = _run_python(
        "import keyring; keyring.get_password('rcl-test/infra', 'probe')", locked_keyring_env
    )
    assert result.returncode != 0
    assert "KeyringLocked" in result.stderr or "InitError" in result.stderr


def test_artifacts_dir_is_per_test_under_the_repo(artifacts_dir: Path) -> None:
    assert artifacts_dir.is_dir()
    assert artifacts_dir.parent == REPO_ROOT / "test-artifacts"
    assert "test_artifacts_dir_is_per_test_under_the_repo" in artifacts_dir.name


# -- Qt WebEngine page driver ---------------------------------------------------------------------

_PAGE = """<!doctype html>
<html><head><title>Infra page</title></head>
<body style="background:#f4f4f4;font:20px sans-serif">
<h1 id="title">Hello from the infra page</h1>
<div id="late"></div>
<script>
  console.log("page script ran");
  console.warn("a warning");
  setTimeout(function () { document.getElementById("late").textContent = "arrived"; }, 300);
</script>
</body></html>
"""
_THROWING_PAGE = """<!doctype html><html><body><p>throws</p>
<script>function explode() { throw new Error("infra-boom-42"); } explode();</script></body></html>
"""


@pytest.fixture(scope="module")
def page_server() -> Iterator[BackgroundServer]:
    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(_PAGE)

    async def throwing(request: Request) -> HTMLResponse:
        return HTMLResponse(_THROWING_PAGE)

    async def info(request: Request) -> JSONResponse:
        return JSONResponse({"server": "infra", "query": request.query_params.get("q")})

    app = Starlette(routes=[Route("/", page), Route("/throws", throwing), Route("/api/info", info)])
    with BackgroundServer(app) as server:
        yield server


@pytest.mark.window
def test_browser_opens_evaluates_and_waits(browser: QtBrowser, page_server: BackgroundServer) -> None:
    assert browser.open(page_server.url + "/") == page_server.url + "/"
    assert browser.eval("document.title") == "Infra page"
    assert browser.eval("document.querySelector('#title').textContent") == "Hello from the infra page"
    assert browser.eval("const n = 20; n + 22") == 42  # statements: the completion value
    assert browser.wait_for("document.getElementById('late').textContent", timeout=5) == "arrived"
    assert browser.url() == page_server.url + "/"


@pytest.mark.window
def test_browser_awaits_promises_and_reports_rejections(
    browser: QtBrowser, page_server: BackgroundServer
) -> None:
    browser.open(page_server.url + "/")
    assert browser.eval("fetch('/api/info?q=x').then(r => r.json())") == {"server": "infra", "query": "x"}
    with pytest.raises(JavaScriptError, match="nope-7"):
        browser.eval("Promise.reject(new Error('nope-7'))")
    with pytest.raises(JavaScriptError, match="TypeError"):
        browser.eval("null.property")


@pytest.mark.window
def test_wait_for_timeout_names_last_value_and_console(
    browser: QtBrowser, page_server: BackgroundServer
) -> None:
    browser.open(page_server.url + "/")
    with pytest.raises(TimeoutError) as caught:
        browser.wait_for("document.querySelectorAll('.never').length", timeout=0.5)
    assert "last value: 0" in str(caught.value)
    assert "page script ran" in str(caught.value)


@pytest.mark.window
def test_browser_captures_console_and_uncaught_errors(
    browser: QtBrowser, page_server: BackgroundServer
) -> None:
    browser.open(page_server.url + "/")
    browser.wait_for("document.readyState === 'complete'")
    messages = browser.console()
    assert {"level": "info", "message": "page script ran"}.items() <= messages[0].items()
    assert any(m["level"] == "warning" and m["message"] == "a warning" for m in messages)
    browser.open(page_server.url + "/throws")
    errors = [m for m in browser.console() if m["level"] == "error"]
    assert errors, browser.console()
    assert "infra-boom-42" in errors[-1]["message"]
    assert errors[-1]["source"] == page_server.url + "/throws"


@pytest.mark.window
def test_screenshot_is_not_blank(
    browser: QtBrowser, page_server: BackgroundServer, artifacts_dir: Path
) -> None:
    browser.open(page_server.url + "/")
    shot = browser.screenshot(artifacts_dir / "page.png")
    assert_not_blank(shot)
    size = subprocess.run(
        ["convert", str(shot), "-format", "%w %h", "info:"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert [int(v) for v in size] == [1024, 700]


@pytest.mark.window
def test_blank_screenshot_is_detected(browser: QtBrowser, artifacts_dir: Path) -> None:
    browser.open("about:blank")
    shot = browser.screenshot(artifacts_dir / "blank.png")
    with pytest.raises(AssertionError, match="is blank"):
        assert_not_blank(shot)


@pytest.mark.window
def test_init_script_runs_before_page_scripts(page_server: BackgroundServer) -> None:
    init = "window.__rclInit = 'seen'; console.log('init ran at ' + document.readyState);"
    with QtBrowser(init_script=init) as b:
        b.open(page_server.url + "/")
        assert b.eval("window.__rclInit") == "seen"
        messages = [m["message"] for m in b.console()]
        assert messages.index("init ran at loading") < messages.index("page script ran")


@pytest.mark.window
def test_failed_load_raises_page_load_error(browser: QtBrowser) -> None:
    dead_port = _unused_port()
    with pytest.raises(PageLoadError, match="failed"):
        browser.open(f"http://127.0.0.1:{dead_port}/", timeout=10)


@pytest.mark.window
def test_crashed_driver_surfaces_with_stderr_tail(browser: QtBrowser) -> None:
    assert browser.driver_pid is not None
    os.kill(browser.driver_pid, signal.SIGKILL)  # as if Qt WebEngine crashed
    with pytest.raises(BrowserCrashed, match="stderr tail"):
        browser.eval("1 + 1", timeout=5)


@pytest.mark.window
def test_driver_exits_when_its_stdin_closes() -> None:
    b = QtBrowser().start()
    proc = b._proc
    assert proc is not None and proc.stdin is not None
    proc.stdin.close()  # what the driver sees when the test process dies
    assert proc.wait(timeout=15) == 0
    b.close()


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.window
def test_busy_page_script_times_out_and_close_still_works(browser: QtBrowser) -> None:
    browser.open("data:text/html,<p>busy</p>")
    with pytest.raises(TimeoutError, match="did not finish within 1 s"):
        browser.eval("while (true) {}", timeout=1)


@pytest.mark.window
def test_hung_driver_is_killed_and_reported() -> None:
    b = QtBrowser(hang_grace=1).start()
    try:
        assert b.driver_pid is not None
        os.kill(b.driver_pid, signal.SIGSTOP)  # the Qt process stops answering altogether
        with pytest.raises(BrowserCrashed, match="hangs"):
            b.eval("1", timeout=1)
        assert not Path(f"/proc/{b.driver_pid}").exists() or _is_zombie(b.driver_pid)
    finally:
        b.close()


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.real
def test_a_desktop_session_leaves_no_process_or_directory_behind() -> None:
    session = DesktopSession().start()
    pids, root = session.pids(), session.root
    assert len(pids) == 3 and all(_running(pid) for pid in pids)  # Xvfb, dbus-daemon, gnome-keyring
    assert root is not None and root.is_dir()
    session.stop()
    assert not any(_running(pid) for pid in pids)
    assert not root.exists()


@pytest.mark.window
def test_closed_browser_leaves_no_process_behind() -> None:
    b = QtBrowser().start()
    reaper, qt = b.pid, b.driver_pid
    assert reaper is not None and qt is not None and _running(reaper) and _running(qt)
    helpers = _descendants(reaper)
    assert any("QtWebEngineProcess" in _cmdline(pid) for pid in helpers), helpers
    b.close()
    assert not any(_running(pid) for pid in [reaper, qt, *helpers])


@pytest.mark.window
def test_storage_dir_persists_between_browsers_and_default_profile_does_not(
    page_server: BackgroundServer, tmp_path: Path
) -> None:
    url = page_server.url + "/"
    with QtBrowser(storage_dir=tmp_path / "profile") as first:
        first.open(url)
        first.eval("localStorage.setItem('remember', 'yes')")
    with QtBrowser(storage_dir=tmp_path / "profile") as second:
        second.open(url)
        assert second.eval("localStorage.getItem('remember')") == "yes"
    with QtBrowser() as off_the_record:
        off_the_record.open(url)
        off_the_record.eval("localStorage.setItem('remember', 'yes')")
    with QtBrowser() as fresh:
        fresh.open(url)
        assert fresh.eval("localStorage.getItem('remember')") is None


@pytest.mark.real
def test_sandbox_fixture_answers_over_http(sandbox: Sandbox) -> None:
    import httpx

    response = httpx.post(sandbox.url + "/api/v1/login", json={"user": "alice", "password": "alice-pw"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["userId"] == sandbox.user_id("alice")


def _running(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and not _is_zombie(pid)


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == pid:
                found += [int(entry.name), *_descendants(int(entry.name))]
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}") / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
