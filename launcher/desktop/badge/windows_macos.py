"""The unread badge drawn with Pillow, for the tray icon where Qt is not there (pystray on Windows and
macOS takes a PIL image). Same look as launcher.badge (Qt): a red pill with the count, top right.

Drawn only from an `Unread` label ("7", "99+", "•"), never from page text.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from launcher.desktop.unread import Unread

# the values of launcher.badge, which imports Qt and so cannot be imported here
ICON_SIZE = 64
BADGE_COLOR = "#e11d48"
_TEXT_COLOR = "#ffffff"


def base_image(icon: Path, size: int = ICON_SIZE) -> Image.Image:
    """The launcher's icon as a square RGBA image of `size` pixels (transparent if it cannot be read)."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    try:
        with Image.open(icon) as source:
            source = source.convert("RGBA")
            source.thumbnail((size, size), Image.Resampling.LANCZOS)
            image.alpha_composite(source, ((size - source.width) // 2, (size - source.height) // 2))
    except OSError:
        pass
    return image


def draw_badge(base: Image.Image, unread: Unread) -> Image.Image:
    """A copy of `base` with the unread badge on it (an unchanged copy when nothing is unread)."""
    image = base.convert("RGBA")
    if not unread.any:
        return image
    size = min(image.size)
    label = unread.label
    draw = ImageDraw.Draw(image)
    outline = max(1, round(size / 32))
    if label == "•":
        diameter = size * 0.42
        box = (size - diameter, 0.0, float(size) - 1, diameter)
        draw.ellipse(box, fill=BADGE_COLOR, outline="#ffffff", width=outline)
        return image
    height = size * (0.56 if len(label) == 1 else 0.5)
    width = min(float(size), max(height, height * (0.42 + 0.34 * len(label))))
    box = (size - width, 0.0, float(size) - 1, height)
    draw.rounded_rectangle(box, radius=height / 2, fill=BADGE_COLOR, outline="#ffffff", width=outline)
    font_size = max(6, int(height * (0.72 if len(label) == 1 else 0.6)))
    font = ImageFont.load_default(size=font_size)
    centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    draw.text(centre, label, fill=_TEXT_COLOR, font=font, anchor="mm")
    return image
