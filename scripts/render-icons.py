"""Render assets/icons/icon.svg to every icon file the window and the installers use:
sized PNGs for Linux's hicolor theme (named as the desktop entry's Icon=), icon.ico (Windows), icon.icns (macOS), and the window's own
launcher/web/icon.png (package data, so the running app needs nothing from assets/).

Run after editing the SVG: .venv/bin/python scripts/render-icons.py (needs no display).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PyQt6.QtGui import QGuiApplication, QImage, QPainter
from PyQt6.QtSvg import QSvgRenderer

REPO = Path(__file__).resolve().parents[1]
ICONS = REPO / "assets" / "icons"
WINDOW_ICON = REPO / "launcher" / "web" / "icon.png"
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)  # the hicolor theme's usual app-icon sizes


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def ico(images: list[QImage]) -> bytes:
    """An ICO file with PNG-compressed entries (supported since Windows Vista)."""
    blobs = [png_bytes(image) for image in images]
    header = (0).to_bytes(2, "little") + (1).to_bytes(2, "little") + len(blobs).to_bytes(2, "little")
    offset = 6 + 16 * len(blobs)
    entries = b""
    for image, blob in zip(images, blobs, strict=True):
        side = image.width() if image.width() < 256 else 0
        entries += bytes([side, side, 0, 0]) + (1).to_bytes(2, "little") + (32).to_bytes(2, "little")
        entries += len(blob).to_bytes(4, "little") + offset.to_bytes(4, "little")
        offset += len(blob)
    return header + entries + b"".join(blobs)


def main() -> int:
    app = QGuiApplication(sys.argv)  # noqa: F841  (QImage painting needs an application object)
    renderer = QSvgRenderer(str(ICONS / "icon.svg"))
    if not renderer.isValid():
        print("icon.svg is not a valid SVG", file=sys.stderr)
        return 1
    for size in HICOLOR_SIZES:
        folder = ICONS / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        render(renderer, size).save(str(folder / "rocketchat-launcher.png"), "PNG")
    render(renderer, 256).save(str(WINDOW_ICON), "PNG")
    (ICONS / "icon.ico").write_bytes(ico([render(renderer, s) for s in (16, 32, 48, 256)]))
    if not render(renderer, 1024).save(str(ICONS / "icon.icns"), "ICNS"):
        print("this Qt cannot write ICNS (its imageformats plugin is missing)", file=sys.stderr)
        return 1
    print(
        f"wrote hicolor/ ({len(HICOLOR_SIZES)} sizes), icon.ico and icon.icns in {ICONS}, and {WINDOW_ICON}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
