"""How usernames compare, and how a username a client typed may appear in the log.

Why: LDAP servers match a username after their own string preparation (compatibility forms, case,
spaces), so slapd binds `ａｌｉｃｅ`, `ALICE` and `alice` as one employee. Everything that counts or matches
usernames here (the throttles, known addresses, the users file, the lookup cache) folds them the same
way, or each spelling would get a limit of its own. Where the directory folds further than this (slapd
takes `İ` for `i`), the login endpoint keys the throttle on the name the directory reports.

A name the directory does not know may be a password typed into the wrong field, so it reaches the log
only as a short keyed hash: equal within one run of the service (to follow one client's attempts), and
of no use for testing guesses against a copy of the log, since the key never leaves the process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

__all__ = ["fold", "log_name", "printable"]

_LOG_KEY = secrets.token_bytes(32)


def fold(username: str) -> str:
    """The comparison form: NFKC, case-folded, NFKC again, runs of white space as one space, trimmed."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())
    return " ".join(text.split())


def log_name(typed: str, known: str | None) -> str:
    """What a log line says for a login as `typed`: the directory's name `known` if it knows one,
    else `unknown-<hash>` of the folded spelling, never the spelling itself."""
    if known is not None:
        return printable(known)
    data = fold(typed).encode("utf-8", "surrogatepass")
    return "unknown-" + hmac.new(_LOG_KEY, data, hashlib.sha256).hexdigest()[:12]


def printable(name: str) -> str:
    """`name` safe for one log line (no forged lines, bounded length)."""
    return "".join(c if c.isprintable() else "?" for c in name[:64])
