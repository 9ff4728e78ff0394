"""The .deb's file modes do not follow the build machine's umask: built from a bundle made under umask 000
(everything world-writable: any local user could replace code every user runs) or 077 (nothing readable by
others: no one else could start it), the package still holds folders, programs and shared objects 0755,
every other file 0644, all owned by root, and building it leaves the bundle's own modes alone.

Reads the tarballs dpkg-deb wrote (what `dpkg -i` unpacks); needs dpkg-deb but not root. The install
itself is checked in test_deb.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from launcher import __version__
from tests.packaging.conftest import BUILD_TIMEOUT, REPO, bundle_as_built_under, umask

sys.path.insert(0, str(REPO / "build"))
import make_deb

PACKAGE = "rocketchat-launcher"
INSTALLED = f"./opt/{PACKAGE}/"
PROGRAMS = {f"{INSTALLED}{PACKAGE}", f"{INSTALLED}_internal/PyQt6/Qt6/libexec/QtWebEngineProcess"}
WRAPPER = f"./usr/bin/{PACKAGE}"
BUILD_DEB_TIMEOUT = 120

pytestmark = [
    pytest.mark.package,
    pytest.mark.timeout(BUILD_TIMEOUT + 2 * BUILD_DEB_TIMEOUT),
    pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed"),
]


def _members(deb: Path, part: str) -> dict[str, tarfile.TarInfo]:
    """The entries of the package's data (``--fsys-tarfile``) or control (``--ctrl-tarfile``) tarball,
    streamed: the data tarball is the whole 300 MB bundle."""
    with subprocess.Popen(["dpkg-deb", part, str(deb)], stdout=subprocess.PIPE) as reader:
        assert reader.stdout is not None
        with tarfile.open(fileobj=reader.stdout, mode="r|") as tar:
            members = {member.name: member for member in tar}
    assert reader.returncode == 0, f"dpkg-deb {part} {deb} failed"
    return members


def _modes(tree: Path) -> dict[str, int]:
    return {str(path): path.lstat().st_mode for path in (tree, *tree.rglob("*"))}


def _is_program(name: str, bundle: Path) -> bool:
    """A program or shared object: executable in the bundle built under the usual umask, or the wrapper."""
    if name == WRAPPER:
        return True
    if not name.startswith(INSTALLED):
        return False
    return bool((bundle / name.removeprefix(INSTALLED)).lstat().st_mode & 0o100)


@pytest.mark.parametrize("mask", [0o000, 0o077], ids=["umask-000", "umask-077"])
def test_deb_modes_are_0755_and_0644_whatever_the_umask_and_the_bundles_modes(
    frozen_app: Path, tmp_path: Path, mask: int
) -> None:
    bundle = frozen_app.parent
    odd = bundle_as_built_under(bundle, mask, tmp_path / "bundle")
    before = _modes(odd)
    with umask(mask):
        deb = make_deb.build(odd, tmp_path / "out", __version__, compression="none")
    assert _modes(odd) == before, "building the package changed the bundle's own modes"
    shutil.rmtree(odd)

    data = _members(deb, "--fsys-tarfile")
    assert f"{INSTALLED}{PACKAGE}" in data and WRAPPER in data
    shared_objects = [
        name for name, member in data.items() if member.isfile() and (name.endswith(".so") or ".so." in name)
    ]
    assert len(shared_objects) > 20, shared_objects
    wrong = []
    for name, member in data.items():
        if member.uid != 0 or member.gid != 0:
            wrong.append(f"{name} owned by {member.uid}:{member.gid}")
        if member.issym():
            continue
        expected = 0o755 if member.isdir() or _is_program(name, bundle) else 0o644
        if member.mode != expected:
            wrong.append(f"{name} {member.mode:04o}, not {expected:04o}")
    assert not wrong, f"{len(wrong)} wrong entries in the data tarball: {wrong[:20]}"
    not_programs = [name for name in (*PROGRAMS, *shared_objects) if data[name].mode != 0o755]
    assert not not_programs, f"programs and shared objects not 0755: {not_programs[:20]}"

    control = _members(deb, "--ctrl-tarfile")
    modes = {name: member.mode for name, member in control.items()}
    assert modes == {
        ".": 0o755,
        "./control": 0o644,
        "./conffiles": 0o644,
        "./postinst": 0o755,
        "./postrm": 0o755,
    }
