"""`demo` only where it can run: it needs devstack/ (the source tree), which the bundle and the wheel
leave out. In process, with devstack hidden from the import system as a build without it would be."""

from __future__ import annotations

import sys

import pytest

from launcher import cli


def _hide_devstack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "devstack" or m.startswith("devstack.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "devstack", None)  # `import devstack` raises ImportError


def test_help_offers_demo_where_devstack_is_importable() -> None:
    assert "demo" in cli.build_parser().format_help()


def test_without_devstack_help_does_not_offer_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_devstack(monkeypatch)
    shown = cli.build_parser().format_help()
    assert "sign-in" in shown and "demo" not in shown


def test_without_devstack_demo_says_in_one_sentence_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    _hide_devstack(monkeypatch)
    assert cli.main(["--profile", str(tmp_path), "demo", "--unattended"]) == 2
    said = capsys.readouterr().err.strip()
    assert said == cli.DEMO_MISSING and "make demo" in said and "Traceback" not in said
