"""The unread badge drawn on the icon: with Qt on Linux, with Pillow on Windows and macOS."""
