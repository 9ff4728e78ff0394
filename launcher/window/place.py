"""The window's size, position and maximized state, kept between runs in a small JSON file in the
profile's data folder; a window that would open off every screen (a monitor was unplugged) is moved back.

Data and arithmetic: the engine reads the geometry from the native window and hands in the screens;
`opening_options` and `keep` are the Shell's two moments (before the window is created, and closing).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from launcher.paths import private_dir

_log = logging.getLogger(__name__)

FILE_NAME = "window.json"
MIN_SIZE = (420, 560)
_MIN_VISIBLE = 80  # pixels of the window that must stay on a screen, both ways


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int

    def overlap(self, other: Rect) -> tuple[int, int]:
        w = min(self.x + self.width, other.x + other.width) - max(self.x, other.x)
        h = min(self.y + self.height, other.y + other.height) - max(self.y, other.y)
        return max(0, w), max(0, h)


@dataclass(frozen=True)
class WindowState:
    x: int
    y: int
    width: int
    height: int
    maximized: bool = False

    @property
    def rect(self) -> Rect:
        return Rect(self.x, self.y, self.width, self.height)


def load(data_dir: Path) -> WindowState | None:
    """The saved state, or None (no file, or one that is not ours: then the defaults apply)."""
    try:
        data = json.loads((data_dir / FILE_NAME).read_text(encoding="utf-8"))
        state = WindowState(
            x=_int(data["x"]),
            y=_int(data["y"]),
            width=_int(data["width"]),
            height=_int(data["height"]),
            maximized=bool(data.get("maximized", False)),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        _log.warning("ignored an unreadable %s", FILE_NAME)
        return None
    if state.width < 1 or state.height < 1:
        return None
    return state


def save(data_dir: Path, state: WindowState) -> None:
    try:
        private_dir(data_dir)
        tmp = data_dir / (FILE_NAME + ".tmp")
        tmp.write_text(json.dumps(asdict(state)), encoding="utf-8")
        os.replace(tmp, data_dir / FILE_NAME)
    except OSError as exc:
        _log.warning("could not save the window's place: %s", exc)


class _Engine(Protocol):
    """The two calls of launcher.window.engines.base.Engine used here (no import: the engines use this)."""

    def window_options(
        self, saved: WindowState | None, default_size: tuple[int, int], start_hidden: Callable[[], bool]
    ) -> dict[str, Any]: ...
    def place(self) -> WindowState | None: ...


def opening_options(
    engine: _Engine, data_dir: Path, default_size: tuple[int, int], start_hidden: Callable[[], bool]
) -> dict[str, Any]:
    """Keyword arguments for webview.create_window: the saved place (fitted on today's screens), and
    hidden when `start_hidden()` says so (--start-minimized with a tray to open it again)."""
    return engine.window_options(load(data_dir), default_size, start_hidden)


def keep(engine: _Engine | None, data_dir: Path) -> None:
    """Save the window's place now (it is closing), when the engine knows it."""
    state = engine.place() if engine is not None else None
    if state is not None:
        save(data_dir, state)


def fit_on_screen(state: WindowState, screens: list[Rect]) -> WindowState:
    """`state` if enough of it is on a screen; otherwise the same size (shrunk to fit) centred on the
    screen it overlaps most, or the first one."""
    if not screens:
        return state
    for screen in screens:
        w, h = state.rect.overlap(screen)
        if w >= min(_MIN_VISIBLE, state.width) and h >= min(_MIN_VISIBLE, state.height):
            return state
    target = max(screens, key=lambda s: _area(state.rect.overlap(s))) if screens else screens[0]
    if _area(state.rect.overlap(target)) == 0:
        target = screens[0]
    width = max(min(state.width, target.width), min(MIN_SIZE[0], target.width))
    height = max(min(state.height, target.height), min(MIN_SIZE[1], target.height))
    return WindowState(
        x=target.x + (target.width - width) // 2,
        y=target.y + (target.height - height) // 2,
        width=width,
        height=height,
        maximized=state.maximized,
    )


def _area(size: tuple[int, int]) -> int:
    return size[0] * size[1]


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    return int(value)
