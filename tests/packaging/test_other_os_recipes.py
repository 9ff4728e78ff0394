"""The Windows and macOS recipes, checked where they can be without those systems: the workflow is valid
YAML for both runners and every file it, the Inno Setup script and the dmg script name exists. None of
them has run here (docs/it.md says so); this catches a renamed or missing file before a Windows or Mac
runner would.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "windows-macos.yml"
INNO = REPO / "build" / "windows" / "rocketchat-launcher.iss"
DMG = REPO / "build" / "macos" / "make-dmg.sh"
_REPO_PATH = re.compile(r"(?<![\w/.])((?:build|tests|assets|bench)/[\w./-]+\.(?:py|spec|iss|sh))")


def test_workflow_builds_on_windows_and_macos_with_files_that_exist() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    job = workflow["jobs"]["installer"]
    assert sorted(job["strategy"]["matrix"]["os"]) == ["macos-latest", "windows-latest"]
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    named = set(_REPO_PATH.findall(runs))
    assert {
        "build/pyinstaller.spec",
        "build/windows/rocketchat-launcher.iss",
        "build/macos/make-dmg.sh",
    } <= named
    missing = sorted(path for path in named if not (REPO / path).is_file())
    assert not missing, f"{WORKFLOW.name} names files that do not exist: {missing}"


def test_inno_setup_script_reads_files_that_exist_and_installs_the_config_beside_the_exe() -> None:
    script = INNO.read_text(encoding="utf-8")
    icon = re.search(r"^SetupIconFile=(.+)$", script, re.MULTILINE)
    assert icon is not None
    assert (INNO.parent / icon.group(1).strip().replace("\\", "/")).is_file()
    bundle = re.search(r'^Source: "([^"]+)\\\*"', script, re.MULTILINE)
    assert bundle is not None
    # the bundle PyInstaller writes (build/dist/rocketchat-launcher), relative to the script
    assert (
        INNO.parent / bundle.group(1).replace("\\", "/")
    ).resolve() == REPO / "build" / "dist" / "rocketchat-launcher"
    assert re.search(r'Source: "\{src\}\\launcher\.toml"; DestDir: "\{app\}".*onlyifdoesntexist', script)


@pytest.mark.real
def test_dmg_script_is_valid_bash_that_packs_the_app_the_spec_names() -> None:
    checked = subprocess.run(["bash", "-n", str(DMG)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    spec = (REPO / "build" / "pyinstaller.spec").read_text(encoding="utf-8")
    app = re.search(r'name="([^"]+\.app)"', spec)
    assert app is not None and f'APP="build/dist/{app.group(1)}"' in DMG.read_text(encoding="utf-8")


def test_it_docs_give_each_silent_install_and_say_what_never_ran() -> None:
    it = (REPO / "docs" / "it.md").read_text(encoding="utf-8")
    for needed in ("/VERYSILENT /SUPPRESSMSGBOXES", "hdiutil attach", "dpkg -i", "windows-macos.yml"):
        assert needed in it, needed
    assert "never run" in it.lower()
