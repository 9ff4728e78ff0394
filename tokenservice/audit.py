"""The audit trail: one line per Rocket.Chat token handed out, on the dedicated `tokenservice.audit` logger.

Operators route that logger wherever their audit records go. It records who, when, through which flow and
for which client address, and never the token itself.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

__all__ = ["audit_log", "token_issued"]

audit_log = logging.getLogger("tokenservice.audit")


def token_issued(*, username: str, rc_user_id: str, flow: str, source: str, client: str) -> None:
    """Record that `username` was given a token. `source` is "minted", "reused" or "created-user"."""
    audit_log.info(
        "token issued time=%s user=%s rc_user_id=%s flow=%s source=%s client=%s",
        datetime.now(UTC).isoformat(timespec="seconds"),
        username,
        rc_user_id,
        flow,
        source,
        client,
    )
