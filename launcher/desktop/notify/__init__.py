"""Native desktop notifications: freedesktop D-Bus on Linux, desktop-notifier on Windows and macOS."""
