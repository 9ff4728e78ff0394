"""`python -m rcsandbox`: help text and option errors (its `main()` in process: argparse's exits and
output are the program's), and a real server process on a free port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rcsandbox.__main__ import main

REPO = Path(__file__).resolve().parents[2]
OPTIONS = [
    "--host",
    "--port",
    "--config",
    "--user",
    "--create-tokens-secret-env",
    "--setting",
    "--client-start-delay",
    "--login-rate-limit",
    "--login-rate-window",
    "--latency",
    "--resume-delay",
    "--tls-cert",
    "--tls-key",
    "--rc-version",
]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rcsandbox", *args], cwd=REPO, capture_output=True, text=True, timeout=30
    )


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``python -m rcsandbox ARGS`` that stop before serving."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def test_help_documents_every_option_and_setting(capsys: pytest.CaptureFixture[str]) -> None:
    returncode, stdout, _ = _main(capsys, "--help")
    assert returncode == 0
    for option in OPTIONS:
        assert option in stdout
    for setting in (
        "Iframe_Integration_receive_origin",
        "Accounts_Iframe_api_method",
        "Accounts_LoginExpiration",
    ):
        assert setting in stdout
    assert "NOT Rocket.Chat" in stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--setting", "Nope=1"], "Unknown setting 'Nope'"),
        (["--setting", "Iframe_Integration_receive_enable=maybe"], "takes true or false"),
        (["--setting", "novalue"], "NAME=VALUE"),
        (["--client-start-delay", "-1"], "client_start_delay must be"),
        (["--user", "a:b:c:d:e"], "USERNAME[:NAME[:EMAIL[:ROLES]]]"),
        (["--config", "/nonexistent/sandbox.toml"], "Cannot read sandbox config"),
        (["--port", "70000"], "is not a port number"),
    ],
)
def test_bad_options_exit_2_with_one_sentence(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    returncode, _, stderr = _main(capsys, *args)
    assert returncode == 2
    assert message in stderr and "Traceback" not in stderr


@pytest.mark.real
def test_the_module_runs_as_a_program() -> None:
    """What the in-process calls above cannot show: `python -m rcsandbox` reaches `main()`."""
    result = _run("--port", "70000")
    assert result.returncode == 2 and "is not a port number" in result.stderr


@pytest.fixture
def cli_server(tmp_path: Path) -> Iterator[str]:
    config = tmp_path / "sandbox.toml"
    config.write_text(
        '[[users]]\nusername = "carol"\npassword = "carol-pw"\nname = "Carol"\n', encoding="utf-8"
    )
    env = {**os.environ, "RCSANDBOX_PASSWORD_DAVE": "dave-secret-pw", "MY_SECRET": "cli-secret"}
    args = ["--port", "0", "--config", str(config), "--user", "dave:Dave Doe:dave@example.com:user"]
    args += ["--create-tokens-secret-env", "MY_SECRET", "--setting", "Iframe_Integration_receive_enable=true"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "rcsandbox", *args], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the server prints its URL once it listens
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, f"no URL in {line!r}"
        yield match.group(0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.real
def test_cli_server_answers_with_seeded_users_settings_and_secret(cli_server: str) -> None:
    with httpx.Client(base_url=cli_server, timeout=10) as http:
        assert http.get("/api/info").json()["version"] == "8.0"
        assert http.post("/api/v1/login", json={"user": "carol", "password": "carol-pw"}).status_code == 200
        dave = http.post("/api/v1/login", json={"user": "dave", "password": "dave-secret-pw"})
        assert dave.status_code == 200 and dave.json()["data"]["me"]["name"] == "Dave Doe"
        settings = http.get(
            "/api/v1/settings.public", params={"_id": "Iframe_Integration_receive_enable"}
        ).json()
        assert settings["settings"] == [{"_id": "Iframe_Integration_receive_enable", "value": True}]
        data = dave.json()["data"]
        headers = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
        minted = http.post(
            "/api/v1/users.createToken",
            json={"userId": data["userId"], "secret": "cli-secret"},
            headers=headers,
        )
        assert minted.status_code == 200
        page = http.get("/home")
        assert page.status_code == 200 and "<title>Chat sandbox</title>" in page.text
        assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
