"""`FeatureOptions`: the settings and callbacks the window's everyday features need, set once by the shell."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from launcher.config.settings import Settings
    from launcher.paths import Paths

__all__ = ["FeatureOptions", "feature_options"]

CHOICES_FILE = "launcher-choices.json"


def _no_notice(title: str, body: str, open_path: Path | None) -> None:
    return None


@dataclass(frozen=True)
class FeatureOptions:
    """`notify(title, body, open_path)` shows a desktop notification (a click opens `open_path`, when
    given); `open_external(url)` hands a link to the system browser."""

    rc_origin: str
    downloads_folder: Path
    downloads_ask: bool = False
    spellcheck_enabled: bool = True
    spellcheck_languages: tuple[str, ...] = ()
    call_origins: tuple[str, ...] = ()
    calls_in_app: bool = True
    choices_file: Path | None = None
    debug: bool = False
    notify: Callable[[str, str, Path | None], None] = field(default=_no_notice)
    open_external: Callable[[str], None] = field(default=lambda url: None)


def feature_options(
    settings: Settings,
    paths: Paths,
    rc_origin: str,
    debug: bool,
    open_external: Callable[[str], None],
    notify: Callable[[str, str, Path | None], None],
) -> FeatureOptions:
    """The options from the configuration. The remembered choices live in the web view's storage, so
    sign-out (which deletes it) forgets them with the rest."""
    from launcher.window.features.downloads import default_folder

    return FeatureOptions(
        rc_origin=rc_origin,
        downloads_folder=settings.downloads_folder or default_folder(),
        downloads_ask=settings.downloads_ask,
        spellcheck_enabled=settings.spellcheck_enabled,
        spellcheck_languages=tuple(settings.spellcheck_languages),
        call_origins=tuple(settings.video_conference_origins),
        calls_in_app=settings.video_conference_in_app,
        choices_file=paths.webview_storage_dir / CHOICES_FILE,
        debug=debug,
        notify=notify,
        open_external=open_external,
    )
