"""Real D-Bus services on the test's private session bus, written with jeepney: the minimal
`org.kde.StatusNotifierWatcher` a tray icon registers with (so Qt's QSystemTrayIcon becomes a
StatusNotifierItem whose properties the test reads), and an `org.freedesktop.Notifications` server that
records every notification it is sent and can report a click (`ActionInvoked`).
"""

from __future__ import annotations

import contextlib
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from jeepney import (
    DBusAddress,
    HeaderFields,
    MessageType,
    Properties,
    message_bus,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.io.blocking import DBusConnection, open_dbus_connection

Handler = Callable[[Any], tuple[str, tuple[Any, ...]] | None]


class _Service:
    """Owns one bus name and answers method calls from a thread until closed."""

    def __init__(self, name: str, path: str, introspection: str) -> None:
        self.name, self.path, self.introspection = name, path, introspection
        self.conn: DBusConnection = open_dbus_connection(bus="SESSION")
        reply = self.conn.send_and_get_reply(message_bus.RequestName(name, 4))  # DO_NOT_QUEUE
        if reply.body[0] != 1:
            raise RuntimeError(f"could not own {name} on the test bus (answer {reply.body[0]})")
        self.handlers: dict[tuple[str, str], Handler] = {}
        self.properties: dict[str, tuple[str, Any]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"dbus-{name}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()

    def emit(self, interface: str, member: str, signature: str, body: tuple[Any, ...]) -> None:
        self.conn.send(new_signal(DBusAddress(self.path, interface=interface), member, signature, body))

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except Exception:
                return
            if msg.header.message_type != MessageType.method_call:
                continue
            fields = msg.header.fields
            interface = fields.get(HeaderFields.interface, "")
            member = fields.get(HeaderFields.member, "")
            try:
                answer = self._answer(interface, member, msg)
            except Exception as exc:  # a bug in a test service should show, not hang the caller
                answer = None
                self.conn.send(new_error(msg, "org.test.Error", "s", (repr(exc),)))
                continue
            if answer is None:
                self.conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (member,)))
            else:
                self.conn.send(new_method_return(msg, *answer))

    def _answer(self, interface: str, member: str, msg: Any) -> tuple[str, tuple[Any, ...]] | None:
        if member == "Introspect":
            return "s", (self.introspection,)
        if interface == "org.freedesktop.DBus.Properties" and member == "Get":
            name = msg.body[1]
            if name in self.properties:
                return "v", (self.properties[name],)
            return None
        if interface == "org.freedesktop.DBus.Properties" and member == "GetAll":
            return "a{sv}", (dict(self.properties),)
        handler = self.handlers.get((interface, member)) or self.handlers.get(("", member))
        return handler(msg) if handler else None


_WATCHER_XML = """<node><interface name="org.kde.StatusNotifierWatcher">
<method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
<method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
<property name="RegisteredStatusNotifierItems" type="as" access="read"/>
<property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
<property name="ProtocolVersion" type="i" access="read"/>
<signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
</interface></node>"""


class StatusNotifierWatcher:
    """What a desktop's tray host offers: items register here; the test then reads their properties."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []  # (bus name of the item's owner, object path)
        self._service = _Service("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher", _WATCHER_XML)
        self._service.properties.update(
            IsStatusNotifierHostRegistered=("b", True),
            ProtocolVersion=("i", 0),
            RegisteredStatusNotifierItems=("as", []),
        )
        self._service.handlers[("", "RegisterStatusNotifierItem")] = self._register
        self._service.handlers[("", "RegisterStatusNotifierHost")] = lambda msg: ("", ())
        self._reader = open_dbus_connection(bus="SESSION")

    def _register(self, msg: Any) -> tuple[str, tuple[Any, ...]]:
        service = msg.body[0]
        sender = msg.header.fields.get(HeaderFields.sender, "")
        path = service if service.startswith("/") else "/StatusNotifierItem"
        owner = sender if service.startswith("/") else service
        self.items.append((owner, path))
        self._service.properties["RegisteredStatusNotifierItems"] = ("as", [f"{o}{p}" for o, p in self.items])
        self._service.emit("org.kde.StatusNotifierWatcher", "StatusNotifierItemRegistered", "s", (service,))
        return "", ()

    def wait_item(self, timeout: float = 20.0) -> tuple[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.items:
                return self.items[-1]
            time.sleep(0.05)
        raise AssertionError(f"no StatusNotifierItem registered within {timeout:.0f} s")

    def item_property(self, name: str) -> Any:
        """A property of the last registered item, read over the bus as a tray host would."""
        owner, path = self.wait_item()
        address = DBusAddress(path, bus_name=owner, interface="org.kde.StatusNotifierItem")
        reply = self._reader.send_and_get_reply(Properties(address).get(name), timeout=5)
        if reply.header.message_type == MessageType.error:
            raise AssertionError(f"reading {name} from the tray item failed: {reply.body}")
        return reply.body[0][1]

    def close(self) -> None:
        self._service.close()
        with contextlib.suppress(Exception):
            self._reader.close()


def largest_pixmap(pixmaps: list[tuple[int, int, bytes]]) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Decode the biggest (width, height, ARGB32 network byte order) entry of an SNI IconPixmap."""
    width, height, data = max(pixmaps, key=lambda p: p[0] * p[1])
    pixels = [struct.unpack_from(">BBBB", data, i) for i in range(0, len(data), 4)]
    return width, height, pixels  # each pixel (a, r, g, b)


_NOTIFY_XML = """<node><interface name="org.freedesktop.Notifications">
<method name="Notify"><arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
<arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
<arg type="a{sv}" direction="in"/><arg type="i" direction="in"/><arg type="u" direction="out"/></method>
<method name="CloseNotification"><arg type="u" direction="in"/></method>
<method name="GetCapabilities"><arg type="as" direction="out"/></method>
<method name="GetServerInformation"><arg type="s" direction="out"/><arg type="s" direction="out"/>
<arg type="s" direction="out"/><arg type="s" direction="out"/></method>
<signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
<signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
</interface></node>"""


class NotificationServer:
    """A desktop notification service (the freedesktop spec's methods) that records what it is sent."""

    def __init__(
        self, capabilities: tuple[str, ...] = ("body", "actions", "body-markup"), inhibited: bool = False
    ):
        self.received: list[dict[str, Any]] = []
        self.capabilities = list(capabilities)
        self._next = 0
        self._service = _Service(
            "org.freedesktop.Notifications", "/org/freedesktop/Notifications", _NOTIFY_XML
        )
        self._service.properties["Inhibited"] = ("b", inhibited)
        self._service.handlers[("", "Notify")] = self._notify
        self._service.handlers[("", "GetCapabilities")] = lambda msg: ("as", (self.capabilities,))
        self._service.handlers[("", "CloseNotification")] = lambda msg: ("", ())
        self._service.handlers[("", "GetServerInformation")] = lambda msg: (
            "ssss",
            ("test-notifications", "tests", "1", "1.2"),
        )

    def set_inhibited(self, value: bool) -> None:
        self._service.properties["Inhibited"] = ("b", value)

    def _notify(self, msg: Any) -> tuple[str, tuple[Any, ...]]:
        app, _replaces, icon, summary, body, actions, hints, _timeout = msg.body
        self._next += 1
        self.received.append(
            {
                "id": self._next,
                "app_name": app,
                "app_icon": icon,
                "summary": summary,
                "body": body,
                "actions": list(actions),
                "hints": {k: v[1] for k, v in hints.items()},
            }
        )
        return "u", (self._next,)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= count:
                return list(self.received)
            time.sleep(0.05)
        raise AssertionError(
            f"{len(self.received)} notification(s) arrived, expected {count}: {self.received}"
        )

    def click(self, notification_id: int, action: str = "default") -> None:
        """What the notification service does when the person clicks the notification."""
        iface = "org.freedesktop.Notifications"
        self._service.emit(iface, "ActionInvoked", "us", (notification_id, action))
        self._service.emit(iface, "NotificationClosed", "uu", (notification_id, 2))

    def close(self) -> None:
        self._service.close()


@contextlib.contextmanager
def desktop_services(tray: bool = True, notifications: bool = True) -> Iterator[tuple[Any, Any]]:
    watcher = StatusNotifierWatcher() if tray else None
    server = NotificationServer() if notifications else None
    try:
        yield watcher, server
    finally:
        for service in (watcher, server):
            if service is not None:
                service.close()
