"""One instance per profile, starting hidden in the tray, the window's remembered place, and the
keyboard shortcuts. Real launcher processes, real window under Xvfb, real tray registration over D-Bus."""

from __future__ import annotations

import json

import pytest

from tests.launcher.desktop.desktop_bus import StatusNotifierWatcher

pytestmark = pytest.mark.window


@pytest.fixture
def watcher():
    service = StatusNotifierWatcher()
    yield service
    service.close()


def test_second_start_brings_the_hidden_window_forward_and_exits(make_launcher, watcher):
    launcher = make_launcher()
    launcher.sign_in_by_command()
    live = launcher.start(args=["--start-minimized"])
    live.wait_signed_in()
    facts = live.wait_facts(lambda f: f["tray"])
    assert facts["visible"] is False  # --start-minimized with a tray: hidden in the tray

    second, seconds = launcher.run_cli()

    assert second.returncode == 0, second.stderr
    assert "already open" in second.stdout
    facts = live.wait_facts(lambda f: f["visible"] and f["activations"] == 1)
    assert facts["state"] == "signed-in"
    print(f"second start answered in {seconds:.2f} s")
    assert live.finish().returncode == 0


def test_start_minimized_without_a_tray_minimizes(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_by_command()
    live = launcher.start(args=["--start-minimized"])
    live.wait_signed_in()
    facts = live.command("facts")
    assert facts["tray"] is False and facts["minimized"] is True
    assert live.finish().returncode == 0


def test_the_window_reopens_where_it_was_and_comes_back_on_screen(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_by_command()
    live = launcher.start()
    live.wait_signed_in()
    live.command("set-geometry", x=120, y=90, width=900, height=640)
    live.wait_facts(lambda f: f["geometry"] == [120, 90, 900, 640])
    assert live.finish().returncode == 0
    saved = json.loads((launcher.paths.data_dir / "window.json").read_text())
    assert saved == {"x": 120, "y": 90, "width": 900, "height": 640, "maximized": False}

    live = launcher.start()
    live.wait_signed_in()
    assert live.command("facts")["geometry"] == [120, 90, 900, 640]
    assert live.finish().returncode == 0

    # a monitor that is gone: the saved place is off every screen (Xvfb's screen is 1280x800)
    (launcher.paths.data_dir / "window.json").write_text(
        json.dumps({"x": 3000, "y": 2000, "width": 900, "height": 640, "maximized": False})
    )
    live = launcher.start()
    live.wait_signed_in()
    x, y, width, height = live.command("facts")["geometry"]
    assert (width, height) == (900, 640)
    assert x >= 0 and x + width <= 1280 and y >= 0 and y + height <= 800
    assert live.finish().returncode == 0


def test_zoom_shortcuts(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_by_command()
    live = launcher.start()
    live.wait_signed_in()
    # The shortcuts come with the desktop parts, once the window has settled: a key before that is the page's.
    facts = live.wait_facts(lambda f: f["desktop_started"])
    assert facts["zoom"] == pytest.approx(1.0)
    live.command("key", key="Ctrl+=")
    live.wait_facts(lambda f: f["zoom"] == pytest.approx(1.1))
    live.command("key", key="Ctrl+-")
    live.command("key", key="Ctrl+-")
    live.wait_facts(lambda f: f["zoom"] == pytest.approx(0.9))
    live.command("key", key="Ctrl+0")
    live.wait_facts(lambda f: f["zoom"] == pytest.approx(1.0))
    assert live.finish().returncode == 0
