"""Draws the unread badge on the launcher's icon: a red disc with the count, top right, like the
official desktop app's tray icons. Qt only (imported lazily, once the window is up).

The badge is drawn, never composed from text markup, and only from an `Unread` label ("7", "99+",
"•"), so nothing a page sends ends up in the picture.
"""

from __future__ import annotations

from pathlib import Path

from qtpy import QtCore, QtGui

from launcher.desktop.unread import Unread

ICON_SIZE = 64
BADGE_COLOR = "#e11d48"  # a red that reads on light and dark panels
_TEXT_COLOR = "#ffffff"


def base_image(icon: Path, size: int = ICON_SIZE) -> QtGui.QImage:
    """The launcher's icon as a square ARGB image of `size` pixels (transparent if it cannot be read)."""
    image = QtGui.QImage(size, size, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    source = QtGui.QImage(str(icon))
    if not source.isNull():
        painter = QtGui.QPainter(image)
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
        scaled = source.scaled(
            size,
            size,
            QtCore.Qt.AspectRatioMode.KeepAspectRatio,
            QtCore.Qt.TransformationMode.SmoothTransformation,
        )
        painter.drawImage((size - scaled.width()) // 2, (size - scaled.height()) // 2, scaled)
        painter.end()
    return image


def draw_badge(base: QtGui.QImage, unread: Unread) -> QtGui.QImage:
    """A copy of `base` with the unread badge drawn on it (an unchanged copy when nothing is unread)."""
    image = base.convertToFormat(QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    if not unread.any:
        return image
    size = min(image.width(), image.height())
    label = unread.label
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)
    if label == "•":
        diameter = size * 0.42
        rect = QtCore.QRectF(size - diameter, 0, diameter, diameter)
        _disc(painter, rect, size)
    else:
        height = size * (0.56 if len(label) == 1 else 0.5)
        width = max(height, height * (0.42 + 0.34 * len(label)))
        width = min(width, float(size))
        rect = QtCore.QRectF(size - width, 0, width, height)
        _disc(painter, rect, size)
        font = QtGui.QFont()
        font.setBold(True)
        font.setPixelSize(max(6, int(height * (0.72 if len(label) == 1 else 0.6))))
        painter.setFont(font)
        painter.setPen(QtGui.QColor(_TEXT_COLOR))
        painter.drawText(rect, int(QtCore.Qt.AlignmentFlag.AlignCenter), label)
    painter.end()
    return image


def _disc(painter: QtGui.QPainter, rect: QtCore.QRectF, size: int) -> None:
    outline = QtGui.QPen(QtGui.QColor("#ffffff"))
    outline.setWidthF(max(1.0, size / 32))
    painter.setPen(outline)
    painter.setBrush(QtGui.QColor(BADGE_COLOR))
    radius = rect.height() / 2
    painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
