"""`python -m rcsandbox`: run the Rocket.Chat stand-in on a port (0 = a free one) and print its URL."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from .app import create_app
from .config import DEFAULT_SETTINGS, ConfigError, SandboxConfig, SandboxUser, load_config, parse_setting

__all__ = ["main"]

_DESCRIPTION = """\
A Rocket.Chat stand-in for tests and the demo. It is NOT Rocket.Chat: it serves Rocket.Chat's REST paths
(/api/info, /api/v1/login, me, logout, users.info, users.create, users.createToken, settings.public), a
small web client at / and /home that behaves like Rocket.Chat's where the launcher depends on it, and a
test-only side door under /sandbox/ (events, messages, settings)."""

_EPILOG = f"""\
users:
  A service account admin/admin-pw (role admin) is always seeded unless you define "admin" yourself.
  --user USERNAME[:NAME[:EMAIL[:ROLE,ROLE]]] adds a user; its password comes from the environment variable
  RCSANDBOX_PASSWORD_<USERNAME> (upper case, '-' and '.' as '_') or else is "<username>-pw". Passwords
  are never taken from the command line.

secret:
  users.createToken needs the secret of Rocket.Chat 8's CREATE_TOKENS_FOR_USERS_SECRET. It is read from
  the environment variable named by --create-tokens-secret-env (default CREATE_TOKENS_FOR_USERS_SECRET)
  or from the config file; without one, users.createToken refuses every call, as Rocket.Chat does.

settings (--setting NAME=VALUE, defaults as Rocket.Chat's; pages read them when they start):
{chr(10).join(f"  {name} = {json.dumps(value)}" for name, value in DEFAULT_SETTINGS.items())}

config file (TOML), every key optional; command-line options override it:
  create_tokens_secret = "..."      client_start_delay = 1.0     latency = 0.0
  login_rate_limit = 10             login_rate_window = 60.0     version = "8.0.0"
  rest_rate_limit = 10 (default: counted, never refused)        rest_rate_window = 60.0
  resume_delay = 0.0                record_requests = false      path_prefix = "/chat"
  [settings]        Iframe_Integration_receive_enable = true, ...
  [iframe_tokens]   "<opaque token>" = "<username>"     (for {{iframe: true, token}} logins)
  [[users]]         username = "alice"  password = "alice-pw"  name = "Alice Doe"
                    email = "alice@example.com"  roles = ["user"]
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rcsandbox",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=3000, help="port to listen on; 0 picks a free one (default 3000)"
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="TOML file with users, secret and settings"
    )
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="USERNAME[:NAME[:EMAIL[:ROLES]]]",
        help="seed a user (repeatable); ROLES is a comma list, default 'user'; see 'users' below",
    )
    parser.add_argument(
        "--create-tokens-secret-env",
        default="CREATE_TOKENS_FOR_USERS_SECRET",
        metavar="VAR",
        help="environment variable holding the users.createToken secret (default CREATE_TOKENS_FOR_USERS_SECRET)",
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a Rocket.Chat setting (repeatable); booleans as true/false",
    )
    parser.add_argument(
        "--client-start-delay",
        type=float,
        metavar="SECONDS",
        help="seconds before the web client's bundle starts after the page loads (default 1.0)",
    )
    parser.add_argument(
        "--login-rate-limit",
        type=int,
        metavar="N",
        help="logins per window and client IP before 429 (default 10)",
    )
    parser.add_argument(
        "--login-rate-window",
        type=float,
        metavar="SECONDS",
        help="length of the login rate-limit window (default 60)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        metavar="SECONDS",
        help="seconds added to every REST answer, for benchmarks (default 0)",
    )
    parser.add_argument(
        "--resume-delay",
        type=float,
        metavar="SECONDS",
        help="seconds before the page's resume logins are answered, like a websocket connect (default 0)",
    )
    parser.add_argument(
        "--tls-cert", type=Path, metavar="FILE", help="PEM certificate: serve HTTPS (needs --tls-key)"
    )
    parser.add_argument("--tls-key", type=Path, metavar="FILE", help="PEM private key of --tls-cert")
    parser.add_argument("--rc-version", metavar="X.Y.Z", help="version /api/info reports (default 8.0.0)")
    parser.add_argument(
        "--path-prefix",
        metavar="PATH",
        help="serve under a ROOT_URL path like /chat, as Rocket.Chat at https://example.com/chat (default: the root)",
    )
    return parser


def _user_from_spec(spec: str) -> SandboxUser:
    parts = spec.split(":")
    if not parts[0] or len(parts) > 4:
        raise ConfigError(f"--user {spec!r} is not USERNAME[:NAME[:EMAIL[:ROLES]]]; fix the value.")
    username = parts[0]
    env_name = "RCSANDBOX_PASSWORD_" + username.upper().replace("-", "_").replace(".", "_")
    password = os.environ.get(env_name) or f"{username}-pw"
    name = parts[1] if len(parts) > 1 else ""
    email = parts[2] if len(parts) > 2 else ""
    roles = [r for r in parts[3].split(",") if r] if len(parts) > 3 else ["user"]
    return SandboxUser(username=username, password=password, name=name, email=email, roles=roles)


def build_config(args: argparse.Namespace) -> SandboxConfig:
    """Config file first, then command-line options on top."""
    base = load_config(args.config) if args.config else SandboxConfig()
    users = [u for u in base.users if u.username not in {s.split(":")[0] for s in args.user}]
    users += [_user_from_spec(spec) for spec in args.user]
    settings = dict(base.settings)
    for item in args.setting:
        name, sep, text = item.partition("=")
        if not sep:
            raise ConfigError(f"--setting {item!r} needs the form NAME=VALUE.")
        settings[name] = parse_setting(name, text)
    secret = os.environ.get(args.create_tokens_secret_env) or base.create_tokens_secret
    overrides = {
        "client_start_delay": args.client_start_delay,
        "login_rate_limit": args.login_rate_limit,
        "login_rate_window": args.login_rate_window,
        "latency": args.latency,
        "version": args.rc_version,
        "resume_delay": args.resume_delay,
        "path_prefix": args.path_prefix,
    }
    changes = {k: v for k, v in overrides.items() if v is not None}
    return dataclasses.replace(base, users=users, settings=settings, create_tokens_secret=secret, **changes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = build_config(args)
    except ConfigError as exc:
        parser.error(str(exc))
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is not a port number; use 0-65535.")
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together; give both or neither.")
    for path in (args.tls_cert, args.tls_key):
        if path is not None and not path.is_file():
            parser.error(f"TLS file {path} does not exist; check the path.")
    try:
        sock = socket.create_server((args.host, args.port), family=_family(args.host), reuse_port=False)
    except OSError as exc:
        print(
            f"rcsandbox: cannot listen on {args.host}:{args.port} ({exc.strerror}); pick another --port.",
            file=sys.stderr,
        )
        return 1
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    scheme = "https" if args.tls_cert else "http"
    print(
        f"Rocket.Chat stand-in (rcsandbox) listening on {scheme}://{host}:{port}{config.path_prefix}",
        flush=True,
    )
    uv_config = uvicorn.Config(
        create_app(config),
        log_level="warning",
        lifespan="off",
        ssl_certfile=str(args.tls_cert) if args.tls_cert else None,
        ssl_keyfile=str(args.tls_key) if args.tls_key else None,
    )
    server = uvicorn.Server(uv_config)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve(sockets=[sock]))
    return 0


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


if __name__ == "__main__":
    sys.exit(main())
