"""The window harness (tests/support/launcher_runs.py): the real launcher as a subprocess in a real
Qt WebEngine window. These tests log through the launcher processes they start, so the in-process
log set-up of tests/launcher/conftest.py is switched off here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.launcher_runs import make_launcher, other_origin

__all__ = ["make_launcher", "other_origin"]


@pytest.fixture(autouse=True)
def _log_to_profile() -> Iterator[None]:
    yield
