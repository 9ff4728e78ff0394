"""A smaller libicudata for the Linux bundle: Qt Core's ICU data, without what the launcher never asks for.

Why: the PyQt6 wheel's libicudata.so.73 is 32 MB, the bundle's third-largest file, and Qt Core uses it only
for locale-aware text (collation, case mapping, break iteration) in the languages the desk runs in.
Chromium does not read it: the web engine has its own ICU data (resources/icudtl.dat). What goes: the
character-set converters (*.cnv; Qt decodes UTF-8 and Latin-1 itself, the page is Chromium's) and every
locale's resources except root, English and the languages of BUNDLE_LOCALES; ICU falls back to root for
the rest. The break-iterator dictionaries stay (root's break rules name them).

Needs icupkg and genccode (Debian: icu-devtools) and gcc; without them the spec keeps the full library
and says so. The bundle test, which signs in in the bundle's window, is the proof that nothing needed went.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

TOOLS = ("icupkg", "genccode", "gcc", "objcopy")
_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]*)*$")  # de, de_AT, zh_Hant_TW, de_ (an alias)
_NOT_LOCALES = {"root", "pool", "res_index"}


def missing_tools() -> list[str]:
    """The tools `trim` needs that are not on the PATH."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def keep_item(item: str, languages: Iterable[str]) -> bool:
    """Whether the ICU data item (``coll/de.res``, ``ibm-1252_P100-2000.cnv``) stays."""
    name = item.rsplit("/", 1)[-1]
    stem, _, extension = name.rpartition(".")
    if extension == "cnv":
        return False
    if extension != "res" or stem in _NOT_LOCALES or not _LOCALE.match(stem):
        return True
    language = stem.split("_", 1)[0]
    return language in {"en", *languages}


def trim(library: Path, workdir: Path, languages: Iterable[str] = ()) -> Path:
    """Write ``workdir/<library name>``: the same ICU data library with only the items ``keep_item`` keeps.

    ``languages``: ICU language codes (``de``, ``pt``) besides English whose locale data stays.
    """
    languages = {language.replace("-", "_").split("_", 1)[0] for language in languages}
    version = re.search(r"libicudata\.so\.(\d+)", library.name)
    if version is None:
        raise ValueError(f"{library} is not a libicudata.so.<major>")
    entry = f"icudt{version.group(1)}"
    workdir.mkdir(parents=True, exist_ok=True)
    full = workdir / f"{entry}l.dat"
    # The data is the library's only section of substance: .rodata holds the symbol icudt<major>_dat.
    subprocess.run(["objcopy", "-O", "binary", "--only-section=.rodata", str(library), str(full)], check=True)
    listed = subprocess.run(["icupkg", "-l", str(full)], check=True, capture_output=True, text=True).stdout
    dropped = [item for item in listed.split() if not keep_item(item, languages)]
    drop_list = workdir / "dropped.txt"
    drop_list.write_text("\n".join(dropped) + "\n", encoding="utf-8")
    small = workdir / "small" / full.name
    small.parent.mkdir(exist_ok=True)
    subprocess.run(["icupkg", "-r", str(drop_list), str(full), str(small)], check=True, capture_output=True)
    subprocess.run(
        ["genccode", "-q", "-e", entry, "-a", "gcc", "-d", str(workdir), "-f", f"{entry}_dat", str(small)],
        check=True,
    )
    output = workdir / library.name
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-nostdlib",
            f"-Wl,-soname,{library.name}",
            "-o",
            str(output),
            str(workdir / f"{entry}_dat.S"),
        ],
        check=True,
    )
    return output
