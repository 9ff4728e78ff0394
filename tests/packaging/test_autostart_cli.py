"""`rocketchat-launcher autostart on|off|status` and the administrator's `autostart` key, for real on Linux."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from launcher.app import _apply_autostart_policy
from launcher.config import load_settings
from launcher.paths import Paths


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def _cli(*args: str, profile: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "launcher", "--profile", str(profile)]
    if config is not None:
        command += ["--config", str(config)]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=os.environ.copy(), timeout=60
    )


@pytest.mark.real
def test_autostart_on_status_off_round_trip(tmp_path: Path, config_home: Path) -> None:
    desktop_file = config_home / "autostart" / "rocketchat-launcher.desktop"

    assert "Autostart is off" in _cli("autostart", "status", profile=tmp_path).stdout
    on = _cli("autostart", "on", profile=tmp_path)
    assert on.returncode == 0, on.stderr
    assert desktop_file.is_file()
    assert "--start-minimized" in desktop_file.read_text(encoding="utf-8")
    assert "Autostart is on" in _cli("autostart", "status", profile=tmp_path).stdout

    off = _cli("autostart", "off", profile=tmp_path)
    assert off.returncode == 0, off.stderr
    assert not desktop_file.exists()


@pytest.mark.real
def test_autostart_enforced_by_the_administrator_cannot_be_turned_off(
    tmp_path: Path, config_home: Path
) -> None:
    config = tmp_path / "it.toml"
    config.write_text(
        'autostart = true\nmode = "rocketchat"\n[rocketchat]\nurl = "https://chat.example.com"\n',
        encoding="utf-8",
    )

    result = _cli("autostart", "off", profile=tmp_path, config=config)

    assert result.returncode == 1
    assert result.stderr.strip() == (f"Your administrator set autostart on ({config}); ask IT to change it.")


@pytest.mark.parametrize("enforced", [True, False])
def test_the_window_start_applies_the_administrators_autostart(
    tmp_path: Path, config_home: Path, enforced: bool
) -> None:
    desktop_file = config_home / "autostart" / "rocketchat-launcher.desktop"
    if not enforced:
        desktop_file.parent.mkdir(parents=True)
        desktop_file.write_text("[Desktop Entry]\n", encoding="utf-8")
    config = tmp_path / "it.toml"
    value = "true" if enforced else "false"
    config.write_text(
        f'autostart = {value}\nmode = "rocketchat"\n[rocketchat]\nurl = "https://chat.example.com"\n',
        encoding="utf-8",
    )
    settings = load_settings(env={}, paths=Paths.under(tmp_path / "profile"), config_file=config)

    _apply_autostart_policy(settings)

    assert desktop_file.is_file() is enforced


def test_an_unset_autostart_leaves_the_users_choice_alone(tmp_path: Path, config_home: Path) -> None:
    desktop_file = config_home / "autostart" / "rocketchat-launcher.desktop"
    desktop_file.parent.mkdir(parents=True)
    desktop_file.write_text("[Desktop Entry]\n", encoding="utf-8")
    config = tmp_path / "user.toml"
    config.write_text(
        'mode = "rocketchat"\n[rocketchat]\nurl = "https://chat.example.com"\n', encoding="utf-8"
    )
    settings = load_settings(env={}, paths=Paths.under(tmp_path / "profile"), config_file=config)

    _apply_autostart_policy(settings)

    assert settings.autostart is None
    assert desktop_file.read_text(encoding="utf-8") == "[Desktop Entry]\n"
