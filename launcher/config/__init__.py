"""Layered TOML configuration.

Layers, lowest first: built-in defaults; the user's file; the administrator's files (the platform's
site-wide config directories, then ``launcher.toml`` next to a frozen executable); the file named by
``ROCKETCHAT_LAUNCHER_CONFIG``; the file given with ``--config``; single values from the command line.
Administrator files come after the user's because IT expects its values to win, and an administrator's
file locks the addresses, ``mode``, network settings and autostart it sets (and whatever its ``locked`` list
names) against every user layer (``locks``).

Every value is checked where it is read, so an error names the file, the key, the value and what was
expected. Unknown keys are errors too: a typo would otherwise be ignored silently.

Modules: ``checks`` (value checkers), ``schema`` (the keys), ``layers`` (which files, reading one),
``locks`` (merging, the administrator's locks), ``settings`` (the typed result), ``loading``
(``load_settings``), ``render`` (the ``config`` command's listing).
"""

from __future__ import annotations

from launcher.config.layers import (
    COMMAND_LINE_SOURCE,
    CONFIG_ENV_VAR,
    DEFAULT_SOURCE,
    LOCKED_KEY,
    config_layers,
)
from launcher.config.loading import load_settings
from launcher.config.locks import LOCKED_BY_DEFAULT
from launcher.config.render import format_locks, format_settings
from launcher.config.schema import KEYS, KeySpec
from launcher.config.settings import OrganizationApi, Settings

__all__ = [
    "COMMAND_LINE_SOURCE",
    "CONFIG_ENV_VAR",
    "DEFAULT_SOURCE",
    "KEYS",
    "LOCKED_BY_DEFAULT",
    "LOCKED_KEY",
    "KeySpec",
    "OrganizationApi",
    "Settings",
    "config_layers",
    "format_locks",
    "format_settings",
    "load_settings",
]
