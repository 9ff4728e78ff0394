"""Who may use the microphone, camera, screen and notifications.

Rocket.Chat's origin, and the video-conference origins the configuration names, may ask for the
microphone, camera and screen: the person answers once per origin and kind, and the answer is remembered
(`Choices`). Every other origin is refused without a prompt: a link in a chat must not be able to put a
"let this site use your camera" question in front of an employee. Notifications go to Rocket.Chat's
origin only (its messages become desktop notifications); the rest is refused.
"""

from __future__ import annotations

from enum import Enum

from launcher.window.features.choices import Choices

__all__ = ["ASK_TEXT", "Decision", "decide"]

#: The kinds a person is asked about, with the words the prompt uses.
ASK_TEXT = {
    "microphone": "use your microphone",
    "camera": "use your camera",
    "microphone+camera": "use your microphone and camera",
    "screen": "see and share your screen",
    "clipboard": "read your clipboard",
}
_PROMPTED = frozenset(ASK_TEXT)


class Decision(Enum):
    GRANT = "grant"
    DENY = "deny"
    ASK = "ask"


def decide(
    origin: str, kind: str, *, rc_origin: str, call_origins: tuple[str, ...], choices: Choices
) -> Decision:
    """What to do with `origin` asking for `kind` ("microphone", "camera", "microphone+camera",
    "screen", "notifications", "clipboard", or anything else)."""
    if kind == "notifications":
        return Decision.GRANT if origin == rc_origin else Decision.DENY
    if kind not in _PROMPTED:
        return Decision.DENY  # location, mouse lock, local fonts: nothing Rocket.Chat needs
    allowed = {rc_origin} if kind == "clipboard" else {rc_origin, *call_origins}
    if origin not in allowed:
        return Decision.DENY
    parts = kind.split("+")
    answers = [choices.permission(origin, part) for part in parts]
    if all(answer is True for answer in answers):
        return Decision.GRANT
    if any(answer is False for answer in answers):
        return Decision.DENY
    return Decision.ASK
