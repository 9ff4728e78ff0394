"""Command line: `python -m tokenservice --config tokenservice.toml` serves; `hash-password` makes entries.

The password for `hash-password` is prompted for (getpass) or read from standard input, never taken as an
argument, so it does not end up in shell history or the process list.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Sequence

from .passwords import hash_password

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "hash-password":
        return _hash_password(args)
    config_path = getattr(args, "sub_config", None) or args.config
    if not config_path:
        parser.error("name the config file: python -m tokenservice --config tokenservice.toml")
    return _serve(config_path, args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tokenservice", description=__doc__)
    parser.add_argument("--config", help="the TOML config file (see tokenservice.example.toml)")
    parser.add_argument("--host", help="override server.host")
    parser.add_argument("--port", type=int, help="override server.port")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="run the token service (the default)")
    serve.add_argument("--config", dest="sub_config", help="the TOML config file")
    serve.add_argument("--host", dest="sub_host", help="override server.host")
    serve.add_argument("--port", dest="sub_port", type=int, help="override server.port")
    hashing = commands.add_parser("hash-password", help="print a users-file entry for a password")
    hashing.add_argument("--username", help="also print a full [[users]] entry for this username")
    hashing.add_argument("--name", help="display name for the entry (with --username)")
    hashing.add_argument("--email", help="e-mail address for the entry (with --username)")
    return parser


def _serve(config_path: str, args: argparse.Namespace) -> int:
    import uvicorn
    import uvicorn.config

    from .app import create_app
    from .config import ConfigError, load_config

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(f"tokenservice: {exc}", file=sys.stderr)
        return 2
    log_config = None
    if config.json_logs:
        from .jsonlog import JsonFormatter

        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
        log_config = {"version": 1, "disable_existing_loggers": False}  # uvicorn's loggers reach the root
    host = getattr(args, "sub_host", None) or args.host or config.host
    port = getattr(args, "sub_port", None) or args.port or config.port
    app = create_app(config)
    if config.metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(config.metrics_port, addr=host, registry=app.state.service.metrics.registry)
    uvicorn.run(
        app,
        log_config=log_config if log_config is not None else uvicorn.config.LOGGING_CONFIG,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=config.forwarded_allow_ips,
        log_level="info",
        # Slow and idle clients (the body timeout itself is the app's: see bodies.py).
        timeout_keep_alive=config.keep_alive_timeout,
        limit_concurrency=config.limit_concurrency,
        timeout_graceful_shutdown=config.graceful_shutdown_timeout,
    )
    return 0


def _hash_password(args: argparse.Namespace) -> int:
    password = _read_password()
    if password is None:
        return 1
    encoded = hash_password(password)
    if not args.username:
        print(encoded)
        return 0
    print("[[users]]")
    print(f"username = {json.dumps(args.username)}")
    print(f"name = {json.dumps(args.name or args.username)}")
    print(f"email = {json.dumps(args.email or '')}")
    print(f"password_hash = {json.dumps(encoded)}")
    return 0


def _read_password() -> str | None:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat password: "):
            print("tokenservice: the two passwords differ; nothing was written.", file=sys.stderr)
            return None
    else:
        first = sys.stdin.readline().rstrip("\r\n")
    if not first:
        print(
            "tokenservice: the password is empty; give one on the prompt or on standard input.",
            file=sys.stderr,
        )
        return None
    return first


if __name__ == "__main__":
    sys.exit(main())
