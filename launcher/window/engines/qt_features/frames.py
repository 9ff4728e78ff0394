"""Which frames of a Qt page could have asked for the screen, or opened a window with a click.

Qt's screen request (QWebEngineDesktopMediaRequest, Qt 6.11) carries no origin and no frame, so the
launcher cannot read who asked. What it can read is which frames were able to: Chromium lets a frame of
another site call getDisplayMedia only when its parent delegated the feature (`allow="display-capture"`),
and refuses every other one itself before Qt hears of it. So a page with no frame of another site that
holds the feature asked on its own behalf; with one, the launcher cannot tell and refuses.

Each frame's answer comes from `document.featurePolicy.allowsFeature('display-capture')`, evaluated in
an isolated JavaScript world: the frame's own script cannot replace what that world sees. A frame that
does not answer in time counts as able to (refusing is the safe side).

Qt's new-window request does not name its frame either: there the question is whether a person ever
clicked inside a frame of another site (`navigator.userActivation.hasBeenActive`), since a window opened
with a gesture could come only from a frame that had one.
"""

from __future__ import annotations

import logging
from typing import Any

from qtpy import QtCore
from qtpy.QtWebEngineCore import QWebEngineScript

from launcher.origins import origin_of

__all__ = ["foreign_frames_a_person_used", "foreign_frames_that_may_capture", "foreign_frames_where"]

_log = logging.getLogger(__name__)
_WORLD = int(QWebEngineScript.ScriptWorldId.ApplicationWorld)
_MAY_CAPTURE = (
    "(function () { try { var p = document.featurePolicy;"
    " return p ? p.allowsFeature('display-capture') : true; } catch (e) { return true; } })()"
)
# Whether a person ever clicked or typed in the frame (sticky activation: a click in a parent frame
# does not count for a child of another site).
_WAS_USED = (
    "(function () { try { var a = navigator.userActivation;"
    " return a ? a.hasBeenActive : true; } catch (e) { return true; } })()"
)
_INHERITS = ("", "about:blank", "about:srcdoc")  # such a frame has its parent's origin
ANSWER_MS = 1500


def foreign_frames_that_may_capture(page: Any, allowed: set[str], timeout_ms: int = ANSWER_MS) -> list[str]:
    """The origins (outside `allowed`) of `page`'s frames that may call getDisplayMedia; a frame whose
    URL has no origin (data:, blob: of its own) is reported as "an opaque origin"."""
    return foreign_frames_where(page, allowed, _MAY_CAPTURE, timeout_ms)


def foreign_frames_a_person_used(page: Any, allowed: set[str], timeout_ms: int = ANSWER_MS) -> list[str]:
    """The origins (outside `allowed`) of `page`'s frames a person has clicked or typed in: only such a
    frame can open a window with a gesture (Qt's new-window request does not say which frame asked)."""
    return foreign_frames_where(page, allowed, _WAS_USED, timeout_ms)


def foreign_frames_where(page: Any, allowed: set[str], script: str, timeout_ms: int = ANSWER_MS) -> list[str]:
    """The origins (outside `allowed`) of `page`'s sub-frames for which `script`, run in an isolated
    world, is not false (no answer in time counts as true)."""
    candidates: list[tuple[Any, str]] = []
    _walk(page.mainFrame(), None, allowed, candidates)
    if not candidates:
        return []
    answers: dict[int, Any] = {}
    loop = QtCore.QEventLoop()

    def answered(index: int) -> Any:
        def callback(value: Any) -> None:
            answers[index] = value
            if len(answers) == len(candidates):
                loop.quit()

        return callback

    for index, (frame, _) in enumerate(candidates):
        frame.runJavaScript(script, _WORLD, answered(index))
    QtCore.QTimer.singleShot(timeout_ms, loop.quit)
    if len(answers) < len(candidates):
        # A nested loop inside the request's slot, as a modal dialog's: Qt's request stays alive.
        loop.exec()
    if len(answers) < len(candidates):
        _log.info(
            "%d frame(s) did not answer in time; counted as yes",
            len(candidates) - len(answers),
        )
    return sorted({origin for index, (_, origin) in enumerate(candidates) if answers.get(index) is not False})


def _walk(frame: Any, parent_origin: str | None, allowed: set[str], found: list[tuple[Any, str]]) -> None:
    if frame is None or not frame.isValid():
        return
    url = frame.url().toString()
    if url in _INHERITS and parent_origin is not None:
        origin = parent_origin
    else:
        try:
            origin = origin_of(url)
        except ValueError:
            origin = "an opaque origin"
    if parent_origin is not None and origin not in allowed:
        found.append((frame, origin))
    for child in frame.children():
        _walk(child, origin, allowed, found)
