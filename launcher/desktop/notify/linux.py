"""Desktop notifications on Linux through the freedesktop `org.freedesktop.Notifications` D-Bus API,
with jeepney (pure Python, already shipped as keyring's Secret Service dependency; no GTK/libnotify).

One session-bus connection, opened on first use in a helper thread; a reader thread turns the service's
`ActionInvoked` signal (the person clicked the notification) into `on_click(notification)`. The body is
sent as plain text, escaped when the server says it reads markup (`body-markup` capability).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

from jeepney import (
    DBusAddress,
    HeaderFields,
    MatchRule,
    MessageType,
    Properties,
    message_bus,
    new_method_call,
)
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from launcher.desktop.notifications import Notification, escape_markup
from launcher.desktop.notify.base import NotifierUnavailable

_log = logging.getLogger(__name__)

_SERVICE = DBusAddress(
    "/org/freedesktop/Notifications",
    bus_name="org.freedesktop.Notifications",
    interface="org.freedesktop.Notifications",
)
_TIMEOUT_S = 3.0


class DBusNotifier:
    """Sends notifications; calls `on_click(notification)` when one is clicked."""

    def __init__(self, app_name: str, on_click: Callable[[Notification], None]) -> None:
        self._app_name = app_name
        self._on_click = on_click
        self._lock = threading.Lock()
        self._sent: dict[int, Notification] = {}
        self._conn: DBusConnection = open_dbus_connection(bus="SESSION")
        if not self._has_service():
            self._conn.close()
            raise NotifierUnavailable("no org.freedesktop.Notifications service on the session bus")
        self._markup = "body-markup" in self._capabilities()
        self._signals: DBusConnection = open_dbus_connection(bus="SESSION")
        for member in ("ActionInvoked", "NotificationClosed"):
            rule = MatchRule(
                type="signal", interface=_SERVICE.interface, member=member, path=_SERVICE.object_path
            )
            self._signals.send_and_get_reply(message_bus.AddMatch(rule), timeout=_TIMEOUT_S)
        threading.Thread(target=self._read_signals, name="notification-clicks", daemon=True).start()

    def inhibited(self) -> bool:
        """The desktop's do-not-disturb, where the service publishes it (KDE's `Inhibited` property)."""
        try:
            with self._lock:
                reply = self._conn.send_and_get_reply(Properties(_SERVICE).get("Inhibited"), timeout=1.0)
        except Exception:
            return False
        return reply.header.message_type == MessageType.method_return and reply.body[0][1] is True

    def show(self, note: Notification, image_path: str | None = None) -> int | None:
        body = escape_markup(note.body) if self._markup else note.body
        hints: dict[str, tuple[str, object]] = {"category": ("s", "im.received")}
        if image_path:
            hints["image-path"] = ("s", image_path)
        call = new_method_call(
            _SERVICE,
            "Notify",
            "susssasa{sv}i",
            (self._app_name, 0, "", note.title, body, ["default", "Open"], hints, -1),
        )
        try:
            with self._lock:
                reply = self._conn.send_and_get_reply(call, timeout=_TIMEOUT_S)
        except Exception as exc:
            _log.warning("the notification service did not answer: %s", exc)
            return None
        if reply.header.message_type != MessageType.method_return:
            _log.warning("the notification service refused a notification")
            return None
        notification_id = int(reply.body[0])
        with self._lock:
            self._sent[notification_id] = note
            while len(self._sent) > 50:
                self._sent.pop(next(iter(self._sent)))
        return notification_id

    def close(self) -> None:
        for conn in (self._conn, self._signals):
            with contextlib.suppress(Exception):
                conn.close()

    def _has_service(self) -> bool:
        reply = self._conn.send_and_get_reply(message_bus.NameHasOwner(_SERVICE.bus_name), timeout=_TIMEOUT_S)
        return bool(reply.body[0])

    def _capabilities(self) -> list[str]:
        try:
            reply = self._conn.send_and_get_reply(
                new_method_call(_SERVICE, "GetCapabilities"), timeout=_TIMEOUT_S
            )
            return list(reply.body[0]) if reply.header.message_type == MessageType.method_return else []
        except Exception:
            return []

    def _read_signals(self) -> None:
        while True:
            try:
                msg = self._signals.receive()
            except Exception:
                return  # closed
            if msg.header.message_type != MessageType.signal:
                continue
            member = msg.header.fields.get(HeaderFields.member)
            if member == "ActionInvoked":
                notification_id, _action = msg.body
                with self._lock:
                    note = self._sent.pop(int(notification_id), None)
                if note is not None:
                    try:
                        self._on_click(note)
                    except Exception:
                        _log.exception("handling a notification click failed")
            elif member == "NotificationClosed":
                with self._lock:
                    self._sent.pop(int(msg.body[0]), None)
