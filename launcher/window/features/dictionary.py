"""The person's own words ("Add to dictionary"), kept where Chromium's spell checker reads them.

Chromium keeps a profile's custom words in `Custom Dictionary.txt` in the profile folder: one word per
line, sorted, then a line `checksum_v1 = <md5 of the lines before>`; a file whose checksum does not match
is ignored. Qt WebEngine loads it when the profile starts, and offers no call to add a word while it
runs, so a word added here is accepted from the next start of the launcher.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["FILE_NAME", "add_word", "words"]

FILE_NAME = "Custom Dictionary.txt"
_CHECKSUM = "checksum_v1 = "
_WORD_MAX_BYTES = 99


def words(profile_dir: Path) -> set[str]:
    path = profile_dir / FILE_NAME
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return set()
    return {line for line in lines if line and not line.startswith(_CHECKSUM)}


def add_word(profile_dir: Path, word: str) -> bool:
    """Add `word` (False when it cannot be a dictionary word: empty, too long, spaces around it)."""
    word = word.strip()
    if not word or len(word.encode("utf-8")) > _WORD_MAX_BYTES or any(c.isspace() for c in word):
        return False
    known = words(profile_dir) | {word}
    body = "".join(f"{w}\n" for w in sorted(known))
    checksum = hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest()
    profile_dir.mkdir(parents=True, exist_ok=True)
    tmp = profile_dir / (FILE_NAME + ".tmp")
    tmp.write_text(body + _CHECKSUM + checksum, encoding="utf-8")
    os.replace(tmp, profile_dir / FILE_NAME)
    return True
