"""Prometheus metrics of one token-service instance (prometheus_client), served at `/metrics`.

A registry per app, so several apps in one process (tests, benchmarks) do not collide. Labels are small
fixed sets (outcomes, token sources, Rocket.Chat API paths, directory operations): never a username, a
token or an address.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The instance's counters and histograms; `render()` gives the text exposition format."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.logins = Counter("tokenservice_logins", "Sign-in attempts by outcome.", ["outcome"], registry=r)
        self.throttled = Counter("tokenservice_throttled_requests", "Sign-ins refused with 429.", registry=r)
        self.tokens = Counter(
            "tokenservice_rocketchat_tokens",
            "Rocket.Chat tokens handed out, by source: minted, reused or created-user.",
            ["source"],
            registry=r,
        )
        self.users_created = Counter(
            "tokenservice_rocketchat_users_created", "Rocket.Chat users this instance created.", registry=r
        )
        self.rocketchat_seconds = Histogram(
            "tokenservice_rocketchat_request_seconds",
            "Time of each Rocket.Chat REST call, by API path.",
            ["path"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.directory_seconds = Histogram(
            "tokenservice_directory_seconds",
            "Time of each directory call, by operation (authenticate, lookup).",
            ["operation"],
            buckets=_BUCKETS,
            registry=r,
        )

    def login(self, outcome: str) -> None:
        self.logins.labels(outcome=outcome).inc()
        if outcome == "throttled":
            self.throttled.inc()

    def token(self, source: str) -> None:
        self.tokens.labels(source=source).inc()
        if source == "created-user":
            self.users_created.inc()

    def rocketchat_call(self, path: str, seconds: float) -> None:
        self.rocketchat_seconds.labels(path=path.split("?", 1)[0]).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
