"""The log scan: every log file the launcher tests wrote, searched for every secret in the ledger.

It runs when the session-wide ``ledger`` fixture is torn down, after the last test that used it, so it
needs no test that sorts last; ``tests/launcher/signin/test_no_secrets_in_logs.py`` runs it mid-run too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path


def log_files(root: Path) -> list[Path]:
    """Every log file below ``root`` (rotated ones included)."""
    return sorted(p for p in root.rglob("*.log*") if p.is_file())


def leaks(root: Path, secrets: Iterable[str]) -> list[str]:
    """``<file> contains <first 3 characters>…`` for each secret found in a log file below ``root``."""
    for handler in logging.getLogger().handlers:
        handler.flush()
    wanted = sorted(set(secrets))
    found = []
    for path in log_files(root):
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{path.relative_to(root)} contains {secret[:3]}…" for secret in wanted if secret in text]
    return found
