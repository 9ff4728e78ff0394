"""The TOML config loader and the command line (`serve`, `hash-password`) as operators use them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rcsandbox import Sandbox
from tests.support.servers import free_port, wait_for_http
from tokenservice.config import ConfigError, load_config
from tokenservice.directory import UsersFileDirectory

from .conftest import EMPLOYEES, SECRET, write_users_file
from .rawhttp import RawConnection

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "tokenservice" / "tokenservice.example.toml"


def _example_dir(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLE, tmp_path / "tokenservice.toml")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "create-tokens-secret").write_text(SECRET + "\n")
    (tmp_path / "secrets" / "service-account-password").write_text("admin-pw\n")
    write_users_file(tmp_path / "users.toml", {"alice": EMPLOYEES["alice"]})
    return tmp_path / "tokenservice.toml"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_example_config_loads(tmp_path: Path) -> None:
    config = load_config(_example_dir(tmp_path), env={})

    assert config.rocketchat_url == "https://chat.example.com"
    assert config.rocketchat_origin == "https://chat.example.com"
    assert config.create_tokens_secret == SECRET
    assert config.service_account.username == "tokenservice-bot"
    assert config.service_account.password == "admin-pw"
    assert config.cookie.samesite == "lax" and config.cookie.secure
    assert config.throttle.max_failures_per_username == 5
    assert config.throttle.max_failures_per_username_everywhere == 50
    assert config.throttle.known_addresses == 10000
    assert (config.body_timeout, config.keep_alive_timeout, config.limit_concurrency) == (10.0, 5.0, 500)
    assert isinstance(config.directory, UsersFileDirectory)
    assert "admin-pw" not in repr(config) and SECRET not in repr(config)


def test_secrets_from_environment_variables(tmp_path: Path) -> None:
    path = _example_dir(tmp_path)
    _edit(path, 'password_file = "secrets/service-account-password"', 'password_env = "TS_TEST_PW"')
    assert load_config(path, env={"TS_TEST_PW": "from-env"}).service_account.password == "from-env"
    with pytest.raises(ConfigError, match="TS_TEST_PW"):
        load_config(path, env={})


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        (
            [('password_file = "secrets/service-account-password"', 'password = "hunter2"')],
            "must not be written",
        ),
        ([('\nsamesite = "lax"', '\nsamesite = "sideways"')], "cookie.samesite must be one of"),
        (
            [("\nsecure = true", "\nsecure = false"), ('\nsamesite = "lax"', '\nsamesite = "none"')],
            "needs cookie",
        ),
        ([('url = "https://chat.example.com"', 'url = "chat.example.com"')], "must be an http"),
        ([("window = 900", "windw = 900")], "unknown config key throttle.windw"),
        ([('path = "users.toml"', 'path = "missing.toml"')], "cannot read the users file"),
        ([("port = 8765", 'port = "8765"')], "server.port must be int"),
        ([('username = "tokenservice-bot"\n', "")], "needs either user_id"),
    ],
)
def test_bad_config_gets_a_one_sentence_error(
    tmp_path: Path, edits: list[tuple[str, str]], message: str
) -> None:
    path = _example_dir(tmp_path)
    for old, new in edits:
        _edit(path, old, new)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path, env={})
    assert "hunter2" not in str(info.value)
    assert "\n" not in str(info.value)


def _run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenservice", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


async def _check(directory: UsersFileDirectory, username: str, password: str) -> str | None:
    employee = await directory.authenticate(username, password)
    return employee.name if employee else None


@pytest.mark.real  # a process of its own
def test_hash_password_reads_stdin_and_prints_a_users_entry(tmp_path: Path) -> None:
    result = _run_cli(
        "hash-password",
        "--username",
        "erin",
        "--name",
        "Erin Moe",
        "--email",
        "erin@example.com",
        stdin="erin's pw\n",
    )
    assert result.returncode == 0, result.stderr
    assert "erin's pw" not in result.stdout
    (tmp_path / "users.toml").write_text(result.stdout)

    directory = UsersFileDirectory(tmp_path / "users.toml")
    assert asyncio.run(_check(directory, "erin", "erin's pw")) == "Erin Moe"
    assert asyncio.run(_check(directory, "erin", "wrong")) is None


@pytest.mark.real  # a process of its own
def test_hash_password_alone_prints_only_the_hash() -> None:
    result = _run_cli("hash-password", stdin="pw\n")
    assert result.returncode == 0
    assert result.stdout.startswith("scrypt$n=16384,r=8,p=1$")
    assert result.stdout.count("\n") == 1


@pytest.mark.real  # a process of its own
def test_hash_password_refuses_an_empty_password_and_password_arguments() -> None:
    empty = _run_cli("hash-password", stdin="\n")
    assert empty.returncode == 1
    assert "password is empty" in empty.stderr
    as_argument = _run_cli("hash-password", "--password", "secret")
    assert as_argument.returncode == 2  # argparse: no such option, by design


@pytest.mark.real  # a process of its own
def test_serve_with_a_bad_config_exits_with_a_clear_message(tmp_path: Path) -> None:
    result = _run_cli("--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert result.stderr.strip().startswith("tokenservice: cannot read the config file")
    assert "Traceback" not in result.stderr


def start_service_process(path: Path) -> tuple[subprocess.Popen[str], str]:
    """`python -m tokenservice --config path` on a free port, once /healthz answers: the process (its
    standard error piped) and its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokenservice", "--config", str(path), "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(proc, f"{url}/healthz", "the service")
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return proc, url


@contextlib.contextmanager
def _serving(path: Path) -> Iterator[tuple[str, list[str]]]:
    """`python -m tokenservice --config path` until the block ends; yields the URL and, once the process
    is stopped, its standard error (as the list's only item)."""
    proc, url = start_service_process(path)
    stderr_out: list[str] = []
    try:
        yield url, stderr_out
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, stderr = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
        stderr_out.append(stderr)


def _sandbox_config(tmp_path: Path, rc: Sandbox) -> Path:
    path = _example_dir(tmp_path)
    _edit(path, 'url = "https://chat.example.com"', f'url = "{rc.url}"')
    _edit(path, 'origin = "https://chat.example.com"', f'origin = "{rc.origin}"')
    _edit(path, 'username = "tokenservice-bot"', 'username = "admin"')
    return path


@pytest.mark.real  # a process of its own
def test_python_m_tokenservice_serves_flow_one(tmp_path: Path, rc: Sandbox) -> None:
    with _serving(_sandbox_config(tmp_path, rc)) as (url, stderr_out):
        login = httpx.post(f"{url}/api/login", json={"username": "alice", "password": "alice-pw"})
        assert login.status_code == 200
        assert "Secure" in login.headers["set-cookie"]  # as configured in the example
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        token = httpx.post(f"{url}/api/rocketchat/token", headers=bearer)
        assert token.status_code == 200
        assert rc.user_id("alice") == token.json()["userId"]
    stderr = stderr_out[0]
    assert "alice-pw" not in stderr and "admin-pw" not in stderr
    assert "token issued" in stderr and "user=alice" in stderr


@pytest.mark.real  # a process of its own
def test_serve_applies_the_connection_limits_from_the_config(tmp_path: Path, rc: Sandbox) -> None:
    path = _sandbox_config(tmp_path, rc)
    _edit(path, "keep_alive_timeout = 5", "keep_alive_timeout = 1")
    _edit(path, "limit_concurrency = 500", "limit_concurrency = 3")
    with _serving(path) as (url, _):
        with RawConnection(url, timeout=5.0) as conn:
            conn.send_head("GET", "/healthz", {})
            assert conn.read_response().status == 200
            started = time.monotonic()
            assert conn.closed_by_server(within=4.0)  # the idle keep-alive connection is closed...
            assert time.monotonic() - started < 3.0  # ...after about keep_alive_timeout

        with RawConnection(url) as idle_one, RawConnection(url) as idle_two:
            assert idle_one and idle_two  # two connections held open, sending nothing
            with RawConnection(url, timeout=5.0) as third:
                third.send_head("GET", "/healthz", {})
                assert third.read_response().status == 503  # limit_concurrency reached
        assert httpx.get(f"{url}/healthz").status_code == 200
