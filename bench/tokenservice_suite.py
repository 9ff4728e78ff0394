"""`python -m bench tokenservice`: memory against Redis, one instance against three, and a simulated morning.

One run measures, with the same rcsandbox Rocket.Chat stand-in and one throw-away redis-server (127.0.0.1,
nothing written to disk):

- warm token requests (one signed-in employee, token reused) with the service in this process, state in
  memory (the baseline) and in Redis;
- the same against 1 and 3 `python -m tokenservice` processes sharing that Redis; the load generator spreads
  requests round-robin over them. Separate processes, so each has its own interpreter and GIL;
- a morning: N employees each doing the launcher's start-up (POST /api/login with a password, then
  POST /api/rocketchat/token with the bearer) at random times over M seconds, against 1 and 3 processes;
  first on a "first morning" (Rocket.Chat users created, tokens minted) and then again on the "next morning"
  (tokens reused from the shared cache).

Rocket.Chat calls are counted on the stand-in's side (every /api/v1/* request it serves), so "RC calls per
employee" is what Rocket.Chat really saw. The rcsandbox and the load generator share this interpreter;
absolute figures on a 2-core machine are small, so compare the ratios printed against the first row of
each group. Performance is never asserted here.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.tokenservice_bench import warm_token_requests
from rcsandbox import Sandbox, SandboxConfig
from rcsandbox.background import BackgroundServer
from tests.support.servers import RedisServer, free_port, stop_process
from tokenservice.app import create_app
from tokenservice.config import CookieSettings, ServiceAccount, TokenServiceConfig
from tokenservice.directory import UsersFileDirectory
from tokenservice.passwords import hash_password

REPO = Path(__file__).resolve().parents[1]
_SECRET = "bench-create-tokens-secret"  # noqa: S105 - throw-away sandbox secret
_PASSWORD = "bench-pw"  # noqa: S105 - throw-away directory password
_ADMIN_PASSWORD = "admin-pw"  # noqa: S105 - the sandbox's documented admin account
_WARM_USER = "bench.user"
_CAP = (
    "On a bigger machine the token service scales out (more instances, one Redis); the cap for first "
    "sign-ins is then Rocket.Chat's own users.create / users.createToken rate (and its REST rate limiter, "
    "/api/v1/login included) and, with LDAP, the directory's bind rate. Warm and next-morning requests make "
    "no Rocket.Chat call, so they are capped by the service instances and Redis."
)


@dataclass
class Result:
    """One variant's figures: request latencies, wall time, and the Rocket.Chat calls made meanwhile."""

    group: str
    name: str
    latencies: list[float]
    wall: float
    employees: int
    rc_calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    def quantile(self, q: int) -> float:
        cuts = statistics.quantiles(sorted(self.latencies), n=100, method="inclusive")
        return cuts[q - 1]


class RcCallCounter:
    """ASGI middleware for the stand-in: counts every /api/v1/* request by path, as Rocket.Chat would log."""

    def __init__(self, app: Any, counts: Counter[str], lock: threading.Lock) -> None:
        self.app, self.counts, self.lock = app, counts, lock

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/v1/"):
            with self.lock:
                self.counts[scope["path"].removeprefix("/api/v1/")] += 1
        await self.app(scope, receive, send)


class RcCalls:
    """The counter shared with the middleware; `since()` gives the calls made after a mark."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def snapshot(self) -> Counter[str]:
        with self.lock:
            return Counter(self.counts)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    logging.getLogger("tokenservice").setLevel(logging.WARNING)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        results = _measure_all(tmp, args)
    _print_table(results, args, time.monotonic() - started)
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench tokenservice", description=__doc__)
    parser.add_argument("--requests", type=int, default=1000, help="timed warm token requests per variant")
    parser.add_argument("--concurrency", type=int, default=20, help="warm requests in flight at once")
    parser.add_argument("--employees", type=int, default=200, help="employees starting on the morning")
    parser.add_argument(
        "--morning-seconds", type=float, default=20.0, help="seconds the morning's start-ups spread over"
    )
    parser.add_argument("--instances", type=int, default=3, help="instances of the scaled-out variants")
    parser.add_argument("--rc-latency", type=float, default=0.0, help="the sandbox's latency knob, s")
    parser.add_argument("--seed", type=int, default=15, help="random seed of the morning's start times")
    parser.add_argument("--redis-url", help="use this Redis instead of starting a throw-away redis-server")
    return parser.parse_args(argv)


def _measure_all(tmp: Path, args: argparse.Namespace) -> list[Result]:
    """Every variant in one run, so ratios compare figures taken under the same conditions."""
    groups = {1: [f"m1-{n:04d}" for n in range(args.employees)]}
    groups[args.instances] = [f"m{args.instances}-{n:04d}" for n in range(args.employees)]
    users = _write_users(tmp / "users.toml", [_WARM_USER, *groups[1], *groups[args.instances]])
    calls = RcCalls()
    sandbox = Sandbox(SandboxConfig(create_tokens_secret=_SECRET, latency=args.rc_latency))
    sandbox.app.add_middleware(RcCallCounter, counts=calls.counts, lock=calls.lock)
    results: list[Result] = []
    with sandbox as rc, _redis(tmp, args.redis_url) as redis_url:
        for state_url, label in ((None, "memory"), (redis_url, "Redis")):
            with BackgroundServer(create_app(_config(rc.url, users, state_url))) as service:
                name = f"1 instance in this process, {label}"
                results.append(_measured(calls, _warm("warm", name, [service.url], args)))
        for count in sorted({1, args.instances}):
            config = _config_file(tmp / f"ts-{count}", rc.url, users, redis_url)
            with _processes(config, count, tmp / f"ts-{count}") as urls:
                where = f"{count} process{'es' if count > 1 else ''}, Redis"
                results.append(_measured(calls, _warm("warm", where, urls, args)))
                for day in ("first morning", "next morning"):
                    results.append(_measured(calls, _morning(day, where, urls, groups[count], args)))
    return _ordered(results)


def _measured(calls: RcCalls, variant: Coroutine[Any, Any, Result]) -> Result:
    """Run one variant (not started yet) and attach the Rocket.Chat calls made while it ran."""
    before = calls.snapshot()
    result = asyncio.run(variant)
    result.rc_calls = calls.snapshot() - before
    return result


def _ordered(results: list[Result]) -> list[Result]:
    order = {"warm": 0, "first morning": 1, "next morning": 2}
    return sorted(results, key=lambda r: order[r.group])  # stable: measuring order within a group


def _write_users(path: Path, usernames: list[str]) -> Path:
    """A users file; one hash for all (the default scrypt cost, so logins cost what they cost in production)."""
    digest = hash_password(_PASSWORD)
    entries = [
        f'[[users]]\nusername = "{u}"\nname = "Bench {u}"\nemail = "{u}@example.com"\npassword_hash = "{digest}"\n'
        for u in usernames
    ]
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


def _config(rc_url: str, users: Path, redis_url: str | None) -> TokenServiceConfig:
    return TokenServiceConfig(
        rocketchat_url=rc_url,
        service_account=ServiceAccount(username="admin", password=_ADMIN_PASSWORD),
        directory=UsersFileDirectory(users),
        create_tokens_secret=_SECRET,
        cookie=CookieSettings(secure=False),
        redis_url=redis_url,
    )


def _config_file(directory: Path, rc_url: str, users: Path, redis_url: str) -> Path:
    """A `python -m tokenservice` config for the sandbox; secrets in files beside it, as the service wants."""
    secrets = directory / "secrets"
    secrets.mkdir(parents=True)
    (secrets / "create-tokens-secret").write_text(_SECRET + "\n")
    (secrets / "service-account-password").write_text(_ADMIN_PASSWORD + "\n")
    path = directory / "tokenservice.toml"
    path.write_text(
        '[server]\nhost = "127.0.0.1"\n\n'
        f'[rocketchat]\nurl = "{rc_url}"\ncreate_tokens_secret_file = "secrets/create-tokens-secret"\n\n'
        '[rocketchat.service_account]\nusername = "admin"\npassword_file = "secrets/service-account-password"\n\n'
        f'[directory]\nkind = "users-file"\npath = "{users}"\n\n'
        "[cookie]\nsecure = false\n\n"
        f'[state]\nredis_url = "{redis_url}"\n',
        encoding="utf-8",
    )
    return path


@contextmanager
def _redis(tmp: Path, given: str | None) -> Iterator[str]:
    """The given Redis, or a throw-away redis-server on a free 127.0.0.1 port (no RDB, no AOF)."""
    if given:
        yield given
        return
    server = RedisServer(tmp / "redis").start()
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def _processes(config: Path, count: int, logs: Path) -> Iterator[list[str]]:
    """`count` token-service processes on free ports, ready; stopped with SIGTERM afterwards."""
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for n in range(count):
            port = free_port()
            with (logs / f"instance-{n}.log").open("wb") as log:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "tokenservice", "--config", str(config), "--port", str(port)],
                        cwd=REPO,
                        stdout=log,
                        stderr=log,
                        env={**os.environ, "PYTHONUNBUFFERED": "1"},
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        for url, proc in zip(urls, procs, strict=True):
            _wait_ready(url, proc)
        yield urls
    finally:
        for proc in procs:
            stop_process(proc)


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"a token-service process exited at start ({proc.returncode}); see its log")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} was not ready within {timeout} s")
        time.sleep(0.05)


async def _warm(group: str, name: str, urls: list[str], args: argparse.Namespace) -> Result:
    """Warm token requests of one signed-in employee, `concurrency` at once, round-robin over `urls`."""
    limits = httpx.Limits(max_connections=args.concurrency * len(urls))
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as client:
        login = await client.post(
            f"{urls[0]}/api/login", json={"username": _WARM_USER, "password": _PASSWORD}
        )
        login.raise_for_status()
        client.cookies.clear()  # the bearer only, as the launcher does
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        targets = itertools.cycle(urls)
        latencies, wall = await warm_token_requests(
            client,
            lambda: f"{next(targets)}/api/rocketchat/token",
            bearer,
            args.requests,
            args.concurrency,
        )
    return Result(group, name, latencies, wall, employees=1)


async def _morning(
    group: str, name: str, urls: list[str], employees: list[str], args: argparse.Namespace
) -> Result:
    """Each employee starts the launcher once at a random time within `morning_seconds`, from its own client.

    Requests go round-robin over the instances, as a load balancer would, so an employee's login and token
    request usually land on different instances (the session must be shared).
    """
    rng = random.Random(f"{args.seed}-{group}-{len(urls)}")
    starts = sorted(rng.uniform(0, args.morning_seconds) for _ in employees)
    targets = itertools.cycle(urls)
    latencies: list[float] = []
    t_zero = time.perf_counter()

    errors: Counter[str] = Counter()
    # One connection pool for all (building an SSL context per client would cost the load generator more
    # than the requests); each employee still has its own client, so its own cookies.
    transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=len(employees)))

    async def employee(username: str, at: float) -> None:
        await asyncio.sleep(max(0.0, t_zero + at - time.perf_counter()))
        try:
            await _start_up(username, targets, latencies, transport)
        except httpx.HTTPStatusError as exc:
            errors[f"HTTP {exc.response.status_code}"] += 1
        except httpx.HTTPError as exc:
            errors[type(exc).__name__] += 1

    async with transport:
        await asyncio.gather(*(employee(u, at) for u, at in zip(employees, starts, strict=True)))
    wall = time.perf_counter() - t_zero
    return Result(group, name, latencies, wall, employees=len(employees), errors=errors)


async def _start_up(
    username: str, targets: Iterator[str], latencies: list[float], transport: httpx.AsyncBaseTransport
) -> None:
    """The launcher's start-up: password login, then the Rocket.Chat token with the bearer."""
    client = httpx.AsyncClient(transport=transport, timeout=60.0, trust_env=False)
    try:
        t0 = time.perf_counter()
        login = await client.post(
            f"{next(targets)}/api/login", json={"username": username, "password": _PASSWORD}
        )
        latencies.append(time.perf_counter() - t0)
        login.raise_for_status()
        client.cookies.clear()  # the launcher sends the bearer, not the cookie
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        t0 = time.perf_counter()
        token = await client.post(f"{next(targets)}/api/rocketchat/token", headers=bearer)
        latencies.append(time.perf_counter() - t0)
        token.raise_for_status()
    finally:
        client.cookies.clear()  # not aclose(): that would close the shared transport


def _print_table(results: list[Result], args: argparse.Namespace, elapsed: float) -> None:
    print("tokenservice benchmark (python -m bench tokenservice)")
    print(
        f"  {os.cpu_count()} CPU cores; rcsandbox stand-in and load generator in this interpreter; "
        f"'N processes' = separate `python -m tokenservice` processes (own GIL each) sharing one "
        f"redis-server on 127.0.0.1, requests round-robin; sandbox latency {args.rc_latency:g} s"
    )
    print(
        f"  warm: one employee's token request, {args.requests} requests, concurrency {args.concurrency}. "
        f"morning: {args.employees} employees each log in (password, scrypt) and fetch the token, at random "
        f"times over {args.morning_seconds:g} s; requests/s there is the offered load"
    )
    print("  ratios: against the first row of the same group (requests/s up is better, p99 down is better)")
    header = f"  {'variant':<46} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'RC/empl':>8} {'x req/s':>8} {'x p99':>6} err"
    print(header)
    baseline: dict[str, Result] = {}
    for r in results:
        base = baseline.setdefault(r.group, r)
        per_employee = sum(r.rc_calls.values()) / r.employees
        print(
            f"  {r.group + ': ' + r.name:<46} {r.rate:7.0f} {r.quantile(50) * 1000:8.1f} "
            f"{r.quantile(99) * 1000:8.1f} {per_employee:8.2f} {r.rate / base.rate:8.2f} "
            f"{r.quantile(99) / base.quantile(99):6.2f} {sum(r.errors.values()):3d}"
        )
    print("  Rocket.Chat calls per variant (seen by the stand-in):")
    for r in results:
        calls = ", ".join(f"{path} {n}" for path, n in sorted(r.rc_calls.items())) or "none"
        failed = "".join(f"; failed: {kind} {n}" for kind, n in sorted(r.errors.items()))
        print(f"    {r.group}: {r.name}: {calls}{failed}")
    print(f"  {_CAP}")
    print(f"  whole run: {elapsed:.0f} s; absolute figures on 2 cores are small, compare the ratios")


if __name__ == "__main__":
    sys.exit(main())
