"""Test-only, in every Python the tests start: the launcher's system configuration folder
(``launcher.config.layers.SYSTEM_CONFIG_DIR``, /etc/xdg/rocketchat-launcher on Linux) becomes the test
session's own empty folder, so a real administrator's file on the machine (or the one the .deb test
installs for a few seconds) reaches no test's launcher.

tests/conftest.py puts this folder on PYTHONPATH and names the folder in ``RCL_TESTS_SYSTEM_CONFIG_DIR``.
The launcher itself reads no such variable: a user who could set one would undo the administrator's
locks. Nothing is imported here until the launcher's own ``layers`` module is, so start-up times stay
as they are. A frozen bundle ignores PYTHONPATH and reads the real folder (the .deb test wants that).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from pathlib import Path
from types import ModuleType

_FOLDER = os.environ.get("RCL_TESTS_SYSTEM_CONFIG_DIR")
_MODULE = "launcher.config.layers"


class _PointSystemFolder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the real loader of ``launcher.config.layers`` to set the folder."""

    def find_spec(
        self, name: str, path: object, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != _MODULE or _FOLDER is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                break
        else:
            return None
        loader = spec.loader
        original = loader.exec_module
        folder = Path(_FOLDER)

        def exec_module(module: ModuleType) -> None:
            original(module)
            module.SYSTEM_CONFIG_DIR = folder  # type: ignore[attr-defined]

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if _FOLDER:
    sys.meta_path.insert(0, _PointSystemFolder())
