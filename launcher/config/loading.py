"""``load_settings``: read every layer, merge them with the administrator's locks, check what must be set."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from launcher.config.layers import (
    COMMAND_LINE_SOURCE,
    DEFAULT_SOURCE,
    Layer,
    config_layers,
    read_file,
    read_mapping,
)
from launcher.config.locks import merge_layers
from launcher.config.schema import SPECS
from launcher.config.settings import Settings, organization_api
from launcher.errors import ConfigError
from launcher.paths import Paths

__all__ = ["load_settings"]


def load_settings(
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    paths: Paths | None = None,
    config_file: str | Path | None = None,
    site_config_dirs: Iterable[str | Path] | None = None,
    exe_dir: str | Path | None = None,
    require_complete: bool = True,
) -> Settings:
    """Read every layer and return the effective settings; raise ``ConfigError`` with one clear sentence.

    ``require_complete=False`` skips the checks that need values no layer set (the ``config`` command
    shows what is there before saying what is missing); ``settings.organization`` is then None."""
    paths = paths or Paths.default()
    layers = [Layer(DEFAULT_SOURCE, {spec.name: spec.default for spec in SPECS}, role="default")]
    for role, path, must_exist in config_layers(
        paths=paths, env=env, config_file=config_file, site_config_dirs=site_config_dirs, exe_dir=exe_dir
    ):
        layer = read_file(role, path, must_exist)
        if layer is not None:
            layers.append(layer)
    if cli:
        layers.append(read_mapping(COMMAND_LINE_SOURCE, dict(cli), base_dir=Path.cwd(), role="command line"))

    merged = merge_layers(layers)
    values, sources = merged.values, merged.sources

    def settings(organization: Any = None) -> Settings:
        return Settings(
            values=values,
            sources=sources,
            organization=organization,
            locks=merged.locks,
            warnings=merged.warnings,
        )

    if not require_complete:
        return settings()
    if not values["rocketchat.url"]:
        raise ConfigError(
            "No Rocket.Chat address is configured: set rocketchat.url (for example "
            f'rocketchat.url = "https://chat.example.com" under [rocketchat]) in {paths.user_config_file}, '
            "or ask your IT department for the launcher's configuration file.",
            file=str(paths.user_config_file),
            key="rocketchat.url",
        )
    organization = organization_api(values, sources, paths) if values["mode"] == "organization" else None
    return settings(organization)
