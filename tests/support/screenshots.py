"""Screenshot checks with ImageMagick: a blank (single-colour) window means nothing was painted."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["assert_not_blank", "standard_deviation"]

_MIN_STDDEV = 0.01  # a real page measured 0.03-0.17; a blank window is 0.0


def standard_deviation(png_path: str | os.PathLike[str]) -> float:
    """The image's normalized colour standard deviation (0.0 = one flat colour)."""
    convert = shutil.which("convert")
    if convert is None:
        raise RuntimeError("ImageMagick's `convert` is missing; run `make system-deps`")
    result = subprocess.run(
        [convert, os.fspath(png_path), "-format", "%[fx:standard_deviation]", "info:"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode != 0:
        raise AssertionError(f"ImageMagick cannot read {png_path}: {result.stderr.strip()}")
    return float(result.stdout.strip())


def assert_not_blank(png_path: str | os.PathLike[str], min_stddev: float = _MIN_STDDEV) -> float:
    """Fail with a clear message if the PNG is missing or (almost) one flat colour; return the deviation."""
    path = Path(png_path)
    assert path.is_file() and path.stat().st_size > 0, f"screenshot {path} was not written"
    deviation = standard_deviation(path)
    assert deviation > min_stddev, (
        f"screenshot {path} is blank: colour standard deviation {deviation:.4f} <= {min_stddev} "
        "(the window showed nothing; was the page painted before the grab?)"
    )
    return deviation
