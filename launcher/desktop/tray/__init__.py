"""The tray icon with its menu and unread badge: Qt's on Linux, pystray's on Windows and macOS."""
