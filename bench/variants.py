"""The four things the start-up benchmark starts, and the profile state each one needs before it starts.

- ``baseline``: bench/baseline_window.py, a bare pywebview window on Rocket.Chat's page; goal = the web
  client's ``startup`` event. Its profile (storage folder) is kept between runs, like a returning user's,
  and holds no sign-in: the page starts signed out.
- ``baseline-signed-in``: the same window on a storage folder where the page signed itself in once
  (its own login form). Its client resumes that login before ``startup`` (one more round trip): the floor
  of a signed-in start, for which the launcher cannot do better.
- ``cached``: the launcher on a profile that signed in before: the keyring holds the stored login and a
  cached Rocket.Chat token, the webview holds Rocket.Chat's web session. The daily double-click.
- ``stored``: the same, but the cached token is gone and so is the web session (local and session
  storage, cookies; the caches stay), as after a token ran out: the launcher must fetch a token with the
  stored login while the page loads.
- ``first-run``: an empty profile; the sign-in form is filled in and submitted programmatically by the
  launcher's e2e driver (launcher/e2e.py), which first waits for the form to be painted and saves a
  screenshot of it, like a person who looks before typing. Hence an upper bound for a sign-in.

Launcher goal = the timeline's ``signin_confirmed`` (the cover is lifted from a signed-in Rocket.Chat).
Every time is in ms since the kernel started the process (the reference of launcher/timeline.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.procmem import MemorySample, TreeSampler
from bench.stack import BENCH_USER, FLOOR_USER, BenchStack
from launcher.window.recorder import read_json

__all__ = ["BASELINES", "LAUNCHER_VARIANTS", "VARIANTS", "RunResult", "Runner", "child_environment"]

VARIANTS = ("baseline", "baseline-signed-in", "cached", "stored", "first-run")
BASELINES = ("baseline", "baseline-signed-in")
LAUNCHER_VARIANTS = ("cached", "stored", "first-run")
BASELINE_SCRIPT = Path(__file__).with_name("baseline_window.py")
RUN_TIMEOUT_S = 90.0
_E2E_VAR = "ROCKETCHAT_LAUNCHER_E2E"


@dataclass
class RunResult:
    """One process run: its goal time (None if it failed), its milestones and its memory."""

    variant: str
    conditions: str
    round: int
    goal_ms: float | None
    milestones: dict[str, Any]
    memory: MemorySample
    returncode: int | None
    wall_s: float
    error: str | None = None
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.goal_ms is not None and self.error is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "conditions": self.conditions,
            "round": self.round,
            "ok": self.ok,
            "goal_ms": self.goal_ms,
            "milestones": self.milestones,
            "memory": self.memory.as_dict(),
            "returncode": self.returncode,
            "wall_s": round(self.wall_s, 3),
            "error": self.error,
            "stderr_tail": self.stderr_tail if not self.ok else "",
        }


def child_environment(session_env: dict[str, str]) -> dict[str, str]:
    """The environment of every benchmarked process: our private desktop session, Qt WebEngine as in the
    tests (pywebview's Qt backend, no Chromium sandbox: we may run as root), and no launcher overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROCKETCHAT_LAUNCHER")}
    for name in (
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
        "XDG_STATE_HOME",
        "PYTHON_KEYRING_BACKEND",
    ):
        env.pop(name, None)
    env.update(session_env)
    flags = env.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--no-sandbox" not in flags.split():
        env["QTWEBENGINE_CHROMIUM_FLAGS"] = f"--no-sandbox {flags}".strip()
    env["PYWEBVIEW_GUI"] = "qt"
    env["BROWSER"] = "true"  # a link that leaves the app must not open anything on this machine
    return env


def launcher_command() -> list[str]:
    """What a desktop entry runs: the installed console script, else ``python -m launcher``."""
    script = Path(sys.executable).with_name("rocketchat-launcher")
    return [str(script)] if script.exists() else [sys.executable, "-m", "launcher"]


@dataclass
class Runner:
    """Runs variants against one stack; owns the profiles under `workdir`."""

    stack: BenchStack
    workdir: Path
    env: dict[str, str]
    interval: float = 0.05
    _healthy: dict[str, bool] = field(default_factory=dict)
    _count: int = 0

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config = self.stack.write_launcher_config(self.workdir / "launcher.toml")

    # ------------------------------------------------------------------ public

    def prepare(self) -> None:
        """Sign the returning profiles in once (a first run each); they are reused by every round."""
        for name in ("cached", "stored"):
            self._sign_in_profile(name)
        self._sign_in_floor()

    def run(
        self, variant: str, conditions: str, round_: int, extra_env: dict[str, str] | None = None
    ) -> RunResult:
        self._count += 1
        run_dir = self.workdir / "runs" / f"{self._count:03d}-{variant}"
        run_dir.mkdir(parents=True, exist_ok=True)
        env = {**self.env, **(extra_env or {})}
        if variant in BASELINES:
            result_file = run_dir / "result.json"
            argv = [sys.executable, str(BASELINE_SCRIPT), *self._baseline_args(variant, result_file)]
            result = self._execute(variant, conditions, round_, argv, env, result_file, "startup")
            if (
                variant == "baseline-signed-in"
                and result.ok
                and not result.milestones.get("signed_in_at_startup")
            ):
                result.error = "the page was not signed in at startup: not a signed-in floor"
                self._sign_in_floor()
            return result
        timeline = run_dir / "timeline.json"
        if variant == "first-run":
            profile = self.workdir / "first-run" / f"{self._count:03d}"
            self._write_e2e_input(run_dir, env)
            try:
                argv = self._launcher_argv(profile, timeline, False, e2e=True)
                return self._execute(variant, conditions, round_, argv, env, timeline)
            finally:
                self._forget_profile(profile)
        profile = self._profile(variant)
        if not self._healthy.get(variant):
            self._sign_in_profile(variant)
        if variant == "stored":
            self._drop_token_and_web_session(profile)
        result = self._execute(
            variant, conditions, round_, self._launcher_argv(profile, timeline, True), env, timeline
        )
        self._healthy[variant] = result.ok
        return result

    def baseline_args(self) -> list[str]:
        """Arguments of bench/baseline_window.py for one more baseline run (the import probe's)."""
        return self._baseline_args("baseline", self.workdir / "probe-baseline.json")

    def cached_launcher_args(self) -> list[str]:
        """Launcher arguments (no executable) for one more cached-token start (the import probe's)."""
        return self._launcher_argv(self._profile("cached"), self.workdir / "probe-timeline.json", True)[
            len(launcher_command()) :
        ]

    def cleanup(self) -> None:
        """Remove the keyring entries of every profile we created (the folders go with workdir)."""
        for name in ("cached", "stored"):
            self._forget_profile(self._profile(name), remove=False)

    # ------------------------------------------------------------------ profiles

    def _profile(self, name: str) -> Path:
        return self.workdir / "profiles" / name

    def _sign_in_profile(self, name: str) -> None:
        profile = self._profile(name)
        self._forget_profile(profile)
        run_dir = self.workdir / "setup" / name
        run_dir.mkdir(parents=True, exist_ok=True)
        env = dict(self.env)
        # keep_web_session: the returning profiles must really hold Rocket.Chat's web session, which
        # Chromium writes to disk only seconds after the login (lost if the first run exits sooner)
        self._write_e2e_input(run_dir, env, keep_web_session=True)
        timeline = run_dir / "timeline.json"
        argv = self._launcher_argv(profile, timeline, False, e2e=True)
        result = self._execute(name, "setup", 0, argv, env, timeline)
        if not result.ok:
            raise RuntimeError(
                f"could not sign the {name!r} profile in for the benchmark ({result.error}); "
                f"launcher stderr:\n{result.stderr_tail}"
            )
        self._healthy[name] = True

    def _baseline_args(self, variant: str, result_file: Path) -> list[str]:
        return [
            self.stack.rocketchat_url,
            str(result_file),
            "--storage",
            str(self.workdir / f"{variant}-storage"),
        ]

    def _sign_in_floor(self) -> None:
        """Let the bare window's page sign itself in once, with its own form, in its storage folder."""
        run_dir = self.workdir / "setup" / "baseline-signed-in"
        run_dir.mkdir(parents=True, exist_ok=True)
        credentials = run_dir / "credentials.json"
        credentials.write_text(
            json.dumps({"username": FLOOR_USER, "password": self.stack.floor_password}), encoding="utf-8"
        )
        credentials.chmod(0o600)
        result_file = run_dir / "result.json"
        argv = [sys.executable, str(BASELINE_SCRIPT), *self._baseline_args("baseline-signed-in", result_file)]
        argv += ["--sign-in", str(credentials)]
        result = self._execute("baseline-signed-in", "setup", 0, argv, dict(self.env), result_file, "startup")
        credentials.unlink()
        if not result.ok or result.milestones.get("signed_in") is not True:
            raise RuntimeError(
                "the bare window could not sign its page in for the signed-in floor "
                f"({result.error or 'no login token stored'}):\n{result.stderr_tail}"
            )

    def _drop_token_and_web_session(self, profile: Path) -> None:
        """The keyring keeps the login but loses the token; the webview loses Rocket.Chat's session (its
        local and session storage and cookies) but keeps its caches and the launcher's signed-in mark, so
        the window opens on Rocket.Chat as for any returning user whose token ran out."""
        from launcher.paths import Paths
        from launcher.signin.credentials import CredentialStore
        from launcher.window import webstate

        paths = Paths.under(profile)
        CredentialStore(paths.keyring_namespace).forget_token()
        storage = paths.webview_storage_dir
        for name in ("Local Storage", "Session Storage"):
            shutil.rmtree(storage / name, ignore_errors=True)
        for name in ("Cookies", "Cookies-journal"):
            (storage / name).unlink(missing_ok=True)
        webstate.set_signed_in(paths, True)

    def _forget_profile(self, profile: Path, remove: bool = True) -> None:
        from launcher.paths import Paths
        from launcher.signin.credentials import CredentialStore

        with contextlib.suppress(Exception):
            CredentialStore(Paths.under(profile).keyring_namespace).clear()
        if remove:
            shutil.rmtree(profile, ignore_errors=True)

    def _write_e2e_input(self, run_dir: Path, env: dict[str, str], keep_web_session: bool = False) -> None:
        e2e = run_dir / "e2e"
        e2e.mkdir(parents=True, exist_ok=True)
        fill = {"username": BENCH_USER, "password": self.stack.password, "remember": True}
        (e2e / "input.json").write_text(json.dumps(fill), encoding="utf-8")
        (e2e / "input.json").chmod(0o600)
        plan = {
            "finish_on": ["signed-in", "error", "signin-failed"],
            "timeout": RUN_TIMEOUT_S - 10,
            "keep_web_session": keep_web_session,
        }
        (e2e / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        env[_E2E_VAR] = str(e2e)

    def _launcher_argv(
        self, profile: Path, timeline: Path, exit_when_ready: bool, *, e2e: bool = False
    ) -> list[str]:
        """The launcher's command; `e2e`: through the tests' entry, whose driver types the sign-in."""
        command = [sys.executable, "-m", "tests.support.e2e_entry"] if e2e else launcher_command()
        argv = [*command, "--config", str(self.config), "--profile", str(profile)]
        argv += ["--timeline", str(timeline)]
        if exit_when_ready:
            argv.append("--exit-when-ready")
        return argv

    # ------------------------------------------------------------------ one process

    def _execute(
        self,
        variant: str,
        conditions: str,
        round_: int,
        argv: list[str],
        env: dict[str, str],
        report: Path,
        goal: str = "signin_confirmed",
    ) -> RunResult:
        report.unlink(missing_ok=True)
        stderr_file = report.with_name("stderr.txt")
        started = time.monotonic()
        with stderr_file.open("wb") as stderr:
            proc = subprocess.Popen(
                argv,
                env=env,
                cwd=str(Path(__file__).resolve().parents[1]),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
            sampler = TreeSampler(proc.pid, self.interval, goal_reached=report.exists).start()
            error = None
            try:
                returncode: int | None = proc.wait(timeout=RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                error = f"no result within {RUN_TIMEOUT_S:.0f} s; stopped"
                _kill_group(proc)
                returncode = proc.returncode
            memory = sampler.stop()
        wall = time.monotonic() - started
        milestones = read_json(report) or {}
        begin = milestones.get("process_start_epoch")
        if isinstance(begin, int | float):
            # when Rocket.Chat answered each login of this run (the page's own resume, or the launcher's
            # token): splits the time after it (the launcher noticing) from the time before
            logins = [
                {"ms": round((e["time"] - begin) * 1000.0, 1), "method": e["method"]}
                for e in self.stack.logins_between(begin, time.time())
                if e["username"] in (BENCH_USER, FLOOR_USER)  # not the token service's own account
            ]
            milestones["rc_logins"] = logins
        value = milestones.get(goal)
        goal_ms = float(value) if isinstance(value, int | float) else None
        signing = [
            e["ms"] for e in milestones.get("rc_logins", []) if goal_ms is not None and e["ms"] <= goal_ms
        ]
        if signing and goal_ms is not None:
            milestones["rc_login"] = signing[-1]  # the login that signed the page in
            milestones["after_login"] = round(goal_ms - signing[-1], 1)
        if error is None and goal_ms is None:
            reason = milestones.get("exit_reason") or milestones.get("error") or "no goal time recorded"
            error = f"exit code {returncode}: {reason}"
        tail = _tail(stderr_file)
        return RunResult(
            variant, conditions, round_, goal_ms, milestones, memory, returncode, wall, error, tail
        )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the process we started and its helpers (its own session/process group, by its pid)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(path: Path, lines: int = 25) -> str:
    noise = ("vulkan", "Vulkan", "GPU vendor", "system_bus_socket", "kTransientFailure", "Release of profile")
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    kept = [line for line in text.splitlines() if not any(n in line for n in noise)]
    return "\n".join(kept[-lines:])
