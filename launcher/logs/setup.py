"""Logging: a rotating file in the platform's log directory, the console only with ``--verbose``.

Every handler masks secrets (``launcher.logs.redaction``). The HTTP libraries are held at WARNING whatever the
verbosity: their debug output describes requests, and a request may carry a token.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from launcher.logs.redaction import RedactingFilter, RedactingFormatter
from launcher.paths import Paths, private_dir

__all__ = ["LogSetup", "setup_logging"]

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_MAX_BYTES = 1_000_000
_BACKUPS = 3
_QUIET_LOGGERS = ("httpx", "httpcore", "hpack", "h2", "h11", "urllib3", "asyncio", "keyring", "secretstorage")


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """The log names servers and users: each file, rotations included, is readable by this user only."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if hasattr(os, "fchmod"):  # a file an older version created 0644 (not on Windows)
            os.fchmod(fd, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


@dataclass
class LogSetup:
    """The handlers installed by ``setup_logging``; ``close()`` removes them (tests, re-configuration)."""

    log_file: Path | None
    handlers: list[logging.Handler] = field(default_factory=list)
    previous_level: int = logging.WARNING

    def close(self) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        self.handlers.clear()
        root.setLevel(self.previous_level)


_current: LogSetup | None = None


def setup_logging(paths: Paths | None, *, verbose: bool = False) -> LogSetup:
    """Log to ``paths.log_file`` (rotating) and, with ``verbose``, to stderr; return what was installed.

    A log directory that cannot be created only costs the file log, never the launcher itself."""
    global _current
    if _current is not None:
        _current.close()
    root = logging.getLogger()
    previous_level = root.level
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)

    setup = LogSetup(log_file=None, previous_level=previous_level)
    formatter = RedactingFormatter(_FORMAT)
    if paths is not None:
        try:
            private_dir(paths.log_dir)
            file_handler = _PrivateRotatingFileHandler(
                paths.log_file, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8"
            )
        except OSError as exc:
            print(
                f"rocketchat-launcher: cannot write the log file in {paths.log_dir} ({exc.strerror}).",
                file=sys.stderr,
            )
        else:
            file_handler.setLevel(logging.DEBUG if verbose else logging.INFO)
            setup.log_file = paths.log_file
            setup.handlers.append(file_handler)
    if verbose:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.DEBUG)
        setup.handlers.append(console)
    for handler in setup.handlers:
        handler.addFilter(RedactingFilter())
        handler.setFormatter(formatter)
        root.addHandler(handler)
    _current = setup
    return setup
