"""Living with the window all day: unread count, notifications, tray, window place and shortcuts. Each
OS-specific part has one interface and a backend per OS (`linux`, `windows_macos`)."""
