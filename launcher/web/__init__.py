"""The files the window itself loads: the sign-in and error pages, the scripts put into Rocket.Chat's
page, their style sheet, and the window's icon. They ship as package data, beside this module."""

from __future__ import annotations

from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent
ICON_PNG = WEB_DIR / "icon.png"  # the window, tray and notification icon (built from assets/icons/icon.svg)

__all__ = ["ICON_PNG", "WEB_DIR"]
