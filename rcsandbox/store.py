"""The sandbox's in-memory database: users, hashed login tokens, the event log, messages.

Shared between the server thread and the test thread (Sandbox methods), hence one lock. Survives
`Sandbox.stop()`/`start()` like Rocket.Chat's database survives a restart. Token values are never stored
or logged, only their Meteor hash.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .config import SandboxUser
from .ids import hash_login_token, random_id, random_secret

__all__ = ["Message", "Store", "StoredToken", "UserRecord", "iso"]

MAX_TOKENS_PER_USER = 50  # User.ensureLoginTokensLimit (docs/rocketchat-contract.md#minting-tokens)


def iso(ts: float) -> str:
    """Rocket.Chat's JSON dates: ISO 8601 with milliseconds and Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def password_digest(password: str) -> str:
    """The sha-256 hex digest Meteor's client sends as `{digest, algorithm: 'sha-256'}`."""
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


@dataclass
class StoredToken:
    hashed: str
    when: float


@dataclass
class Message:
    id: str
    seq: int
    rid: str
    room: str
    sender: str
    sender_id: str
    sender_name: str
    text: str
    ts: float
    read: bool = False
    # A message that alerts its room without counting (a room whose notifications count only mentions,
    # say): Rocket.Chat's subscription then has `alert: true` and `unread: 0`.
    alert_only: bool = False


@dataclass
class UserRecord:
    id: str
    username: str
    name: str
    email: str
    roles: list[str]
    created_at: float
    password_sha256: str
    tokens: list[StoredToken] = field(default_factory=list)
    status: str = "offline"
    messages: list[Message] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """The user as `users.info` / `users.create` show it (no services, no secrets)."""
        return {
            "_id": self.id,
            "createdAt": iso(self.created_at),
            "username": self.username,
            "emails": [{"address": self.email, "verified": True}],
            "type": "user",
            "status": self.status,
            "active": True,
            "name": self.name,
            "roles": list(self.roles),
            "utcOffset": 0,
            "_updatedAt": iso(self.created_at),
        }

    def me(self) -> dict[str, Any]:
        """`getUserInfo(user)` as `/me` and login's `data.me` return it."""
        info = self.public()
        info.update(
            {
                "email": self.email,
                "services": {"password": {"exists": True}},
                "settings": {"profile": {}, "preferences": {}},
                "avatarUrl": f"/avatar/{self.username}",
                "isOAuthUser": False,
                "requirePasswordChange": False,
            }
        )
        return info


class Store:
    """Users, tokens, events and messages, guarded by one lock."""

    def __init__(self, users: list[SandboxUser]) -> None:
        self._lock = threading.RLock()
        self._users: dict[str, UserRecord] = {}
        self._events: list[dict[str, Any]] = []
        self._seq = 0
        for user in users:
            self._insert(user)

    # users -----------------------------------------------------------------------------------------------
    def _insert(self, user: SandboxUser) -> UserRecord:
        record = UserRecord(
            id=random_id(),
            username=user.username,
            name=user.name,
            email=user.email,
            roles=list(user.roles),
            created_at=time.time(),
            password_sha256=password_digest(user.password),
        )
        self._users[record.id] = record
        return record

    def add_user(self, user: SandboxUser) -> UserRecord:
        with self._lock:
            return self._insert(user)

    def by_id(self, user_id: str) -> UserRecord | None:
        with self._lock:
            return self._users.get(user_id)

    def by_username(self, username: str) -> UserRecord | None:
        with self._lock:
            return next((u for u in self._users.values() if u.username == username), None)

    def by_email(self, email: str) -> UserRecord | None:
        with self._lock:
            low = email.lower()
            return next((u for u in self._users.values() if u.email.lower() == low), None)

    def check_password(self, user: UserRecord, password: str | None, digest: str | None) -> bool:
        given = password_digest(password) if password is not None else (digest or "").lower()
        return hmac.compare_digest(given, user.password_sha256)

    # tokens ----------------------------------------------------------------------------------------------
    def issue_token(self, user: UserRecord) -> tuple[str, StoredToken]:
        """A new resume token; only its hash is kept. Oldest tokens beyond 50 are dropped."""
        token = random_secret()
        stored = StoredToken(hashed=hash_login_token(token), when=time.time())
        with self._lock:
            user.tokens.append(stored)
            del user.tokens[:-MAX_TOKENS_PER_USER]
        return token, stored

    def find_token(self, token: str, user_id: str | None = None) -> tuple[UserRecord, StoredToken] | None:
        hashed = hash_login_token(token)
        with self._lock:
            users = (
                [self._users[user_id]]
                if user_id in self._users
                else ([] if user_id else self._users.values())
            )
            for user in users:
                for stored in user.tokens:
                    if hmac.compare_digest(stored.hashed, hashed):
                        return user, stored
        return None

    def remove_token(self, user: UserRecord, stored: StoredToken) -> None:
        with self._lock:
            if stored in user.tokens:
                user.tokens.remove(stored)

    def remove_all_tokens(self, user: UserRecord) -> int:
        """An admin's "log out from all sessions": every token of `user` goes; returns how many."""
        with self._lock:
            count = len(user.tokens)
            user.tokens.clear()
            return count

    def set_password(self, user: UserRecord, password: str) -> None:
        with self._lock:
            user.password_sha256 = password_digest(password)

    def backdate_tokens(self, user: UserRecord, seconds: float) -> None:
        with self._lock:
            for stored in user.tokens:
                stored.when -= seconds

    # events ----------------------------------------------------------------------------------------------
    def record(self, kind: str, **fields: Any) -> None:
        with self._lock:
            self._events.append({"kind": kind, "time": time.time(), **fields})

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._events if kind is None or e["kind"] == kind]

    # messages --------------------------------------------------------------------------------------------
    def post_message(
        self,
        user: UserRecord,
        text: str,
        sender: UserRecord | None,
        sender_name: str,
        room: str,
        alert_only: bool = False,
    ) -> Message:
        with self._lock:
            self._seq += 1
            message = Message(
                id=random_id(),
                seq=self._seq,
                rid=f"sandbox-{room}",
                room=room,
                sender=sender.username if sender else sender_name,
                sender_id=sender.id if sender else "rocket.cat",
                sender_name=sender.name if sender else sender_name,
                text=text,
                ts=time.time(),
                alert_only=alert_only,
            )
            user.messages.append(message)
            return message

    def updates(self, user: UserRecord, since: int) -> tuple[int, list[dict[str, Any]], list[Message], int]:
        """(unread count, subscriptions, messages newer than `since`, cursor for the next call), from one
        snapshot. The count is the subscriptions' sum: alert-only messages do not count, as in Rocket.Chat."""
        with self._lock:
            rooms = self._subscriptions(user)
            new = [m for m in user.messages if m.seq > since]
            return sum(room["unread"] for room in rooms), rooms, new, self._seq

    def subscriptions(self, user: UserRecord) -> list[dict[str, Any]]:
        """One entry per room the user got messages in: `rid`, `name`, `unread` (the count) and `alert`
        (anything unread, counted or not), the fields of Rocket.Chat's subscription the badge reads."""
        with self._lock:
            return self._subscriptions(user)

    def _subscriptions(self, user: UserRecord) -> list[dict[str, Any]]:
        rooms: dict[str, dict[str, Any]] = {}
        for m in user.messages:
            room = rooms.setdefault(m.rid, {"rid": m.rid, "name": m.room, "unread": 0, "alert": False})
            if not m.read:
                room["alert"] = True
                room["unread"] += 0 if m.alert_only else 1
        return list(rooms.values())

    def mark_read(self, user: UserRecord) -> None:
        with self._lock:
            for message in user.messages:
                message.read = True
