"""The layers: which files are read, in which order, and reading one file (or the command line) into a
checked, flat ``Layer``. Every error is one ``ConfigError`` sentence naming the file, the key and the value."""

from __future__ import annotations

import difflib
import json
import os
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from launcher import APP_NAME
from launcher.config.checks import Invalid
from launcher.config.schema import KEYS, TABLES
from launcher.errors import ConfigError
from launcher.paths import CONFIG_FILE_NAME, Paths

__all__ = [
    "ADMIN_ROLES",
    "COMMAND_LINE_SOURCE",
    "CONFIG_ENV_VAR",
    "DEFAULT_SOURCE",
    "LOCKED_KEY",
    "SYSTEM_CONFIG_DIR",
    "Layer",
    "config_layers",
    "read_file",
    "read_mapping",
    "show",
    "where",
]

CONFIG_ENV_VAR = "ROCKETCHAT_LAUNCHER_CONFIG"
DEFAULT_SOURCE = "built-in default"
COMMAND_LINE_SOURCE = "command line"
#: The top-level key of an administrator's file that lists locked keys or tables (see ``locks``).
LOCKED_KEY = "locked"
#: The roles (``config_layers``) of the administrator's files: the only ones that may lock keys.
ADMIN_ROLES = frozenset({"administrator", "administrator (next to the program)"})
#: The system's own administrator folder, read whatever ``XDG_CONFIG_DIRS`` says (a user can set that
#: variable; before, it replaced this folder and with it every lock). None where the platform's folder
#: does not come from the environment (Windows, macOS). Tests point it at a folder of their own.
SYSTEM_CONFIG_DIR: Path | None = None if sys.platform in ("win32", "darwin") else Path("/etc/xdg") / APP_NAME


@dataclass(frozen=True)
class Layer:
    source: str
    values: dict[str, Any]
    role: str = ""
    #: Keys and tables this layer's ``locked`` list names (administrator files only).
    locked: tuple[str, ...] = ()
    #: Sentences about what this layer asked for and did not get (e.g. ``locked`` in a user file).
    warnings: tuple[str, ...] = ()
    #: A user layer's invalid values, key -> (the error, the value): ``merge_layers`` raises it unless the key is
    #: locked (then the value is ignored like any other, with a warning: a user cannot stop the launcher).
    invalid: dict[str, tuple[ConfigError, Any]] = field(default_factory=dict)

    @property
    def admin(self) -> bool:
        return self.role in ADMIN_ROLES


def config_layers(
    *,
    paths: Paths | None = None,
    env: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
    site_config_dirs: Iterable[str | Path] | None = None,
    exe_dir: str | Path | None = None,
) -> list[tuple[str, Path, bool]]:
    """The configuration files in the order they apply: (role, path, must_exist).

    Without ``site_config_dirs``, the platform's folders (``XDG_CONFIG_DIRS``) and then, last so that it
    wins, ``SYSTEM_CONFIG_DIR``; a caller that names its folders gets exactly those."""
    paths = paths or Paths.default()
    env = os.environ if env is None else env
    files: list[tuple[str, Path, bool]] = [("user", paths.user_config_file, False)]
    if site_config_dirs is None:
        directories = _platform_site_config_dirs()
    else:
        directories = [Path(d) for d in site_config_dirs]
    for directory in reversed(directories):  # the first listed wins
        files.append(("administrator", directory / CONFIG_FILE_NAME, False))
    if exe_dir is None and getattr(sys, "frozen", False):
        exe_dir = Path(sys.executable).parent
    if exe_dir is not None:
        files.append(("administrator (next to the program)", Path(exe_dir) / CONFIG_FILE_NAME, False))
    if env.get(CONFIG_ENV_VAR):
        files.append((CONFIG_ENV_VAR, Path(env[CONFIG_ENV_VAR]).expanduser(), True))
    if config_file is not None:
        files.append(("--config", Path(config_file).expanduser(), True))
    return files


def _platform_site_config_dirs() -> list[Path]:
    """The platform's folders, first listed first, with ``SYSTEM_CONFIG_DIR`` moved (or added) first:
    it is applied last, so its values and locks win over a folder from the environment."""
    joined = platformdirs.site_config_dir(APP_NAME, appauthor=False, multipath=True)
    folders = [Path(part) for part in joined.split(os.pathsep) if part]
    system = SYSTEM_CONFIG_DIR
    if system is None:
        return folders
    return [system, *(folder for folder in folders if os.path.normpath(folder) != os.path.normpath(system))]


def read_file(role: str, path: Path, must_exist: bool) -> Layer | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if must_exist:
            via = "ROCKETCHAT_LAUNCHER_CONFIG" if role == CONFIG_ENV_VAR else "--config"
            raise ConfigError(
                f"The configuration file {path} (given by {via}) does not exist; check the path.",
                file=str(path),
            ) from None
        return None
    except IsADirectoryError:
        raise ConfigError(
            f"The configuration path {path} is a directory, not a file; point it at a .toml file.",
            file=str(path),
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"The configuration file {path} could not be read ({exc.strerror}); check its permissions.",
            file=str(path),
        ) from None
    try:
        text = raw.decode("utf-8")
        document = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(
            f"The configuration file {path} is not UTF-8 text; save it as UTF-8.", file=str(path)
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"The configuration file {path} is not valid TOML ({exc}); fix the file or remove it.",
            file=str(path),
        ) from None
    source = str(path)
    locked: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    if LOCKED_KEY in document:
        raw_locked = document.pop(LOCKED_KEY)
        if role in ADMIN_ROLES:
            locked = _check_locked(source, raw_locked)
        else:
            warnings = (
                f"Ignored {LOCKED_KEY} = {show(raw_locked)} in {source}: only the administrator's "
                "configuration files can lock settings.",
            )
    layer = read_mapping(source, document, base_dir=path.parent, nested=True, role=role)
    return Layer(
        layer.source, layer.values, role=role, locked=locked, warnings=warnings, invalid=layer.invalid
    )


def _check_locked(source: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise ConfigError(
            f"Invalid setting {LOCKED_KEY} = {show(value)} in {source}: expected a list of keys or tables, "
            'such as ["rocketchat.url", "organization.url", "network", "autostart"].',
            file=source,
            key=LOCKED_KEY,
        )
    for entry in value:
        if entry not in KEYS and entry not in TABLES:
            suggestion = difflib.get_close_matches(entry, list(KEYS) + sorted(TABLES), n=1, cutoff=0.7)
            hint = f'did you mean "{suggestion[0]}"?' if suggestion else "remove it or check the spelling."
            raise ConfigError(
                f'Unknown key "{entry}" in the {LOCKED_KEY} list of {source}; {hint}',
                file=source,
                key=LOCKED_KEY,
            )
    return tuple(value)


def read_mapping(
    source: str, document: dict[str, Any], *, base_dir: Path, nested: bool = False, role: str = ""
) -> Layer:
    """Check every value. An administrator's invalid value is an error at once; a user layer's is kept in
    ``Layer.invalid`` for ``merge_layers``, which knows the locks."""
    invalid: dict[str, tuple[ConfigError, Any]] = {}
    flat = _flatten(source, document, invalid) if nested else document
    values: dict[str, Any] = {}
    for key, value in flat.items():
        spec = KEYS.get(key)
        if spec is None:
            raise ConfigError(_unknown_key_message(source, key), file=source, key=key)
        try:
            values[key] = spec.check(value, base_dir)
        except Invalid as error:
            invalid[key] = (
                ConfigError(
                    f"Invalid setting {key} = {show(value)} in {where(source, key)}: expected {error.expected}.",
                    file=source,
                    key=key,
                ),
                value,
            )
    if invalid and role in ADMIN_ROLES:
        raise next(iter(invalid.values()))[0]
    return Layer(source, values, role=role, invalid=invalid)


def _flatten(
    source: str, document: dict[str, Any], invalid: dict[str, tuple[ConfigError, Any]], prefix: str = ""
) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if name not in TABLES:
                if name not in KEYS:
                    raise ConfigError(_unknown_key_message(source, name, table=True), file=source, key=name)
                invalid[name] = (
                    ConfigError(
                        f"Invalid setting {name} in {where(source)}: expected a value, not a table.",
                        file=source,
                        key=name,
                    ),
                    value,
                )
                continue
            flat.update(_flatten(source, value, invalid, prefix=f"{name}."))
        elif name in TABLES:
            invalid[name] = (
                ConfigError(
                    f"Invalid setting {name} = {show(value)} in {where(source)}: expected a table "
                    f"[{name}] holding keys such as {_first_key_of(name)}.",
                    file=source,
                    key=name,
                ),
                value,
            )
        else:
            flat[name] = value
    return flat


def _first_key_of(table: str) -> str:
    return next(name for name in KEYS if name.startswith(table + "."))


def _unknown_key_message(source: str, key: str, *, table: bool = False) -> str:
    # A known key name in the wrong table is the likeliest mistake; then a typo of a full name.
    leaf = key.rsplit(".", 1)[-1]
    suggestion = [name for name in KEYS if name.rsplit(".", 1)[-1] == leaf and name != key][:1]
    if not suggestion:
        suggestion = difflib.get_close_matches(key, list(KEYS) + sorted(TABLES), n=1, cutoff=0.7)
    what = "table" if table else "key"
    hint = f'did you mean "{suggestion[0]}"?' if suggestion else "remove it or check the spelling."
    return f'Unknown {what} "{key}" in {where(source)}; {hint}'


_CLI_FLAGS = {"rocketchat.url": "--rocketchat-url"}


def where(source: str, key: str | None = None) -> str:
    """How a message names a layer: its file, or the command line (with the flag when there is one)."""
    if source != COMMAND_LINE_SOURCE:
        return source
    flag = _CLI_FLAGS.get(key or "")
    return f"the command line ({flag})" if flag else "the command line"


def show(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)
