"""Remove passwords and tokens from text before it reaches a log file or the console.

Two nets: the exact secrets this process has handled (registered at runtime by the sign-in code), and
patterns that catch secrets we never saw (a Meteor login token, a Bearer header, a JSON "password" field,
a ``resumeToken=`` query). Log handlers apply both through ``RedactingFilter`` and ``RedactingFormatter``.
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = ["MASK", "RedactingFilter", "RedactingFormatter", "holds_secret", "redact", "register_secret"]

MASK = "[REDACTED]"

# Shorter values would mask ordinary words; secrets this short are not worth protecting by masking anyway.
_MIN_SECRET_LENGTH = 4

_lock = threading.Lock()
_secrets: set[str] = set()
_secrets_pattern: re.Pattern[str] | None = None

_MASKED_FIELDS = (
    r"password|passwd|pass|secret|token|authToken|auth_token|access_token|refresh_token|loginToken|"
    r"resume|resumeToken|session|ts_session|x-auth-token|authorization|cookie|set-cookie"
)

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # "password": "…", 'authToken': '…' (JSON and Python reprs)
    (re.compile(rf"""(?i)(["'](?:{_MASKED_FIELDS})["']\s*:\s*)(["'])(?:\\.|(?!\2).)*\2"""), rf"\1\2{MASK}\2"),
    # Authorization: Bearer xxx / Basic xxx
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+"), rf"\1\2{MASK}"),
    # Header lines: X-Auth-Token: xxx, Cookie: a=b; c=d
    (re.compile(r"(?im)^(\s*(?:x-auth-token|cookie|set-cookie|authorization)\s*:\s*).+$"), rf"\1{MASK}"),
    # key=value in queries, forms and cookies
    (
        re.compile(rf"(?i)\b((?:{_MASKED_FIELDS})=)[^&\s;,\"'#]+"),
        rf"\1{MASK}",
    ),
    # JSON Web Tokens
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK),
    # Meteor login tokens: Random.secret() = 43 characters of base64url
    (re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"), MASK),
]


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever it appears in later log output of this process."""
    global _secrets_pattern
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        ordered = sorted(_secrets, key=len, reverse=True)  # longest first: a secret may contain another
        _secrets_pattern = re.compile("|".join(re.escape(s) for s in ordered))


def holds_secret(text: str) -> bool:
    """True if ``text`` contains a secret this process has handled (registered with register_secret)."""
    pattern = _secrets_pattern
    return pattern is not None and pattern.search(text) is not None


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and every secret-looking pattern masked."""
    pattern = _secrets_pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for regex, replacement in _PATTERNS:
        text = regex.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrite each record's message with secrets masked (the record is then safe for any handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """Mask secrets in the final text too, which includes tracebacks and stack information."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
