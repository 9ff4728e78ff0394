"""End-to-end harness for the desktop shell: the real launcher as a subprocess, in a real Qt WebEngine
window (Xvfb and gnome-keyring from tests/conftest.py), against an in-process rcsandbox and token service
(devstack.demo.DemoStack). The launcher runs through tests/support/e2e_entry.py, which attaches the tests'
driver (tests/support/e2e_driver.py): it records each state (a screenshot, the page text, the renderer)
in report.json and answers the commands of a held run. The product itself ships no driver.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from devstack.demo import DemoStack, DemoUser
from launcher.paths import Paths
from tests.support.screenshots import assert_not_blank

REPO = Path(__file__).resolve().parents[2]
ALICE = DemoUser(username="alice", password="alice-throwaway-pw", name="Alice Doe", email="alice@example.com")
ORGANIZATION = "Example Corp"
RUN_TIMEOUT = 120
E2E_ENTRY = "tests.support.e2e_entry"  # the launcher's command line with the tests' driver attached


@dataclass
class Run:
    """One finished launcher process and what its e2e driver recorded."""

    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any]
    directory: Path
    timeline: dict[str, Any] | None = None

    @property
    def states(self) -> list[str]:
        return [entry["state"] for entry in self.report.get("states", [])]

    def entry(self, state: str, occurrence: int = 1) -> dict[str, Any]:
        found = [e for e in self.report.get("states", []) if e["state"] == state]
        assert len(found) >= occurrence, (
            f"state {state!r} (#{occurrence}) never reached; states: {self.states}"
        )
        return found[occurrence - 1]

    def assert_screenshots(self, copy_to: Path | None = None) -> None:
        """Every recorded state has a non-blank screenshot (copied next to the test's artifacts)."""
        for entry in self.report.get("states", []):
            assert entry.get("screenshot"), f"no screenshot for state {entry['state']}"
            shot = self.directory / entry["screenshot"]
            assert_not_blank(shot)
            if copy_to is not None:
                (copy_to / shot.name).write_bytes(shot.read_bytes())

    def explain(self) -> str:
        said = [e["info"] for e in self.report.get("states", []) if e.get("info", {}).get("message")]
        return (
            f"rc={self.returncode} states={self.states} messages={said}\nstderr tail:\n{self.stderr[-3000:]}"
        )


@dataclass
class LiveRun:
    """A launcher process still running, driven through its e2e driver's command files."""

    launcher: Launcher
    proc: subprocess.Popen[str]
    directory: Path
    index: int
    sent: int = 0

    def command(self, do: str, timeout: float = 30.0, **args: Any) -> dict[str, Any]:
        self.sent += 1
        number = self.sent
        tmp = self.directory / f"cmd-{number}.json.tmp"
        tmp.write_text(json.dumps({"do": do, **args}), encoding="utf-8")
        os.replace(tmp, self.directory / f"cmd-{number}.json")
        answer = self.directory / f"ans-{number}.json"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if answer.exists():
                return json.loads(answer.read_text(encoding="utf-8"))
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"the launcher exited ({self.proc.returncode}) before answering {do}: {self.stderr()[-3000:]}"
                )
            time.sleep(0.05)
        raise AssertionError(f"no answer to {do!r} within {timeout:.0f} s; stderr: {self.stderr()[-3000:]}")

    def wait_facts(
        self, condition: Callable[[dict[str, Any]], bool], timeout: float = 30.0, command: str = "facts"
    ) -> dict[str, Any]:
        """Ask for the window's facts (or another command's answer, e.g. "features") until
        `condition(facts)` holds (AssertionError with the last ones)."""
        deadline = time.monotonic() + timeout
        facts: dict[str, Any] = {}
        while time.monotonic() < deadline:
            facts = self.command(command)
            if condition(facts):
                return facts
            time.sleep(0.2)
        raise AssertionError(f"condition not met within {timeout:.0f} s; last facts: {facts}")

    def js(self, script: str) -> Any:
        """`script`'s value in the window's page (what a person's typing or a page would do)."""
        return self.command("js", script=script).get("value")

    def wait_features(
        self, condition: Callable[[dict[str, Any]], bool], timeout: float = 30.0
    ) -> dict[str, Any]:
        """The window's features (downloads, dialogs, pop-ups...) once `condition` holds."""
        return self.wait_facts(condition, timeout, command="features")

    def wait_signed_in(self, timeout: float = 60.0) -> None:
        """Block until the driver holds the signed-in window (its first answer comes only then)."""
        self.wait_facts(lambda f: f.get("state") == "signed-in", timeout)

    def finish(self, timeout: float = 60.0) -> Run:
        if self.proc.poll() is None:
            self.command("finish")
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        return self.launcher._collect(
            self.proc.returncode, self.stdout(), self.stderr(), self.directory, self.index, True
        )

    def stdout(self) -> str:
        return (self.directory / "stdout.txt").read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return (self.directory / "stderr.txt").read_text(encoding="utf-8", errors="replace")


@dataclass
class Launcher:
    """Starts the launcher for one profile against one stack."""

    stack: DemoStack
    workdir: Path
    artifacts: Path
    config: Path
    profile: Path
    browser_log: Path
    runs: list[Run] = field(default_factory=list)
    _started: int = 0
    live: list[LiveRun] = field(default_factory=list)

    @property
    def paths(self) -> Paths:
        return Paths.under(self.profile)

    def run(
        self,
        *,
        fill: dict[str, Any] | None = None,
        plan: dict[str, Any] | None = None,
        args: list[str] | None = None,
        e2e: bool = True,
    ) -> Run:
        argv, env, directory, index = self._prepare(fill, plan, args, e2e)
        proc = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        return self._collect(proc.returncode, proc.stdout, proc.stderr, directory, index, e2e)

    def start(self, *, plan: dict[str, Any] | None = None, args: list[str] | None = None) -> LiveRun:
        """Start the launcher and return while it runs; plan "hold" keeps it open for commands."""
        argv, env, directory, index = self._prepare(
            None, {"hold": True, "timeout": 90, **(plan or {})}, args, True
        )
        out, err = directory / "stdout.txt", directory / "stderr.txt"
        with out.open("w") as stdout, err.open("w") as stderr:
            proc = subprocess.Popen(argv, env=env, cwd=REPO, stdout=stdout, stderr=stderr, text=True)
        live = LiveRun(self, proc, directory, index)
        self.live.append(live)
        return live

    def _prepare(
        self, fill: dict[str, Any] | None, plan: dict[str, Any] | None, args: list[str] | None, e2e: bool
    ) -> tuple[list[str], dict[str, str], Path, int]:
        index = len(self.runs) + 1 + self._started
        self._started += 1
        directory = self.workdir / f"run{index}"
        directory.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["BROWSER"] = str(self._browser_recorder())
        env.pop("ROCKETCHAT_LAUNCHER_E2E", None)
        if e2e:
            env["ROCKETCHAT_LAUNCHER_E2E"] = str(directory)
            (directory / "plan.json").write_text(json.dumps(plan or {}), encoding="utf-8")
            if fill is not None:
                (directory / "input.json").write_text(json.dumps(fill), encoding="utf-8")
                (directory / "input.json").chmod(0o600)
        timeline = directory / "timeline.json"
        argv = self._argv("--timeline", str(timeline), *(args or []), entry=E2E_ENTRY if e2e else "launcher")
        return argv, env, directory, index

    def _argv(self, *args: str, entry: str = "launcher") -> list[str]:
        """`python -m <entry>` on this stack's config and this profile, then `args`."""
        return [
            sys.executable,
            "-m",
            entry,
            "--config",
            str(self.config),
            "--profile",
            str(self.profile),
            *args,
        ]

    def _collect(
        self, returncode: int, stdout: str, stderr: str, directory: Path, index: int, e2e: bool
    ) -> Run:
        (self.artifacts / f"run{index}-stderr.txt").write_text(stderr, encoding="utf-8")
        report_file = directory / "report.json"
        timeline = directory / "timeline.json"
        report = json.loads(report_file.read_text(encoding="utf-8")) if report_file.exists() else {}
        run = Run(
            returncode,
            stdout,
            stderr,
            report,
            directory,
            json.loads(timeline.read_text(encoding="utf-8")) if timeline.exists() else None,
        )
        if e2e:
            for entry in report.get("states", []):
                shot = directory / (entry.get("screenshot") or "missing.png")
                if shot.exists():
                    (self.artifacts / f"run{index}-{shot.name}").write_bytes(shot.read_bytes())
        self.runs.append(run)
        return run

    def run_cli(self, *args: str, timeout: float = 60.0) -> tuple[subprocess.CompletedProcess[str], float]:
        """Another `python -m launcher` on this profile (a second start, `open <link>`), without the e2e
        driver; its result and how long it took."""
        started = time.monotonic()
        proc = subprocess.run(self._argv(*args), cwd=REPO, capture_output=True, text=True, timeout=timeout)
        return proc, time.monotonic() - started

    def sign_in_with_form(self) -> Run:
        """First run: type the credentials into the sign-in page and submit it."""
        run = self.run(
            fill={"username": ALICE.username, "password": ALICE.password, "remember": True},
            plan={"finish_on": ["signed-in", "error", "signin-failed"]},
        )
        assert run.returncode == 0 and run.report.get("final_state") == "signed-in", run.explain()
        return run

    def sign_in_by_command(self) -> None:
        """Arrange a signed-in profile without a window: `rocketchat-launcher sign-in --password-stdin`
        stores the login and the Rocket.Chat token in the keyring, so the next start signs in from them.
        For tests whose subject comes after the sign-in; the form has its own tests."""
        proc = subprocess.run(
            self._argv("sign-in", "--username", ALICE.username, "--password-stdin"),
            input=ALICE.password + "\n",
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, f"sign-in exited {proc.returncode}: {proc.stderr[-2000:]}"

    def add_config(self, text: str) -> None:
        """Append TOML tables to the launcher's configuration file (before the start that reads them)."""
        with self.config.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text.strip() + "\n")

    def start_signed_in(self, timeout: float = 120.0, **plan: Any) -> LiveRun:
        """A held run on a profile signed in by command, once the stand-in's page shows its features."""
        self.sign_in_by_command()  # the arrangement; the form has its own tests
        live = self.start(plan={"timeout": timeout, **plan})
        live.wait_signed_in()
        live.wait_facts(lambda f: live.js("!!document.getElementById('workday')") is True)
        return live

    def sign_in_keeping_the_web_session(self) -> Run:
        """First run through the form, kept open until Chromium wrote Rocket.Chat's login to the profile
        on disk (it commits localStorage seconds after a write, and not at all if the process ends first),
        so the next start finds the page's own stored session."""
        run = self.run(
            fill={"username": ALICE.username, "password": ALICE.password, "remember": True},
            plan={"finish_on": ["signed-in", "error", "signin-failed"], "keep_web_session": True},
        )
        assert run.report.get("final_state") == "signed-in", run.explain()
        assert run.report.get("web_session_stored") is True, "Rocket.Chat's login never reached the disk"
        return run

    def drop_web_session(self) -> None:
        """The webview forgets Rocket.Chat's session (local and session storage, cookies) but keeps the
        launcher's signed-in mark: the page cannot sign itself in, so the launcher's token must do it."""
        storage = self.paths.webview_storage_dir
        for name in ("Local Storage", "Session Storage"):
            shutil.rmtree(storage / name, ignore_errors=True)
        for name in ("Cookies", "Cookies-journal"):
            (storage / name).unlink(missing_ok=True)

    def opened_in_browser(self) -> list[str]:
        if not self.browser_log.exists():
            return []
        return [line for line in self.browser_log.read_text(encoding="utf-8").splitlines() if line]

    def _browser_recorder(self) -> Path:
        script = self.workdir / "browser-recorder.sh"
        if not script.exists():
            script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{self.browser_log}"\n', encoding="utf-8")
            script.chmod(0o755)
        return script


@pytest.fixture
def make_launcher(tmp_path: Path, artifacts_dir: Path) -> Iterator[Callable[..., Launcher]]:
    """make_launcher(rc_settings=..., client_start_delay=..., stack_options=..., **config) -> a Launcher on a
    fresh stack (`stack_options`: more DemoStack arguments, e.g. rc_tls)."""
    stacks: list[DemoStack] = []
    launchers: list[Launcher] = []

    def make(
        rc_settings: dict[str, Any] | None = None,
        client_start_delay: float = 0.5,
        stack_options: dict[str, Any] | None = None,
        **config: str,
    ) -> Launcher:
        workdir = tmp_path / f"stack{len(stacks) + 1}"
        stack = DemoStack(
            workdir,
            [ALICE],
            rc_settings=rc_settings,
            client_start_delay=client_start_delay,
            password_cost=2**10,
            **(stack_options or {}),
        ).start()
        stacks.append(stack)
        launcher = Launcher(
            stack=stack,
            workdir=workdir,
            artifacts=artifacts_dir,
            config=stack.write_launcher_config(workdir / "launcher.toml", ORGANIZATION, **config),
            profile=workdir / "profile",
            browser_log=workdir / "browser.log",
        )
        launchers.append(launcher)
        return launcher

    yield make
    for launcher in launchers:
        for live in launcher.live:
            if live.proc.poll() is None:
                live.proc.kill()
                live.proc.wait(10)
        _forget_keyring(launcher.paths)
    for stack in stacks:
        stack.stop()


def _forget_keyring(paths: Paths) -> None:
    from launcher.signin.credentials import CredentialStore

    CredentialStore(paths.keyring_namespace).clear()


class OtherOrigin:
    """A web server of another origin that records every request (the token must never reach it) and
    answers each with `body`."""

    def __init__(self, body: bytes = b"<html><body>other origin</body></html>") -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path + " " + str(dict(self.headers)))
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def other_origin() -> Iterator[OtherOrigin]:
    server = OtherOrigin()
    yield server
    server.close()
