"""Token requests per second and latency of the token service for a warm employee.

Everything runs in this process: an rcsandbox Rocket.Chat stand-in and the token service, each served by
uvicorn in its own thread, and an httpx.AsyncClient load generator in the main thread. Client, service and
stand-in share one interpreter (and its GIL), so the figures are a lower bound for a dedicated server; they
are meant for comparing changes on one machine, not as a capacity statement.

    .venv/bin/python -m bench.tokenservice_bench [--requests 2000] [--concurrency 20]
        [--service-latency 0] [--rc-latency 0] [--revalidate-after 300] [--redis-url redis://127.0.0.1:6379/0]

With --redis-url the service keeps sessions, token cache, locks and throttle in that Redis (state.redis_url),
which shows what shared state costs per request against the in-memory default.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from rcsandbox import Sandbox, SandboxConfig
from rcsandbox.background import BackgroundServer
from tokenservice.app import create_app
from tokenservice.config import CookieSettings, ServiceAccount, TokenServiceConfig
from tokenservice.directory import UsersFileDirectory
from tokenservice.passwords import hash_password

_SECRET = "bench-create-tokens-secret"  # noqa: S105 - throw-away sandbox secret
_PASSWORD = "bench-pw"  # noqa: S105 - throw-away directory password


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    logging.getLogger("tokenservice").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        users = Path(tmp) / "users.toml"
        users.write_text(
            "[[users]]\n"
            'username = "bench.user"\nname = "Bench User"\nemail = "bench.user@example.com"\n'
            f'password_hash = "{hash_password(_PASSWORD)}"\n'
        )
        with Sandbox(SandboxConfig(create_tokens_secret=_SECRET, latency=args.rc_latency)) as rc:
            config = TokenServiceConfig(
                rocketchat_url=rc.url,
                service_account=ServiceAccount(username="admin", password="admin-pw"),  # noqa: S106
                directory=UsersFileDirectory(users),
                create_tokens_secret=_SECRET,
                cookie=CookieSettings(secure=False),
                latency=args.service_latency,
                token_revalidate_after=args.revalidate_after or None,
                redis_url=args.redis_url,
            )
            with BackgroundServer(create_app(config)) as service:
                results = asyncio.run(_run(service.url, args))
    _report(args, results)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.tokenservice_bench", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="timed token requests (default 2000)")
    parser.add_argument("--concurrency", type=int, default=20, help="requests in flight at once (default 20)")
    parser.add_argument("--service-latency", type=float, default=0.0, help="the service's latency knob, s")
    parser.add_argument("--rc-latency", type=float, default=0.0, help="the sandbox's latency knob, s")
    parser.add_argument(
        "--revalidate-after", type=float, default=300.0, help="/api/v1/me re-check interval, s (0 = never)"
    )
    parser.add_argument("--redis-url", help="keep the service's state in this Redis (default: memory)")
    return parser.parse_args(argv)


async def _run(url: str, args: argparse.Namespace) -> dict[str, object]:
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) as client:
        login = await client.post("/api/login", json={"username": "bench.user", "password": _PASSWORD})
        login.raise_for_status()
        client.cookies.clear()  # the bearer only, as the launcher does
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}

        started = time.perf_counter()
        first = await client.post("/api/rocketchat/token", headers=bearer)
        first.raise_for_status()
        cold = time.perf_counter() - started  # creates the Rocket.Chat user and mints the token

        latencies, wall = await warm_token_requests(
            client, lambda: "/api/rocketchat/token", bearer, args.requests, args.concurrency
        )
    return {"cold": cold, "latencies": latencies, "wall": wall}


async def warm_token_requests(
    client: httpx.AsyncClient, url: Callable[[], str], bearer: dict[str, str], requests: int, concurrency: int
) -> tuple[list[float], float]:
    """A warm-up (connections, the token cache), then `requests` token requests from `concurrency` workers,
    each to `url()`: their latencies and the wall-clock seconds they took together."""
    for _ in range(min(200, requests)):
        (await client.post(url(), headers=bearer)).raise_for_status()
    latencies: list[float] = []
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            t0 = time.perf_counter()
            resp = await client.post(url(), headers=bearer)
            latencies.append(time.perf_counter() - t0)
            resp.raise_for_status()

    wall_start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - wall_start


def _report(args: argparse.Namespace, results: dict[str, object]) -> None:
    latencies = sorted(results["latencies"])  # type: ignore[arg-type]
    wall = float(results["wall"])  # type: ignore[arg-type]
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    print("tokenservice benchmark: POST /api/rocketchat/token with a bearer, warm employee (token reused)")
    print(
        f"  setup: in-process rcsandbox + token service + client in one interpreter; "
        f"concurrency {args.concurrency}, {len(latencies)} requests, service latency {args.service_latency:g} s, "
        f"sandbox latency {args.rc_latency:g} s, /me re-check every {args.revalidate_after:g} s, "
        f"state in {'Redis' if args.redis_url else 'memory'}"
    )
    print(f"  first request (creates the Rocket.Chat user, mints): {float(results['cold']) * 1000:8.1f} ms")  # type: ignore[arg-type]
    print(f"  throughput:                                         {len(latencies) / wall:8.0f} requests/s")
    print(f"  latency p50:                                        {cuts[49] * 1000:8.2f} ms")
    print(f"  latency p99:                                        {cuts[98] * 1000:8.2f} ms")
    print(f"  latency max:                                        {latencies[-1] * 1000:8.2f} ms")


if __name__ == "__main__":
    main()
