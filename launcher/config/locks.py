"""Merging the layers, with the administrator's locks.

A key is locked when an administrator's file (``ADMIN_ROLES``) sets one of ``LOCKED_BY_DEFAULT`` (the
Rocket.Chat and sign-in addresses, the network settings, autostart), or names it (or its table) in its
top-level ``locked`` list. A locked key keeps the value the administrator's layers (or the built-in
default) give it; a user layer (the user's file, ``ROCKETCHAT_LAUNCHER_CONFIG``, ``--config``, the command
line) that sets it to something else is ignored, with one warning sentence, never an error: a user must
not be able to stop the launcher from starting, nor redirect it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from launcher.config.layers import Layer, show, where
from launcher.config.schema import KEYS

__all__ = ["LOCKED_BY_DEFAULT", "Merged", "covers", "merge_layers"]

log = logging.getLogger("launcher.config")

#: Keys and tables an administrator's file locks merely by setting them.
LOCKED_BY_DEFAULT: tuple[str, ...] = ("rocketchat.url", "organization.url", "network", "autostart")


@dataclass(frozen=True)
class Merged:
    values: dict[str, Any]
    sources: dict[str, str]
    locks: dict[str, str]
    warnings: tuple[str, ...]


def covers(entries: Iterable[str], key: str) -> bool:
    """Whether a list of keys and tables (``"network"``) names ``key``."""
    return any(key == entry or key.startswith(entry + ".") for entry in entries)


def _locks(layers: Sequence[Layer]) -> dict[str, str]:
    """Key -> the administrator's file that locks it (the last one, like values)."""
    locks: dict[str, str] = {}
    for layer in layers:
        if not layer.admin:
            continue
        for key in KEYS:
            if covers(layer.locked, key) or (key in layer.values and covers(LOCKED_BY_DEFAULT, key)):
                locks[key] = layer.source
    return locks


def merge_layers(layers: Sequence[Layer]) -> Merged:
    """Apply the layers in order (the first one is the built-in defaults) and enforce the locks."""
    locks = _locks(layers)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    warnings: list[str] = []
    for index, layer in enumerate(layers):
        warnings += layer.warnings
        user_layer = index > 0 and not layer.admin
        for key, value in layer.values.items():
            if user_layer and key in locks:
                if value != _locked_value(layers, key):
                    warnings.append(
                        f"Ignored {key} = {show(value)} from {where(layer.source, key)}: your administrator "
                        f"locked this setting in {locks[key]}."
                    )
                continue
            values[key] = value
            sources[key] = layer.source
    for warning in warnings:
        log.warning("%s", warning)
    return Merged(values=values, sources=sources, locks=locks, warnings=tuple(warnings))


def _locked_value(layers: Sequence[Layer], key: str) -> Any:
    value = None
    for index, layer in enumerate(layers):
        if (index == 0 or layer.admin) and key in layer.values:
            value = layer.values[key]
    return value
