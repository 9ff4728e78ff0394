"""Merging the layers, with the administrator's locks.

A key is locked when an administrator's file (``ADMIN_ROLES``) sets one of ``LOCKED_BY_DEFAULT`` (every
address, ``mode``, the network settings, autostart), or names it (or its table) in its top-level
``locked`` list. Locking a base address locks what is derived from it (``DERIVED``): with
``organization.url`` locked, a user file cannot send the password to its own ``organization.login.url``,
nor switch ``mode`` to Rocket.Chat's login.

A locked key keeps the value the administrator's files give it, from the file that locks it on (a folder
listed earlier in ``XDG_CONFIG_DIRS`` cannot undo the system folder's lock), or the built-in default. A
user layer (the user's file, ``ROCKETCHAT_LAUNCHER_CONFIG``, ``--config``, the command line) that sets it
to something else, valid or not, is ignored with one warning sentence, never an error: a user must not be
able to stop the launcher from starting, nor redirect it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from launcher.config.layers import Layer, show, where
from launcher.config.schema import ADDRESS_KEYS, KEYS, TABLES

__all__ = ["DERIVED", "LOCKED_BY_DEFAULT", "Merged", "covers", "merge_layers"]

log = logging.getLogger("launcher.config")

#: Keys and tables an administrator's file locks merely by setting them.
LOCKED_BY_DEFAULT: tuple[str, ...] = (*ADDRESS_KEYS, "mode", "network", "autostart")
#: A locked key -> the keys locked with it: what decides where the password and the tokens go.
DERIVED: dict[str, tuple[str, ...]] = {
    "organization.url": (*(k for k in ADDRESS_KEYS if k.startswith("organization.")), "mode"),
}


@dataclass(frozen=True)
class Merged:
    values: dict[str, Any]
    sources: dict[str, str]
    locks: dict[str, str]
    warnings: tuple[str, ...]


def covers(entries: Iterable[str], key: str) -> bool:
    """Whether a list of keys and tables (``"network"``) names ``key``."""
    return any(key == entry or key.startswith(entry + ".") for entry in entries)


def _locks(layers: Sequence[Layer]) -> dict[str, int]:
    """Key -> the index of the administrator's layer that locks it (the last one, like values)."""
    locks: dict[str, int] = {}
    for index, layer in enumerate(layers):
        if not layer.admin:
            continue
        for key in KEYS:
            if covers(layer.locked, key) or (key in layer.values and covers(LOCKED_BY_DEFAULT, key)):
                for locked in (key, *DERIVED.get(key, ())):
                    locks[locked] = index
    return locks


def merge_layers(layers: Sequence[Layer]) -> Merged:
    """Apply the layers in order (the first one is the built-in defaults) and enforce the locks.

    Raises the first user layer's ``ConfigError`` for an invalid value of a key that is not locked."""
    lock_index = _locks(layers)
    locks = {key: layers[index].source for key, index in lock_index.items()}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    warnings: list[str] = []

    def ignored(layer: Layer, key: str, value: Any) -> None:
        warnings.append(
            f"Ignored {key} = {show(value)} from {where(layer.source, key)}: your administrator "
            f"locked this setting in {locks[key]}."
        )

    for index, layer in enumerate(layers):
        warnings += layer.warnings
        for key, (error, value) in layer.invalid.items():
            if not _all_locked(key, locks):
                raise error
            ignored(layer, key, value)
        for key, value in layer.values.items():
            if index > 0 and key in lock_index and not (layer.admin and index >= lock_index[key]):
                if value != _locked_value(layers, key, lock_index[key]) and not _overridden(
                    layers, index, key
                ):
                    ignored(layer, key, value)
                continue
            values[key] = value
            sources[key] = layer.source
    for warning in warnings:
        log.warning("%s", warning)
    return Merged(values=values, sources=sources, locks=locks, warnings=tuple(warnings))


def _all_locked(name: str, locks: dict[str, str]) -> bool:
    """A key that is locked, or a table all of whose keys are."""
    if name in TABLES:
        return all(key in locks for key in KEYS if key.startswith(name + "."))
    return name in locks


def _locked_value(layers: Sequence[Layer], key: str, lock_index: int) -> Any:
    """The built-in default, or the last value of the locking administrator's file and those after it."""
    value = layers[0].values.get(key)
    for layer in layers[lock_index:]:
        if layer.admin and key in layer.values:
            value = layer.values[key]
    return value


def _overridden(layers: Sequence[Layer], index: int, key: str) -> bool:
    """An administrator's value that a later administrator's file replaces anyway: plain layering."""
    return layers[index].admin and any(layer.admin and key in layer.values for layer in layers[index + 1 :])
